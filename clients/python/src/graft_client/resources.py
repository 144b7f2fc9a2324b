"""Graft's resources as frozen dataclasses: string enums, ``datetime``/``timedelta``, plain ints.

Every client method returns these (``Job``, ``Model``, ``Dataset``, ``ServerInfo``, ``JobEvent``);
each keeps the message it came from as ``.proto`` (not compared, not printed) for whatever the
dataclass does not carry, and ``.to_dict()`` gives a JSON-safe dict (enums as their names,
times as ISO 8601 text, durations as seconds).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from google.rpc import error_details_pb2

from graft_client import pb

__all__ = [
    "JobState",
    "ModelKind",
    "Task",
    "DatasetFormat",
    "ConfusionMatrix",
    "TransferEstimate",
    "TransferEstimates",
    "Metric",
    "Progress",
    "JobError",
    "Job",
    "JobEvent",
    "InputSpec",
    "Model",
    "Dataset",
    "PluginInfo",
    "DeviceInfo",
    "DevicePool",
    "LoadedModel",
    "ServerInfo",
    "to_jsonable",
]


class JobState(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def terminal(self) -> bool:
        """SUCCEEDED, FAILED or CANCELLED: the job will not change again."""
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class ModelKind(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    BASE = "BASE"
    TRAINED = "TRAINED"


class Task(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    CLASSIFICATION = "CLASSIFICATION"
    REGRESSION = "REGRESSION"
    FORECASTING = "FORECASTING"


class DatasetFormat(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    JSONL = "JSONL"
    CSV = "CSV"
    IDX = "IDX"
    EXAMPLES = "EXAMPLES"
    ZIP = "ZIP"


_E = TypeVar("_E", bound=enum.StrEnum)


def _enum(cls: type[_E], pb_enum: Any, prefix: str, value: int) -> _E:
    """A protobuf enum number as the string enum; a number this client does not know (a newer
    server) is UNSPECIFIED here and stays readable on ``.proto``."""
    try:
        return cls(str(pb_enum.Name(value)).removeprefix(prefix))
    except ValueError:
        return cls("UNSPECIFIED")


def _time(ts: Any) -> datetime.datetime | None:
    if not ts.seconds and not ts.nanos:
        return None
    return ts.ToDatetime(tzinfo=datetime.timezone.utc)


def to_jsonable(value: Any) -> Any:
    """A dataclass, enum, time, duration, mapping, sequence or NumPy array as JSON-safe values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.metadata.get("json", True)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


def _raw() -> Any:
    """The ``proto`` field: the message the object was made from; not compared, printed or in to_dict()."""
    return field(default=None, repr=False, compare=False, metadata={"json": False})


