"""The Graft client: datasets, training jobs, inference, models and server info."""

from __future__ import annotations

import enum
import io
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final, TypeAlias, TypeVar, cast

import grpc
import numpy as np
import numpy.typing as npt

from graft_client import pb
from graft_client._channel import MODEL_HEADER, RetryPolicy, intercept, make_channel
from graft_client.errors import from_rpc_error
from graft_client.inputs import ExampleLike, InputLike, encode_delimited, to_example, to_inputs
from graft_client.results import Predictions, features_array
from graft_client.stubs import (
    DatasetServiceStub,
    InferenceServiceStub,
    ModelServiceStub,
    ServerServiceStub,
    TrainingServiceStub,
)

__all__ = ["Client", "DEFAULT", "DEFAULT_TARGET", "Timeout", "TERMINAL_STATES", "is_terminal", "state_name"]

DEFAULT_TARGET: Final = "localhost:50051"
CHUNK_BYTES: Final = 1 << 20
_JOB_CACHE: Final = 4096
_T = TypeVar("_T")


class _Default(enum.Enum):
    DEFAULT = "default"


DEFAULT: Final = _Default.DEFAULT
"""Per-call ``timeout`` value meaning "the client's default deadline"."""

Timeout: TypeAlias = "float | None | _Default"
"""Seconds until the call's deadline; ``None`` = no deadline; ``DEFAULT`` = the client's."""

TERMINAL_STATES: Final = frozenset({pb.JOB_STATE_SUCCEEDED, pb.JOB_STATE_FAILED, pb.JOB_STATE_CANCELLED})

_FORMATS: Final = {
    ".jsonl": pb.DATASET_FORMAT_JSONL,
    ".ndjson": pb.DATASET_FORMAT_JSONL,
    ".csv": pb.DATASET_FORMAT_CSV,
    ".zip": pb.DATASET_FORMAT_ZIP,
    ".idx": pb.DATASET_FORMAT_IDX,
    ".examples": pb.DATASET_FORMAT_EXAMPLES,
    ".pb": pb.DATASET_FORMAT_EXAMPLES,
}

DatasetSource: TypeAlias = "str | os.PathLike[str] | bytes | IO[bytes] | Mapping[str, str | os.PathLike[str] | bytes]"
JobRef: TypeAlias = "str | pb.Job"


def is_terminal(job: pb.Job | int) -> bool:
    """Whether a job (or a ``JobState``) is SUCCEEDED, FAILED or CANCELLED."""
    return (job if isinstance(job, int) else job.state) in TERMINAL_STATES


def state_name(state: int) -> str:
    """``JOB_STATE_SUCCEEDED`` -> ``SUCCEEDED``."""
    return str(pb.JobState.Name(state)).removeprefix("JOB_STATE_")


def _enum_value(enum_type: Any, prefix: str, value: int | str | None) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    name = value.upper().replace("-", "_")
    return int(enum_type.Value(name if name.startswith(prefix) else prefix + name))


def dataset_format(value: int | str | None) -> pb.DatasetFormat:
    """``"jsonl"`` / ``"JSONL"`` / ``pb.DATASET_FORMAT_JSONL`` -> the enum value (0 = unspecified)."""
    return cast("pb.DatasetFormat", _enum_value(pb.DatasetFormat, "DATASET_FORMAT_", value))


def task(value: int | str | None) -> pb.Task:
    """``"classification"`` / ``pb.TASK_CLASSIFICATION`` -> the enum value (0 = infer)."""
    return cast("pb.Task", _enum_value(pb.Task, "TASK_", value))


