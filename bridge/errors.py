"""One error model for both protocols: domain errors, and their gRPC and HTTP forms.

Handlers raise a ``BridgeError`` subclass (``NotFound("workflow w1")``...). At the edge
the bridge turns it into a gRPC status with ``google.rpc.Status`` details, or an HTTP
status with the body ``{"error": {"code", "message", "details"}}``; clients turn either
back into the same exception (``from_grpc_error`` / ``from_http``)::

    BridgeError
     ├─ InvalidArgument      (INVALID_ARGUMENT    400; one detail per field violation)
     ├─ FailedPrecondition   (FAILED_PRECONDITION 400; 412 where the route says so)
     ├─ OutOfRange           (OUT_OF_RANGE        400)
     ├─ Unauthenticated      (UNAUTHENTICATED     401)
     ├─ PermissionDenied     (PERMISSION_DENIED   403)
     ├─ NotFound             (NOT_FOUND           404)
     ├─ AlreadyExists        (ALREADY_EXISTS      409)
     ├─ Aborted              (ABORTED             409)
     ├─ ResourceExhausted    (RESOURCE_EXHAUSTED  429; 413 for request size)
     ├─ Cancelled            (CANCELLED           499)
     ├─ Unimplemented        (UNIMPLEMENTED       501)
     ├─ Unavailable          (UNAVAILABLE         503)
     ├─ DeadlineExceeded     (DEADLINE_EXCEEDED   504)
     └─ Internal             (INTERNAL / UNKNOWN / DATA_LOSS 500)

The HTTP status table is the published gRPC -> HTTP mapping (google/rpc/code.proto, as
grpc-gateway v2, Envoy and Connect use it). HTTP -> gRPC by status alone is lossy, so the
body always carries the code name and clients read it from there.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from bridge.converter.errors import ConversionError, FieldViolation


class Code(enum.Enum):
    """gRPC status codes, by name. The value is the number in google/rpc/code.proto."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16

    @property
    def grpc(self) -> grpc.StatusCode:
        return _GRPC_BY_NAME[self.name]


_GRPC_BY_NAME = {status.name: status for status in grpc.StatusCode}

CODE_TO_HTTP: Mapping[Code, int] = {
    Code.OK: 200,
    Code.INVALID_ARGUMENT: 400,
    Code.FAILED_PRECONDITION: 400,
    Code.OUT_OF_RANGE: 400,
    Code.UNAUTHENTICATED: 401,
    Code.PERMISSION_DENIED: 403,
    Code.NOT_FOUND: 404,
    Code.ALREADY_EXISTS: 409,
    Code.ABORTED: 409,
    Code.RESOURCE_EXHAUSTED: 429,
    Code.CANCELLED: 499,
    Code.UNKNOWN: 500,
    Code.INTERNAL: 500,
    Code.DATA_LOSS: 500,
    Code.UNIMPLEMENTED: 501,
    Code.UNAVAILABLE: 503,
    Code.DEADLINE_EXCEEDED: 504,
}
"""gRPC code -> HTTP status (google/rpc/code.proto)."""

HTTP_TO_CODE: Mapping[int, Code] = {
    400: Code.INVALID_ARGUMENT,
    401: Code.UNAUTHENTICATED,
    403: Code.PERMISSION_DENIED,
    404: Code.NOT_FOUND,
    409: Code.ABORTED,
    412: Code.FAILED_PRECONDITION,
    413: Code.RESOURCE_EXHAUSTED,
    429: Code.RESOURCE_EXHAUSTED,
    499: Code.CANCELLED,
    500: Code.INTERNAL,
    501: Code.UNIMPLEMENTED,
    502: Code.UNAVAILABLE,
    503: Code.UNAVAILABLE,
    504: Code.DEADLINE_EXCEEDED,
}
"""HTTP status -> gRPC code, only for bodies without an error envelope (a proxy's 502...)."""

_VIOLATION_TYPE = "type.googleapis.com/google.rpc.BadRequest.FieldViolation"
_ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"
ERROR_DOMAIN = "bridge"


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """Machine-readable reason for an error (google.rpc.ErrorInfo)."""

    reason: str
    metadata: Mapping[str, str] = field(default_factory=dict)
    domain: str = ERROR_DOMAIN


class BridgeError(Exception):
    """A domain error with a gRPC code; raise a subclass from handlers."""

    code: ClassVar[Code] = Code.UNKNOWN

    def __init__(
        self,
        message: str,
        *,
        violations: Sequence[FieldViolation] = (),
        info: ErrorInfo | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.violations = list(violations)
        self.info = info
        self._http_status = http_status

    @property
    def http_status(self) -> int:
        return self._http_status or CODE_TO_HTTP[self.code]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BridgeError) and (
            self.code,
            self.message,
            self.violations,
            self.info,
        ) == (other.code, other.message, other.violations, other.info)

    __hash__ = Exception.__hash__

    # -- HTTP form ----------------------------------------------------------------

    def to_http_body(self) -> dict[str, Any]:
        details: list[dict[str, Any]] = [
            {"@type": _VIOLATION_TYPE, "field": v.field, "description": v.description}
            for v in self.violations
        ]
        if self.info is not None:
            details.append(
                {
                    "@type": _ERROR_INFO_TYPE,
                    "reason": self.info.reason,
                    "domain": self.info.domain,
                    "metadata": dict(self.info.metadata),
                }
            )
        return {"error": {"code": self.code.name, "message": self.message, "details": details}}

    # -- gRPC form ----------------------------------------------------------------

    def to_grpc_status(self) -> grpc.Status:
        details: list[any_pb2.Any] = []
        if self.violations:
            bad_request = error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=v.field, description=v.description
                    )
                    for v in self.violations
                ]
            )
            packed = any_pb2.Any()
            packed.Pack(bad_request)
            details.append(packed)
        if self.info is not None:
            packed = any_pb2.Any()
            packed.Pack(
                error_details_pb2.ErrorInfo(
                    reason=self.info.reason,
                    domain=self.info.domain,
                    metadata=dict(self.info.metadata),
                )
            )
            details.append(packed)
        status = status_pb2.Status(code=self.code.value, message=self.message, details=details)
        return rpc_status.to_status(status)


