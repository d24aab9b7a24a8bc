from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExecutionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_STATUS_UNSPECIFIED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_NEW: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_RUNNING: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_SUCCESS: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_ERROR: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_CANCELED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_TIMED_OUT: _ClassVar[ExecutionStatus]

class ExecutionMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_MODE_UNSPECIFIED: _ClassVar[ExecutionMode]
    EXECUTION_MODE_MANUAL: _ClassVar[ExecutionMode]
    EXECUTION_MODE_WEBHOOK: _ClassVar[ExecutionMode]
    EXECUTION_MODE_CRON: _ClassVar[ExecutionMode]

class NodeRunStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_RUN_STATUS_UNSPECIFIED: _ClassVar[NodeRunStatus]
    NODE_RUN_STATUS_PENDING: _ClassVar[NodeRunStatus]
    NODE_RUN_STATUS_RUNNING: _ClassVar[NodeRunStatus]
    NODE_RUN_STATUS_SUCCESS: _ClassVar[NodeRunStatus]
    NODE_RUN_STATUS_ERROR: _ClassVar[NodeRunStatus]
    NODE_RUN_STATUS_SKIPPED: _ClassVar[NodeRunStatus]
    NODE_RUN_STATUS_CANCELED: _ClassVar[NodeRunStatus]
EXECUTION_STATUS_UNSPECIFIED: ExecutionStatus
EXECUTION_STATUS_NEW: ExecutionStatus
EXECUTION_STATUS_RUNNING: ExecutionStatus
EXECUTION_STATUS_SUCCESS: ExecutionStatus
EXECUTION_STATUS_ERROR: ExecutionStatus
EXECUTION_STATUS_CANCELED: ExecutionStatus
EXECUTION_STATUS_TIMED_OUT: ExecutionStatus
EXECUTION_MODE_UNSPECIFIED: ExecutionMode
EXECUTION_MODE_MANUAL: ExecutionMode
EXECUTION_MODE_WEBHOOK: ExecutionMode
EXECUTION_MODE_CRON: ExecutionMode
NODE_RUN_STATUS_UNSPECIFIED: NodeRunStatus
NODE_RUN_STATUS_PENDING: NodeRunStatus
NODE_RUN_STATUS_RUNNING: NodeRunStatus
NODE_RUN_STATUS_SUCCESS: NodeRunStatus
NODE_RUN_STATUS_ERROR: NodeRunStatus
NODE_RUN_STATUS_SKIPPED: NodeRunStatus
NODE_RUN_STATUS_CANCELED: NodeRunStatus

class NodeRun(_message.Message):
    __slots__ = ("node_id", "status", "input", "output", "error", "attempts", "started_at", "finished_at")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    status: NodeRunStatus
    input: _struct_pb2.Struct
    output: _struct_pb2.Struct
    error: str
    attempts: int
    started_at: int
    finished_at: int
    def __init__(self, node_id: _Optional[str] = ..., status: _Optional[_Union[NodeRunStatus, str]] = ..., input: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., output: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., error: _Optional[str] = ..., attempts: _Optional[int] = ..., started_at: _Optional[int] = ..., finished_at: _Optional[int] = ...) -> None: ...

class ExecutionError(_message.Message):
    __slots__ = ("message", "node_id")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    message: str
    node_id: str
    def __init__(self, message: _Optional[str] = ..., node_id: _Optional[str] = ...) -> None: ...

class Execution(_message.Message):
    __slots__ = ("id", "workflow_id", "status", "mode", "trigger_data", "trigger_id", "started_at", "finished_at", "run_data", "error", "created_at")
    class RunDataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: NodeRun
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[NodeRun, _Mapping]] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_DATA_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    RUN_DATA_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    workflow_id: str
    status: ExecutionStatus
    mode: ExecutionMode
    trigger_data: _struct_pb2.Struct
    trigger_id: str
    started_at: int
    finished_at: int
    run_data: _containers.MessageMap[str, NodeRun]
    error: ExecutionError
    created_at: int
    def __init__(self, id: _Optional[str] = ..., workflow_id: _Optional[str] = ..., status: _Optional[_Union[ExecutionStatus, str]] = ..., mode: _Optional[_Union[ExecutionMode, str]] = ..., trigger_data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., trigger_id: _Optional[str] = ..., started_at: _Optional[int] = ..., finished_at: _Optional[int] = ..., run_data: _Optional[_Mapping[str, NodeRun]] = ..., error: _Optional[_Union[ExecutionError, _Mapping]] = ..., created_at: _Optional[int] = ...) -> None: ...
