"""The Graft client: datasets, training jobs, inference, models and server info.

Results are the dataclasses of :mod:`graft_client.resources` and :mod:`graft_client.results`
(each with ``.proto``, the message it came from, and ``.to_dict()``). :class:`AsyncClient`
(:mod:`graft_client.aio`) has the same methods; both take their requests, checks and conversions
from :mod:`graft_client._core`.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from typing import Any, Final, TypeVar

import grpc
import numpy as np
import numpy.typing as npt

from graft_client import pb
from graft_client._channel import RetryPolicy, intercept, make_channel
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
    dataset_format,
    is_terminal_state,
    model_header,
    pooling,
    retry_delay,
    task,
)
from graft_client.errors import from_rpc_error
from graft_client.inputs import ExampleLike, InputLike
from graft_client.resources import Dataset, Job, JobEvent, JobState, Metric, Model, ServerInfo, TransferEstimates
from graft_client.results import Features, Predictions
from graft_client.stubs import (
    DatasetServiceStub,
    InferenceServiceStub,
    ModelServiceStub,
    ServerServiceStub,
    TrainingServiceStub,
)

__all__ = ["Client", "DEFAULT", "DEFAULT_TARGET", "Timeout", "TERMINAL_STATES", "is_terminal", "state_name",
           "dataset_format", "task", "pooling"]

DEFAULT_TARGET: Final = "localhost:50051"
_T = TypeVar("_T")

TERMINAL_STATES: Final = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})
"""The states a job ends in (string enums: ``"SUCCEEDED"``, ``"FAILED"``, ``"CANCELLED"``)."""


def is_terminal(job: Job | pb.Job | JobState | int | str) -> bool:
    """Whether a job (a ``Job``, a ``pb.Job``, a state name or a ``pb.JobState`` number) has ended:
    SUCCEEDED, FAILED or CANCELLED."""
    return is_terminal_state(job)


def state_name(state: int | str) -> str:
    """``pb.JOB_STATE_SUCCEEDED`` (or ``JobState.SUCCEEDED``) -> ``"SUCCEEDED"``."""
    if isinstance(state, str):
        return str(state).removeprefix("JOB_STATE_")
    return str(pb.JobState.Name(state)).removeprefix("JOB_STATE_")


class Client:
    """A Graft client over one gRPC channel.

    Every call about a model sends the ``x-graft-model`` header (Predict/Extract: the model;
    Train: the output model; job calls: the job's output model when known), carries a deadline
    (``timeout`` here, overridable per call) and raises :class:`GraftError` on failure. The
    idempotent calls are retried on UNAVAILABLE through the channel's retry policy; ``watch``
    also resumes its stream after UNAVAILABLE.

    Thread-safe. Use as a context manager, or call :meth:`close`, to release a channel the client
    created; a channel passed in stays the caller's to close.

    Args:
        target: ``host:port``; default ``$GRAFT_TARGET`` or ``localhost:50051``.
        timeout: default deadline in seconds for unary calls (``None`` = none).
        upload_timeout: default deadline for dataset uploads.
        tls: use TLS (system roots unless ``root_certificates``).
        root_certificates: trusted CA certificates: PEM bytes, PEM text or a file path; implies ``tls``.
        certificate_chain: the client certificate chain for mutual TLS (PEM bytes, text or path;
            with ``private_key``); implies ``tls``.
        private_key: the client certificate's private key (PEM bytes, text or path).
        tls_server_name: override the name checked in the server certificate.
        token: bearer token sent as ``authorization: Bearer <token>``.
        retry: the retry policy for idempotent calls (``None`` disables retries).
        options: extra gRPC channel options.
        channel: use this channel instead of creating one.
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
        channel: grpc.Channel | None = None,
    ) -> None:
        from graft_client import __version__

        self.target = target or os.environ.get("GRAFT_TARGET") or DEFAULT_TARGET
        self.timeout = timeout
        self.upload_timeout = upload_timeout
        self.retry = retry
        if channel is None:
            self._owned: grpc.Channel | None = make_channel(
                self.target, tls=tls, root_certificates=root_certificates, tls_server_name=tls_server_name,
                token=token, retry=retry, options=options, user_agent=f"graft-client-python/{__version__}",
                certificate_chain=certificate_chain, private_key=private_key)
            self.channel = self._owned
        else:
            self._owned = None
            self.channel = intercept(channel, token)
        self.datasets_stub = DatasetServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self.training_stub = TrainingServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self.inference_stub = InferenceServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self.models_stub = ModelServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self.server_stub = ServerServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self._stubs = {"datasets": self.datasets_stub, "training": self.training_stub,
                       "inference": self.inference_stub, "models": self.models_stub, "server": self.server_stub}
        self._ops = Operations()

    # ---- lifecycle

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client(target={self.target!r})"

    # ---- plumbing: carrying out the call plans of graft_client._core

    def _deadline(self, timeout: Timeout, default: float | None) -> float | None:
        return default if isinstance(timeout, _Default) else timeout

    def _unary(self, call: Unary[_T], timeout: Timeout) -> _T:
        method = getattr(self._stubs[call.stub], call.method)
        deadline = self._deadline(timeout, self.upload_timeout if call.upload else self.timeout)
        try:
            response = method(call.requests(), timeout=deadline, metadata=model_header(call.model))
        except grpc.RpcError as e:
            raise from_rpc_error(e) from e
        return call.convert(response)

    def _all(self, paged: Paged[_T], timeout: Timeout) -> list[_T]:
        method = getattr(self._stubs[paged.stub], paged.method)
        deadline = self._deadline(timeout, self.timeout)
        items: list[_T] = []
        token = ""
        while True:
            try:
                response = method(paged.request(token), timeout=deadline, metadata=())
            except grpc.RpcError as e:
                raise from_rpc_error(e) from e
            page, token = paged.page(response)
            items.extend(page)
            if not token:
                return items

    # ---- server

    def server_info(self, *, timeout: Timeout = DEFAULT) -> ServerInfo:
        """The server's version, plugins (with state) and device pools (with load)."""
        return self._unary(self._ops.server_info(), timeout)

    # ---- datasets

    def upload_dataset(
        self,
        source: DatasetSource,
        *,
        name: str,
        domain: str,
        format: int | str | None = None,
        task: int | str | None = None,
        options: Mapping[str, str] | None = None,
        timeout: Timeout = DEFAULT,
    ) -> Dataset:
        """Uploads a dataset, streamed in 1 MiB chunks.

        ``source`` is a file path, the file's bytes, a binary file object, or a mapping from part
        name to path/bytes for multi-part formats (IDX: ``{"images": ..., "labels": ...}``).
        ``format`` (``"jsonl"``, ``"csv"``, ``"idx"``, ``"examples"``, ``"zip"`` or the enum) is
        inferred from a path's suffix when omitted.
        """
        return self._unary(self._ops.upload_dataset(source, name=name, domain=domain, format=format, task=task,
                                                    options=options), timeout)

    def upload_examples(self, examples: Iterable[ExampleLike], *, name: str, domain: str,
                        task: int | str | None = None, timeout: Timeout = DEFAULT) -> Dataset:
        """Uploads in-memory examples (format EXAMPLES): ``pb.Example`` or ``(input, target)``
        pairs, where a target is a label (``str``), a value (``float``) or values (a sequence)."""
        return self._unary(self._ops.upload_examples(examples, name=name, domain=domain, task=task), timeout)

    def get_dataset(self, id_or_name: str, *, timeout: Timeout = DEFAULT) -> Dataset:
        return self._unary(self._ops.get_dataset(id_or_name), timeout)

    def list_datasets(self, filter: str = "", *, timeout: Timeout = DEFAULT) -> list[Dataset]:
        """All datasets (every page); ``filter``: ``domain=nlp`` or ``name=NAME``."""
        return self._all(self._ops.list_datasets(filter), timeout)

    def delete_dataset(self, id_or_name: str, *, timeout: Timeout = DEFAULT) -> None:
        self._unary(self._ops.delete_dataset(id_or_name), timeout)

    # ---- training

    def train(
        self,
        base: str,
        strategy: str,
        output: str,
        *,
        dataset: str | None = None,
        examples: Iterable[ExampleLike] | None = None,
        validation: str | Iterable[ExampleLike] | None = None,
        validation_split: float = 0.0,
        epochs: int = 0,
        batch_size: int = 0,
        learning_rate: float = 0.0,
        weight_decay: float = 0.0,
        early_stopping_patience: int = 0,
        seed: int = 0,
        extra: Mapping[str, str] | None = None,
        task: int | str | None = None,
        device_pool: str = "",
        priority: int = 0,
        labels: Mapping[str, str] | None = None,
        timeout: Timeout = DEFAULT,
    ) -> Job:
        """Starts a training job and returns it at once (QUEUED). Zero hyperparameters mean
        "the strategy's default". Train from a stored ``dataset`` (id or name) or inline
        ``examples``; validate on ``validation`` or a ``validation_split`` of the training data."""
        return self._unary(self._ops.train(
            base, strategy, output, dataset=dataset, examples=examples, validation=validation,
            validation_split=validation_split, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
            weight_decay=weight_decay, early_stopping_patience=early_stopping_patience, seed=seed, extra=extra,
            task=task, device_pool=device_pool, priority=priority, labels=labels), timeout)

    def submit(self, request: pb.TrainRequest, *, timeout: Timeout = DEFAULT) -> Job:
        """Sends a ready-made ``TrainRequest``; returns the new job (QUEUED)."""
        return self._unary(self._ops.submit(request), timeout)

    def get_job(self, job: JobRef, *, timeout: Timeout = DEFAULT) -> Job:
        return self._unary(self._ops.get_job(job), timeout)

    def list_jobs(self, filter: str = "", *, timeout: Timeout = DEFAULT) -> list[Job]:
        """All jobs (every page); ``filter``: ``state=RUNNING``, ``output_model=NAME``,
        ``strategy=NAME`` or ``base_model=NAME`` (every version) / ``base_model=NAME@VERSION``."""
        return self._all(self._ops.list_jobs(filter), timeout)

    def cancel(self, job: JobRef, *, timeout: Timeout = DEFAULT) -> Job:
        """Asks a queued or running job to stop; returns the job as it is right after (often
        still RUNNING: follow it with :meth:`wait` to see it end)."""
        return self._unary(self._ops.cancel(job), timeout)

    def watch(self, job: JobRef, *, timeout: float | None = None, resume: bool = True) -> Generator[JobEvent, None, None]:
        """The job's events: its current state first, then each change, until it ends.

        ``timeout`` bounds the whole watch (``None`` = none). With ``resume`` the stream is
        reopened after UNAVAILABLE (the server re-sends the current state), following the
        client's retry policy. Stop iterating (or ``close()`` the iterator) to cancel the stream.
        """
        plan = self._ops.watch(job)
        history = WatchHistory()
        deadline = None if timeout is None else time.monotonic() + timeout
        attempts = 0
        while True:
            history.reopened()
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            call = self.training_stub.WatchJob(plan.request, timeout=remaining, metadata=model_header(plan.model))
            try:
                for message in call:
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
                time.sleep(delay)
            finally:
                call.cancel()

    def wait(self, job: JobRef, *, timeout: float | None = None,
             on_event: Callable[[JobEvent], None] | None = None) -> Job:
        """Watches the job until it ends and returns its final state (whatever that is: check
        ``job.state``). Raises ``GraftError`` DEADLINE_EXCEEDED after ``timeout`` seconds."""
        last: Job | None = None
        history: list[Metric] = []
        for event in self.watch(job, timeout=timeout):
            if on_event is not None:
                on_event(event)
            last = event.job
            history.extend(event.metrics)
        if last is not None and last.terminal:
            return dataclasses.replace(last, history=tuple(history))
        return self.get_job(job)

    def estimate_transfer(self, *, dataset: str | None = None, examples: Iterable[ExampleLike] | None = None,
                          base_models: Sequence[str] = (), task: int | str | None = None, max_examples: int = 0,
                          timeout: Timeout = DEFAULT) -> TransferEstimates:
        """Ranks base models for labelled data by how well their frozen features fit it (LogME, plus
        a linear probe), best first, without training: ``base_models`` empty means every base model
        of the data's domain; at most ``max_examples`` examples are scored (0 = the server's 2000).
        Features are computed (or taken from the feature cache), so this takes seconds to minutes:
        give a ``timeout`` that allows it."""
        return self._unary(self._ops.estimate_transfer(dataset=dataset, examples=examples, base_models=base_models,
                                                       task=task, max_examples=max_examples), timeout)

    # ---- inference

    def predict(self, model: str, inputs: InputLike | Iterable[InputLike], *, top_k: int = 0,
                timeout: Timeout = DEFAULT) -> Predictions:
        """Outputs of a trained model for each input (``top_k`` classes each; 0 = all)."""
        return self._unary(self._ops.predict(model, inputs, top_k=top_k), timeout)

    def extract(self, model: str, inputs: InputLike | Iterable[InputLike], *, layer: str = "",
                pooling: int | str | None = None, normalize: bool = False,
                timeout: Timeout = DEFAULT) -> npt.NDArray[np.float32]:
        """Features of each input as an [n, dim] float32 array (``normalize``: unit L2 norm)."""
        return self.extract_features(model, inputs, layer=layer, pooling=pooling, normalize=normalize,
                                     timeout=timeout).vectors

    def extract_features(self, model: str, inputs: InputLike | Iterable[InputLike], *, layer: str = "",
                         pooling: int | str | None = None, normalize: bool = False,
                         timeout: Timeout = DEFAULT) -> Features:
        """Like :meth:`extract`, with the layer and the answering model (``Features``)."""
        return self._unary(self._ops.extract(model, inputs, layer=layer, pooling=pooling, normalize=normalize),
                           timeout)

    def extract_response(self, model: str, inputs: InputLike | Iterable[InputLike], *, layer: str = "",
                         pooling: int | str | None = None, normalize: bool = False,
                         timeout: Timeout = DEFAULT) -> pb.ExtractResponse:
        """The raw ``ExtractResponse`` (prefer :meth:`extract_features`)."""
        return self.extract_features(model, inputs, layer=layer, pooling=pooling, normalize=normalize,
                                     timeout=timeout).proto

    # ---- models

    def get_model(self, name: str, *, timeout: Timeout = DEFAULT) -> Model:
        """A model by ``name`` (latest version) or ``name@version``."""
        return self._unary(self._ops.get_model(name), timeout)

    def import_model(
        self,
        source: DatasetSource,
        *,
        name: str,
        domain: str,
        format: str,
        properties: Mapping[str, str] | None = None,
        timeout: Timeout = DEFAULT,
    ) -> Model:
        """Imports a base model (ImportModel), streamed in 1 MiB chunks.

        ``source`` is the main file (a path, its bytes or a binary file object) or a mapping from
        part name to file, ``""`` being the main file: ``{"": "model.onnx", "tokenizer.json":
        "tokenizer.json"}``. ``format`` is the domain's: ``onnx``, ``torchscript``,
        ``torch-state-dict``, ``tfjs-layers``; ``properties`` such as ``input_size``.
        """
        return self._unary(self._ops.import_model(source, name=name, domain=domain, format=format,
                                                  properties=properties), timeout)

    def list_models(self, filter: str = "", *, timeout: Timeout = DEFAULT) -> list[Model]:
        """All models (every page); ``filter``: ``kind=BASE``, ``kind=TRAINED``, ``domain=nlp``,
        ``name=NAME``, ``strategy=NAME``, ``base_model=NAME`` (every version) or ``base_model=NAME@VERSION``."""
        return self._all(self._ops.list_models(filter), timeout)

    def delete_model(self, name: str, *, timeout: Timeout = DEFAULT) -> None:
        self._unary(self._ops.delete_model(name), timeout)

    def set_model_alias(self, name: str, alias: str, version: int, *, timeout: Timeout = DEFAULT) -> Model:
        """Points ``name:alias`` at ``name@version`` (creating or moving it, atomically); from then
        on ``"name:alias"`` names that version wherever a model is named. Returns that version."""
        return self._unary(self._ops.set_model_alias(name, alias, version), timeout)

    def delete_model_alias(self, name: str, alias: str, *, timeout: Timeout = DEFAULT) -> None:
        """Removes ``name:alias``; the version it named stays."""
        self._unary(self._ops.delete_model_alias(name, alias), timeout)
