"""Channel construction: TLS, bearer token, retry service config, headers, trace context."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import grpc
import grpc.aio

__all__ = [
    "IDEMPOTENT_METHODS",
    "MODEL_HEADER",
    "RetryPolicy",
    "HeaderInterceptor",
    "TraceContextInterceptor",
    "trace_context_interceptor",
    "service_config",
    "make_channel",
    "make_aio_channel",
    "call_headers",
    "channel_credentials",
]

MODEL_HEADER = "x-graft-model"
MAX_MESSAGE_BYTES = 64 * 1024 * 1024

# Calls that are safe to send again after UNAVAILABLE: reads, inference, and CancelJob (cancelling
# twice leaves the job as cancelling once does). Train, uploads, imports and deletes are not here.
IDEMPOTENT_METHODS: Mapping[str, tuple[str, ...]] = {
    "graft.v1.TrainingService": ("GetJob", "ListJobs", "WatchJob", "CancelJob", "EstimateTransfer"),
    "graft.v1.InferenceService": ("Extract", "Predict"),
    "graft.v1.ModelService": ("GetModel", "ListModels", "ExportModel"),
    "graft.v1.DatasetService": ("GetDataset", "ListDatasets"),
    "graft.v1.ServerService": ("GetServerInfo",),
    "grpc.health.v1.Health": ("Check",),
}


@dataclass(frozen=True)
class RetryPolicy:
    """gRPC retry policy for the idempotent calls (see :data:`IDEMPOTENT_METHODS`).

    ``max_attempts`` counts the first try; gRPC caps it at 5. Backoffs are in seconds.
    """

    max_attempts: int = 4
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    backoff_multiplier: float = 2.0
    retryable_status_codes: tuple[grpc.StatusCode, ...] = field(default=(grpc.StatusCode.UNAVAILABLE,))

    def __post_init__(self) -> None:
        if not 2 <= self.max_attempts <= 5:
            raise ValueError("max_attempts must be within 2..5 (gRPC caps it at 5)")
        if self.initial_backoff <= 0 or self.max_backoff <= 0 or self.backoff_multiplier <= 0:
            raise ValueError("backoffs and multiplier must be positive")

    def to_json(self) -> dict[str, Any]:
        return {
            "maxAttempts": self.max_attempts,
            "initialBackoff": _duration(self.initial_backoff),
            "maxBackoff": _duration(self.max_backoff),
            "backoffMultiplier": self.backoff_multiplier,
            "retryableStatusCodes": [code.name for code in self.retryable_status_codes],
        }


def _duration(seconds: float) -> str:
    return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"


def service_config(policy: RetryPolicy | None) -> str:
    """The channel's service config JSON: the retry policy on every idempotent method."""
    if policy is None:
        return json.dumps({"methodConfig": []})
    names = [{"service": service, "method": method}
             for service, methods in IDEMPOTENT_METHODS.items() for method in methods]
    return json.dumps({"methodConfig": [{"name": names, "retryPolicy": policy.to_json()}]})


class _CallDetails(NamedTuple):
    method: str
    timeout: float | None
    metadata: Sequence[tuple[str, str | bytes]] | None
    credentials: grpc.CallCredentials | None
    wait_for_ready: bool | None
    compression: grpc.Compression | None


class HeaderInterceptor(
    grpc.UnaryUnaryClientInterceptor,  # type: ignore[misc]
    grpc.UnaryStreamClientInterceptor,  # type: ignore[misc]
    grpc.StreamUnaryClientInterceptor,  # type: ignore[misc]
    grpc.StreamStreamClientInterceptor,  # type: ignore[misc]
):
    """Adds fixed headers (``authorization: Bearer …``, for one) to every call. Thread-safe."""

    def __init__(self, headers: Iterable[tuple[str, str]]) -> None:
        self._headers = tuple(headers)

    def _details(self, details: Any) -> _CallDetails:
        metadata = list(details.metadata or ())
        present = {key for key, _ in metadata}
        metadata.extend(h for h in self._headers if h[0] not in present)
        return _CallDetails(details.method, details.timeout, metadata, details.credentials,
                            getattr(details, "wait_for_ready", None), getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)


class TraceContextInterceptor(
    grpc.UnaryUnaryClientInterceptor,  # type: ignore[misc]
    grpc.UnaryStreamClientInterceptor,  # type: ignore[misc]
    grpc.StreamUnaryClientInterceptor,  # type: ignore[misc]
    grpc.StreamStreamClientInterceptor,  # type: ignore[misc]
):
    """Adds the caller's OpenTelemetry context to every call's metadata with
    ``opentelemetry.propagate.inject``: the global propagator, by default W3C Trace Context and
    Baggage (``traceparent``, ``tracestate``, ``baggage``; ``OTEL_PROPAGATORS`` or
    ``propagate.set_global_textmap`` change it). Writes nothing when no span is current. Keys are
    lower-cased (gRPC refuses others); a value the caller set for the same key is replaced.
    Only made when opentelemetry-api is importable (:func:`trace_context_interceptor`)."""

    def __init__(self, inject: Callable[..., None]) -> None:
        self._inject = inject

    def _details(self, details: Any) -> Any:
        carrier: dict[str, str] = {}
        self._inject(carrier)
        if not carrier:
            return details
        injected = {key.lower(): value for key, value in carrier.items()}
        metadata = [m for m in (details.metadata or ()) if m[0] not in injected]
        metadata.extend(injected.items())
        return _CallDetails(details.method, details.timeout, metadata, details.credentials,
                            getattr(details, "wait_for_ready", None), getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)