def pooling(value: int | str | None) -> pb.Pooling:
    """``"mean"`` / ``pb.POOLING_MEAN`` -> the enum value (0 = the model's default)."""
    return cast("pb.Pooling", _enum_value(pb.Pooling, "POOLING_", value))


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
        self._job_models: OrderedDict[str, str] = OrderedDict()

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

    # ---- plumbing

    def _deadline(self, timeout: Timeout, default: float | None) -> float | None:
        return default if timeout is DEFAULT else timeout  # type: ignore[return-value]

    @staticmethod
    def _metadata(model: str | None) -> tuple[tuple[str, str], ...]:
        return ((MODEL_HEADER, model),) if model else ()

    def _call(self, method: Callable[..., _T], request: Any, *, model: str | None = None,
              timeout: Timeout = DEFAULT, default: float | None | _Default = DEFAULT) -> _T:
        deadline = self._deadline(timeout, self.timeout if default is DEFAULT else default)  # type: ignore[arg-type]
        try:
            return method(request, timeout=deadline, metadata=self._metadata(model))
        except grpc.RpcError as e:
            raise from_rpc_error(e) from e

    def _remember(self, job: pb.Job) -> pb.Job:
        if job.id and job.output_model:
            self._job_models[job.id] = job.output_model
            self._job_models.move_to_end(job.id)
            while len(self._job_models) > _JOB_CACHE:
                self._job_models.popitem(last=False)
        return job

    def _job_ref(self, job: JobRef) -> tuple[str, str | None]:
        if isinstance(job, pb.Job):
            self._remember(job)
            return job.id, job.output_model or None
        return job, self._job_models.get(job)

    @staticmethod
    def _pages(fetch: Callable[[str], tuple[Sequence[_T], str]]) -> list[_T]:
        items: list[_T] = []
        token = ""
        while True:
            page, token = fetch(token)
            items.extend(page)
            if not token:
                return items

    # ---- server

    def server_info(self, *, timeout: Timeout = DEFAULT) -> pb.ServerInfo:
        """The server's version, plugins (with state) and device pools (with load)."""
        return self._call(self.server_stub.GetServerInfo, pb.GetServerInfoRequest(), timeout=timeout)

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
    ) -> pb.Dataset:
        """Uploads a dataset, streamed in 1 MiB chunks.

        ``source`` is a file path, the file's bytes, a binary file object, or a mapping from part
        name to path/bytes for multi-part formats (IDX: ``{"images": ..., "labels": ...}``).
        ``format`` (``"jsonl"``, ``"csv"``, ``"idx"``, ``"examples"``, ``"zip"`` or the enum) is
        inferred from a path's suffix when omitted.
        """
        fmt = dataset_format(format)
        if not fmt and isinstance(source, (str, os.PathLike)):
            fmt = dataset_format(_FORMATS.get(Path(source).suffix.lower(), 0))
        if not fmt:
            raise ValueError("format is required (jsonl, csv, idx, examples or zip)")
        spec = pb.DatasetSpec(name=name, domain=domain, format=fmt, task=_task(task), options=dict(options or {}))
        parts: list[tuple[str, Any]] = (list(source.items()) if isinstance(source, Mapping) else [("", source)])
        return self._upload(spec, _chunks(parts), timeout)

    def upload_examples(
        self,
        examples: Iterable[ExampleLike],
        *,
        name: str,
        domain: str,
        task: int | str | None = None,
        timeout: Timeout = DEFAULT,
    ) -> pb.Dataset:
        """Uploads in-memory examples (format EXAMPLES): ``pb.Example`` or ``(input, target)``
        pairs, where a target is a label (``str``), a value (``float``) or values (a sequence)."""
        spec = pb.DatasetSpec(name=name, domain=domain, format=pb.DATASET_FORMAT_EXAMPLES, task=_task(task))
        return self._upload(spec, _example_chunks(examples), timeout)

    def _upload(self, spec: pb.DatasetSpec, chunks: Iterator[pb.DataChunk], timeout: Timeout) -> pb.Dataset:
        def requests() -> Iterator[pb.UploadDatasetRequest]:
            yield pb.UploadDatasetRequest(spec=spec)
            for chunk in chunks:
                yield pb.UploadDatasetRequest(chunk=chunk)

        return self._call(self.datasets_stub.UploadDataset, requests(), timeout=timeout, default=self.upload_timeout)

    def get_dataset(self, id_or_name: str, *, timeout: Timeout = DEFAULT) -> pb.Dataset:
        return self._call(self.datasets_stub.GetDataset, pb.GetDatasetRequest(id=id_or_name), timeout=timeout)

    def list_datasets(self, filter: str = "", *, timeout: Timeout = DEFAULT) -> list[pb.Dataset]:
        """All datasets (every page); ``filter``: ``domain=nlp`` or ``name=NAME``."""
        def page(token: str) -> tuple[Sequence[pb.Dataset], str]:
            r = self._call(self.datasets_stub.ListDatasets,
                           pb.ListDatasetsRequest(page_size=500, page_token=token, filter=filter), timeout=timeout)
            return r.datasets, r.next_page_token
        return self._pages(page)

    def delete_dataset(self, id_or_name: str, *, timeout: Timeout = DEFAULT) -> None:
        self._call(self.datasets_stub.DeleteDataset, pb.DeleteDatasetRequest(id=id_or_name), timeout=timeout)

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
    ) -> pb.Job:
        """Starts a training job and returns it at once (QUEUED). Zero hyperparameters mean
        "the strategy's default". Train from a stored ``dataset`` (id or name) or inline
        ``examples``; validate on ``validation`` or a ``validation_split`` of the training data."""
        if (dataset is None) == (examples is None):
            raise ValueError("give exactly one of dataset= or examples=")
        request = pb.TrainRequest(
            base_model=base,
            strategy=strategy,
            output_model=output,
            task=_task(task),
            train=_source(dataset if dataset is not None else examples),
            validation_split=validation_split,
            hyperparameters=pb.Hyperparameters(
                epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, weight_decay=weight_decay,
                early_stopping_patience=early_stopping_patience, seed=seed, extra=dict(extra or {})),
            device_pool=device_pool,
            priority=priority,
            labels=dict(labels or {}),
        )
        if validation is not None:
            request.validation.CopyFrom(_source(validation))
        return self.submit(request, timeout=timeout)

    def submit(self, request: pb.TrainRequest, *, timeout: Timeout = DEFAULT) -> pb.Job:
        """Sends a ready-made ``TrainRequest``; returns the new job (QUEUED)."""
        job = self._call(self.training_stub.Train, request, model=request.output_model, timeout=timeout)
        return self._remember(job)

    def get_job(self, job: JobRef, *, timeout: Timeout = DEFAULT) -> pb.Job:
        job_id, model = self._job_ref(job)
        return self._remember(self._call(self.training_stub.GetJob, pb.GetJobRequest(id=job_id),
                                         model=model, timeout=timeout))

    def list_jobs(self, filter: str = "", *, timeout: Timeout = DEFAULT) -> list[pb.Job]:
        """All jobs (every page); ``filter``: ``state=RUNNING``, ``output_model=NAME`` or ``base_model=NAME``."""
        def page(token: str) -> tuple[Sequence[pb.Job], str]:
            r = self._call(self.training_stub.ListJobs,
                           pb.ListJobsRequest(page_size=500, page_token=token, filter=filter), timeout=timeout)
            return [self._remember(j) for j in r.jobs], r.next_page_token
        return self._pages(page)

    def cancel(self, job: JobRef, *, timeout: Timeout = DEFAULT) -> pb.Job:
        """Asks a queued or running job to stop; returns the job as it is right after."""
        job_id, model = self._job_ref(job)
        return self._remember(self._call(self.training_stub.CancelJob, pb.CancelJobRequest(id=job_id),
                                         model=model, timeout=timeout))

    def watch(self, job: JobRef, *, timeout: float | None = None, resume: bool = True) -> Generator[pb.JobEvent, None, None]:
        """The job's events: its current state first, then each change, until it ends.

        ``timeout`` bounds the whole watch (``None`` = none). With ``resume`` the stream is
        reopened after UNAVAILABLE (the server re-sends the current state), following the
        client's retry policy. Stop iterating (or ``close()`` the iterator) to cancel the stream.
        """
        job_id, model = self._job_ref(job)
        deadline = None if timeout is None else time.monotonic() + timeout
        policy = self.retry
        attempts = 0
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            call = self.training_stub.WatchJob(pb.WatchJobRequest(id=job_id), timeout=remaining,
                                               metadata=self._metadata(model))
            try:
                for event in call:
                    attempts = 0
                    if not model and event.job.output_model:
                        model = event.job.output_model
                    self._remember(event.job)
                    yield event
                    if is_terminal(event.job):
                        return
                return
            except grpc.RpcError as e:
                error = from_rpc_error(e)
                attempts += 1
                if not (resume and policy and error.code in policy.retryable_status_codes
                        and attempts < policy.max_attempts):
                    raise error from e
                time.sleep(min(policy.max_backoff,
                               policy.initial_backoff * policy.backoff_multiplier ** (attempts - 1)))
            finally:
                call.cancel()

    def wait(self, job: JobRef, *, timeout: float | None = None,
             on_event: Callable[[pb.JobEvent], None] | None = None) -> pb.Job:
        """Watches the job until it ends and returns its final state (whatever that is: check
        ``job.state``). Raises ``GraftError`` DEADLINE_EXCEEDED after ``timeout`` seconds."""
        last: pb.Job | None = None
        for event in self.watch(job, timeout=timeout):
            if on_event is not None:
                on_event(event)
            last = event.job
        if last is None or not is_terminal(last):
            last = self.get_job(job)
        return last

    # ---- inference

    def predict(self, model: str, inputs: InputLike | Iterable[InputLike], *, top_k: int = 0,
                timeout: Timeout = DEFAULT) -> Predictions:
        """Outputs of a trained model for each input (``top_k`` classes each; 0 = all)."""
        request = pb.PredictRequest(model=model, inputs=to_inputs(inputs), top_k=top_k)
        return Predictions.from_proto(self._call(self.inference_stub.Predict, request, model=model, timeout=timeout))

    def extract(self, model: str, inputs: InputLike | Iterable[InputLike], *, layer: str = "",
                pooling: int | str | None = None, normalize: bool = False,
                timeout: Timeout = DEFAULT) -> npt.NDArray[np.float32]:
        """Features of each input as an [n, dim] float32 array (``normalize``: unit L2 norm)."""
        return features_array(self.extract_response(model, inputs, layer=layer, pooling=pooling,
                                                    normalize=normalize, timeout=timeout))

    def extract_response(self, model: str, inputs: InputLike | Iterable[InputLike], *, layer: str = "",
                         pooling: int | str | None = None, normalize: bool = False,
                         timeout: Timeout = DEFAULT) -> pb.ExtractResponse:
        """Like :meth:`extract`, but the raw response (with the layer and the answering model)."""
        request = pb.ExtractRequest(model=model, inputs=to_inputs(inputs), layer=layer,
                                    pooling=_pooling(pooling), normalize=normalize)
        return self._call(self.inference_stub.Extract, request, model=model, timeout=timeout)

    # ---- models

    def get_model(self, name: str, *, timeout: Timeout = DEFAULT) -> pb.Model:
        """A model by ``name`` (latest version) or ``name@version``."""
        return self._call(self.models_stub.GetModel, pb.GetModelRequest(name=name), model=name.split("@")[0],
                          timeout=timeout)

    def import_model(
        self,
        source: DatasetSource,
        *,
        name: str,
        domain: str,
        format: str,
        properties: Mapping[str, str] | None = None,
        timeout: Timeout = DEFAULT,
    ) -> pb.Model:
        """Imports a base model (ImportModel), streamed in 1 MiB chunks.

        ``source`` is the main file (a path, its bytes or a binary file object) or a mapping from
        part name to file, ``""`` being the main file: ``{"": "model.onnx", "tokenizer.json":
        "tokenizer.json"}``. ``format`` is the domain's: ``onnx``, ``torchscript``,
        ``torch-state-dict``, ``tfjs-layers``; ``properties`` such as ``input_size``.
        """
        spec = pb.ModelSpec(name=name, domain=domain, format=format, properties=dict(properties or {}))
        parts: list[tuple[str, Any]] = (list(source.items()) if isinstance(source, Mapping) else [("", source)])

        def requests() -> Iterator[pb.ImportModelRequest]:
            yield pb.ImportModelRequest(spec=spec)
            for chunk in _chunks(parts):
                yield pb.ImportModelRequest(chunk=chunk)

        return self._call(self.models_stub.ImportModel, requests(), model=name, timeout=timeout,
                          default=self.upload_timeout)

    def list_models(self, filter: str = "", *, timeout: Timeout = DEFAULT) -> list[pb.Model]:
        """All models (every page); ``filter``: ``kind=BASE``, ``kind=TRAINED``, ``domain=nlp``, ``base_model=NAME``."""
        def page(token: str) -> tuple[Sequence[pb.Model], str]:
            r = self._call(self.models_stub.ListModels,
                           pb.ListModelsRequest(page_size=500, page_token=token, filter=filter), timeout=timeout)
            return r.models, r.next_page_token
        return self._pages(page)

    def delete_model(self, name: str, *, timeout: Timeout = DEFAULT) -> None:
        self._call(self.models_stub.DeleteModel, pb.DeleteModelRequest(name=name), model=name.split("@")[0],
                   timeout=timeout)


