"""What :class:`~graft_client.Client` and :class:`~graft_client.AsyncClient` share: each method's
request building, argument checks, routing header and result conversion, as a call plan
(:class:`Unary`, :class:`Paged`, :class:`Watch`) that each client only has to carry out, blocking
or with ``await``."""

from __future__ import annotations

import enum
import io
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final, Generic, TypeAlias, TypeVar, cast

from graft_client import pb
from graft_client._channel import MODEL_HEADER, RetryPolicy
from graft_client.errors import GraftError
from graft_client.inputs import ExampleLike, InputLike, encode_delimited, to_example, to_inputs
from graft_client.resources import Dataset, Job, JobEvent, JobState, Metric, Model, ServerInfo, TransferEstimates
from graft_client.results import Features, Predictions

__all__ = [
    "DEFAULT", "Timeout", "Unary", "Paged", "Watch", "Operations", "JobRef", "DatasetSource",
    "dataset_format", "task", "pooling", "retry_delay", "CHUNK_BYTES",
]

CHUNK_BYTES: Final = 1 << 20
PAGE_SIZE: Final = 500
_JOB_CACHE: Final = 4096
_R = TypeVar("_R")


class _Default(enum.Enum):
    DEFAULT = "default"


DEFAULT: Final = _Default.DEFAULT
"""Per-call ``timeout`` value meaning "the client's default deadline"."""

Timeout: TypeAlias = "float | None | _Default"
"""Seconds until the call's deadline; ``None`` = no deadline; ``DEFAULT`` = the client's."""

DatasetSource: TypeAlias = "str | os.PathLike[str] | bytes | IO[bytes] | Mapping[str, str | os.PathLike[str] | bytes]"
JobRef: TypeAlias = "str | Job | pb.Job"

_FORMATS: Final = {
    ".jsonl": pb.DATASET_FORMAT_JSONL,
    ".ndjson": pb.DATASET_FORMAT_JSONL,
    ".csv": pb.DATASET_FORMAT_CSV,
    ".zip": pb.DATASET_FORMAT_ZIP,
    ".idx": pb.DATASET_FORMAT_IDX,
    ".examples": pb.DATASET_FORMAT_EXAMPLES,
    ".pb": pb.DATASET_FORMAT_EXAMPLES,
}


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


_task = task
_pooling = pooling


@dataclass(frozen=True)
class Unary(Generic[_R]):
    """One call: ``stub.method(request)`` (``request`` is a message, or a callable making the
    request iterator of a client-streaming call), then ``convert`` on the response."""

    stub: str
    method: str
    request: Any
    convert: Callable[[Any], _R]
    model: str | None = None
    upload: bool = False  # the default deadline is the client's upload_timeout

    def requests(self) -> Any:
        return self.request() if callable(self.request) else self.request


@dataclass(frozen=True)
class Paged(Generic[_R]):
    """A List call followed over every page: ``request(token)``, the page's ``items`` and next
    token, each item converted, and kept when ``keep`` says so (client-side filtering)."""

    stub: str
    method: str
    request: Callable[[str], Any]
    items: Callable[[Any], Sequence[Any]]
    convert: Callable[[Any], _R]
    keep: Callable[[_R], bool] | None = None

    def page(self, response: Any) -> tuple[list[_R], str]:
        converted = [self.convert(item) for item in self.items(response)]
        if self.keep is not None:
            converted = [item for item in converted if self.keep(item)]
        return converted, response.next_page_token


class WatchHistory:
    """The history entries a watch has handed out, across reopened streams: each stream's events
    carry the history in pieces, starting over from the beginning, so after a reopen the entries
    already handed out are skipped."""

    def __init__(self) -> None:
        self.count = 0
        self._in_stream = 0

    def reopened(self) -> None:
        self._in_stream = 0

    def new(self, message: pb.JobEvent) -> tuple[Metric, ...]:
        """The metrics of ``message`` not handed out before."""
        start = self._in_stream
        self._in_stream += len(message.metrics)
        skip = max(0, self.count - start)
        fresh = tuple(Metric.from_proto(m) for m in message.metrics[skip:])
        self.count += len(fresh)
        return fresh