class _Resource:
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: enums as names, times as ISO 8601, durations as seconds, ints as ints."""
        out: dict[str, Any] = to_jsonable(self)
        return out


@dataclass(frozen=True)
class Metric(_Resource):
    """A measurement. ``epoch`` 0 marks a final metric: the kept (saved) model's, reported when a
    job succeeds; other epochs (1-based within their ``phase``) are the training history."""

    name: str
    value: float
    split: str
    epoch: int
    phase: str = ""

    @property
    def final(self) -> bool:
        return self.epoch == 0

    @classmethod
    def from_proto(cls, m: pb.Metric) -> Metric:
        return cls(m.name, float(m.value), m.split, int(m.epoch), m.phase)


@dataclass(frozen=True)
class Progress(_Resource):
    epoch: int
    total_epochs: int
    step: int
    total_steps: int
    fraction: float
    eta: datetime.timedelta | None
    phase: str = ""
    """The running phase ("linear 384->2 head"), "" for a single-phase job; epochs count within it."""
    phase_index: int = 0
    phase_count: int = 0

    @classmethod
    def from_proto(cls, p: pb.Progress) -> Progress:
        eta = p.eta.ToTimedelta() if p.HasField("eta") else None
        return cls(int(p.epoch), int(p.total_epochs), int(p.step), int(p.total_steps), float(p.fraction), eta,
                   p.phase, int(p.phase_index), int(p.phase_count))


@dataclass(frozen=True)
class JobError(_Resource):
    """Why a job failed: the gRPC code name (``INTERNAL``), the message and the ErrorInfo reason."""

    code: str
    message: str
    reason: str

    @classmethod
    def from_proto(cls, status: Any) -> JobError | None:
        if not status.code and not status.message:
            return None
        reason = ""
        for detail in status.details:
            info = error_details_pb2.ErrorInfo()
            if detail.Is(info.DESCRIPTOR) and detail.Unpack(info):
                reason = info.reason
        return cls(_code_name(status.code), status.message, reason)


def _code_name(number: int) -> str:
    import grpc

    for code in grpc.StatusCode:
        if code.value[0] == number:
            return str(code.name)
    return str(number)


def final_metrics(metrics: tuple[Metric, ...], history: tuple[Metric, ...] = ()) -> tuple[Metric, ...]:
    """The kept model's metrics (epoch 0) when the job reported them, else the latest epoch's of
    ``history`` (those of its last phase)."""
    finals = tuple(m for m in metrics if m.final)
    if finals or not history:
        return finals
    last = history[-1]
    return tuple(m for m in history if m.phase == last.phase and m.epoch == last.epoch)


@dataclass(frozen=True)
class Job(_Resource):
    id: str
    state: JobState
    base_model: str
    strategy: str
    output_model: str
    progress: Progress
    metrics: tuple[Metric, ...]
    """The final metrics (epoch 0): the kept model's, once the job succeeded."""
    error: JobError | None
    device: str
    create_time: datetime.datetime | None
    start_time: datetime.datetime | None
    end_time: datetime.datetime | None
    result_model: str
    device_pool: str
    labels: dict[str, str]
    created_by: str
    history: tuple[Metric, ...] = ()
    """Per-epoch metrics (epoch ≥ 1 within each phase), in the order measured. Set by
    ``get_job``, ``cancel``, ``wait`` and ``list_jobs(view="full")``; a watch's events carry it
    in pieces (``JobEvent.metrics``)."""
    proto: pb.Job = _raw()

    @property
    def terminal(self) -> bool:
        return self.state.terminal

    @property
    def final_metrics(self) -> tuple[Metric, ...]:
        """The saved model's metrics (epoch 0) once the job succeeded; before that, the latest
        epoch's of :attr:`history`. Not the last epoch trained: that may be a candidate that was
        not kept."""
        return final_metrics(self.metrics, self.history)

    def metric(self, name: str, split: str | None = None) -> float | None:
        """A value of :attr:`final_metrics` by name (and split), or None."""
        for m in self.final_metrics:
            if m.name == name and (split is None or m.split == split):
                return m.value
        return None

    @classmethod
    def from_proto(cls, j: pb.Job) -> Job:
        return cls(
            id=j.id, state=_enum(JobState, pb.JobState, "JOB_STATE_", j.state), base_model=j.base_model,
            strategy=j.strategy, output_model=j.output_model, progress=Progress.from_proto(j.progress),
            metrics=tuple(Metric.from_proto(m) for m in j.metrics),
            error=JobError.from_proto(j.error) if j.HasField("error") else None, device=j.device,
            create_time=_time(j.create_time), start_time=_time(j.start_time), end_time=_time(j.end_time),
            result_model=j.result_model, device_pool=j.device_pool, labels=dict(j.labels),
            created_by=j.created_by, history=tuple(Metric.from_proto(m) for m in j.history), proto=j)


