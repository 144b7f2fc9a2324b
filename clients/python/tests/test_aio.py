"""AsyncClient against an in-process grpc.aio server: results, headers, pages, watch, errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import grpc.aio
import pytest
from grpc_status import rpc_status

from conftest import rich_status
from graft_client import AsyncClient, GraftError, Job, JobEvent, Predictions, RetryPolicy, pb
from graft_client._proto.graft.v1 import inference_pb2_grpc, models_pb2_grpc, training_pb2_grpc


class Training(training_pb2_grpc.TrainingServiceServicer):
    def __init__(self) -> None:
        self.metadata: list[dict[str, str]] = []
        self.watches = 0

    async def GetJob(self, request: pb.GetJobRequest, context: grpc.aio.ServicerContext) -> pb.Job:
        self.metadata.append(dict(context.invocation_metadata()))
        return pb.Job(id=request.id, state=pb.JOB_STATE_RUNNING, output_model="sentiment")

    async def WatchJob(self, request: pb.WatchJobRequest, context: grpc.aio.ServicerContext) -> AsyncIterator[pb.JobEvent]:
        self.metadata.append(dict(context.invocation_metadata()))
        self.watches += 1
        yield pb.JobEvent(job=pb.Job(id=request.id, state=pb.JOB_STATE_RUNNING), message="running")
        if self.watches == 1:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "restarting")
        yield pb.JobEvent(job=pb.Job(id=request.id, state=pb.JOB_STATE_SUCCEEDED), message="done")
        yield pb.JobEvent(job=pb.Job(id=request.id, state=pb.JOB_STATE_RUNNING), message="never seen")


class Inference(inference_pb2_grpc.InferenceServiceServicer):
    async def Predict(self, request: pb.PredictRequest, context: grpc.aio.ServicerContext) -> pb.PredictResponse:
        if not request.inputs:
            await context.abort_with_status(rpc_status.to_status(rich_status(
                grpc.StatusCode.INVALID_ARGUMENT, "no inputs", "EMPTY_INPUTS", [("inputs", "at least one")])))
        return pb.PredictResponse(model=request.model + "@1", predictions=[
            pb.Prediction(classes=[pb.ClassScore(label="positive", score=0.9)]) for _ in request.inputs])


class Models(models_pb2_grpc.ModelServiceServicer):
    async def ListModels(self, request: pb.ListModelsRequest, context: grpc.aio.ServicerContext) -> pb.ListModelsResponse:
        pages = {"": pb.ListModelsResponse(models=[pb.Model(name="a", base_model="minilm-l6@1")], next_page_token="2"),
                 "2": pb.ListModelsResponse(models=[pb.Model(name="b", base_model="minilm-l6@2"),
                                                    pb.Model(name="c", base_model="other@1")])}
        assert request.filter == ""  # a bare base_model filter is applied by the client
        return pages[request.page_token]


async def scenario() -> dict[str, Any]:
    server = grpc.aio.server()
    training = Training()
    training_pb2_grpc.add_TrainingServiceServicer_to_server(training, server)
    inference_pb2_grpc.add_InferenceServiceServicer_to_server(Inference(), server)
    models_pb2_grpc.add_ModelServiceServicer_to_server(Models(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with AsyncClient(f"127.0.0.1:{port}", token="secret", retry=RetryPolicy(initial_backoff=0.01)) as graft:
            job = await graft.get_job("j1")
            events = [e async for e in graft.watch(job)]
            final = await graft.wait("j1")
            predictions = await graft.predict("sentiment", ["good", "great"])
            models = await graft.list_models("base_model=minilm-l6")
            with pytest.raises(GraftError) as caught:
                await graft.predict("sentiment", [])
        return {"job": job, "events": events, "final": final, "predictions": predictions, "models": models,
                "error": caught.value, "metadata": training.metadata, "watches": training.watches}
    finally:
        await server.stop(None)


def test_async_client_end_to_end() -> None:
    got = asyncio.run(scenario())
    job: Job = got["job"]
    assert isinstance(job, Job) and job.state == "RUNNING" and job.output_model == "sentiment"
    events: list[JobEvent] = got["events"]
    # The first stream failed UNAVAILABLE after one event; the watch reopened it and stopped at the end.
    assert [(e.job.state, e.message) for e in events] == [("RUNNING", "running"), ("RUNNING", "running"),
                                                          ("SUCCEEDED", "done")]
    assert got["final"].state == "SUCCEEDED"
    predictions: Predictions = got["predictions"]
    assert predictions.model == "sentiment@1" and predictions.labels == ["positive", "positive"]
    assert [m.name for m in got["models"]] == ["a", "b"]
    error: GraftError = got["error"]
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "EMPTY_INPUTS")
    first, watch = got["metadata"][0], got["metadata"][1]
    assert first["authorization"] == "Bearer secret"
    assert watch["x-graft-model"] == "sentiment"  # learnt from the job the client saw
    assert got["watches"] == 3


def test_async_and_sync_clients_share_one_implementation() -> None:
    import inspect

    from graft_client import Client

    sync = {n for n, f in inspect.getmembers(Client, inspect.isfunction) if not n.startswith("_")}
    asynchronous = {n for n, f in inspect.getmembers(AsyncClient) if not n.startswith("_") and callable(f)}
    assert sync - {"extract_response"} <= asynchronous
    assert inspect.isasyncgenfunction(AsyncClient.watch)