_task = task
_pooling = pooling


def _source(value: str | Iterable[ExampleLike] | None) -> pb.DataSource:
    if isinstance(value, str):
        return pb.DataSource(dataset=value)
    if value is None:
        return pb.DataSource()
    return pb.DataSource(examples=pb.InlineExamples(examples=[to_example(e) for e in value]))


def _chunks(parts: list[tuple[str, Any]]) -> Iterator[pb.DataChunk]:
    for part, source in parts:
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
            for start in range(0, max(len(data), 1), CHUNK_BYTES):
                yield pb.DataChunk(data=data[start:start + CHUNK_BYTES], part=part)
        elif isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as f:
                yield from _file_chunks(f, part)
        elif isinstance(source, io.IOBase) or hasattr(source, "read"):
            yield from _file_chunks(source, part)
        else:
            raise TypeError(f"cannot upload {type(source).__name__}: give a path, bytes or a binary file")


def _file_chunks(f: IO[bytes], part: str) -> Iterator[pb.DataChunk]:
    while block := f.read(CHUNK_BYTES):
        yield pb.DataChunk(data=block, part=part)


def _example_chunks(examples: Iterable[ExampleLike]) -> Iterator[pb.DataChunk]:
    buffer = bytearray()
    for example in examples:
        buffer += encode_delimited(to_example(example))
        if len(buffer) >= CHUNK_BYTES:
            yield pb.DataChunk(data=bytes(buffer))
            buffer.clear()
    if buffer:
        yield pb.DataChunk(data=bytes(buffer))

