"""Failed calls as :class:`GraftError`, decoded from the gRPC status and its details."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

__all__ = ["FieldViolation", "GraftError", "from_rpc_error", "ERROR_DOMAIN"]

ERROR_DOMAIN = "graft.dev"
_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class FieldViolation:
    """A request field at fault (``BadRequest.FieldViolation``), e.g. ``inputs[3]``."""

    field: str
    description: str


class GraftError(Exception):
    """A failed Graft call.

    Attributes:
        code: the gRPC status code (``grpc.StatusCode``).
        reason: the server's machine-readable reason from ``google.rpc.ErrorInfo``
            (UPPER_SNAKE, e.g. ``MODEL_NOT_FOUND``), or ``""`` when the status carried none.
        message: the status message.
        domain: ``ErrorInfo.domain`` (``graft.dev`` for the server's own errors).
        metadata: ``ErrorInfo.metadata``.
        field_violations: the request fields at fault (``google.rpc.BadRequest``).
    """

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str = "",
        *,
        reason: str = "",
        domain: str = "",
        metadata: Mapping[str, str] | None = None,
        field_violations: Sequence[FieldViolation] = (),
    ) -> None:
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.metadata: dict[str, str] = dict(metadata or {})
        self.field_violations: list[FieldViolation] = list(field_violations)
        super().__init__(str(self))

    def __str__(self) -> str:
        text = self.code.name + (f" {self.reason}" if self.reason else "")
        if self.message:
            text += f": {self.message}"
        extra = [v for v in self.field_violations if v.description not in self.message]
        if extra:
            text += " (" + "; ".join(f"{v.field}: {v.description}" for v in extra) + ")"
        return text

    def __repr__(self) -> str:
        return f"GraftError(code={self.code.name}, reason={self.reason!r}, message={self.message!r})"

    @classmethod
    def from_status(cls, status: status_pb2.Status, code: grpc.StatusCode | None = None) -> GraftError:
        """Builds the error from a ``google.rpc.Status`` and its ``ErrorInfo``/``BadRequest`` details."""
        reason = domain = ""
        metadata: dict[str, str] = {}
        violations: list[FieldViolation] = []
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    reason, domain, metadata = info.reason, info.domain, dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                if detail.Unpack(bad):
                    violations.extend(FieldViolation(v.field, v.description) for v in bad.field_violations)
        return cls(
            code if code is not None else _code_of(status.code),
            status.message,
            reason=reason,
            domain=domain,
            metadata=metadata,
            field_violations=violations,
        )


def from_rpc_error(error: grpc.RpcError) -> GraftError:
    """Decodes a failed call (a ``grpc.RpcError`` that is also a ``grpc.Call``).

    The details come from the ``grpc-status-details-bin`` trailer through grpcio-status's
    ``rpc_status.from_call``; a trailer that disagrees with the call's code or message (a proxy
    rewrote the status) still yields its details, with the call's own code and message.
    """
    call: Any = error
    code = _call_code(call)
    message = _call_details(call)
    status: status_pb2.Status | None = None
    try:
        status = rpc_status.from_call(call)
    except ValueError:
        status = _status_from_trailer(call)
    except Exception:  # a fake or foreign RpcError without trailing metadata
        status = None
    if status is None:
        return GraftError(code, message)
    graft_error = GraftError.from_status(status, code)
    graft_error.message = message or status.message
    graft_error.args = (str(graft_error),)
    return graft_error


def _call_code(call: Any) -> grpc.StatusCode:
    try:
        code = call.code()
    except Exception:
        return grpc.StatusCode.UNKNOWN
    return code if isinstance(code, grpc.StatusCode) else grpc.StatusCode.UNKNOWN


def _call_details(call: Any) -> str:
    try:
        return str(call.details() or "")
    except Exception:
        return ""


def _status_from_trailer(call: Any) -> status_pb2.Status | None:
    try:
        trailer = call.trailing_metadata() or ()
    except Exception:
        return None
    for key, value in trailer:
        if key == _DETAILS_KEY:
            status = status_pb2.Status()
            try:
                status.ParseFromString(value)
            except Exception:
                return None
            return status
    return None


def _code_of(number: int) -> grpc.StatusCode:
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code
    return grpc.StatusCode.UNKNOWN