@dataclass(frozen=True)
class JobEvent(_Resource):
    """The job as it is now (without its history), a line about what changed (``"phase 2/2: mlp
    ... head"``) and ``metrics``: the per-epoch metrics measured since the previous event (the
    first event of a watch: the whole history so far)."""

    job: Job
    message: str
    metrics: tuple[Metric, ...] = ()
    proto: pb.JobEvent = _raw()

    @classmethod
    def from_proto(cls, e: pb.JobEvent, metrics: tuple[Metric, ...] | None = None) -> JobEvent:
        new = tuple(Metric.from_proto(m) for m in e.metrics) if metrics is None else metrics
        return cls(Job.from_proto(e.job), e.message, new, e)


@dataclass(frozen=True)
class InputSpec(_Resource):
    shape: tuple[int, ...]
    max_tokens: int
    context_length: int
    horizon: int
    mean: tuple[float, ...]
    std: tuple[float, ...]

    @classmethod
    def from_proto(cls, s: Any) -> InputSpec:
        return cls(tuple(int(d) for d in s.shape), int(s.max_tokens), int(s.context_length), int(s.horizon),
                   tuple(float(v) for v in s.mean), tuple(float(v) for v in s.std))


@dataclass(frozen=True)
class TransferEstimate(_Resource):
    """How well one base model's frozen features fit a data set: ``logme`` (higher is better;
    comparable across bases for one data set), the held-out score of a linear probe (accuracy, or
    R² for regression; None when not computed), the feature dimension, seconds spent, and whether
    the features came from the feature cache."""

    base_model: str
    logme: float
    probe_score: float | None
    dimension: int
    seconds: float
    cached: bool

    @classmethod
    def from_proto(cls, e: Any) -> TransferEstimate:
        probe = float(e.probe_score) if e.HasField("probe_score") else None
        return cls(e.base_model, float(e.logme), probe, int(e.dimension), float(e.seconds), bool(e.cached))


@dataclass(frozen=True)
class TransferEstimates(_Resource):
    """EstimateTransfer's answer: one row per base model, best first."""

    estimates: tuple[TransferEstimate, ...]
    task: Task
    examples: int
    proto: Any = _raw()

    @property
    def best(self) -> TransferEstimate | None:
        return self.estimates[0] if self.estimates else None

    @classmethod
    def from_proto(cls, r: Any) -> TransferEstimates:
        return cls(tuple(TransferEstimate.from_proto(e) for e in r.estimates),
                   _enum(Task, pb.Task, "TASK_", r.task), int(r.examples), r)


@dataclass(frozen=True)
class ConfusionMatrix(_Resource):
    """A classifier's confusion matrix: ``counts[i][j]`` examples of true label ``labels[i]``
    predicted as ``labels[j]``, on ``split``."""

    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    split: str

    @classmethod
    def from_proto(cls, c: Any) -> ConfusionMatrix | None:
        n = len(c.labels)
        if n == 0 or len(c.counts) != n * n:
            return None
        rows = tuple(tuple(int(v) for v in c.counts[i * n:(i + 1) * n]) for i in range(n))
        return cls(tuple(c.labels), rows, c.split)


