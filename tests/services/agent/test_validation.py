"""The deterministic validator: each defect is an error naming its path; legal but
questionable things are warnings; the shared fixtures are valid; properties over random DAGs."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bench.fixtures import load_workflow
from services.agent.validation import validate_workflow

NODE_DEFAULTS: dict[str, dict[str, str]] = {
    "TRIGGER": {},
    "HTTP_REQUEST": {"url": "https://api.example.com/x"},
    "TRANSFORM": {"target": "t", "expression": "{{ $json.a }}"},
    "CONDITION": {"left": "{{ $json.a }}", "operator": "equals", "right": "1"},
    "WAIT": {"seconds": "1"},
    "AI": {"prompt": "Summarize {{ $json }}"},
}


def node(node_id: str, type_name: str, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": node_id,
        "name": node_id.title(),
        "type": type_name,
        "position": {"x": 0, "y": 0},
        "parameters": dict(NODE_DEFAULTS.get(type_name, {})),
    }
    if type_name == "TRIGGER":
        entry["subtype"] = "MANUAL"
    parameters = extra.pop("parameters", None)
    if parameters is not None:
        entry["parameters"] = parameters
    entry.update(extra)
    return entry


def workflow(
    nodes: list[dict[str, Any]], edges: list[tuple[str, str] | tuple[str, str, str]], **extra: Any
) -> dict[str, Any]:
    connections: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for edge in edges:
        source, target, kind = (*edge, "main")[:3]
        connections.setdefault(source, {}).setdefault(kind, []).append(
            {"node": target, "type": kind, "index": 0}
        )
    return {"name": "W", "nodes": nodes, "connections": connections, **extra}


def linear(*types: str) -> dict[str, Any]:
    nodes = [node("start", "TRIGGER")] + [node(f"n{i}", t) for i, t in enumerate(types, 1)]
    ids = [n["id"] for n in nodes]
    return workflow(nodes, list(pairwise(ids)))


def errors_of(data: dict[str, Any]) -> list[str]:
    return validate_workflow(data).errors


def test_a_clean_workflow_has_no_errors_or_warnings() -> None:
    report = validate_workflow(linear("HTTP_REQUEST", "TRANSFORM", "WAIT", "AI"))
    assert report.valid and report.errors == [] and report.warnings == []
    assert report.workflow is not None and len(report.workflow.nodes) == 5


@pytest.mark.parametrize("nodes", [20, 200])
def test_the_shared_fixtures_are_valid(nodes: int) -> None:
    report = validate_workflow(load_workflow(nodes))
    assert report.errors == []
    assert report.valid


def test_unknown_node_type() -> None:
    data = linear("HTTP_REQUEST", "TELEPORT")
    (error,) = errors_of(data)
    assert error.startswith("nodes[2].type: unknown node type 'TELEPORT' (known: AI, CONDITION")


@pytest.mark.parametrize(
    ("type_name", "subtype", "parameter"),
    [
        ("HTTP_REQUEST", None, "url"),
        ("CONDITION", None, "left"),
        ("CONDITION", None, "operator"),
        ("WAIT", None, "seconds"),
        ("AI", None, "prompt"),
        ("TRANSFORM", None, "target"),
        ("TRIGGER", "WEBHOOK", "path"),
        ("TRIGGER", "CRON", "cron"),
    ],
)
def test_missing_required_parameter_per_node_type(
    type_name: str, subtype: str | None, parameter: str
) -> None:
    data = linear("HTTP_REQUEST", "WAIT")
    if type_name == "TRIGGER":
        index = 0
        data["nodes"][0].update(subtype=subtype, parameters={})
    else:
        index = 1
        params = dict(NODE_DEFAULTS[type_name])
        params.pop(parameter, None)
        if type_name == "TRANSFORM":
            params.pop("expression", None)
        data["nodes"][1].update(type=type_name, parameters=params)
    errors = errors_of(data)
    assert f"nodes[{index}].parameters.{parameter}: required by {type_name}" in errors
    # A blank value is as missing as an absent one (for TRANSFORM, whose target may also
    # come from `fields`, the catalog only checks presence).
    if type_name == "TRANSFORM":
        return
    data["nodes"][index]["parameters"][parameter] = "   "
    assert f"nodes[{index}].parameters.{parameter}: required by {type_name}" in errors_of(data)


@pytest.mark.parametrize(
    ("type_name", "parameter", "value", "message"),
    [
        ("CONDITION", "operator", "roughly", "unknown operator 'roughly'"),
        ("WAIT", "seconds", "soon", "must be a number of seconds, got 'soon'"),
        ("WAIT", "seconds", "90000", "must be between 0 and 86400, got 90000"),
        ("HTTP_REQUEST", "method", "FETCH", "unsupported method 'FETCH'"),
        ("HTTP_REQUEST", "url", "ftp://x.example.com", "must be an http:// or https:// URL"),
        ("HTTP_REQUEST", "headers", "[1, 2]", "must be a JSON object"),
        ("HTTP_REQUEST", "timeout_s", "-1", "must be between 0 and 86400"),
        ("AI", "temperature", "3", "must be between 0 and 2, got 3"),
        ("TRANSFORM", "fields", "not json", "must be a JSON object"),
    ],
)
def test_bad_literal_values(type_name: str, parameter: str, value: str, message: str) -> None:
    data = linear(type_name)
    data["nodes"][1]["parameters"][parameter] = value
    errors = errors_of(data)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"nodes[1].parameters.{parameter}: {message}")
    # A templated value is only known at run time and is not judged.
    data["nodes"][1]["parameters"][parameter] = "{{ $json.x }}"
    assert errors_of(data) == []


def test_bad_cron_and_subtype() -> None:
    data = linear("WAIT")
    data["nodes"][0].update(subtype="CRON", parameters={"cron": "61 * * * *"})
    (error,) = errors_of(data)
    assert error.startswith("nodes[0].parameters.cron: invalid cron expression")
    data["nodes"][0].update(subtype="TELEPATHY", parameters={})
    (error,) = errors_of(data)
    assert error.startswith("nodes[0].subtype: TRIGGER has no subtype 'TELEPATHY'")


def test_dangling_connection_source_and_target() -> None:
    data = linear("WAIT")
    data["connections"]["ghost"] = {"main": [{"node": "n1"}]}
    data["connections"]["n1"] = {"main": [{"node": "nowhere"}]}
    assert sorted(errors_of(data)) == [
        "connections.ghost: source node 'ghost' does not exist",
        "connections.n1.main[0].node: target node 'nowhere' does not exist",
    ]


def test_self_loop() -> None:
    data = linear("WAIT")
    data["connections"]["n1"] = {"main": [{"node": "n1"}]}
    assert errors_of(data) == ["connections.n1.main[0].node: node 'n1' connects to itself"]


def test_cycle() -> None:
    data = linear("WAIT", "TRANSFORM", "AI")
    data["connections"]["n3"] = {"main": [{"node": "n1"}]}
    assert errors_of(data) == ["connections: cycle n1 -> n2 -> n3 -> n1"]


def test_unreachable_node() -> None:
    data = linear("WAIT")
    data["nodes"].append(node("island", "AI"))
    assert errors_of(data) == ["nodes[2] (island): unreachable from any trigger"]


def test_no_trigger() -> None:
    data = workflow([node("a", "WAIT"), node("b", "AI")], [("a", "b")])
    errors = errors_of(data)
    assert errors == [
        "nodes: no TRIGGER node; a workflow needs an entry point (MANUAL, WEBHOOK or CRON)"
    ]


def test_trigger_with_incoming_edge() -> None:
    data = linear("WAIT", "AI")
    data["connections"]["n1"]["main"].append({"node": "start"})
    errors = errors_of(data)
    assert "nodes[0] (start): a TRIGGER cannot have incoming edges" in errors
    assert "connections: cycle start -> n1 -> start" in errors


@pytest.mark.parametrize(
    ("settings_data", "expected"),
    [
        ({"timeout": 10}, "settings.timeout: "),
        ({"timeout": 100000}, "settings.timeout: "),
        ({"error_policy": "explode"}, "settings.error_policy: "),
        ({"timezone": {"name": "Mars/Olympus_Mons"}},
         "settings.timezone.name: unknown time zone 'Mars/Olympus_Mons'"),
    ],
)  # fmt: skip
def test_invalid_settings(settings_data: dict[str, Any], expected: str) -> None:
    data = {**linear("WAIT"), "settings": settings_data}
    (error,) = errors_of(data)
    assert error.startswith(expected), error
    assert validate_workflow({**linear("WAIT"), "settings": {"timezone": {"name": "Asia/Tokyo"}}})


def test_duplicate_ids() -> None:
    data = linear("WAIT", "AI")
    data["nodes"][2]["id"] = "n1"
    data["connections"] = {"start": {"main": [{"node": "n1"}]}}
    errors = errors_of(data)
    assert "nodes[2].id: duplicate node id 'n1' (also nodes[1])" in errors


def test_wrong_edge_type_out_of_a_non_condition_node() -> None:
    data = linear("WAIT", "AI")
    data["connections"]["n1"] = {"true": [{"node": "n2"}]}
    assert errors_of(data) == [
        "connections.n1.true: WAIT has no 'true' output (one of main)",
    ]
    # The same edge types out of a CONDITION are fine.
    data["nodes"][1] = node("n1", "CONDITION")
    data["connections"]["n1"] = {"true": [{"node": "n2"}], "false": [{"node": "n3"}]}
    data["nodes"].append(node("n3", "WAIT"))
    assert validate_workflow(data).errors == []


@pytest.mark.parametrize("nodes", [None, [], "nope", {"a": 1}])
def test_nodes_not_a_non_empty_list(nodes: Any) -> None:
    data: dict[str, Any] = {"name": "W", "connections": {}}
    if nodes is not None:
        data["nodes"] = nodes
    assert errors_of(data) == ["nodes: a workflow needs a non-empty list of nodes"]


def test_a_node_that_is_not_an_object_is_named() -> None:
    data = linear("WAIT")
    data["nodes"].append("junk")
    errors = errors_of(data)
    assert any(e.startswith("nodes.2: ") or e.startswith("nodes[2]") for e in errors), errors


# -- warnings ---------------------------------------------------------------------------


def warnings_of(data: dict[str, Any]) -> list[str]:
    report = validate_workflow(data)
    assert report.errors == [], report.errors  # warnings never make a workflow invalid
    return report.warnings


def test_disabled_node_warns() -> None:
    data = linear("WAIT", "AI")
    data["nodes"][1]["disabled"] = True
    assert warnings_of(data) == [
        "nodes[1] (n1): disabled, so it passes its input through unchanged"
    ]


def test_condition_without_false_branch_warns() -> None:
    data = linear("CONDITION", "AI")
    assert warnings_of(data) == [
        "nodes[1] (n1): no 'false' branch; nothing runs when the condition does not hold"
    ]


def test_plain_http_to_a_remote_host_warns_but_not_to_loopback() -> None:
    data = linear("HTTP_REQUEST")
    data["nodes"][1]["parameters"]["url"] = "http://api.example.com/x"
    assert warnings_of(data) == [
        "nodes[1].parameters.url: plain http:// (not TLS) to api.example.com"
    ]
    data["nodes"][1]["parameters"]["url"] = "http://127.0.0.1:8080/x"
    assert warnings_of(data) == []


def test_secret_looking_parameter_warns() -> None:
    data = linear("HTTP_REQUEST")
    data["nodes"][1]["parameters"]["api_key"] = "sk-live-123"
    warnings = warnings_of(data)
    assert (
        "nodes[1].parameters.api_key: looks like a secret in plain text; reference a stored "
        "credential in `credentials` instead"
    ) in warnings
    data["nodes"][1]["parameters"]["api_key"] = "{{ $json.key }}"
    assert not any("secret" in w for w in warnings_of(data))


def test_alias_type_warns() -> None:
    data = linear("SET")
    data["nodes"][1]["parameters"] = dict(NODE_DEFAULTS["TRANSFORM"])
    assert warnings_of(data) == [
        "nodes[1].type: SET is an alias of TRANSFORM; prefer the canonical name"
    ]


def test_unknown_parameter_warns() -> None:
    data = linear("WAIT")
    data["nodes"][1]["parameters"]["colour"] = "blue"
    assert warnings_of(data) == [
        "nodes[1].parameters.colour: not a parameter of WAIT; it is ignored"
    ]


# -- properties ------------------------------------------------------------------------

TYPES = ["HTTP_REQUEST", "TRANSFORM", "WAIT", "AI", "CONDITION"]


@st.composite
def dags(draw: st.DrawFn) -> dict[str, Any]:
    """A trigger and 1..30 catalog nodes; every node gets an edge from an earlier one
    (so it is reachable), plus random extra forward edges (so it stays acyclic)."""
    count = draw(st.integers(1, 30))
    types = draw(st.lists(st.sampled_from(TYPES), min_size=count, max_size=count))
    nodes = [node("t", "TRIGGER")] + [node(f"n{i}", t) for i, t in enumerate(types, 1)]
    edges: set[tuple[str, str]] = set()
    for i in range(1, len(nodes)):
        parent = draw(st.integers(0, i - 1))
        edges.add((nodes[parent]["id"], nodes[i]["id"]))
    extra = draw(st.lists(st.tuples(st.integers(1, count), st.integers(1, count)), max_size=count))
    edges |= {(f"n{a}", f"n{b}") for a, b in extra if a < b}
    return workflow(nodes, sorted(edges))


@given(dags())
@settings(max_examples=60, deadline=None)
def test_random_dags_of_catalog_nodes_are_valid(data: dict[str, Any]) -> None:
    assert validate_workflow(data).errors == []


def _ancestors(data: dict[str, Any], node_id: str) -> set[str]:
    parents: dict[str, set[str]] = {}
    for source, by_type in data["connections"].items():
        for edges in by_type.values():
            for edge in edges:
                parents.setdefault(edge["node"], set()).add(source)
    seen: set[str] = set()
    stack = [node_id]
    while stack:
        for parent in parents.get(stack.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


@given(dags(), st.data())
@settings(max_examples=60, deadline=None)
def test_a_back_edge_always_yields_a_cycle_error(data: dict[str, Any], pick: st.DataObject) -> None:
    # An edge from a node back to one of its (non-trigger) ancestors closes a cycle.
    ids = [n["id"] for n in data["nodes"][1:]]
    pairs = [(v, a) for v in ids for a in sorted(_ancestors(data, v) - {"t"})]
    assume(pairs)
    source, target = pick.draw(st.sampled_from(pairs))
    assert validate_workflow(data).errors == []
    data["connections"].setdefault(source, {}).setdefault("main", []).append({"node": target})
    errors = validate_workflow(data).errors
    (cycle,) = [e for e in errors if e.startswith("connections: cycle ")]
    path = cycle.removeprefix("connections: cycle ").split(" -> ")
    assert path[0] == path[-1] and source in path and target in path


@given(dags(), st.data())
@settings(max_examples=60, deadline=None)
def test_removing_the_edges_into_a_node_makes_it_unreachable(
    data: dict[str, Any], pick: st.DataObject
) -> None:
    ids = [n["id"] for n in data["nodes"][1:]]
    victim = pick.draw(st.sampled_from(ids))
    for by_type in data["connections"].values():
        for kind, edges in by_type.items():
            by_type[kind] = [e for e in edges if e["node"] != victim]
    index = ids.index(victim) + 1
    assert f"nodes[{index}] ({victim}): unreachable from any trigger" in errors_of(data)


_KEYS = st.sampled_from(
    ["id", "name", "type", "subtype", "parameters", "connections", "nodes", "node", "main",
     "true", "settings", "timezone", "disabled", "position", "url", "timeout"]
)  # fmt: skip
_LEAVES = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
    | st.sampled_from(["TRIGGER", "WAIT", "CONDITION", "HTTP_REQUEST", "n1", "t", "http://x"])
)  # fmt: skip
_JSONISH = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(_KEYS | st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(_KEYS, _JSONISH, max_size=5))
@settings(max_examples=300, deadline=None)
def test_any_json_is_judged_never_raises(data: dict[str, Any]) -> None:
    report = validate_workflow(data)  # a broken workflow is an answer, never a 500
    assert report.valid == (report.errors == [])
    assert all(isinstance(e, str) and ": " in e for e in report.errors)
