"""W3C Trace Context: with opentelemetry-api installed, every call carries the caller's
``traceparent``; against a real gRPC server (not Graft) on a loopback port that records each
call's metadata. Without a current span, or without opentelemetry at all, no header."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from opentelemetry import baggage, context, trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, TraceState

from graft_client import Client, pb
from graft_client._channel import trace_context_interceptor

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_ID = "00f067aa0ba902b7"
TRACE_KEYS = ("traceparent", "tracestate", "baggage")


def _span(flags: int = TraceFlags.SAMPLED, state: TraceState | None = None) -> NonRecordingSpan:
    return NonRecordingSpan(SpanContext(trace_id=int(TRACE_ID, 16), span_id=int(SPAN_ID, 16), is_remote=False,
                                        trace_flags=TraceFlags(flags), trace_state=state or TraceState()))


class Recorder:
    """The metadata of each call the server took, keyed by method name."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[str, str]]]] = []

    def seen(self, method: str, context: grpc.ServicerContext) -> None:
        self.calls.append((method, [(m.key, m.value) for m in context.invocation_metadata()]))

    def trace_headers(self, method: str) -> list[tuple[str, str]]:
        """The trace headers of the last call to ``method``, in order, duplicates kept."""
        metadata = [m for name, m in self.calls if name == method][-1]
        return [(k, v) for k, v in metadata if k in TRACE_KEYS]


@pytest.fixture
def server() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()

    def info(request: Any, context: grpc.ServicerContext) -> pb.ServerInfo:
        recorder.seen("GetServerInfo", context)
        return pb.ServerInfo(version="traced")

    def watch(request: Any, context: grpc.ServicerContext) -> Iterator[pb.JobEvent]:
        recorder.seen("WatchJob", context)
        yield pb.JobEvent(job=pb.Job(id=request.id, state=pb.JOB_STATE_SUCCEEDED))

    def upload(requests: Iterator[Any], context: grpc.ServicerContext) -> pb.Dataset:
        recorder.seen("UploadDataset", context)
        spec = next(requests).spec
        for _ in requests:
            pass
        return pb.Dataset(id="d1", name=spec.name)

    handlers = [
        grpc.method_handlers_generic_handler("graft.v1.ServerService", {
            "GetServerInfo": grpc.unary_unary_rpc_method_handler(
                info, request_deserializer=pb.GetServerInfoRequest.FromString,
                response_serializer=pb.ServerInfo.SerializeToString)}),
        grpc.method_handlers_generic_handler("graft.v1.TrainingService", {
            "WatchJob": grpc.unary_stream_rpc_method_handler(
                watch, request_deserializer=pb.WatchJobRequest.FromString,
                response_serializer=pb.JobEvent.SerializeToString)}),
        grpc.method_handlers_generic_handler("graft.v1.DatasetService", {
            "UploadDataset": grpc.stream_unary_rpc_method_handler(
                upload, request_deserializer=pb.UploadDatasetRequest.FromString,
                response_serializer=pb.Dataset.SerializeToString)}),
    ]
    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    srv.add_generic_rpc_handlers(handlers)
    port = srv.add_insecure_port("127.0.0.1:0")
    srv.start()
    try:
        yield f"127.0.0.1:{port}", recorder
    finally:
        srv.stop(None)


def test_a_current_span_is_sent_as_traceparent(server: tuple[str, Recorder]) -> None:
    target, recorder = server
    with Client(target, timeout=10) as client, trace.use_span(_span()):
        assert client.server_info().version == "traced"
    assert recorder.trace_headers("GetServerInfo") == [("traceparent", f"00-{TRACE_ID}-{SPAN_ID}-01")]


def test_unsampled_flags_and_trace_state_are_sent_too(server: tuple[str, Recorder]) -> None:
    target, recorder = server
    state = TraceState([("graft", "t61rcWkgMzE")])
    with Client(target, timeout=10) as client, trace.use_span(_span(TraceFlags.DEFAULT, state)):
        client.server_info()
    assert recorder.trace_headers("GetServerInfo") == [
        ("traceparent", f"00-{TRACE_ID}-{SPAN_ID}-00"), ("tracestate", "graft=t61rcWkgMzE")]