@dataclass(frozen=True)
class Model(_Resource):
    name: str
    version: int
    kind: ModelKind
    domain: str
    engine: str
    format: str
    base_model: str
    strategy: str
    dataset: str
    task: Task
    labels: tuple[str, ...]
    metrics: tuple[Metric, ...]
    input: InputSpec
    size_bytes: int
    create_time: datetime.datetime | None
    properties: dict[str, str]
    dataset_sha256: str
    hyperparameters: dict[str, str]
    job_id: str
    dimension: int
    created_by: str
    aliases: tuple[str, ...] = ()
    """The aliases naming this version: ``prod`` means ``NAME:prod`` names it."""
    confusion_matrix: ConfusionMatrix | None = None
    proto: pb.Model = _raw()

    @property
    def ref(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"

    @classmethod
    def from_proto(cls, m: pb.Model) -> Model:
        return cls(
            name=m.name, version=int(m.version), kind=_enum(ModelKind, pb.ModelKind, "MODEL_KIND_", m.kind),
            domain=m.domain, engine=m.engine, format=m.format, base_model=m.base_model, strategy=m.strategy,
            dataset=m.dataset, task=_enum(Task, pb.Task, "TASK_", m.task), labels=tuple(m.labels),
            metrics=tuple(Metric.from_proto(x) for x in m.metrics), input=InputSpec.from_proto(m.input),
            size_bytes=int(m.size_bytes), create_time=_time(m.create_time), properties=dict(m.properties),
            dataset_sha256=m.dataset_sha256, hyperparameters=dict(m.hyperparameters), job_id=m.job_id,
            dimension=int(m.dimension), created_by=m.created_by, aliases=tuple(m.aliases),
            confusion_matrix=ConfusionMatrix.from_proto(m.confusion_matrix) if m.HasField("confusion_matrix") else None,
            proto=m)


@dataclass(frozen=True)
class Dataset(_Resource):
    id: str
    name: str
    domain: str
    examples: int
    labels: tuple[str, ...]
    label_counts: dict[str, int]
    sha256: str
    size_bytes: int
    format: DatasetFormat
    task: Task
    create_time: datetime.datetime | None
    created_by: str
    proto: pb.Dataset = _raw()

    @classmethod
    def from_proto(cls, d: pb.Dataset) -> Dataset:
        return cls(
            id=d.id, name=d.name, domain=d.domain, examples=int(d.examples), labels=tuple(d.labels),
            label_counts={k: int(v) for k, v in d.label_counts.items()}, sha256=d.sha256,
            size_bytes=int(d.size_bytes), format=_enum(DatasetFormat, pb.DatasetFormat, "DATASET_FORMAT_", d.format),
            task=_enum(Task, pb.Task, "TASK_", d.task), create_time=_time(d.create_time),
            created_by=d.created_by, proto=d)


@dataclass(frozen=True)
class PluginInfo(_Resource):
    id: str
    kind: str
    state: str
    version: str
    source: str
    error: str


@dataclass(frozen=True)
class DeviceInfo(_Resource):
    id: str
    running_jobs: int
    queued_jobs: int
    memory_used: int
    memory_total: int
    training_slots: int
    inference_slots: int
    running_inferences: int


@dataclass(frozen=True)
class DevicePool(_Resource):
    name: str
    devices: tuple[DeviceInfo, ...]
    queued_jobs: int
    queue_capacity: int


@dataclass(frozen=True)
class LoadedModel(_Resource):
    model: str
    device: str
    estimated_bytes: int
    in_use: bool
    last_used: datetime.datetime | None


@dataclass(frozen=True)
class ServerInfo(_Resource):
    version: str
    replica: str
    plugins: tuple[PluginInfo, ...]
    pools: tuple[DevicePool, ...]
    loaded_models: tuple[LoadedModel, ...]
    model_memory_budget_bytes: int
    proto: pb.ServerInfo = _raw()

    @classmethod
    def from_proto(cls, s: pb.ServerInfo) -> ServerInfo:
        return cls(
            version=s.version, replica=s.replica,
            plugins=tuple(PluginInfo(p.id, p.kind, p.state, p.version, p.source, p.error) for p in s.plugins),
            pools=tuple(DevicePool(
                p.name, tuple(DeviceInfo(d.id, int(d.running_jobs), int(d.queued_jobs), int(d.memory_used),
                                         int(d.memory_total), int(d.training_slots), int(d.inference_slots),
                                         int(d.running_inferences)) for d in p.devices),
                int(p.queued_jobs), int(p.queue_capacity)) for p in s.pools),
            loaded_models=tuple(LoadedModel(m.model, m.device, int(m.estimated_bytes), bool(m.in_use),
                                            _time(m.last_used)) for m in s.loaded_models),
            model_memory_budget_bytes=int(s.model_memory_budget_bytes), proto=s)
