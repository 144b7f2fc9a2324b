"""Rendering of resources as rich tables or JSON."""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table

from graft_client.cli._jq import JsonFilter
from graft_client.resources import Dataset, Job, Metric, Model, ServerInfo, TransferEstimates, final_metrics
from graft_client.results import Predictions

__all__ = ["Output", "job_json", "final_metrics_text", "history_text", "latest_metric", "format_duration",
           "human_bytes"]


_NO_WRAP = frozenset({"ID", "NAME", "STATE", "VERSION", "KIND", "CREATED", "SIZE", "EXAMPLES", "PLUGIN"})


def _stdout_console() -> Console:
    """Stdout; when it is not a terminal (a pipe, a file), wide enough that rows do not wrap."""
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, width=240)
    return console


def latest_metric(metrics: Iterable[Metric], name: str, split: str | None = None) -> Metric | None:
    """The metric of that name (and split) measured last in a history (epoch ≥ 1), or None.
    For progress; what a finished job kept is :func:`final_metrics`."""
    best = None
    for m in metrics:
        if m.epoch >= 1 and m.name == name and (split is None or m.split == split):
            best = m
    return best


_ORDER = ("accuracy", "macro_f1", "mae", "rmse", "mase", "loss")


def _metric_key(m: Metric) -> tuple[int, str, str]:
    return (_ORDER.index(m.name) if m.name in _ORDER else len(_ORDER), m.name, m.split)


def final_metrics_text(metrics: Sequence[Metric], limit: int | None = None, history: Sequence[Metric] = ()) -> str:
    """The kept model's metrics (epoch 0), or while a job runs the latest epoch's of ``history``,
    as ``accuracy=0.875 (validation), loss=0.4725 (validation)``; validation first."""
    shown = sorted(final_metrics(tuple(metrics), tuple(history)),
                   key=lambda m: (m.split != "validation", *_metric_key(m)))
    if limit is not None:
        shown = shown[:limit]
    return ", ".join(f"{m.name}={m.value:.4g}" + (f" ({m.split})" if m.split else "") for m in shown)


def history_text(metrics: Sequence[Metric]) -> str:
    """The per-epoch history of the loss: ``10 epochs; validation loss first 0.6931, best 0.4725
    (epoch 7), last 0.5344 (epoch 10)``, with the phases named when there are several (``60 epochs
    in 2 phases; ... best 0.4725 (epoch 12 of linear 384->2 head) ...``); "" when there is none."""
    epochs = list(dict.fromkeys((m.phase, m.epoch) for m in metrics if m.epoch >= 1))
    if not epochs:
        return ""
    phases = list(dict.fromkeys(phase for phase, _ in epochs))
    text = f"{len(epochs)} epoch" + ("s" if len(epochs) > 1 else "")
    if len(phases) > 1:
        text += f" in {len(phases)} phases"

    def at(m: Metric) -> str:
        return f"epoch {m.epoch}" + (f" of {m.phase}" if len(phases) > 1 and m.phase else "")

    for split in ("validation", "train"):
        losses = [m for m in metrics if m.epoch >= 1 and m.name == "loss" and m.split == split]
        if losses:
            best = min(losses, key=lambda m: m.value)
            text += (f"; {split} loss first {losses[0].value:.4f}, best {best.value:.4f} ({at(best)}), "
                     f"last {losses[-1].value:.4f} ({at(losses[-1])})")
            break
    return text


def job_json(job: Job) -> dict[str, Any]:
    """A job as JSON: its fields, plus ``final_metrics`` (the kept model's, epoch 0)."""
    out = job.to_dict()
    out["final_metrics"] = [m.to_dict() for m in job.final_metrics]
    return out


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


