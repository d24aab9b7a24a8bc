from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OnError(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ON_ERROR_UNSPECIFIED: _ClassVar[OnError]
    ON_ERROR_CONTINUE: _ClassVar[OnError]
    ON_ERROR_STOP: _ClassVar[OnError]
ON_ERROR_UNSPECIFIED: OnError
ON_ERROR_CONTINUE: OnError
ON_ERROR_STOP: OnError

class Position(_message.Message):
    __slots__ = ("x", "y")
    X_FIELD_NUMBER: _ClassVar[int]
    Y_FIELD_NUMBER: _ClassVar[int]
    x: float
    y: float
    def __init__(self, x: _Optional[float] = ..., y: _Optional[float] = ...) -> None: ...

class RetryPolicy(_message.Message):
    __slots__ = ("max_tries", "wait_between_tries")
    MAX_TRIES_FIELD_NUMBER: _ClassVar[int]
    WAIT_BETWEEN_TRIES_FIELD_NUMBER: _ClassVar[int]
    max_tries: int
    wait_between_tries: int
    def __init__(self, max_tries: _Optional[int] = ..., wait_between_tries: _Optional[int] = ...) -> None: ...

class Node(_message.Message):
    __slots__ = ("id", "name", "type", "subtype", "type_version", "position", "parameters", "credentials", "disabled", "on_error", "retry_policy", "notes", "webhooks")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class CredentialsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class NotesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SUBTYPE_FIELD_NUMBER: _ClassVar[int]
    TYPE_VERSION_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    ON_ERROR_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    WEBHOOKS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    type: str
    subtype: str
    type_version: int
    position: Position
    parameters: _containers.ScalarMap[str, str]
    credentials: _containers.ScalarMap[str, str]
    disabled: bool
    on_error: OnError
    retry_policy: RetryPolicy
    notes: _containers.ScalarMap[str, str]
    webhooks: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ..., subtype: _Optional[str] = ..., type_version: _Optional[int] = ..., position: _Optional[_Union[Position, _Mapping]] = ..., parameters: _Optional[_Mapping[str, str]] = ..., credentials: _Optional[_Mapping[str, str]] = ..., disabled: _Optional[bool] = ..., on_error: _Optional[_Union[OnError, str]] = ..., retry_policy: _Optional[_Union[RetryPolicy, _Mapping]] = ..., notes: _Optional[_Mapping[str, str]] = ..., webhooks: _Optional[_Iterable[str]] = ...) -> None: ...

class Connection(_message.Message):
    __slots__ = ("node", "type", "index")
    NODE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    node: str
    type: str
    index: int
    def __init__(self, node: _Optional[str] = ..., type: _Optional[str] = ..., index: _Optional[int] = ...) -> None: ...

class ConnectionArray(_message.Message):
    __slots__ = ("connections",)
    CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    connections: _containers.RepeatedCompositeFieldContainer[Connection]
    def __init__(self, connections: _Optional[_Iterable[_Union[Connection, _Mapping]]] = ...) -> None: ...

class NodeConnections(_message.Message):
    __slots__ = ("connection_types",)
    class ConnectionTypesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ConnectionArray
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ConnectionArray, _Mapping]] = ...) -> None: ...
    CONNECTION_TYPES_FIELD_NUMBER: _ClassVar[int]
    connection_types: _containers.MessageMap[str, ConnectionArray]
    def __init__(self, connection_types: _Optional[_Mapping[str, ConnectionArray]] = ...) -> None: ...

class ConnectionsMap(_message.Message):
    __slots__ = ("connections",)
    class ConnectionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: NodeConnections
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[NodeConnections, _Mapping]] = ...) -> None: ...
    CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    connections: _containers.MessageMap[str, NodeConnections]
    def __init__(self, connections: _Optional[_Mapping[str, NodeConnections]] = ...) -> None: ...

class WorkflowSettings(_message.Message):
    __slots__ = ("timezone", "save_execution_progress", "save_manual_executions", "timeout", "error_policy", "caller_policy")
    class TimezoneEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    SAVE_EXECUTION_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    SAVE_MANUAL_EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    ERROR_POLICY_FIELD_NUMBER: _ClassVar[int]
    CALLER_POLICY_FIELD_NUMBER: _ClassVar[int]
    timezone: _containers.ScalarMap[str, str]
    save_execution_progress: bool
    save_manual_executions: bool
    timeout: int
    error_policy: str
    caller_policy: str
    def __init__(self, timezone: _Optional[_Mapping[str, str]] = ..., save_execution_progress: _Optional[bool] = ..., save_manual_executions: _Optional[bool] = ..., timeout: _Optional[int] = ..., error_policy: _Optional[str] = ..., caller_policy: _Optional[str] = ...) -> None: ...

class Workflow(_message.Message):
    __slots__ = ("id", "name", "description", "nodes", "connections", "settings", "static_data", "pin_data", "tags", "active", "created_at", "updated_at", "version")
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
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    STATIC_DATA_FIELD_NUMBER: _ClassVar[int]
    PIN_DATA_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    nodes: _containers.RepeatedCompositeFieldContainer[Node]
    connections: ConnectionsMap
    settings: WorkflowSettings
    static_data: _containers.ScalarMap[str, str]
    pin_data: _containers.ScalarMap[str, str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    active: bool
    created_at: int
    updated_at: int
    version: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., nodes: _Optional[_Iterable[_Union[Node, _Mapping]]] = ..., connections: _Optional[_Union[ConnectionsMap, _Mapping]] = ..., settings: _Optional[_Union[WorkflowSettings, _Mapping]] = ..., static_data: _Optional[_Mapping[str, str]] = ..., pin_data: _Optional[_Mapping[str, str]] = ..., tags: _Optional[_Iterable[str]] = ..., active: _Optional[bool] = ..., created_at: _Optional[int] = ..., updated_at: _Optional[int] = ..., version: _Optional[str] = ...) -> None: ...

class NodeList(_message.Message):
    __slots__ = ("nodes",)
    NODES_FIELD_NUMBER: _ClassVar[int]
    nodes: _containers.RepeatedCompositeFieldContainer[Node]
    def __init__(self, nodes: _Optional[_Iterable[_Union[Node, _Mapping]]] = ...) -> None: ...

class StringList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, values: _Optional[_Iterable[str]] = ...) -> None: ...

class StringMap(_message.Message):
    __slots__ = ("values",)
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.ScalarMap[str, str]
    def __init__(self, values: _Optional[_Mapping[str, str]] = ...) -> None: ...