@dataclass(frozen=True)
class Watch:
    """WatchJob on ``job_id``; each event is converted (and its job remembered) by ``event``,
    with the history entries the watch has not handed out yet."""

    request: pb.WatchJobRequest
    model: str | None
    event: Callable[[pb.JobEvent, WatchHistory], JobEvent]


def retry_delay(error: GraftError, attempts: int, policy: RetryPolicy | None, resume: bool) -> float | None:
    """Seconds to wait before reopening a watch after its ``attempts``-th consecutive failure, or
    None when the error is final (not retryable, no policy, or attempts used up)."""
    if not (resume and policy and error.code in policy.retryable_status_codes and attempts < policy.max_attempts):
        return None
    return float(min(policy.max_backoff, policy.initial_backoff * policy.backoff_multiplier ** (attempts - 1)))


def model_header(model: str | None) -> tuple[tuple[str, str], ...]:
    return ((MODEL_HEADER, model),) if model else ()


def is_terminal_state(value: Job | pb.Job | JobState | int | str) -> bool:
    if isinstance(value, Job):
        return value.terminal
    if isinstance(value, pb.Job):
        value = value.state
    if isinstance(value, JobState):
        return value.terminal
    if isinstance(value, str):
        return JobState(value.upper().removeprefix("JOB_STATE_")).terminal
    return value in (pb.JOB_STATE_SUCCEEDED, pb.JOB_STATE_FAILED, pb.JOB_STATE_CANCELLED)


def split_filter(filter: str, key: str) -> str | None:
    """The value of ``key=value`` when ``filter`` is that, else None."""
    name, sep, value = filter.partition("=")
    return value.strip() if sep and name.strip() == key else None


def bare_model_filter(filter: str) -> tuple[str, Callable[[Any], bool] | None]:
    """``base_model=NAME`` without ``@VERSION`` matches every version of NAME. The server compares
    the whole ``name@version``, so such a filter is sent as none and applied here; anything else
    goes to the server unchanged (which checks it)."""
    value = split_filter(filter, "base_model")
    if value is None or not value or "@" in value:
        return filter, None
    name = value.lower()
    return "", lambda item: str(item.base_model).split("@", 1)[0].lower() == name