def _time(value: datetime.datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


class Output:
    """Writes results to stdout as tables (``table``) or JSON (``json``), JSON through a jq
    expression when one is given (``--jq``)."""

    def __init__(self, fmt: str, console: Console | None = None, jq: JsonFilter | None = None) -> None:
        self.json = fmt == "json" or jq is not None
        self.jq = jq
        self.console = console or _stdout_console()

    def emit_json(self, value: Any, indent: int | None = 2) -> None:
        if self.jq is not None:
            for line in self.jq.apply(value):
                self.console.out(line, highlight=False)
            return
        self.console.out(json.dumps(value, indent=indent), highlight=False)

    def emit_json_line(self, value: Any) -> None:
        self.emit_json(value, indent=None)

    def _table(self, *columns: str) -> Table:
        table = Table(box=None, header_style="bold", pad_edge=False)
        for c in columns:
            table.add_column(c, overflow="fold", no_wrap=c in _NO_WRAP)
        return table

    # ---- lists

    def datasets(self, datasets: Sequence[Dataset]) -> None:
        if self.json:
            return self.emit_json([d.to_dict() for d in datasets])
        t = self._table("ID", "NAME", "DOMAIN", "FORMAT", "EXAMPLES", "LABELS", "SIZE", "CREATED")
        for d in datasets:
            t.add_row(d.id, d.name, d.domain, d.format.value, str(d.examples), ", ".join(d.labels),
                      human_bytes(d.size_bytes), _time(d.create_time))
        self.console.print(t)

    def jobs(self, jobs: Sequence[Job]) -> None:
        if self.json:
            return self.emit_json([job_json(j) for j in jobs])
        t = self._table("ID", "STATE", "BASE", "STRATEGY", "OUTPUT", "PROGRESS", "METRICS", "CREATED")
        for j in jobs:
            t.add_row(j.id, j.state.value, j.base_model, j.strategy, j.output_model,
                      f"{j.progress.fraction * 100:.0f}%", final_metrics_text(j.metrics, limit=2),
                      _time(j.create_time))
        self.console.print(t)

    def models(self, models: Sequence[Model]) -> None:
        if self.json:
            return self.emit_json([m.to_dict() for m in models])
        t = self._table("NAME", "VERSION", "KIND", "DOMAIN", "TASK", "BASE", "METRICS", "CREATED")
        for m in models:
            t.add_row(m.name, str(m.version), m.kind.value, m.domain, _task(m.task), m.base_model,
                      final_metrics_text(m.metrics, limit=2), _time(m.create_time))
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

    def dataset(self, d: Dataset) -> None:
        if self.json:
            return self.emit_json(d.to_dict())
        self._fields([
            ("id", d.id), ("name", d.name), ("domain", d.domain), ("format", d.format.value),
            ("task", _task(d.task)), ("examples", str(d.examples)),
            ("labels", ", ".join(f"{k} ({v})" for k, v in sorted(d.label_counts.items())) or ", ".join(d.labels)),
            ("sha256", d.sha256), ("size", human_bytes(d.size_bytes)), ("created", _time(d.create_time)),
        ])

    def job(self, j: Job, candidates: str = "") -> None:
        """One job; ``candidates``: the heads it tried, from its model (``candidates`` property)."""
        if self.json:
            return self.emit_json(job_json(j))
        p = j.progress
        finals = any(m.final for m in j.metrics)
        latest = j.history[-1].epoch if j.history else 0
        self._fields([
            ("id", j.id), ("state", j.state.value), ("base", j.base_model), ("strategy", j.strategy),
            ("output", j.output_model), ("result", j.result_model), ("device", j.device),
            ("progress", (f"{p.phase} ({p.phase_index}/{p.phase_count}), " if p.phase else "")
                         + f"epoch {p.epoch}/{p.total_epochs}, step {p.step}/{p.total_steps} "
                         f"({p.fraction * 100:.0f}%)" if p.total_steps or p.step else ""),
            ("metrics" if finals else f"metrics (epoch {latest})", final_metrics_text(j.metrics, history=j.history)),
            ("candidates", candidates),
            ("history", history_text(j.history)),
            ("error", (f"{j.error.reason}: " if j.error.reason else "") + j.error.message if j.error else ""),
            ("created", _time(j.create_time)), ("started", _time(j.start_time)), ("ended", _time(j.end_time)),
        ])

    def model(self, m: Model) -> None:
        if self.json:
            return self.emit_json(m.to_dict())
        self._fields([
            ("name", m.ref), ("aliases", ", ".join(f"{m.name}:{a}" for a in m.aliases)),
            ("kind", m.kind.value), ("domain", m.domain), ("engine", m.engine),
            ("format", m.format), ("task", _task(m.task)), ("base", m.base_model), ("strategy", m.strategy),
            ("dataset", m.dataset), ("job", m.job_id), ("labels", ", ".join(m.labels)),
            ("dimension", str(m.dimension)), ("metrics", final_metrics_text(m.metrics)),
            ("hyperparameters", ", ".join(f"{k}={v}" for k, v in sorted(m.hyperparameters.items()))),
            ("properties", ", ".join(f"{k}={v}" for k, v in sorted(m.properties.items()))),
            ("size", human_bytes(m.size_bytes) if m.size_bytes else ""), ("created", _time(m.create_time)),
        ])

    def estimates(self, r: TransferEstimates) -> None:
        """EstimateTransfer's ranking, best first."""
        if self.json:
            return self.emit_json(r.to_dict())
        probe = "ACCURACY" if r.task == "CLASSIFICATION" else "R2"
        t = self._table("RANK", "BASE MODEL", "LOGME", f"PROBE {probe}", "DIM", "SECONDS", "FEATURES")
        for i, e in enumerate(r.estimates, start=1):
            t.add_row(str(i), e.base_model, f"{e.logme:.4f}", "-" if e.probe_score is None else f"{e.probe_score:.3f}",
                      str(e.dimension), f"{e.seconds:.1f}", "cached" if e.cached else "computed")
        self.console.print(t)
        self.console.out(f"{r.examples} examples, task {r.task.value}; higher LogME = frozen features fit "
                         f"the labels better", highlight=False)

    def server_info(self, info: ServerInfo) -> None:
        if self.json:
            return self.emit_json(info.to_dict())
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

    def predictions(self, labels: Sequence[str], result: Predictions) -> None:
        """``labels`` name each input (its text, file name, ...)."""
        if self.json:
            return self.emit_json({"model": result.model, "predictions": [
                {"input": label, **p.to_dict()} for label, p in zip(labels, result)]})
        t = self._table("INPUT", "LABEL", "SCORE", "OTHERS")
        for label, p in zip(labels, result):
            if p.classes:
                others = ", ".join(f"{c.label} {c.score:.3f}" for c in p.classes[1:])
                t.add_row(label, p.classes[0].label, f"{p.classes[0].score:.3f}", others)
            else:
                t.add_row(label, "", "", " ".join(f"{v:.4g}" for v in p.values))
        self.console.print(t)
        self.console.print(f"[dim]model {result.model}[/dim]")

    def features(self, model: str, layer: str, labels: Sequence[str], features: npt.NDArray[np.float32]) -> None:
        if self.json:
            return self.emit_json({"model": model, "layer": layer, "dimension": int(features.shape[1]),
                                   "inputs": list(labels), "features": features.tolist()}, indent=None)
        t = self._table("INPUT", "DIM", "NORM", "VALUES")
        for label, row in zip(labels, features):
            head = " ".join(f"{v:+.4f}" for v in row[:4]) + (" …" if len(row) > 4 else "")
            t.add_row(label, str(len(row)), f"{float(np.linalg.norm(row)):.4f}", head)
        self.console.print(t)
        self.console.print(f"[dim]model {model}" + (f", layer {layer}" if layer else "") + "[/dim]")


def _task(task: Any) -> str:
    return "" if task.value == "UNSPECIFIED" else str(task.value)
