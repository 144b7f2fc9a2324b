"""The inputs of ``graft predict`` / ``graft extract``, from arguments, files or stdin.

- ``TEXT...`` (positional), ``--text-file FILE`` (one text a line);
- ``--pair TEXT PAIR`` (repeatable) and ``--pairs FILE`` (``text<TAB>pair`` lines, or JSON lines
  ``["text", "pair"]`` / ``{"text": ..., "pair": ...}``) for sentence-pair models;
- ``--image FILE...`` (PNG, JPEG, BMP, GIF);
- ``--series CSV|JSON``: a file, or the values themselves: CSV has one series a line
  (``1,2,3``; a first line that is not numbers is a header and skipped); JSON is a list of
  numbers, a list of such lists, or ``{"values": [...], "channels": N}`` (or a list of those).

``-`` as FILE reads stdin (once). With no input at all and stdin not a terminal, each line of
stdin is a text.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from graft_client import pb
from graft_client.inputs import image, series, text

__all__ = ["CliInput", "InputError", "collect", "parse_series"]


class InputError(ValueError):
    """An input argument or file that cannot be read (a usage error)."""


@dataclass(frozen=True)
class CliInput:
    label: str  # how the output names it: the text, "text | pair", the file name, "series 1 (24 values)"
    input: pb.Input


class _Stdin:
    """stdin, to be read by at most one ``-``."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.taken_by = ""

    def read(self, who: str) -> bytes:
        if self.taken_by:
            raise InputError(f"{who} -: stdin was already read by {self.taken_by}")
        self.taken_by = who
        return self.stream.read()


def _read(path: str, who: str, stdin: _Stdin) -> bytes:
    if path == "-":
        return stdin.read(who)
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{who}: no such file: {path}")
    return file.read_bytes()


def _text_of(data: bytes, who: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{who}: not UTF-8 text ({e.reason} at byte {e.start})") from None


def collect(args: argparse.Namespace, stdin: IO[bytes] | None = None,
            stdin_is_terminal: Callable[[], bool] | None = None) -> list[CliInput]:
    """Every input the arguments name, in the order: texts, text file, pairs, images, series."""
    source = _Stdin(stdin if stdin is not None else sys.stdin.buffer)
    inputs: list[CliInput] = [CliInput(t, text(t)) for t in args.texts]
    if args.text_file:
        for line in _text_of(_read(args.text_file, "--text-file", source), "--text-file").splitlines():
            if line.strip():
                inputs.append(CliInput(line, text(line)))
    for first, second in args.pair or ():
        inputs.append(CliInput(f"{first} | {second}", text(first, second)))
    if args.pairs:
        inputs.extend(_pairs(_text_of(_read(args.pairs, "--pairs", source), "--pairs")))
    for path in args.image or ():
        data = _read(path, "--image", source)
        inputs.append(CliInput("stdin" if path == "-" else Path(path).name, image(data)))
    if args.series:
        if args.series == "-" or Path(args.series).is_file():
            content = _text_of(_read(args.series, "--series", source), "--series")
        else:
            content = args.series  # the values themselves
        for i, (values, channels) in enumerate(parse_series(content), start=1):
            inputs.append(CliInput(f"series {i} ({len(values)} values)", series(values, channels)))
    if not inputs:
        terminal = stdin_is_terminal or (lambda: sys.stdin.isatty())
        if stdin is None and terminal():
            raise InputError("no inputs: give TEXT..., --text-file, --pair, --pairs, --image or --series "
                             "(or pipe texts on stdin, one a line)")
        for line in _text_of(source.read("stdin"), "stdin").splitlines():
            if line.strip():
                inputs.append(CliInput(line, text(line)))
        if not inputs:
            raise InputError("no inputs: stdin was empty")
    return inputs


def _pairs(content: str) -> list[CliInput]:
    pairs: list[CliInput] = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        if line.lstrip().startswith(("[", "{")):
            try:
                value: Any = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"--pairs line {number}: not JSON ({e.msg})") from None
            first, second = (value.get("text"), value.get("pair")) if isinstance(value, dict) else (
                value if isinstance(value, list) and len(value) == 2 else (None, None))
        else:
            first, tab, second = line.partition("\t")
            if not tab:
                first = second = None
        if not isinstance(first, str) or not isinstance(second, str):
            raise InputError(f"--pairs line {number}: expected TEXT<TAB>PAIR, [\"text\", \"pair\"] or "
                             '{"text": ..., "pair": ...}')
        pairs.append(CliInput(f"{first} | {second}", text(first, second)))
    return pairs


def parse_series(content: str) -> list[tuple[list[float], int]]:
    """Series (values, channels) from CSV or JSON text (see the module's doc)."""
    stripped = content.strip()
    if not stripped:
        raise InputError("--series: no values")
    if stripped[0] in "[{":
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as e:
            raise InputError(f"--series: not valid JSON ({e.msg} at line {e.lineno})") from None
        return _json_series(value)
    rows: list[tuple[list[float], int]] = []
    for number, line in enumerate(stripped.splitlines(), start=1):
        cells = [c.strip() for c in line.replace(";", ",").split(",") if c.strip()]
        if not cells:
            continue
        try:
            values = [float(c) for c in cells]
        except ValueError:
            if number == 1 and not rows:
                continue  # a header
            raise InputError(f"--series line {number}: not a number in {line.strip()!r}") from None
        rows.append((_finite(values, f"--series line {number}"), 1))
    if not rows:
        raise InputError("--series: no values")
    return rows


def _json_series(value: Any) -> list[tuple[list[float], int]]:
    if isinstance(value, dict):
        return [_one_json_series(value)]
    if isinstance(value, list) and value and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                  for v in value):
        return [(_finite([float(v) for v in value], "--series"), 1)]
    if isinstance(value, list) and value:
        out: list[tuple[list[float], int]] = []
        for item in value:
            out.extend(_json_series(item))
        return out
    raise InputError("--series: JSON must be a list of numbers, a list of lists, or {\"values\": [...]}")


def _one_json_series(value: dict[str, Any]) -> tuple[list[float], int]:
    values = value.get("values")
    channels = value.get("channels", 1)
    if not isinstance(values, list) or not all(isinstance(v, (int, float)) for v in values):
        raise InputError('--series: {"values": [...]} needs a list of numbers')
    if not isinstance(channels, int) or channels < 1 or len(values) % channels:
        raise InputError(f"--series: channels {channels!r} does not divide {len(values)} values")
    return _finite([float(v) for v in values], "--series"), channels


def _finite(values: Sequence[float], where: str) -> list[float]:
    if not all(math.isfinite(v) for v in values):
        raise InputError(f"{where}: values must be finite numbers")
    return list(values)
