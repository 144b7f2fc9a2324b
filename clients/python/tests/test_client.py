"""The wrapper over a fake channel: headers, deadlines, request building, results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest

from conftest import FakeChannel, FakeRpcError
from graft_client import MODEL_HEADER, Client, GraftError, pb
from graft_client._channel import HeaderInterceptor
from graft_client.inputs import encode_delimited


def header(call: Any) -> str | None:
    return dict(call.metadata).get(MODEL_HEADER)


def make(channel: FakeChannel, **kw: Any) -> Client:
    return Client(channel=channel, **kw)  # type: ignore[arg-type]


def test_model_header_on_inference_training_and_model_calls(channel: FakeChannel) -> None:
    channel.responses.update(
        Predict=pb.PredictResponse(model="sentiment@1"),
        Extract=pb.ExtractResponse(dimension=0),
        Train=pb.Job(id="job-1", output_model="sentiment", state=pb.JOB_STATE_QUEUED),
        GetModel=pb.Model(name="minilm-l6"),
        GetServerInfo=pb.ServerInfo(),
    )
    client = make(channel)
    client.predict("sentiment@1", "hi")
    assert header(channel.last("Predict")) == "sentiment@1"
    client.extract("minilm-l6", [])
    assert header(channel.last("Extract")) == "minilm-l6"
    client.train("minilm-l6", "feature-extraction", "sentiment", dataset="reviews")
    assert header(channel.last("Train")) == "sentiment"
    client.get_model("minilm-l6@2")
    assert header(channel.last("GetModel")) == "minilm-l6"
    client.server_info()
    assert header(channel.last("GetServerInfo")) is None


def test_job_calls_carry_the_output_model_once_known(channel: FakeChannel) -> None:
    job = pb.Job(id="job-1", output_model="sentiment", state=pb.JOB_STATE_RUNNING)
    channel.responses.update(Train=job, GetJob=job, CancelJob=job,
                             WatchJob=lambda request: [pb.JobEvent(job=job)])
    client = make(channel)
    client.get_job("job-unknown")
    assert header(channel.last("GetJob")) is None
    client.train("minilm-l6", "feature-extraction", "sentiment", dataset="reviews")
    client.get_job("job-1")
    assert header(channel.last("GetJob")) == "sentiment"
    client.cancel("job-1")
    assert header(channel.last("CancelJob")) == "sentiment"
    list(client.watch("job-1"))
    assert header(channel.last("WatchJob")) == "sentiment"
    fake = FakeChannel(responses={"GetJob": job})
    make(fake).get_job(pb.Job(id="job-2", output_model="from-object"))
    assert header(fake.last("GetJob")) == "from-object"


def test_deadline_default_and_per_call_override(channel: FakeChannel) -> None:
    channel.responses["GetServerInfo"] = pb.ServerInfo()
    client = make(channel, timeout=12.5)
    client.server_info()
    assert channel.last("GetServerInfo").timeout == 12.5
    client.server_info(timeout=3)
    assert channel.last("GetServerInfo").timeout == 3
    client.server_info(timeout=None)
    assert channel.last("GetServerInfo").timeout is None


def test_rpc_errors_surface_as_graft_error(channel: FakeChannel) -> None:
    channel.responses["GetModel"] = FakeRpcError(grpc.StatusCode.NOT_FOUND, "no such model")
    with pytest.raises(GraftError) as caught:
        make(channel).get_model("nope")
    assert caught.value.code is grpc.StatusCode.NOT_FOUND


def test_train_request_fields(channel: FakeChannel) -> None:
    channel.responses["Train"] = pb.Job(id="j")
    make(channel).train("minilm-l6", "feature-extraction", "out", dataset="ds", validation_split=0.25,
                        epochs=30, seed=7, batch_size=4, extra={"k": "v"}, task="classification")
    request: pb.TrainRequest = channel.last("Train").request
    assert request.train.dataset == "ds"
    assert request.validation_split == pytest.approx(0.25)
    assert (request.hyperparameters.epochs, request.hyperparameters.seed, request.hyperparameters.batch_size) == (30, 7, 4)
    assert dict(request.hyperparameters.extra) == {"k": "v"}
    assert request.task == pb.TASK_CLASSIFICATION
    assert not request.HasField("validation")


def test_train_needs_exactly_one_source(channel: FakeChannel) -> None:
    client = make(channel)
    with pytest.raises(ValueError):
        client.train("b", "s", "o")
    with pytest.raises(ValueError):
        client.train("b", "s", "o", dataset="d", examples=[("x", "y")])


def test_inline_examples(channel: FakeChannel) -> None:
    channel.responses["Train"] = pb.Job(id="j")
    make(channel).train("b", "s", "o", examples=[("good", "positive"), ("bad", "negative")],
                        validation=[("ok", "positive")])
    request: pb.TrainRequest = channel.last("Train").request
    assert [e.input.text.text for e in request.train.examples.examples] == ["good", "bad"]
    assert request.validation.examples.examples[0].target.label == "positive"


def test_upload_file_sends_the_spec_then_chunks(channel: FakeChannel, tmp_path: Path) -> None:
    channel.responses["UploadDataset"] = pb.Dataset(name="reviews")
    path = tmp_path / "reviews.jsonl"
    path.write_bytes(b'{"text": "a", "label": "x"}\n' * 3)
    make(channel, upload_timeout=99).upload_dataset(path, name="reviews", domain="nlp")
    call = channel.last("UploadDataset")
    first, *chunks = call.request
    assert first.spec.format == pb.DATASET_FORMAT_JSONL  # from the suffix
    assert (first.spec.name, first.spec.domain) == ("reviews", "nlp")
    assert b"".join(c.chunk.data for c in chunks) == path.read_bytes()
    assert call.timeout == 99


def test_import_model_sends_the_spec_then_each_part(channel: FakeChannel, tmp_path: Path) -> None:
    channel.responses["ImportModel"] = pb.Model(name="mine", dimension=16)
    model = tmp_path / "model.pt"
    model.write_bytes(b"\x01" * (1 << 20) + b"\x02" * 10)  # two chunks
    got = make(channel, upload_timeout=77).import_model(
        {"": model, "tokenizer.json": b"{}"}, name="mine", domain="vision", format="torchscript",
        properties={"input_size": "96"})
    assert got.dimension == 16
    call = channel.last("ImportModel")
    first, *chunks = call.request
    assert (first.spec.name, first.spec.domain, first.spec.format) == ("mine", "vision", "torchscript")
    assert dict(first.spec.properties) == {"input_size": "96"}
    assert [c.chunk.part for c in chunks] == ["", "", "tokenizer.json"]
    assert b"".join(c.chunk.data for c in chunks if c.chunk.part == "") == model.read_bytes()
    assert call.timeout == 77
    assert ("x-graft-model", "mine") in call.metadata


def test_upload_in_memory_examples_are_length_delimited(channel: FakeChannel) -> None:
    channel.responses["UploadDataset"] = pb.Dataset()
    examples: list[Any] = [("good", "positive"), (pb.Input(text=pb.Text(text="sum")), 2.5)]
    make(channel).upload_examples(examples, name="n", domain="nlp")
    first, *chunks = channel.last("UploadDataset").request
    assert first.spec.format == pb.DATASET_FORMAT_EXAMPLES
    data = b"".join(c.chunk.data for c in chunks)
    decoded = []
    while data:
        size, shift, i = 0, 0, 0
        while True:
            byte = data[i]
            size |= (byte & 0x7F) << shift
            shift, i = shift + 7, i + 1
            if not byte & 0x80:
                break
        decoded.append(pb.Example.FromString(data[i:i + size]))
        data = data[i + size:]
    assert decoded[0].target.label == "positive"
    assert decoded[1].target.value == pytest.approx(2.5)


def test_varint_prefix_of_a_long_message() -> None:
    message = pb.Text(text="x" * 300)
    encoded = encode_delimited(message)
    assert len(message.SerializeToString()) == 303
    assert encoded[:2] == bytes([0xAF, 0x02])  # 303 = 2 * 128 + 47
    assert pb.Text.FromString(encoded[2:]).text == "x" * 300


def test_upload_without_a_known_format_is_refused(channel: FakeChannel) -> None:
    with pytest.raises(ValueError):
        make(channel).upload_dataset(b"raw", name="n", domain="nlp")


def test_extract_returns_float32_matrix(channel: FakeChannel) -> None:
    channel.responses["Extract"] = pb.ExtractResponse(
        dimension=3, features=[pb.FloatVector(values=[1, 0, 0]), pb.FloatVector(values=[0, 0.6, 0.8])])
    features = make(channel).extract("minilm-l6", ["a", "b"], normalize=True, pooling="mean")
    assert features.dtype == np.float32 and features.shape == (2, 3)
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), [1, 1], atol=1e-6)
    request: pb.ExtractRequest = channel.last("Extract").request
    assert request.normalize and request.pooling == pb.POOLING_MEAN
    assert [i.text.text for i in request.inputs] == ["a", "b"]


def test_predict_results(channel: FakeChannel) -> None:
    channel.responses["Predict"] = pb.PredictResponse(model="m@1", predictions=[
        pb.Prediction(classes=[pb.ClassScore(label="positive", score=0.9), pb.ClassScore(label="negative", score=0.1)]),
        pb.Prediction(classes=[pb.ClassScore(label="negative", score=0.7), pb.ClassScore(label="positive", score=0.3)]),
    ])
    result = make(channel).predict("m", ["a", "b"], top_k=2)
    assert channel.last("Predict").request.top_k == 2
    assert result.model == "m@1" and len(result) == 2
    assert result.labels == ["positive", "negative"]
    assert result.scores.dtype == np.float32 and result.scores.shape == (2, 2)
    assert result[1].label == "negative" and result[1].score == pytest.approx(0.7)


def test_lists_follow_page_tokens(channel: FakeChannel) -> None:
    pages = {"": pb.ListModelsResponse(models=[pb.Model(name="a")], next_page_token="p2"),
             "p2": pb.ListModelsResponse(models=[pb.Model(name="b")])}
    channel.responses["ListModels"] = lambda request: pages[request.page_token]
    assert [m.name for m in make(channel).list_models("kind=BASE")] == ["a", "b"]
    assert channel.last("ListModels").request.filter == "kind=BASE"


def test_watch_stops_at_a_terminal_state_and_wait_returns_it(channel: FakeChannel) -> None:
    running = pb.Job(id="j", state=pb.JOB_STATE_RUNNING)
    done = pb.Job(id="j", state=pb.JOB_STATE_SUCCEEDED)
    channel.responses["WatchJob"] = lambda request: [pb.JobEvent(job=running), pb.JobEvent(job=done),
                                                     pb.JobEvent(job=running)]
    seen: list[str] = []
    final = make(channel).wait("j", on_event=lambda e: seen.append(e.job.state))
    assert final.state == "SUCCEEDED" and final.terminal
    assert seen == ["RUNNING", "SUCCEEDED"]


def test_watch_resumes_after_unavailable(channel: FakeChannel) -> None:
    streams: list[list[Any]] = [
        [pb.JobEvent(job=pb.Job(id="j", state=pb.JOB_STATE_RUNNING)),
         FakeRpcError(grpc.StatusCode.UNAVAILABLE, "gone")],
        [pb.JobEvent(job=pb.Job(id="j", state=pb.JOB_STATE_CANCELLED))],
    ]
    channel.responses["WatchJob"] = lambda request: streams.pop(0)
    from graft_client import RetryPolicy
    client = make(channel, retry=RetryPolicy(initial_backoff=0.001))
    states = [e.job.state for e in client.watch("j")]
    assert states == ["RUNNING", "CANCELLED"]
    assert len([c for c in channel.calls if c.method.endswith("WatchJob")]) == 2


def test_watch_raises_other_errors(channel: FakeChannel) -> None:
    channel.responses["WatchJob"] = lambda request: [FakeRpcError(grpc.StatusCode.NOT_FOUND, "no job")]
    with pytest.raises(GraftError) as caught:
        list(make(channel).watch("nope"))
    assert caught.value.code is grpc.StatusCode.NOT_FOUND


def test_header_interceptor_adds_the_token_and_keeps_call_metadata() -> None:
    from graft_client._channel import _CallDetails

    seen: list[Any] = []

    def continuation(details: Any, request: Any) -> str:
        seen.append(details)
        return "answer"

    interceptor = HeaderInterceptor([("authorization", "Bearer t")])
    details = _CallDetails("/graft.v1.InferenceService/Predict", 5.0, [(MODEL_HEADER, "m")], None, None, None)
    assert interceptor.intercept_unary_unary(continuation, details, object()) == "answer"
    assert interceptor.intercept_unary_stream(continuation, details, object()) == "answer"
    for d in seen:
        assert dict(d.metadata) == {MODEL_HEADER: "m", "authorization": "Bearer t"}
        assert (d.method, d.timeout) == ("/graft.v1.InferenceService/Predict", 5.0)


def test_client_closes_only_its_own_channel(channel: FakeChannel) -> None:
    with make(channel) as client:
        assert client.target
    with Client("localhost:1") as owned:
        assert owned.channel is not None
