"""Dataclass results: string enums, datetime/timedelta, plain ints, to_dict() and the raw proto."""

from __future__ import annotations

import datetime
import json

import numpy as np
from google.protobuf import any_pb2
from google.rpc import error_details_pb2

from graft_client import Dataset, Features, Job, JobState, Model, ModelKind, Predictions, ServerInfo, Task, pb
from graft_client.client import is_terminal


def test_job_fields_are_plain_python() -> None:
    message = pb.Job(id="j1", state=pb.JOB_STATE_RUNNING, output_model="m",
                     progress=pb.Progress(epoch=3, total_epochs=60, step=2**40, total_steps=2**41, fraction=0.5),
                     metrics=[pb.Metric(name="loss", value=0.5, split="validation", epoch=3)], labels={"team": "a"})
    message.progress.eta.seconds = 90
    message.create_time.seconds = 1_700_000_000
    job = Job.from_proto(message)
    assert job.state == "RUNNING" and job.state is JobState.RUNNING and not job.terminal
    assert job.progress.eta == datetime.timedelta(seconds=90)
    assert job.progress.step == 2**40 and type(job.progress.step) is int
    assert job.create_time == datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.timezone.utc)
    assert job.start_time is None and job.error is None
    assert job.proto is message
    d = job.to_dict()
    assert d["state"] == "RUNNING" and d["progress"]["step"] == 2**40 and d["progress"]["eta"] == 90.0
    assert d["create_time"] == "2023-11-14T22:13:20+00:00"
    assert "proto" not in d
    assert json.loads(json.dumps(d)) == d  # JSON-safe, numbers stay numbers


def test_a_failed_jobs_error_carries_code_and_reason() -> None:
    message = pb.Job(id="j", state=pb.JOB_STATE_FAILED)
    message.error.code = 9
    message.error.message = "the loss was never finite"
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.ErrorInfo(reason="NON_FINITE_LOSS", domain="graft.dev"))
    message.error.details.append(detail)
    job = Job.from_proto(message)
    assert job.terminal and is_terminal(job) and is_terminal("FAILED") and is_terminal(pb.JOB_STATE_FAILED)
    assert job.error is not None
    assert (job.error.code, job.error.reason, job.error.message) == (
        "FAILED_PRECONDITION", "NON_FINITE_LOSS", "the loss was never finite")


def test_final_metrics_are_the_kept_models_not_the_last_epoch() -> None:
    job = Job.from_proto(pb.Job(state=pb.JOB_STATE_SUCCEEDED, history=[
        pb.Metric(name="loss", value=0.4725, split="validation", epoch=12, phase="linear head"),
        pb.Metric(name="loss", value=0.5344, split="validation", epoch=30, phase="mlp head"),  # not kept
    ], metrics=[
        pb.Metric(name="loss", value=0.4725, split="validation", epoch=0),  # what was saved
        pb.Metric(name="accuracy", value=0.875, split="validation", epoch=0),
    ]))
    assert job.metric("loss", "validation") == 0.4725
    assert [m.epoch for m in job.final_metrics] == [0, 0]
    assert [(m.phase, m.epoch) for m in job.history] == [("linear head", 12), ("mlp head", 30)]
    running = Job.from_proto(pb.Job(state=pb.JOB_STATE_RUNNING, history=[
        pb.Metric(name="loss", value=0.7, split="validation", epoch=1),
        pb.Metric(name="loss", value=0.6, split="validation", epoch=2)]))
    assert running.metric("loss") == 0.6  # no final metrics yet: the latest epoch's


def test_a_watch_hands_out_each_history_entry_once_across_reopened_streams() -> None:
    from graft_client._core import WatchHistory

    def event(*epochs: int) -> pb.JobEvent:
        return pb.JobEvent(metrics=[pb.Metric(name="loss", epoch=e) for e in epochs])

    history = WatchHistory()
    history.reopened()
    got = [m.epoch for m in history.new(event(1, 2))] + [m.epoch for m in history.new(event(3))]
    history.reopened()  # the server sends the whole history again on a new stream
    got += [m.epoch for m in history.new(event(1, 2, 3, 4))] + [m.epoch for m in history.new(event(5))]
    assert got == [1, 2, 3, 4, 5]


def test_model_dataset_and_server_info() -> None:
    model = Model.from_proto(pb.Model(name="sentiment", version=2, kind=pb.MODEL_KIND_TRAINED,
                                      task=pb.TASK_CLASSIFICATION, size_bytes=5_000_000_000,
                                      base_model="minilm-l6@1", properties={"candidates": "x"}))
    assert (model.ref, model.kind, model.task) == ("sentiment@2", ModelKind.TRAINED, Task.CLASSIFICATION)
    assert model.to_dict()["size_bytes"] == 5_000_000_000 and model.to_dict()["kind"] == "TRAINED"
    ds = Dataset.from_proto(pb.Dataset(id="d", examples=16, label_counts={"a": 8, "b": 8},
                                       format=pb.DATASET_FORMAT_JSONL))
    assert ds.to_dict()["label_counts"] == {"a": 8, "b": 8} and ds.format == "JSONL"
    info = ServerInfo.from_proto(pb.ServerInfo(version="1.2", pools=[pb.DevicePoolInfo(
        name="default", devices=[pb.DeviceInfo(id="cpu", memory_total=2**35)])]))
    assert info.pools[0].devices[0].memory_total == 2**35
    assert info.to_dict()["pools"][0]["devices"][0]["id"] == "cpu"


def test_an_enum_number_this_client_does_not_know_is_unspecified_with_the_proto_kept() -> None:
    job = Job.from_proto(pb.Job(state=99))  # type: ignore[arg-type]
    assert job.state == JobState.UNSPECIFIED and job.proto.state == 99


def test_inference_results_to_dict() -> None:
    predictions = Predictions.from_proto(pb.PredictResponse(model="m@1", predictions=[
        pb.Prediction(classes=[pb.ClassScore(label="pos", score=0.75)]), pb.Prediction(values=[1.5, 2.5])]))
    assert predictions.to_dict() == {"predictions": [
        {"classes": [{"label": "pos", "score": 0.75}], "values": []},
        {"classes": [], "values": [1.5, 2.5]}], "model": "m@1"}
    assert predictions.proto.model == "m@1"
    features = Features.from_proto(pb.ExtractResponse(model="e@1", dimension=2, layer="pooled",
                                                      features=[pb.FloatVector(values=[0.5, 0.25])]))
    assert features.vectors.dtype == np.float32 and features.vectors.shape == (1, 2) and len(features) == 1
    assert features.to_dict() == {"vectors": [[0.5, 0.25]], "dimension": 2, "layer": "pooled", "model": "e@1"}


def test_a_models_confusion_matrix_is_rows_of_counts() -> None:
    model = Model.from_proto(pb.Model(name="m", version=1, aliases=["prod"], confusion_matrix=pb.ConfusionMatrix(
        labels=["neg", "pos"], counts=[5, 1, 2, 7], split="validation")))
    assert model.aliases == ("prod",)
    assert model.confusion_matrix is not None
    assert model.confusion_matrix.counts == ((5, 1), (2, 7)) and model.confusion_matrix.labels == ("neg", "pos")
    assert model.to_dict()["confusion_matrix"]["counts"] == [[5, 1], [2, 7]]
    assert Model.from_proto(pb.Model(name="m", version=1)).confusion_matrix is None
