"""The asyncio client: :class:`AsyncClient`, the methods of :class:`graft_client.Client` on
``grpc.aio`` (``await client.get_job(...)``, ``async for event in client.watch(job)``).

The requests, argument checks, routing header and result types come from
:mod:`graft_client._core`, as for the blocking client; only carrying the calls out differs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import grpc
import grpc.aio
import numpy as np
import numpy.typing as npt

from graft_client import pb
from graft_client._channel import RetryPolicy, call_headers, make_aio_channel
from graft_client._core import (
    DEFAULT,
    DatasetSource,
    JobRef,
    Operations,
    Paged,
    Timeout,
    Unary,
    WatchHistory,
    _Default,
    model_header,
    retry_delay,
)
from graft_client.errors import from_rpc_error
from graft_client.inputs import ExampleLike, InputLike
from graft_client.resources import Dataset, Job, JobEvent, Metric, Model, ServerInfo, TransferEstimates
from graft_client.results import Features, Predictions
from graft_client.stubs import (
    DatasetServiceStub,
    InferenceServiceStub,
    ModelServiceStub,
    ServerServiceStub,
    TrainingServiceStub,
)

__all__ = ["AsyncClient"]

_T = TypeVar("_T")


class AsyncClient:
    """A Graft client on ``grpc.aio``: the same methods, arguments and results as
    :class:`graft_client.Client`, each a coroutine; :meth:`watch` is an async iterator.

    Use ``async with AsyncClient(...) as graft:`` or ``await graft.close()``. Arguments are
    :class:`~graft_client.Client`'s; a ``channel`` passed in must be a ``grpc.aio.Channel`` (and
    stays the caller's to close).
    """

    def __init__(
        self,
        target: str | None = None,
        *,
        timeout: float | None = 30.0,
        upload_timeout: float | None = 600.0,
        tls: bool = False,
        root_certificates: bytes | str | os.PathLike[str] | None = None,
        tls_server_name: str | None = None,
        certificate_chain: bytes | str | os.PathLike[str] | None = None,
        private_key: bytes | str | os.PathLike[str] | None = None,
        token: str | None = None,
        retry: RetryPolicy | None = RetryPolicy(),
        options: Sequence[tuple[str, Any]] = (),
        channel: grpc.aio.Channel | None = None,
    ) -> None:
        from graft_client import __version__
        from graft_client.client import DEFAULT_TARGET

        self.target = target or os.environ.get("GRAFT_TARGET") or DEFAULT_TARGET
        self.timeout = timeout
        self.upload_timeout = upload_timeout
        self.retry = retry
        self._token = token
        if channel is None:
            self._owned: grpc.aio.Channel | None = make_aio_channel(
                self.target, tls=tls, root_certificates=root_certificates, tls_server_name=tls_server_name,
                retry=retry, options=options, user_agent=f"graft-client-python-asyncio/{__version__}",
                certificate_chain=certificate_chain, private_key=private_key)
            self.channel = self._owned
        else:
            self._owned = None
            self.channel = channel
        self.datasets_stub = DatasetServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self.training_stub = TrainingServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self.inference_stub = InferenceServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self.models_stub = ModelServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self.server_stub = ServerServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self._stubs = {"datasets": self.datasets_stub, "training": self.training_stub,
                       "inference": self.inference_stub, "models": self.models_stub, "server": self.server_stub}
        self._ops = Operations()

    # ---- lifecycle

    async def close(self) -> None:
        if self._owned is not None:
            await self._owned.close()
            self._owned = None

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncClient(target={self.target!r})"

    # ---- plumbing: carrying out the call plans of graft_client._core

    def _metadata(self, model: str | None) -> tuple[tuple[str, str], ...]:
        return model_header(model) + tuple(call_headers(self._token))

    def _deadline(self, timeout: Timeout, default: float | None) -> float | None:
        return default if isinstance(timeout, _Default) else timeout

    async def _unary(self, call: Unary[_T], timeout: Timeout) -> _T:
        method = getattr(self._stubs[call.stub], call.method)
        deadline = self._deadline(timeout, self.upload_timeout if call.upload else self.timeout)
        try:
            response = await method(call.requests(), timeout=deadline, metadata=self._metadata(call.model))
        except grpc.RpcError as e:
            raise from_rpc_error(e) from e
        return call.convert(response)

    async def _all(self, paged: Paged[_T], timeout: Timeout) -> list[_T]:
        method = getattr(self._stubs[paged.stub], paged.method)
        deadline = self._deadline(timeout, self.timeout)
        items: list[_T] = []
        token = ""
        while True:
            try:
                response = await method(paged.request(token), timeout=deadline, metadata=self._metadata(None))
            except grpc.RpcError as e:
                raise from_rpc_error(e) from e
            page, token = paged.page(response)
            items.extend(page)
            if not token:
                return items

    # ---- server

    async def server_info(self, *, timeout: Timeout = DEFAULT) -> ServerInfo:
        return await self._unary(self._ops.server_info(), timeout)

    # ---- datasets

    async def upload_dataset(self, source: DatasetSource, *, name: str, domain: str, format: int | str | None = None,
                             task: int | str | None = None, options: Mapping[str, str] | None = None,
                             timeout: Timeout = DEFAULT) -> Dataset:
        return await self._unary(self._ops.upload_dataset(source, name=name, domain=domain, format=format,
                                                          task=task, options=options), timeout)

    async def upload_examples(self, examples: Iterable[ExampleLike], *, name: str, domain: str,
                              task: int | str | None = None, timeout: Timeout = DEFAULT) -> Dataset:
        return await self._unary(self._ops.upload_examples(examples, name=name, domain=domain, task=task), timeout)

    async def get_dataset(self, id_or_name: str, *, timeout: Timeout = DEFAULT) -> Dataset:
        return await self._unary(self._ops.get_dataset(id_or_name), timeout)

    async def list_datasets(self, filter: str = "", *, timeout: Timeout = DEFAULT) -> list[Dataset]:
        return await self._all(self._ops.list_datasets(filter), timeout)

    async def delete_dataset(self, id_or_name: str, *, timeout: Timeout = DEFAULT) -> None:
        await self._unary(self._ops.delete_dataset(id_or_name), timeout)

    # ---- training

    async def train(self, base: str, strategy: str, output: str, *, dataset: str | None = None,
                    examples: Iterable[ExampleLike] | None = None,
                    validation: str | Iterable[ExampleLike] | None = None, validation_split: float = 0.0,
                    epochs: int = 0, batch_size: int = 0, learning_rate: float = 0.0, weight_decay: float = 0.0,
                    early_stopping_patience: int = 0, seed: int = 0, extra: Mapping[str, str] | None = None,
                    task: int | str | None = None, device_pool: str = "", priority: int = 0,
                    labels: Mapping[str, str] | None = None, timeout: Timeout = DEFAULT) -> Job:
        return await self._unary(self._ops.train(
            base, strategy, output, dataset=dataset, examples=examples, validation=validation,
            validation_split=validation_split, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
            weight_decay=weight_decay, early_stopping_patience=early_stopping_patience, seed=seed, extra=extra,
            task=task, device_pool=device_pool, priority=priority, labels=labels), timeout)

    async def submit(self, request: pb.TrainRequest, *, timeout: Timeout = DEFAULT) -> Job:
        return await self._unary(self._ops.submit(request), timeout)

    async def get_job(self, job: JobRef, *, timeout: Timeout = DEFAULT) -> Job:
        return await self._unary(self._ops.get_job(job), timeout)

    async def list_jobs(self, filter: str = "", *, timeout: Timeout = DEFAULT) -> list[Job]:
        return await self._all(self._ops.list_jobs(filter), timeout)

    async def cancel(self, job: JobRef, *, timeout: Timeout = DEFAULT) -> Job:
        return await self._unary(self._ops.cancel(job), timeout)

    async def watch(self, job: JobRef, *, timeout: float | None = None, resume: bool = True) -> AsyncIterator[JobEvent]:
        """The job's events (current state first, then each change) until it ends; reopened
        after UNAVAILABLE like :meth:`graft_client.Client.watch`. Leave the ``async for`` (or
        ``aclose()`` the iterator) to cancel the stream."""
        plan = self._ops.watch(job)
        history = WatchHistory()
        deadline = None if timeout is None else time.monotonic() + timeout
        attempts = 0
        while True:
            history.reopened()
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            call = self.training_stub.WatchJob(plan.request, timeout=remaining, metadata=self._metadata(plan.model))
            try:
                async for message in call:
                    attempts = 0
                    event = plan.event(message, history)
                    yield event
                    if event.job.terminal:
                        return
                return
            except grpc.RpcError as e:
                error = from_rpc_error(e)
                attempts += 1
                delay = retry_delay(error, attempts, self.retry, resume)
                if delay is None:
                    raise error from e
                await asyncio.sleep(delay)
            finally:
                call.cancel()

    async def wait(self, job: JobRef, *, timeout: float | None = None,
                   on_event: Callable[[JobEvent], Awaitable[None] | None] | None = None) -> Job:
        """Watches the job until it ends and returns its final state; ``on_event`` may be a
        plain function or a coroutine function."""
        last: Job | None = None
        history: list[Metric] = []
        async for event in self.watch(job, timeout=timeout):
            if on_event is not None:
                result = on_event(event)
                if result is not None:
                    await result
            last = event.job
            history.extend(event.metrics)
        if last is not None and last.terminal:
            return dataclasses.replace(last, history=tuple(history))
        return await self.get_job(job)

    async def estimate_transfer(self, *, dataset: str | None = None, examples: Iterable[ExampleLike] | None = None,
                                base_models: Sequence[str] = (), task: int | str | None = None,
                                max_examples: int = 0, timeout: Timeout = DEFAULT) -> TransferEstimates:
        return await self._unary(self._ops.estimate_transfer(dataset=dataset, examples=examples,
                                                             base_models=base_models, task=task,
                                                             max_examples=max_examples), timeout)

    # ---- inference

    async def predict(self, model: str, inputs: InputLike | Iterable[InputLike], *, top_k: int = 0,
                      timeout: Timeout = DEFAULT) -> Predictions:
        return await self._unary(self._ops.predict(model, inputs, top_k=top_k), timeout)

    async def extract(self, model: str, inputs: InputLike | Iterable[InputLike], *, layer: str = "",
                      pooling: int | str | None = None, normalize: bool = False,
                      timeout: Timeout = DEFAULT) -> npt.NDArray[np.float32]:
        features = await self.extract_features(model, inputs, layer=layer, pooling=pooling, normalize=normalize,
                                               timeout=timeout)
        return features.vectors

    async def extract_features(self, model: str, inputs: InputLike | Iterable[InputLike], *, layer: str = "",
                               pooling: int | str | None = None, normalize: bool = False,
                               timeout: Timeout = DEFAULT) -> Features:
        return await self._unary(self._ops.extract(model, inputs, layer=layer, pooling=pooling,
                                                   normalize=normalize), timeout)

    # ---- models

    async def get_model(self, name: str, *, timeout: Timeout = DEFAULT) -> Model:
        return await self._unary(self._ops.get_model(name), timeout)

    async def import_model(self, source: DatasetSource, *, name: str, domain: str, format: str,
                           properties: Mapping[str, str] | None = None, timeout: Timeout = DEFAULT) -> Model:
        return await self._unary(self._ops.import_model(source, name=name, domain=domain, format=format,
                                                        properties=properties), timeout)

    async def list_models(self, filter: str = "", *, timeout: Timeout = DEFAULT) -> list[Model]:
        return await self._all(self._ops.list_models(filter), timeout)

    async def delete_model(self, name: str, *, timeout: Timeout = DEFAULT) -> None:
        await self._unary(self._ops.delete_model(name), timeout)

    async def set_model_alias(self, name: str, alias: str, version: int, *, timeout: Timeout = DEFAULT) -> Model:
        return await self._unary(self._ops.set_model_alias(name, alias, version), timeout)

    async def delete_model_alias(self, name: str, alias: str, *, timeout: Timeout = DEFAULT) -> None:
        await self._unary(self._ops.delete_model_alias(name, alias), timeout)