@functools.cache
def trace_context_interceptor() -> TraceContextInterceptor | None:
    """The trace context interceptor when opentelemetry-api is installed, else ``None`` (looked up
    once; without it nothing is imported and no interceptor is added)."""
    try:
        from opentelemetry import propagate
    except ImportError:
        return None
    return TraceContextInterceptor(propagate.inject)


PemSource = bytes | str | os.PathLike[str]


def _read_pem(value: PemSource | None, what: str) -> bytes | None:
    """PEM bytes from bytes, PEM text or a file path; ``ValueError`` when it holds no PEM block."""
    if value is None:
        return None
    if isinstance(value, bytes):
        data, source = value, "the bytes given"
    else:
        text = os.fspath(value)
        if "-----BEGIN" in text:
            data, source = text.encode(), "the text given"
        else:
            data, source = Path(text).read_bytes(), text
    if b"-----BEGIN" not in data:
        raise ValueError(f"{what}: no PEM block (-----BEGIN ...) in {source}")
    return data


def channel_credentials(
    root_certificates: PemSource | None = None,
    certificate_chain: PemSource | None = None,
    private_key: PemSource | None = None,
) -> grpc.ChannelCredentials:
    """TLS credentials: trusted roots (system roots when ``None``) and, for mutual TLS, the client's
    certificate chain and private key, each PEM bytes, PEM text or a file path."""
    if (certificate_chain is None) != (private_key is None):
        raise ValueError("a client certificate needs both certificate_chain and private_key")
    return grpc.ssl_channel_credentials(
        root_certificates=_read_pem(root_certificates, "root_certificates"),
        private_key=_read_pem(private_key, "private_key"),
        certificate_chain=_read_pem(certificate_chain, "certificate_chain"))


def channel_options(retry: RetryPolicy | None, user_agent: str, tls_server_name: str | None,
                    options: Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The channel options of both clients: retry service config, message limits, user agent."""
    opts: list[tuple[str, Any]] = [
        ("grpc.service_config", service_config(retry)),
        ("grpc.enable_retries", 1 if retry else 0),
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.primary_user_agent", user_agent),
    ]
    if tls_server_name:
        opts.append(("grpc.ssl_target_name_override", tls_server_name))
    opts.extend(options)
    return opts


def _credentials(tls: bool, root_certificates: PemSource | None, certificate_chain: PemSource | None,
                 private_key: PemSource | None) -> grpc.ChannelCredentials | None:
    if tls or root_certificates is not None or certificate_chain is not None or private_key is not None:
        return channel_credentials(root_certificates, certificate_chain, private_key)
    return None


def make_channel(
    target: str,
    *,
    tls: bool,
    root_certificates: PemSource | None,
    tls_server_name: str | None,
    token: str | None,
    retry: RetryPolicy | None,
    options: Sequence[tuple[str, Any]],
    user_agent: str,
    certificate_chain: PemSource | None = None,
    private_key: PemSource | None = None,
) -> grpc.Channel:
    """A channel with the retry service config, TLS when asked (mutual TLS with a client
    certificate), and the bearer token header."""
    opts = channel_options(retry, user_agent, tls_server_name, options)
    credentials = _credentials(tls, root_certificates, certificate_chain, private_key)
    if credentials is not None:
        channel = grpc.secure_channel(target, credentials, options=opts)
    else:
        channel = grpc.insecure_channel(target, options=opts)
    return intercept(channel, token)


def make_aio_channel(
    target: str,
    *,
    tls: bool,
    root_certificates: PemSource | None,
    tls_server_name: str | None,
    retry: RetryPolicy | None,
    options: Sequence[tuple[str, Any]],
    user_agent: str,
    certificate_chain: PemSource | None = None,
    private_key: PemSource | None = None,
) -> grpc.aio.Channel:
    """The asyncio channel: the same options and TLS as :func:`make_channel`. The bearer token and
    the trace context go on each call's metadata (:func:`call_headers`), not through interceptors."""
    opts = channel_options(retry, user_agent, tls_server_name, options)
    credentials = _credentials(tls, root_certificates, certificate_chain, private_key)
    if credentials is not None:
        return grpc.aio.secure_channel(target, credentials, options=opts)
    return grpc.aio.insecure_channel(target, options=opts)


def call_headers(token: str | None) -> list[tuple[str, str]]:
    """What the interceptors of :func:`intercept` add, for a channel without them (asyncio): the
    bearer token and, when opentelemetry-api is installed, the caller's trace context."""
    headers = [("authorization", f"Bearer {token}")] if token else []
    tracing = trace_context_interceptor()
    if tracing is not None:
        carrier: dict[str, str] = {}
        tracing._inject(carrier)
        headers.extend((key.lower(), value) for key, value in carrier.items())
    return headers


def intercept(channel: grpc.Channel, token: str | None) -> grpc.Channel:
    """The channel with the bearer token header and, when opentelemetry-api is installed, the
    caller's trace context on every call."""
    interceptors: list[Any] = []
    if token:
        interceptors.append(HeaderInterceptor([("authorization", f"Bearer {token}")]))
    tracing = trace_context_interceptor()
    if tracing is not None:
        interceptors.append(tracing)
    return grpc.intercept_channel(channel, *interceptors) if interceptors else channel
