"""Rendering of resources as rich tables or JSON."""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from google.protobuf import json_format
from google.protobuf.message import Message
from rich.console import Console
from rich.table import Table

from graft_client import pb
from graft_client.client import state_name
from graft_client.results import Predictions

__all__ = ["Output", "to_json", "latest_metric", "format_duration", "human_bytes"]


_NO_WRAP = frozenset({"ID", "NAME", "STATE", "VERSION", "KIND", "CREATED", "SIZE", "EXAMPLES", "PLUGIN"})


def _stdout_console() -> Console:
    """Stdout; when it is not a terminal (a pipe, a file), wide enough that rows do not wrap."""
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, width=240)
    return console


def to_json(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True)


def latest_metric(metrics: Iterable[Any], name: str, split: str | None = None) -> Any | None:
    """The metric of that name (and split) from the latest epoch, or None."""
    best = None
    for m in metrics:
        if m.name == name and (split is None or m.split == split) and (best is None or m.epoch >= best.epoch):
            best = m
    return best


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _time(ts: Any) -> str:
    if not ts.seconds and not ts.nanos:
        return ""
    return ts.ToDatetime(tzinfo=datetime.timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _enum(enum_type: Any, value: int, prefix: str) -> str:
    try:
        return str(enum_type.Name(value)).removeprefix(prefix)
    except ValueError:
        return str(value)


def _metrics_text(metrics: Sequence[Any]) -> str:
    shown = []
    for name in ("accuracy", "macro_f1", "mae", "rmse", "mase", "loss"):
        m = latest_metric(metrics, name, "validation") or latest_metric(metrics, name)
        if m is not None:
            shown.append(f"{name}={m.value:.4g}" + (f" ({m.split})" if m.split else ""))
    return ", ".join(shown[:2])


class Output:
    """Writes results to stdout as tables (``table``) or JSON (``json``)."""

    def __init__(self, fmt: str, console: Console | None = None) -> None:
        self.json = fmt == "json"
        self.console = console or _stdout_console()

    def emit_json(self, value: Any, indent: int | None = 2) -> None:
        self.console.out(json.dumps(value, indent=indent), highlight=False)

    def emit_json_line(self, value: Any) -> None:
        self.console.out(json.dumps(value, separators=(",", ":")), highlight=False)

    def _table(self, *columns: str) -> Table:
        table = Table(box=None, header_style="bold", pad_edge=False)
        for c in columns:
            table.add_column(c, overflow="fold", no_wrap=c in _NO_WRAP)
        return table

    def message(self, message: Message) -> None:
        self.emit_json(to_json(message))

    # ---- lists

    def datasets(self, datasets: Sequence[pb.Dataset]) -> None:
        if self.json:
            return self.emit_json([to_json(d) for d in datasets])
        t = self._table("ID", "NAME", "DOMAIN", "FORMAT", "EXAMPLES", "LABELS", "SIZE", "CREATED")
        for d in datasets:
            t.add_row(d.id, d.name, d.domain, _enum(pb.DatasetFormat, d.format, "DATASET_FORMAT_"),
                      str(d.examples), ", ".join(d.labels), human_bytes(d.size_bytes), _time(d.create_time))
        self.console.print(t)

    def jobs(self, jobs: Sequence[pb.Job]) -> None:
        if self.json:
            return self.emit_json([to_json(j) for j in jobs])
        t = self._table("ID", "STATE", "BASE", "STRATEGY", "OUTPUT", "PROGRESS", "METRICS", "CREATED")
        for j in jobs:
            t.add_row(j.id, state_name(j.state), j.base_model, j.strategy, j.output_model,
                      f"{j.progress.fraction * 100:.0f}%", _metrics_text(j.metrics), _time(j.create_time))
        self.console.print(t)

    def models(self, models: Sequence[pb.Model]) -> None:
        if self.json:
            return self.emit_json([to_json(m) for m in models])
        t = self._table("NAME", "VERSION", "KIND", "DOMAIN", "TASK", "BASE", "METRICS", "CREATED")
        for m in models:
            t.add_row(m.name, str(m.version), _enum(pb.ModelKind, m.kind, "MODEL_KIND_"), m.domain,
                      _enum(pb.Task, m.task, "TASK_") if m.task else "", m.base_model,
                      _metrics_text(m.metrics), _time(m.create_time))
        self.console.print(t)

    # ---- single resources

    def _fields(self, rows: Iterable[tuple[str, str]]) -> None:
        t = Table(box=None, show_header=False, pad_edge=False)
        t.add_column(style="bold")
        t.add_column(overflow="fold")
        for key, value in rows:
            if value not in ("", "0", None):
                t.add_row(key, value)
        self.console.print(t)

    def dataset(self, d: pb.Dataset) -> None:
        if self.json:
            return self.message(d)
        self._fields([
            ("id", d.id), ("name", d.name), ("domain", d.domain),
            ("format", _enum(pb.DatasetFormat, d.format, "DATASET_FORMAT_")),
            ("task", _enum(pb.Task, d.task, "TASK_") if d.task else ""),
            ("examples", str(d.examples)),
            ("labels", ", ".join(f"{k} ({v})" for k, v in sorted(d.label_counts.items())) or ", ".join(d.labels)),
            ("sha256", d.sha256), ("size", human_bytes(d.size_bytes)), ("created", _time(d.create_time)),
        ])

    def job(self, j: pb.Job) -> None:
        if self.json:
            return self.message(j)
        p = j.progress
        self._fields([
            ("id", j.id), ("state", state_name(j.state)), ("base", j.base_model), ("strategy", j.strategy),
            ("output", j.output_model), ("result", j.result_model), ("device", j.device),
            ("progress", f"epoch {p.epoch}/{p.total_epochs}, step {p.step}/{p.total_steps} "
                         f"({p.fraction * 100:.0f}%)" if p.total_steps or p.step else ""),
            ("metrics", _all_metrics(j.metrics)),
            ("error", j.error.message if j.error.code else ""),
            ("created", _time(j.create_time)), ("started", _time(j.start_time)), ("ended", _time(j.end_time)),
        ])

    def model(self, m: pb.Model) -> None:
        if self.json:
            return self.message(m)
        self._fields([
            ("name", f"{m.name}@{m.version}"), ("kind", _enum(pb.ModelKind, m.kind, "MODEL_KIND_")),
            ("domain", m.domain), ("engine", m.engine), ("format", m.format),
            ("task", _enum(pb.Task, m.task, "TASK_") if m.task else ""),
            ("base", m.base_model), ("strategy", m.strategy), ("dataset", m.dataset), ("job", m.job_id),
            ("labels", ", ".join(m.labels)), ("dimension", str(m.dimension)),
            ("metrics", _all_metrics(m.metrics)),
            ("hyperparameters", ", ".join(f"{k}={v}" for k, v in sorted(m.hyperparameters.items()))),
            ("properties", ", ".join(f"{k}={v}" for k, v in sorted(m.properties.items()))),
            ("size", human_bytes(m.size_bytes) if m.size_bytes else ""), ("created", _time(m.create_time)),
        ])

    def server_info(self, info: pb.ServerInfo) -> None:
        if self.json:
            return self.message(info)
        self._fields([("version", info.version), ("replica", info.replica)])
        t = self._table("PLUGIN", "KIND", "STATE", "VERSION", "SOURCE", "ERROR")
        for p in info.plugins:
            t.add_row(p.id, p.kind, p.state, p.version, p.source, p.error)
        self.console.print(t)
        t = self._table("POOL", "DEVICE", "RUNNING", "QUEUED", "MEMORY")
        for pool in info.pools:
            for d in pool.devices:
                memory = f"{human_bytes(d.memory_used)} / {human_bytes(d.memory_total)}" if d.memory_total else ""
                t.add_row(pool.name, d.id, str(d.running_jobs), str(d.queued_jobs), memory)
        self.console.print(t)

    # ---- inference

    def predictions(self, texts: Sequence[str], result: Predictions) -> None:
        if self.json:
            return self.emit_json({"model": result.model, "predictions": [
                {"input": text, "classes": [{"label": c.label, "score": c.score} for c in p.classes],
                 "values": p.values.tolist()} for text, p in zip(texts, result)]})
        t = self._table("INPUT", "LABEL", "SCORE", "OTHERS")
        for text, p in zip(texts, result):
            if p.classes:
                others = ", ".join(f"{c.label} {c.score:.3f}" for c in p.classes[1:])
                t.add_row(text, p.classes[0].label, f"{p.classes[0].score:.3f}", others)
            else:
                t.add_row(text, "", "", " ".join(f"{v:.4g}" for v in p.values))
        self.console.print(t)
        self.console.print(f"[dim]model {result.model}[/dim]")

    def features(self, model: str, layer: str, texts: Sequence[str], features: npt.NDArray[np.float32]) -> None:
        if self.json:
            return self.emit_json({"model": model, "layer": layer, "dimension": int(features.shape[1]),
                                   "features": features.tolist()}, indent=None)
        t = self._table("INPUT", "DIM", "NORM", "VALUES")
        for text, row in zip(texts, features):
            head = " ".join(f"{v:+.4f}" for v in row[:4]) + (" …" if len(row) > 4 else "")
            t.add_row(text, str(len(row)), f"{float(np.linalg.norm(row)):.4f}", head)
        self.console.print(t)
        self.console.print(f"[dim]model {model}" + (f", layer {layer}" if layer else "") + "[/dim]")


def _all_metrics(metrics: Sequence[Any]) -> str:
    latest: dict[tuple[str, str], Any] = {}
    for m in metrics:
        key = (m.name, m.split)
        if key not in latest or m.epoch >= latest[key].epoch:
            latest[key] = m
    return ", ".join(f"{name}={m.value:.4g}" + (f" ({split})" if split else "")
                     for (name, split), m in sorted(latest.items()))
