"""Converter behaviour on concrete cases: shapes, presence, and every kind of bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.protobuf import struct_pb2

from bench.fixtures import load_workflow
from bridge.converter import ConversionError
from contract.agent.v1 import agent_pb2
from contract.binding import converter
from contract.engine.v1 import engine_pb2
from contract.models import (
    ExecuteWorkflowRequest,
    Execution,
    ExecutionStatus,
    GenerateWorkflowRequest,
    ListExecutionsRequest,
    ListWorkflowsRequest,
    Node,
    OnError,
    RefineWorkflowRequest,
    UpdateWorkflowRequest,
    Workflow,
)
from contract.workflow.v1 import execution_pb2, workflow_pb2

conv = converter()


@pytest.fixture(params=[20, 200])
def workflow(request: pytest.FixtureRequest) -> Workflow:
    return Workflow.model_validate(load_workflow(request.param))


def test_fixture_round_trips_both_ways(workflow: Workflow) -> None:
    proto = conv.to_proto(workflow, workflow_pb2.Workflow)
    assert len(proto.nodes) == len(workflow.nodes)
    assert conv.from_proto(proto, Workflow) == workflow
    assert conv.to_proto(conv.from_proto(proto, Workflow), workflow_pb2.Workflow) == proto


def test_connections_are_flat_on_the_model_and_wrapped_in_proto(workflow: Workflow) -> None:
    proto = conv.to_proto(workflow, workflow_pb2.Workflow)
    edges = proto.connections.connections["trigger"].connection_types["main"].connections
    assert [e.node for e in edges] == [c.node for c in workflow.connections["trigger"]["main"]]
    dumped = json.loads(workflow.model_dump_json())
    # The doubled level of the original migration must not reappear in the HTTP JSON.
    assert "connections" not in dumped["connections"]
    assert dumped["connections"]["trigger"]["main"][0] == {"node": "n1", "type": "main", "index": 0}


def test_enum_names_on_the_model_numbers_in_proto() -> None:
    node = Node.model_validate(
        {"id": "a", "name": "A", "type": "WAIT", "position": {"x": 0, "y": 0}, "on_error": "stop"}
    )
    assert conv.to_proto(node, workflow_pb2.Node).on_error == workflow_pb2.ON_ERROR_STOP
    assert (
        conv.from_proto(
            workflow_pb2.Node(id="a", name="A", type="WAIT", position={"x": 0, "y": 0}, on_error=1),
            Node,
        ).on_error
        is OnError.CONTINUE
    )


def test_unset_optional_fields_become_none_not_zero() -> None:
    proto = workflow_pb2.Workflow(
        name="w", nodes=[{"id": "a", "name": "A", "type": "WAIT", "position": {}}]
    )
    model = conv.from_proto(proto, Workflow)
    assert model.id is None and model.description is None and model.created_at is None
    assert model.nodes[0].subtype is None and model.nodes[0].retry_policy is None
    # Unset fields with a model default take the default, and stay unset on the way back.
    assert model.active is True and model.version == "1.0" and model.nodes[0].type_version == 1
    again = conv.to_proto(model, workflow_pb2.Workflow)
    assert not again.HasField("active") and not again.HasField("version")
    assert again == proto


def test_explicit_zero_is_kept_apart_from_unset() -> None:
    proto = workflow_pb2.Workflow(
        name="w",
        active=False,
        description="",
        nodes=[{"id": "a", "name": "A", "type": "WAIT", "position": {}, "subtype": "CRON"}],
    )
    model = conv.from_proto(proto, Workflow)
    assert model.active is False and model.description == ""
    assert conv.to_proto(model, workflow_pb2.Workflow).HasField("description")


def test_wrapper_presence_tells_absent_from_empty_in_partial_updates() -> None:
    absent = conv.from_proto(
        engine_pb2.UpdateWorkflowRequest(workflow_id="w", user_id="u"), UpdateWorkflowRequest
    )
    assert absent.tags is None and absent.static_data is None and absent.nodes is None
    empty = conv.from_proto(
        engine_pb2.UpdateWorkflowRequest(workflow_id="w", user_id="u", tags={}, static_data={}),
        UpdateWorkflowRequest,
    )
    assert empty.tags == [] and empty.static_data == {}
    back = conv.to_proto(empty, engine_pb2.UpdateWorkflowRequest)
    assert back.HasField("tags") and back.HasField("static_data") and not back.HasField("nodes")


def test_enum_zero_means_any_where_the_model_allows_none() -> None:
    model = conv.from_proto(engine_pb2.ListExecutionsRequest(user_id="u"), ListExecutionsRequest)
    assert model.status is None and model.limit == 50
    model = conv.from_proto(
        engine_pb2.ListExecutionsRequest(user_id="u", status=execution_pb2.EXECUTION_STATUS_ERROR),
        ListExecutionsRequest,
    )
    assert model.status is ExecutionStatus.ERROR


def test_int64_and_struct_values_survive() -> None:
    model = ExecuteWorkflowRequest(
        workflow_id="w",
        user_id="u",
        trigger_data={"order": {"id": 7, "total": 19.5, "tags": ["a", None, True]}, "big": 2**53},
    )
    proto = conv.to_proto(model, engine_pb2.ExecuteWorkflowRequest)
    assert conv.from_proto(proto, ExecuteWorkflowRequest) == model
    assert conv.from_proto(proto, ExecuteWorkflowRequest).trigger_data["order"]["id"] == 7
    wf = Workflow.model_validate({**load_workflow(20), "created_at": 2**62})
    assert conv.to_proto(wf, workflow_pb2.Workflow).created_at == 2**62


# -- bad input: one ConversionError, with the field path ------------------------------


def _violation(exc: pytest.ExceptionInfo[ConversionError]) -> tuple[str, str]:
    first = exc.value.violations[0]
    return first.field, first.description


def test_unknown_enum_number_names_the_field() -> None:
    proto = workflow_pb2.Workflow(
        name="w",
        nodes=[
            {"id": "a", "name": "A", "type": "WAIT", "position": {}},
            {"id": "b", "name": "B", "type": "WAIT", "position": {}, "on_error": 7},
        ],
    )
    with pytest.raises(ConversionError) as exc:
        conv.from_proto(proto, Workflow)
    field, description = _violation(exc)
    assert field == "nodes[1].on_error"
    assert "7" in description and "OnError" in description


def test_missing_required_message_names_the_field() -> None:
    with pytest.raises(ConversionError) as exc:
        conv.from_proto(
            agent_pb2.RefineWorkflowRequest(workflow_id="w", feedback="more"), RefineWorkflowRequest
        )
    assert _violation(exc) == ("original_workflow", "Field required")
    with pytest.raises(ConversionError) as exc:
        conv.from_proto(
            workflow_pb2.Workflow(name="w", nodes=[{"id": "a", "name": "A", "type": "WAIT"}]),
            Workflow,
        )
    assert _violation(exc) == ("nodes[0].position", "Field required")


def test_validation_failures_list_every_field() -> None:
    proto = engine_pb2.ListWorkflowsRequest(user_id=" ", limit=501, offset=-1)
    with pytest.raises(ConversionError) as exc:
        conv.from_proto(proto, ListWorkflowsRequest)
    fields = {v.field for v in exc.value.violations}
    assert fields == {"user_id", "limit", "offset"}


def test_graph_rule_violation_is_reported() -> None:
    data = load_workflow(20)
    data["connections"]["n1"] = {"main": [{"node": "ghost", "type": "main", "index": 0}]}
    proto = conv.to_proto(
        Workflow.model_construct(**Workflow.model_validate(load_workflow(20)).__dict__),
        workflow_pb2.Workflow,
    )
    proto.connections.connections["n1"].connection_types["main"].connections.add(
        node="ghost", type="main"
    )
    with pytest.raises(ConversionError) as exc:
        conv.from_proto(proto, Workflow)
    assert "ghost" in str(exc.value)


def test_struct_refuses_what_it_cannot_carry_exactly() -> None:
    for bad, path in (
        ({"n": 2**60}, "trigger_data.n"),
        ({"x": [1, float("nan")]}, "trigger_data.x[1]"),
        ({"when": object()}, "trigger_data.when"),
    ):
        model = ExecuteWorkflowRequest.model_construct(
            workflow_id="w", user_id="u", trigger_data=bad
        )
        with pytest.raises(ConversionError) as exc:
            conv.to_proto(model, engine_pb2.ExecuteWorkflowRequest)
        assert exc.value.path == path


def test_non_finite_number_from_the_wire_is_refused() -> None:
    proto = engine_pb2.ExecuteWorkflowRequest(workflow_id="w", user_id="u")
    proto.trigger_data.fields["x"].number_value = float("inf")
    with pytest.raises(ConversionError) as exc:
        conv.from_proto(proto, ExecuteWorkflowRequest)
    assert exc.value.path == "trigger_data"


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("limit", "fifty", "limit"),  # type mismatch
        ("limit", 2**40, "limit"),  # out of the int32 range
        ("active_only", None, "active_only"),  # None where proto cannot be unset... it can:
    ],
)
def test_type_mismatch_toward_proto_names_the_field(field: str, value: Any, path: str) -> None:
    model = ListWorkflowsRequest(user_id="u")
    object.__setattr__(model, field, value)
    model.model_fields_set.add(field)
    if value is None:  # active_only is `optional bool`: None simply means unset
        assert not conv.to_proto(model, engine_pb2.ListWorkflowsRequest).HasField("active_only")
        return
    with pytest.raises(ConversionError) as exc:
        conv.to_proto(model, engine_pb2.ListWorkflowsRequest)
    assert exc.value.path == path


def test_nested_type_mismatch_toward_proto_names_the_path(workflow: Workflow) -> None:
    object.__setattr__(workflow.nodes[3].position, "x", "left")
    with pytest.raises(ConversionError) as exc:
        conv.to_proto(workflow, workflow_pb2.Workflow)
    assert exc.value.path == "nodes[3].position.x"
    assert "expected float" in exc.value.violations[0].description


def test_bad_enum_member_toward_proto_names_the_path() -> None:
    execution = Execution.model_construct(id="e", workflow_id="w", status="DONE", mode="MANUAL")
    with pytest.raises(ConversionError) as exc:
        conv.to_proto(execution, execution_pb2.Execution)
    assert exc.value.path == "status"


def test_missing_required_field_toward_proto() -> None:
    model = GenerateWorkflowRequest.model_construct()
    with pytest.raises(ConversionError) as exc:
        conv.to_proto(model, agent_pb2.GenerateWorkflowRequest)
    assert _violation(exc) == ("description", "required field is missing")


def test_struct_messages_round_trip_through_plain_python() -> None:
    value = struct_pb2.Struct()
    value.update({"a": [1, "x", None, {"b": False}], "c": -0.0})
    from bridge.converter._json import struct_to_py

    assert struct_to_py(value) == {"a": [1, "x", None, {"b": False}], "c": -0.0}