class Operations:
    """The call plans of every client method. Also remembers each job's output model (for the
    routing header of later calls about the job). Thread-safe."""

    def __init__(self) -> None:
        self._job_models: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    # ---- jobs' output models

    def remember(self, job: Job | pb.Job) -> None:
        if job.id and job.output_model:
            with self._lock:
                self._job_models[job.id] = job.output_model
                self._job_models.move_to_end(job.id)
                while len(self._job_models) > _JOB_CACHE:
                    self._job_models.popitem(last=False)

    def job_ref(self, job: JobRef) -> tuple[str, str | None]:
        if isinstance(job, (Job, pb.Job)):
            self.remember(job)
            return job.id, job.output_model or None
        if not isinstance(job, str) or not job:
            raise ValueError(f"a job is its id (a non-empty str) or a Job, not {job!r}")
        with self._lock:
            return job, self._job_models.get(job)

    def _job(self, message: pb.Job) -> Job:
        job = Job.from_proto(message)
        self.remember(job)
        return job

    def _event(self, message: pb.JobEvent, history: WatchHistory) -> JobEvent:
        event = JobEvent.from_proto(message, history.new(message))
        self.remember(event.job)
        return event

    # ---- server

    def server_info(self) -> Unary[ServerInfo]:
        return Unary("server", "GetServerInfo", pb.GetServerInfoRequest(), ServerInfo.from_proto)

    # ---- datasets

    def upload_dataset(self, source: DatasetSource, *, name: str, domain: str, format: int | str | None,
                       task: int | str | None, options: Mapping[str, str] | None) -> Unary[Dataset]:
        fmt = dataset_format(format)
        if not fmt and isinstance(source, (str, os.PathLike)):
            fmt = dataset_format(_FORMATS.get(Path(source).suffix.lower(), 0))
        if not fmt:
            raise ValueError("format is required (jsonl, csv, idx, examples or zip)")
        spec = pb.DatasetSpec(name=name, domain=domain, format=fmt, task=_task(task), options=dict(options or {}))
        parts: list[tuple[str, Any]] = list(source.items()) if isinstance(source, Mapping) else [("", source)]
        return self._upload(spec, lambda: _chunks(parts))

    def upload_examples(self, examples: Iterable[ExampleLike], *, name: str, domain: str,
                        task: int | str | None) -> Unary[Dataset]:
        spec = pb.DatasetSpec(name=name, domain=domain, format=pb.DATASET_FORMAT_EXAMPLES, task=_task(task))
        return self._upload(spec, lambda: _example_chunks(examples))

    def _upload(self, spec: pb.DatasetSpec, chunks: Callable[[], Iterator[pb.DataChunk]]) -> Unary[Dataset]:
        def requests() -> Iterator[pb.UploadDatasetRequest]:
            yield pb.UploadDatasetRequest(spec=spec)
            for chunk in chunks():
                yield pb.UploadDatasetRequest(chunk=chunk)

        return Unary("datasets", "UploadDataset", requests, Dataset.from_proto, upload=True)

    def get_dataset(self, id_or_name: str) -> Unary[Dataset]:
        return Unary("datasets", "GetDataset", pb.GetDatasetRequest(id=id_or_name), Dataset.from_proto)

    def list_datasets(self, filter: str) -> Paged[Dataset]:
        return Paged("datasets", "ListDatasets",
                     lambda token: pb.ListDatasetsRequest(page_size=PAGE_SIZE, page_token=token, filter=filter),
                     lambda r: r.datasets, Dataset.from_proto)

    def delete_dataset(self, id_or_name: str) -> Unary[None]:
        return Unary("datasets", "DeleteDataset", pb.DeleteDatasetRequest(id=id_or_name), _none)

    # ---- training

    def train(self, base: str, strategy: str, output: str, *, dataset: str | None,
              examples: Iterable[ExampleLike] | None, validation: str | Iterable[ExampleLike] | None,
              validation_split: float, epochs: int, batch_size: int, learning_rate: float, weight_decay: float,
              early_stopping_patience: int, seed: int, extra: Mapping[str, str] | None, task: int | str | None,
              device_pool: str, priority: int, labels: Mapping[str, str] | None) -> Unary[Job]:
        if (dataset is None) == (examples is None):
            raise ValueError("give exactly one of dataset= or examples=")
        request = pb.TrainRequest(
            base_model=base, strategy=strategy, output_model=output, task=_task(task),
            train=_source(dataset if dataset is not None else examples), validation_split=validation_split,
            hyperparameters=pb.Hyperparameters(
                epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, weight_decay=weight_decay,
                early_stopping_patience=early_stopping_patience, seed=seed, extra=dict(extra or {})),
            device_pool=device_pool, priority=priority, labels=dict(labels or {}))
        if validation is not None:
            request.validation.CopyFrom(_source(validation))
        return self.submit(request)

    def estimate_transfer(self, *, dataset: str | None, examples: Iterable[ExampleLike] | None,
                          base_models: Sequence[str], task: int | str | None, max_examples: int) -> Unary[TransferEstimates]:
        if (dataset is None) == (examples is None):
            raise ValueError("give exactly one of dataset= or examples=")
        request = pb.EstimateTransferRequest(data=_source(dataset if dataset is not None else examples),
                                             task=_task(task), base_models=list(base_models),
                                             max_examples=max_examples)
        return Unary("training", "EstimateTransfer", request, TransferEstimates.from_proto)

    def submit(self, request: pb.TrainRequest) -> Unary[Job]:
        return Unary("training", "Train", request, self._job, model=request.output_model)

    def get_job(self, job: JobRef) -> Unary[Job]:
        job_id, model = self.job_ref(job)
        return Unary("training", "GetJob", pb.GetJobRequest(id=job_id), self._job, model=model)

    def list_jobs(self, filter: str) -> Paged[Job]:
        sent, keep = bare_model_filter(filter)
        return Paged("training", "ListJobs",
                     lambda token: pb.ListJobsRequest(page_size=PAGE_SIZE, page_token=token, filter=sent),
                     lambda r: r.jobs, self._job, keep)

    def cancel(self, job: JobRef) -> Unary[Job]:
        job_id, model = self.job_ref(job)
        return Unary("training", "CancelJob", pb.CancelJobRequest(id=job_id), self._job, model=model)

    def watch(self, job: JobRef) -> Watch:
        job_id, model = self.job_ref(job)
        return Watch(pb.WatchJobRequest(id=job_id), model, self._event)

    # ---- inference

    def predict(self, model: str, inputs: InputLike | Iterable[InputLike], *, top_k: int) -> Unary[Predictions]:
        request = pb.PredictRequest(model=model, inputs=to_inputs(inputs), top_k=top_k)
        return Unary("inference", "Predict", request, Predictions.from_proto, model=model)

    def extract(self, model: str, inputs: InputLike | Iterable[InputLike], *, layer: str,
                pooling: int | str | None, normalize: bool) -> Unary[Features]:
        request = pb.ExtractRequest(model=model, inputs=to_inputs(inputs), layer=layer,
                                    pooling=_pooling(pooling), normalize=normalize)
        return Unary("inference", "Extract", request, Features.from_proto, model=model)

    # ---- models

    def get_model(self, name: str) -> Unary[Model]:
        return Unary("models", "GetModel", pb.GetModelRequest(name=name), Model.from_proto, model=model_name(name))

    def import_model(self, source: DatasetSource, *, name: str, domain: str, format: str,
                     properties: Mapping[str, str] | None) -> Unary[Model]:
        spec = pb.ModelSpec(name=name, domain=domain, format=format, properties=dict(properties or {}))
        parts: list[tuple[str, Any]] = list(source.items()) if isinstance(source, Mapping) else [("", source)]

        def requests() -> Iterator[pb.ImportModelRequest]:
            yield pb.ImportModelRequest(spec=spec)
            for chunk in _chunks(parts):
                yield pb.ImportModelRequest(chunk=chunk)

        return Unary("models", "ImportModel", requests, Model.from_proto, model=name, upload=True)

    def list_models(self, filter: str) -> Paged[Model]:
        sent, keep = bare_model_filter(filter)
        return Paged("models", "ListModels",
                     lambda token: pb.ListModelsRequest(page_size=PAGE_SIZE, page_token=token, filter=sent),
                     lambda r: r.models, Model.from_proto, keep)

    def delete_model(self, name: str) -> Unary[None]:
        return Unary("models", "DeleteModel", pb.DeleteModelRequest(name=name), _none, model=model_name(name))

    def set_model_alias(self, name: str, alias: str, version: int) -> Unary[Model]:
        request = pb.SetModelAliasRequest(name=name, alias=alias, version=version)
        return Unary("models", "SetModelAlias", request, Model.from_proto, model=name)

    def delete_model_alias(self, name: str, alias: str) -> Unary[None]:
        return Unary("models", "DeleteModelAlias", pb.DeleteModelAliasRequest(name=name, alias=alias), _none,
                     model=name)


def model_name(ref: str) -> str:
    """The model name of a reference: ``reviews`` for ``reviews``, ``reviews@3`` and ``reviews:prod``."""
    return ref.split("@", 1)[0].split(":", 1)[0]


def _none(_: Any) -> None:
    return None


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