class InvalidArgument(BridgeError):
    code = Code.INVALID_ARGUMENT

    @classmethod
    def from_violations(cls, violations: Sequence[FieldViolation]) -> InvalidArgument:
        """The one message format for bad input, on both protocols."""
        summary = "; ".join(f"{v.field or '<request>'}: {v.description}" for v in violations)
        return cls(f"invalid request: {summary}", violations=violations)

    @classmethod
    def from_conversion(cls, exc: ConversionError) -> InvalidArgument:
        return cls.from_violations(exc.violations)


class FailedPrecondition(BridgeError):
    code = Code.FAILED_PRECONDITION


class OutOfRange(BridgeError):
    code = Code.OUT_OF_RANGE


class Unauthenticated(BridgeError):
    code = Code.UNAUTHENTICATED


class PermissionDenied(BridgeError):
    code = Code.PERMISSION_DENIED


class NotFound(BridgeError):
    code = Code.NOT_FOUND


class AlreadyExists(BridgeError):
    code = Code.ALREADY_EXISTS


class Aborted(BridgeError):
    code = Code.ABORTED


class ResourceExhausted(BridgeError):
    code = Code.RESOURCE_EXHAUSTED


class Cancelled(BridgeError):
    code = Code.CANCELLED


class Unimplemented(BridgeError):
    code = Code.UNIMPLEMENTED


class Unavailable(BridgeError):
    code = Code.UNAVAILABLE


class DeadlineExceeded(BridgeError):
    code = Code.DEADLINE_EXCEEDED


class Internal(BridgeError):
    code = Code.INTERNAL


class Unknown(BridgeError):
    code = Code.UNKNOWN


class DataLoss(BridgeError):
    code = Code.DATA_LOSS


ERROR_CLASSES: Mapping[Code, type[BridgeError]] = {
    cls.code: cls
    for cls in (
        InvalidArgument, FailedPrecondition, OutOfRange, Unauthenticated, PermissionDenied,
        NotFound, AlreadyExists, Aborted, ResourceExhausted, Cancelled, Unimplemented,
        Unavailable, DeadlineExceeded, Internal, Unknown, DataLoss,
    )
}  # fmt: skip
"""Code -> exception class: how a client rebuilds the server's exception."""


def error_for(
    code: Code,
    message: str,
    *,
    violations: Sequence[FieldViolation] = (),
    info: ErrorInfo | None = None,
) -> BridgeError:
    cls = ERROR_CLASSES.get(code, Unknown)
    return cls(message, violations=violations, info=info)


def from_grpc_error(exc: grpc.RpcError) -> BridgeError:
    """Rebuild the server's exception from a failed gRPC call (status details included)."""
    code = Code[exc.code().name] if hasattr(exc, "code") else Code.UNKNOWN
    message = exc.details() or "" if hasattr(exc, "details") else str(exc)
    violations: list[FieldViolation] = []
    info: ErrorInfo | None = None
    status = rpc_status.from_call(exc) if hasattr(exc, "trailing_metadata") else None
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                violations += [
                    FieldViolation(v.field, v.description) for v in bad_request.field_violations
                ]
            elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                raw = error_details_pb2.ErrorInfo()
                detail.Unpack(raw)
                info = ErrorInfo(raw.reason, dict(raw.metadata), raw.domain)
    return error_for(code, message, violations=violations, info=info)


def from_http(status: int, body: Any) -> BridgeError:
    """Rebuild the server's exception from an HTTP error response (parsed JSON or None)."""
    envelope = body.get("error") if isinstance(body, dict) else None
    if not isinstance(envelope, dict) or envelope.get("code") not in Code.__members__:
        code = HTTP_TO_CODE.get(status, Code.UNKNOWN if status < 500 else Code.INTERNAL)
        return error_for(code, f"HTTP {status} without an error envelope")
    violations: list[FieldViolation] = []
    info: ErrorInfo | None = None
    for detail in envelope.get("details") or []:
        if not isinstance(detail, dict):
            continue
        if detail.get("@type") == _VIOLATION_TYPE:
            violations.append(
                FieldViolation(str(detail.get("field", "")), str(detail.get("description", "")))
            )
        elif detail.get("@type") == _ERROR_INFO_TYPE:
            info = ErrorInfo(
                str(detail.get("reason", "")),
                {str(k): str(v) for k, v in (detail.get("metadata") or {}).items()},
                str(detail.get("domain", ERROR_DOMAIN)),
            )
    return error_for(
        Code[envelope["code"]], str(envelope.get("message", "")), violations=violations, info=info
    )
