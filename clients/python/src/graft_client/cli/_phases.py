"""Phases of a job, from what its events carry.

With ``hidden=auto`` the feature-extraction strategy trains two candidate heads one after the
other and keeps the better. The server says so only in its event messages:
``"training head 1/2: linear 384->2"``, ``"training head 2/2: mlp 384->256->2 dropout 0.5"``,
``"early stopping linear 384->2 after epoch 9: ..."`` and ``"kept linear 384->2 (linear 384->2:
validation loss 0.4725; mlp 384->256->2 dropout 0.5: validation loss 0.5344)"``. Its epochs run on
across candidates (``--epochs 30`` shows ``epoch 31/60`` in the second head). This tracker reads
those messages and, should a server number each phase's epochs from 1 again, notices the epoch
going back; either way it gives epochs counted per phase and a line for each phase change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graft_client.resources import JobEvent

__all__ = ["Phase", "PhaseTracker"]

_START = re.compile(r"^training head (\d+)/(\d+): (.+)$")
_KEPT = re.compile(r"^kept (.+?) \((.*)\)$")
_LOSS = re.compile(r"^(.+): validation loss ([0-9.eE+-]+|NaN|Infinity)$")


@dataclass
class Phase:
    """One stretch of training: ``index`` of ``count`` (count 0 = unknown), what it trains, and
    the job-wide epoch it started after."""

    index: int
    count: int
    name: str
    epoch_offset: int
    restarted: bool = False  # the server numbers this phase's epochs from 1

    def label(self) -> str:
        of = f" {self.index}/{self.count}" if self.count else f" {self.index}"
        return f"{self.name} head{of}" if self.name else f"phase{of}"


class PhaseTracker:
    """Feed it each event (:meth:`update`); it returns the lines to show for phase changes and
    gives the epoch within the current phase (:meth:`epoch`)."""

    def __init__(self) -> None:
        self.phase: Phase | None = None
        self._last_epoch = 0
        self._fresh = False  # a phase just started and no epoch of it was seen yet

    def update(self, event: JobEvent) -> list[str]:
        notes: list[str] = []
        epoch = event.job.progress.epoch
        message = event.message.strip()
        start = _START.match(message)
        kept = _KEPT.match(message)
        if start:
            index, count, name = int(start.group(1)), int(start.group(2)), start.group(3)
            self.phase = Phase(index, count, name, epoch_offset=max(self._last_epoch, epoch))
            self._fresh = True
            notes.append(f"trying {self.phase.label()}")
        elif kept:
            notes.append(_kept_line(kept.group(1), kept.group(2)))
        elif message.startswith("early stopping "):
            notes.append(message)
        if start is None and 0 < epoch < self._last_epoch:
            if self.phase is not None and self._fresh:
                # The phase just announced numbers its epochs from 1.
                self.phase.epoch_offset, self.phase.restarted = 0, True
            else:
                # Epochs went back with no message: a new phase, numbered from 1.
                index = self.phase.index + 1 if self.phase else 2
                count = self.phase.count if self.phase else 0
                self.phase = Phase(index, count, "", epoch_offset=0, restarted=True)
                notes.append(f"epochs start again at {epoch}: {self.phase.label()}")
        if epoch:
            if start is None:
                self._fresh = False
            self._last_epoch = epoch
        return notes

    def epoch(self, epoch: int, total: int) -> tuple[int, int]:
        """The epoch within the current phase and that phase's epochs (total 0 = unknown)."""
        p = self.phase
        if p is None or p.restarted:
            return epoch, total
        per_phase = total // p.count if p.count and total % p.count == 0 else total
        return max(0, epoch - p.epoch_offset), per_phase

    def describe(self) -> str:
        """``linear 384->2 head 1/2``, or "" while the job has shown no phases."""
        return self.phase.label() if self.phase else ""


def _kept_line(kept: str, summary: str) -> str:
    """``kept linear 384->2: validation loss 0.4725 (mlp 384->256->2 dropout 0.5: 0.5344)``."""
    losses: dict[str, str] = {}
    for part in summary.split("; "):
        m = _LOSS.match(part.strip())
        if m:
            losses[m.group(1)] = m.group(2)
    if kept not in losses:
        return f"kept {kept} ({summary})"
    others = ", ".join(f"{name}: {loss}" for name, loss in losses.items() if name != kept)
    return f"kept {kept}: validation loss {losses[kept]}" + (f" (not kept: {others})" if others else "")
