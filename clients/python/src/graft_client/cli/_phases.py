"""Phases of a job, from what its events carry.

A job may train in named phases one after the other: with ``hidden=auto`` the feature-extraction
strategy trains two candidate heads and keeps the better. Each event's progress names the
running phase (``phase``, ``phase_index`` of ``phase_count``) and counts epochs within it; the
metrics carry their phase too. The choice at the end is a message: ``"kept linear 384->2
(linear 384->2: validation loss 0.4725; mlp 384->256->2 dropout 0.5: validation loss 0.5344)"``.
This tracker turns that into a line per phase change and remembers the newest value of each
metric, which the events carry only once (``JobEvent.metrics`` holds what is new).
"""

from __future__ import annotations

import re

from graft_client.resources import JobEvent, Metric

__all__ = ["PhaseTracker"]

_KEPT = re.compile(r"^kept (.+?) \((.*)\)$")
_LOSS = re.compile(r"^(.+): validation loss ([0-9.eE+-]+|NaN|Infinity)$")


class PhaseTracker:
    """Feed it each event (:meth:`update`); it returns the lines to show for phase changes and
    keeps the newest per-epoch metrics (:attr:`latest`) and epochs seen (:attr:`epochs`)."""

    def __init__(self) -> None:
        self.label = ""
        self._phase: tuple[int, str] | None = None
        self.latest: dict[tuple[str, str], Metric] = {}
        self.epochs = 0
        self._last_epoch: tuple[str, int] | None = None

    def update(self, event: JobEvent) -> list[str]:
        notes: list[str] = []
        p = event.job.progress
        if p.phase_index and (p.phase_index, p.phase) != self._phase:
            self._phase = (p.phase_index, p.phase)
            self.label = f"{p.phase} {p.phase_index}/{p.phase_count}" if p.phase_count else p.phase
            notes.append(f"trying {self.label}")
        for m in event.metrics:
            self.latest[(m.name, m.split)] = m
            if (m.phase, m.epoch) != self._last_epoch:
                self._last_epoch = (m.phase, m.epoch)
                self.epochs += 1
        message = event.message.strip()
        kept = _KEPT.match(message)
        if kept:
            notes.append(_kept_line(kept.group(1), kept.group(2)))
        elif message.startswith("early stopping "):
            notes.append(message)
        return notes

    def metric(self, name: str, split: str | None = None) -> Metric | None:
        """The newest per-epoch value of metric ``name`` (on ``split``), or None."""
        if split is not None:
            return self.latest.get((name, split))
        found = [m for (n, _), m in self.latest.items() if n == name]
        return found[-1] if found else None

    def describe(self) -> str:
        """``linear 384->2 head 1/2``, or "" while the job has shown no phases."""
        return self.label


def _kept_line(kept: str, summary: str) -> str:
    """``kept linear 384->2: validation loss 0.4725 (not kept: mlp 384->256->2 dropout 0.5: 0.5344)``."""
    losses: dict[str, str] = {}
    for part in summary.split("; "):
        m = _LOSS.match(part.strip())
        if m:
            losses[m.group(1)] = m.group(2)
    if kept not in losses:
        return f"kept {kept} ({summary})"
    others = ", ".join(f"{name}: {loss}" for name, loss in losses.items() if name != kept)
    return f"kept {kept}: validation loss {losses[kept]}" + (f" (not kept: {others})" if others else "")
