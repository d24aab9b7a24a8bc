from contract.workflow.v1 import execution_pb2 as _execution_pb2
from contract.workflow.v1 import trigger_pb2 as _trigger_pb2
from contract.workflow.v1 import workflow_pb2 as _workflow_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateWorkflowRequest(_message.Message):
    __slots__ = ("user_id", "name", "description", "nodes", "connections", "settings", "static_data", "tags", "session_id", "pin_data", "active")
    class StaticDataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class PinDataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    STATIC_DATA_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PIN_DATA_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    name: str
    description: str
    nodes: _containers.RepeatedCompositeFieldContainer[_workflow_pb2.Node]
    connections: _workflow_pb2.ConnectionsMap
    settings: _workflow_pb2.WorkflowSettings
    static_data: _containers.ScalarMap[str, str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    session_id: str
    pin_data: _containers.ScalarMap[str, str]
    active: bool
    def __init__(self, user_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., nodes: _Optional[_Iterable[_Union[_workflow_pb2.Node, _Mapping]]] = ..., connections: _Optional[_Union[_workflow_pb2.ConnectionsMap, _Mapping]] = ..., settings: _Optional[_Union[_workflow_pb2.WorkflowSettings, _Mapping]] = ..., static_data: _Optional[_Mapping[str, str]] = ..., tags: _Optional[_Iterable[str]] = ..., session_id: _Optional[str] = ..., pin_data: _Optional[_Mapping[str, str]] = ..., active: _Optional[bool] = ...) -> None: ...

class CreateWorkflowResponse(_message.Message):
    __slots__ = ("workflow", "success", "message")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    success: bool
    message: str
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ..., success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class GetWorkflowRequest(_message.Message):
    __slots__ = ("workflow_id", "user_id")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    user_id: str
    def __init__(self, workflow_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class GetWorkflowResponse(_message.Message):
    __slots__ = ("workflow", "found", "message")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    FOUND_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    found: bool
    message: str
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ..., found: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class UpdateWorkflowRequest(_message.Message):
    __slots__ = ("workflow_id", "user_id", "name", "description", "nodes", "connections", "settings", "static_data", "tags", "active", "session_id", "expected_version", "pin_data")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    STATIC_DATA_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    PIN_DATA_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    user_id: str
    name: str
    description: str
    nodes: _workflow_pb2.NodeList
    connections: _workflow_pb2.ConnectionsMap
    settings: _workflow_pb2.WorkflowSettings
    static_data: _workflow_pb2.StringMap
    tags: _workflow_pb2.StringList
    active: bool
    session_id: str
    expected_version: str
    pin_data: _workflow_pb2.StringMap
    def __init__(self, workflow_id: _Optional[str] = ..., user_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., nodes: _Optional[_Union[_workflow_pb2.NodeList, _Mapping]] = ..., connections: _Optional[_Union[_workflow_pb2.ConnectionsMap, _Mapping]] = ..., settings: _Optional[_Union[_workflow_pb2.WorkflowSettings, _Mapping]] = ..., static_data: _Optional[_Union[_workflow_pb2.StringMap, _Mapping]] = ..., tags: _Optional[_Union[_workflow_pb2.StringList, _Mapping]] = ..., active: _Optional[bool] = ..., session_id: _Optional[str] = ..., expected_version: _Optional[str] = ..., pin_data: _Optional[_Union[_workflow_pb2.StringMap, _Mapping]] = ...) -> None: ...

class UpdateWorkflowResponse(_message.Message):
    __slots__ = ("workflow", "success", "message")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    success: bool
    message: str
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ..., success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class DeleteWorkflowRequest(_message.Message):
    __slots__ = ("workflow_id", "user_id")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    user_id: str
    def __init__(self, workflow_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class DeleteWorkflowResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class ListWorkflowsRequest(_message.Message):
    __slots__ = ("user_id", "active_only", "tags", "limit", "offset")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ONLY_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    active_only: bool
    tags: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    offset: int
    def __init__(self, user_id: _Optional[str] = ..., active_only: _Optional[bool] = ..., tags: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListWorkflowsResponse(_message.Message):
    __slots__ = ("workflows", "total_count", "has_more")
    WORKFLOWS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    workflows: _containers.RepeatedCompositeFieldContainer[_workflow_pb2.Workflow]
    total_count: int
    has_more: bool
    def __init__(self, workflows: _Optional[_Iterable[_Union[_workflow_pb2.Workflow, _Mapping]]] = ..., total_count: _Optional[int] = ..., has_more: _Optional[bool] = ...) -> None: ...

class ExecuteWorkflowRequest(_message.Message):
    __slots__ = ("workflow_id", "user_id", "trigger_data", "session_id")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_DATA_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    user_id: str
    trigger_data: _struct_pb2.Struct
    session_id: str
    def __init__(self, workflow_id: _Optional[str] = ..., user_id: _Optional[str] = ..., trigger_data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., session_id: _Optional[str] = ...) -> None: ...

class ExecuteWorkflowResponse(_message.Message):
    __slots__ = ("execution_id", "status", "success", "message")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    status: _execution_pb2.ExecutionStatus
    success: bool
    message: str
    def __init__(self, execution_id: _Optional[str] = ..., status: _Optional[_Union[_execution_pb2.ExecutionStatus, str]] = ..., success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class GetExecutionRequest(_message.Message):
    __slots__ = ("execution_id", "user_id")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    user_id: str
    def __init__(self, execution_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class GetExecutionResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ...) -> None: ...

class ListExecutionsRequest(_message.Message):
    __slots__ = ("user_id", "workflow_id", "status", "limit", "offset")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    workflow_id: str
    status: _execution_pb2.ExecutionStatus
    limit: int
    offset: int
    def __init__(self, user_id: _Optional[str] = ..., workflow_id: _Optional[str] = ..., status: _Optional[_Union[_execution_pb2.ExecutionStatus, str]] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListExecutionsResponse(_message.Message):
    __slots__ = ("executions", "total_count", "has_more")
    EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    executions: _containers.RepeatedCompositeFieldContainer[_execution_pb2.Execution]
    total_count: int
    has_more: bool
    def __init__(self, executions: _Optional[_Iterable[_Union[_execution_pb2.Execution, _Mapping]]] = ..., total_count: _Optional[int] = ..., has_more: _Optional[bool] = ...) -> None: ...

class CancelExecutionRequest(_message.Message):
    __slots__ = ("execution_id", "user_id")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    user_id: str
    def __init__(self, execution_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class CancelExecutionResponse(_message.Message):
    __slots__ = ("execution", "success", "message")
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    success: bool
    message: str
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ..., success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class CreateTriggerRequest(_message.Message):
    __slots__ = ("user_id", "workflow_id", "type", "config", "active")
    class ConfigEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    workflow_id: str
    type: _trigger_pb2.TriggerType
    config: _containers.ScalarMap[str, str]
    active: bool
    def __init__(self, user_id: _Optional[str] = ..., workflow_id: _Optional[str] = ..., type: _Optional[_Union[_trigger_pb2.TriggerType, str]] = ..., config: _Optional[_Mapping[str, str]] = ..., active: _Optional[bool] = ...) -> None: ...

class CreateTriggerResponse(_message.Message):
    __slots__ = ("trigger",)
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    trigger: _trigger_pb2.Trigger
    def __init__(self, trigger: _Optional[_Union[_trigger_pb2.Trigger, _Mapping]] = ...) -> None: ...

class GetTriggerRequest(_message.Message):
    __slots__ = ("trigger_id", "user_id")
    TRIGGER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    trigger_id: str
    user_id: str
    def __init__(self, trigger_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class GetTriggerResponse(_message.Message):
    __slots__ = ("trigger",)
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    trigger: _trigger_pb2.Trigger
    def __init__(self, trigger: _Optional[_Union[_trigger_pb2.Trigger, _Mapping]] = ...) -> None: ...

class ListTriggersRequest(_message.Message):
    __slots__ = ("user_id", "workflow_id", "limit", "offset")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    workflow_id: str
    limit: int
    offset: int
    def __init__(self, user_id: _Optional[str] = ..., workflow_id: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListTriggersResponse(_message.Message):
    __slots__ = ("triggers", "total_count", "has_more")
    TRIGGERS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    triggers: _containers.RepeatedCompositeFieldContainer[_trigger_pb2.Trigger]
    total_count: int
    has_more: bool
    def __init__(self, triggers: _Optional[_Iterable[_Union[_trigger_pb2.Trigger, _Mapping]]] = ..., total_count: _Optional[int] = ..., has_more: _Optional[bool] = ...) -> None: ...

class DeleteTriggerRequest(_message.Message):
    __slots__ = ("trigger_id", "user_id")
    TRIGGER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    trigger_id: str
    user_id: str
    def __init__(self, trigger_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class DeleteTriggerResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class FireTriggerRequest(_message.Message):
    __slots__ = ("trigger_id", "user_id", "payload")
    TRIGGER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    trigger_id: str
    user_id: str
    payload: _struct_pb2.Struct
    def __init__(self, trigger_id: _Optional[str] = ..., user_id: _Optional[str] = ..., payload: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class FireTriggerResponse(_message.Message):
    __slots__ = ("execution_id", "event")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    event: _trigger_pb2.TriggerEvent
    def __init__(self, execution_id: _Optional[str] = ..., event: _Optional[_Union[_trigger_pb2.TriggerEvent, _Mapping]] = ...) -> None: ...

class ListTriggerEventsRequest(_message.Message):
    __slots__ = ("trigger_id", "user_id", "limit", "offset")
    TRIGGER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    trigger_id: str
    user_id: str
    limit: int
    offset: int
    def __init__(self, trigger_id: _Optional[str] = ..., user_id: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListTriggerEventsResponse(_message.Message):
    __slots__ = ("events", "total_count", "has_more")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_trigger_pb2.TriggerEvent]
    total_count: int
    has_more: bool
    def __init__(self, events: _Optional[_Iterable[_Union[_trigger_pb2.TriggerEvent, _Mapping]]] = ..., total_count: _Optional[int] = ..., has_more: _Optional[bool] = ...) -> None: ...
