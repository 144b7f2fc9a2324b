"""The retry service config, checked as JSON and against an in-process gRPC server (not Graft)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from grpc_status import rpc_status

from conftest import rich_status
from graft_client import IDEMPOTENT_METHODS, Client, GraftError, RetryPolicy, pb, service_config


def test_the_retry_policy_covers_exactly_the_idempotent_methods() -> None:
    config = json.loads(service_config(RetryPolicy()))
    [method_config] = config["methodConfig"]
    names = {(n["service"], n["method"]) for n in method_config["name"]}
    assert ("graft.v1.InferenceService", "Predict") in names
    assert ("graft.v1.ModelService", "GetModel") in names
    assert ("graft.v1.TrainingService", "WatchJob") in names
    for not_idempotent in ("Train", "UploadDataset", "ImportModel", "DeleteModel", "DeleteDataset"):
        assert all(method != not_idempotent for _, method in names)
    assert len(names) == sum(len(m) for m in IDEMPOTENT_METHODS.values())
    assert method_config["retryPolicy"] == {
        "maxAttempts": 4,
        "initialBackoff": "0.2s",
        "maxBackoff": "5s",
        "backoffMultiplier": 2.0,
        "retryableStatusCodes": ["UNAVAILABLE"],
    }


def test_no_policy_means_no_method_config() -> None:
    assert json.loads(service_config(None)) == {"methodConfig": []}


@pytest.mark.parametrize("kwargs", [{"max_attempts": 1}, {"max_attempts": 6}, {"initial_backoff": 0}])
def test_invalid_policies_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


class FlakyServer:
    """Fails the first ``failures`` calls of each method with UNAVAILABLE, then answers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts: dict[str, int] = {}
        self.metadata: dict[str, dict[str, str]] = {}
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        self.server.add_generic_rpc_handlers([self._handlers()])
        self.port = self.server.add_insecure_port("127.0.0.1:0")

    def _unary(self, name: str, response: Any) -> grpc.RpcMethodHandler:
        def handle(request: Any, context: grpc.ServicerContext) -> Any:
            self.attempts[name] = self.attempts.get(name, 0) + 1
            self.metadata[name] = {k: v for k, v in context.invocation_metadata()}
            if self.attempts[name] <= self.failures:
                context.abort(grpc.StatusCode.UNAVAILABLE, "try again")
            if name == "GetModel":
                context.abort_with_status(rpc_status.to_status(
                    rich_status(grpc.StatusCode.NOT_FOUND, "no model nope", "MODEL_NOT_FOUND")))
            return response
        return grpc.unary_unary_rpc_method_handler(handle, response_serializer=lambda m: m.SerializeToString(),
                                                   request_deserializer=lambda b: b)

    def _handlers(self) -> grpc.GenericRpcHandler:
        handlers = {
            "/graft.v1.ServerService/GetServerInfo": self._unary("GetServerInfo", pb.ServerInfo(version="9.9")),
            "/graft.v1.TrainingService/Train": self._unary("Train", pb.Job(id="j1", output_model="m")),
            "/graft.v1.ModelService/GetModel": self._unary("GetModel", pb.Model()),
        }

        class Handler(grpc.GenericRpcHandler):  # type: ignore[misc]
            def service(self, details: Any) -> grpc.RpcMethodHandler | None:
                return handlers.get(details.method)
        return Handler()


@pytest.fixture
def flaky() -> Iterator[FlakyServer]:
    server = FlakyServer(failures=2)
    server.server.start()
    yield server
    server.server.stop(None)


def fast_client(port: int, **kw: Any) -> Client:
    return Client(f"127.0.0.1:{port}", timeout=10,
                  retry=RetryPolicy(max_attempts=4, initial_backoff=0.01, max_backoff=0.05), **kw)


def test_idempotent_calls_are_retried_on_unavailable(flaky: FlakyServer) -> None:
    with fast_client(flaky.port) as client:
        assert client.server_info().version == "9.9"
    assert flaky.attempts["GetServerInfo"] == 3


def test_train_is_not_retried(flaky: FlakyServer) -> None:
    with fast_client(flaky.port) as client, pytest.raises(GraftError) as caught:
        client.train("base", "feature-extraction", "m", dataset="d")
    assert caught.value.code is grpc.StatusCode.UNAVAILABLE
    assert flaky.attempts["Train"] == 1
    assert flaky.metadata["Train"]["x-graft-model"] == "m"


def test_without_a_policy_nothing_is_retried(flaky: FlakyServer) -> None:
    with Client(f"127.0.0.1:{flaky.port}", timeout=10, retry=None) as client, pytest.raises(GraftError):
        client.server_info()
    assert flaky.attempts["GetServerInfo"] == 1


def test_a_real_status_trailer_decodes_to_reason_and_the_token_is_sent(flaky: FlakyServer) -> None:
    with fast_client(flaky.port, token="s3cret") as client, pytest.raises(GraftError) as caught:
        client.get_model("nope")
    assert (caught.value.code, caught.value.reason) == (grpc.StatusCode.NOT_FOUND, "MODEL_NOT_FOUND")
    assert flaky.metadata["GetModel"]["authorization"] == "Bearer s3cret"
    assert flaky.metadata["GetModel"]["x-graft-model"] == "nope"
