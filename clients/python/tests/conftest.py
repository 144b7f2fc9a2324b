"""Fakes shared by the unit tests: a recording channel and a fabricated failed call."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2


@dataclass
class Recorded:
    method: str
    request: Any
    timeout: float | None
    metadata: tuple[tuple[str, str], ...]


@dataclass
class FakeChannel:
    """Answers each method with a canned response (or a callable of the request); records calls."""

    responses: dict[str, Any] = field(default_factory=dict)
    calls: list[Recorded] = field(default_factory=list)

    def _answer(self, method: str, request: Any, timeout: float | None, metadata: Any) -> Any:
        self.calls.append(Recorded(method, request, timeout, tuple(metadata or ())))
        answer = self.responses.get(method.rsplit("/", 1)[-1])
        if isinstance(answer, Exception):
            raise answer
        return answer(request) if callable(answer) else answer

    def unary_unary(self, method: str, *_: Any, **__: Any) -> Callable[..., Any]:
        return FakeMultiCallable(lambda request, timeout, metadata: self._answer(method, request, timeout, metadata))

    def stream_unary(self, method: str, *_: Any, **__: Any) -> Callable[..., Any]:
        return FakeMultiCallable(lambda requests, timeout, metadata: self._answer(
            method, list(requests), timeout, metadata))

    def unary_stream(self, method: str, *_: Any, **__: Any) -> Callable[..., Any]:
        def call(request: Any, timeout: float | None = None, metadata: Any = None, **kw: Any) -> Any:
            return FakeStream(self._answer(method, request, timeout, metadata))
        return call

    def stream_stream(self, method: str, *_: Any, **__: Any) -> Callable[..., Any]:
        def call(*args: Any, **kw: Any) -> Any:
            raise NotImplementedError(method)
        return call

    def last(self, method_suffix: str) -> Recorded:
        return [c for c in self.calls if c.method.endswith("/" + method_suffix)][-1]


class FakeMultiCallable:
    """A unary-response method: called directly, or through ``with_call`` as ``grpc.intercept_channel``
    does (the client's interceptors wrap a channel passed in too)."""

    def __init__(self, answer: Callable[[Any, float | None, Any], Any]) -> None:
        self._answer = answer

    def __call__(self, request: Any, timeout: float | None = None, metadata: Any = None, **kw: Any) -> Any:
        return self._answer(request, timeout, metadata)

    def with_call(self, request: Any, timeout: float | None = None, metadata: Any = None,
                  **kw: Any) -> tuple[Any, None]:
        return self._answer(request, timeout, metadata), None


class FakeStream:
    def __init__(self, items: Iterable[Any]) -> None:
        self._items = iter(items)
        self.cancelled = False

    def __iter__(self) -> FakeStream:
        return self

    def __next__(self) -> Any:
        item = next(self._items)
        if isinstance(item, Exception):
            raise item
        return item

    def cancel(self) -> bool:
        self.cancelled = True
        return True


class FakeRpcError(grpc.RpcError, grpc.Call):  # type: ignore[misc]
    """What a failed call raises: an RpcError that is also a Call, with trailing metadata."""

    def __init__(self, code: grpc.StatusCode, details: str, trailer: tuple[tuple[str, Any], ...] = ()) -> None:
        self._code, self._details, self._trailer = code, details, trailer

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> tuple[tuple[str, Any], ...]:
        return self._trailer

    def initial_metadata(self) -> tuple[tuple[str, Any], ...]:
        return ()

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> float | None:
        return None

    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: Any) -> bool:
        return False

    def result(self, timeout: float | None = None) -> Any:
        raise self  # what a failed call's future does (grpc.intercept_channel asks for it)


def rich_status(code: grpc.StatusCode, message: str, reason: str = "",
                fields: Iterable[tuple[str, str]] = ()) -> status_pb2.Status:
    status = status_pb2.Status(code=code.value[0], message=message)
    if reason:
        detail = any_pb2.Any()
        detail.Pack(error_details_pb2.ErrorInfo(reason=reason, domain="graft.dev", metadata={"model": "m"}))
        status.details.append(detail)
    violations = [error_details_pb2.BadRequest.FieldViolation(field=f, description=d) for f, d in fields]
    if violations:
        detail = any_pb2.Any()
        detail.Pack(error_details_pb2.BadRequest(field_violations=violations))
        status.details.append(detail)
    return status


def failed_call(code: grpc.StatusCode, message: str, reason: str = "",
                fields: Iterable[tuple[str, str]] = ()) -> FakeRpcError:
    status = rich_status(code, message, reason, fields)
    return FakeRpcError(code, message, (("grpc-status-details-bin", status.SerializeToString()),))


@pytest.fixture
def channel() -> FakeChannel:
    return FakeChannel()