def test_no_current_span_sends_no_header(server: tuple[str, Recorder]) -> None:
    target, recorder = server
    assert not trace.get_current_span().get_span_context().is_valid
    with Client(target, timeout=10) as client:
        client.server_info()
        with trace.use_span(_span()):
            pass
        client.server_info()  # the span is no longer current
    assert len(recorder.calls) == 2
    assert all(not [m for m in metadata if m[0] in TRACE_KEYS] for _, metadata in recorder.calls)


def test_streaming_calls_and_a_token_carry_it(server: tuple[str, Recorder]) -> None:
    target, recorder = server
    expected = [("traceparent", f"00-{TRACE_ID}-{SPAN_ID}-01")]
    with Client(target, timeout=10, token="t0k") as client, trace.use_span(_span()):
        events = list(client.watch("job-1"))
        assert events[0].job.id == "job-1"
        assert client.upload_examples([("hello", "greeting")], name="d", domain="nlp").name == "d"
    assert recorder.trace_headers("WatchJob") == expected
    assert recorder.trace_headers("UploadDataset") == expected
    upload = [m for name, m in recorder.calls if name == "UploadDataset"][-1]
    assert ("authorization", "Bearer t0k") in upload


def test_a_traceparent_set_by_hand_is_replaced_by_the_current_one(server: tuple[str, Recorder]) -> None:
    target, recorder = server
    with Client(target, timeout=10) as client, trace.use_span(_span()):
        client.server_stub.GetServerInfo(pb.GetServerInfoRequest(), timeout=10, metadata=[
            ("traceparent", "00-11111111111111111111111111111111-2222222222222222-01"), ("x-mine", "kept")])
    assert recorder.trace_headers("GetServerInfo") == [("traceparent", f"00-{TRACE_ID}-{SPAN_ID}-01")]
    assert ("x-mine", "kept") in recorder.calls[-1][1]


def test_baggage_goes_through_the_global_propagator(server: tuple[str, Recorder]) -> None:
    target, recorder = server
    token = context.attach(baggage.set_baggage("tenant", "acme", trace.set_span_in_context(_span())))
    try:
        with Client(target, timeout=10) as client:
            client.server_info()
    finally:
        context.detach(token)
    assert recorder.trace_headers("GetServerInfo") == [
        ("traceparent", f"00-{TRACE_ID}-{SPAN_ID}-01"), ("baggage", "tenant=acme")]


def test_without_opentelemetry_no_interceptor_and_no_header(server: tuple[str, Recorder],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    target, recorder = server
    for name in [n for n in sys.modules if n == "opentelemetry" or n.startswith("opentelemetry.")]:
        monkeypatch.setitem(sys.modules, name, None)  # None: "import opentelemetry..." raises ImportError
    trace_context_interceptor.cache_clear()
    try:
        assert trace_context_interceptor() is None
        with Client(target, timeout=10) as client, trace.use_span(_span()):
            assert client.server_info().version == "traced"
    finally:
        trace_context_interceptor.cache_clear()
    assert recorder.trace_headers("GetServerInfo") == []


def test_the_interceptor_replaces_duplicates_and_lowercases_keys() -> None:
    """gRPC core keeps only the last traceparent (a key it knows); the interceptor itself sends one
    value per key, whatever the gRPC version, and lower-cases a custom propagator's keys."""
    from graft_client._channel import TraceContextInterceptor, _CallDetails

    def inject(carrier: dict[str, str]) -> None:
        carrier.update({"traceparent": "00-new", "X-B3-TraceId": "abc"})

    seen: list[Any] = []

    def continuation(details: Any, request: Any) -> str:
        seen.append(details)
        return "answer"

    details = _CallDetails("/graft.v1.ServerService/GetServerInfo", 5.0,
                           [("traceparent", "00-old"), ("x-graft-model", "m")], None, None, None)
    interceptor = TraceContextInterceptor(inject)
    assert interceptor.intercept_unary_unary(continuation, details, object()) == "answer"
    assert interceptor.intercept_stream_stream(continuation, details, iter(())) == "answer"
    for d in seen:
        assert list(d.metadata) == [("x-graft-model", "m"), ("traceparent", "00-new"), ("x-b3-traceid", "abc")]
        assert (d.method, d.timeout) == ("/graft.v1.ServerService/GetServerInfo", 5.0)
    nothing = TraceContextInterceptor(lambda carrier: None)
    assert nothing.intercept_unary_unary(continuation, details, object()) == "answer"
    assert seen[-1] is details  # nothing to inject: the call goes on untouched
