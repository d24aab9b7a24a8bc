from contract.workflow.v1 import workflow_pb2 as _workflow_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GenerateWorkflowRequest(_message.Message):
    __slots__ = ("description", "context", "user_preferences")
    class ContextEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class UserPreferencesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    USER_PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    description: str
    context: _containers.ScalarMap[str, str]
    user_preferences: _containers.ScalarMap[str, str]
    def __init__(self, description: _Optional[str] = ..., context: _Optional[_Mapping[str, str]] = ..., user_preferences: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GenerateWorkflowResponse(_message.Message):
    __slots__ = ("success", "workflow", "suggestions", "missing_info", "errors", "confidence_score")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    MISSING_INFO_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_SCORE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    workflow: _workflow_pb2.Workflow
    suggestions: _containers.RepeatedScalarFieldContainer[str]
    missing_info: _containers.RepeatedScalarFieldContainer[str]
    errors: _containers.RepeatedScalarFieldContainer[str]
    confidence_score: float
    def __init__(self, success: _Optional[bool] = ..., workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ..., suggestions: _Optional[_Iterable[str]] = ..., missing_info: _Optional[_Iterable[str]] = ..., errors: _Optional[_Iterable[str]] = ..., confidence_score: _Optional[float] = ...) -> None: ...

class RefineWorkflowRequest(_message.Message):
    __slots__ = ("workflow_id", "feedback", "original_workflow")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    feedback: str
    original_workflow: _workflow_pb2.Workflow
    def __init__(self, workflow_id: _Optional[str] = ..., feedback: _Optional[str] = ..., original_workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ...) -> None: ...

class RefineWorkflowResponse(_message.Message):
    __slots__ = ("success", "updated_workflow", "changes", "errors")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    success: bool
    updated_workflow: _workflow_pb2.Workflow
    changes: _containers.RepeatedScalarFieldContainer[str]
    errors: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, success: _Optional[bool] = ..., updated_workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ..., changes: _Optional[_Iterable[str]] = ..., errors: _Optional[_Iterable[str]] = ...) -> None: ...

class ValidateWorkflowRequest(_message.Message):
    __slots__ = ("workflow_data",)
    WORKFLOW_DATA_FIELD_NUMBER: _ClassVar[int]
    workflow_data: _struct_pb2.Struct
    def __init__(self, workflow_data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ValidateWorkflowResponse(_message.Message):
    __slots__ = ("valid", "errors", "warnings")
    VALID_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    errors: _containers.RepeatedScalarFieldContainer[str]
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, valid: _Optional[bool] = ..., errors: _Optional[_Iterable[str]] = ..., warnings: _Optional[_Iterable[str]] = ...) -> None: ...
