"""``--jq EXPRESSION``: JSON output filtered by a jq expression.

The ``jq`` program runs it when it is on PATH (any jq expression, output as ``jq -r``: strings
raw, other values as JSON). Without jq, a built-in subset covers paths: ``.``, ``.name``,
``.a.b``, ``.["odd key"]``, ``.[0]``, ``.[-1]``, ``.[]``, ``.a[].b`` and pipes between them
(``.[] | .id``). ``GRAFT_JQ=builtin`` uses the subset even where jq is installed;
``GRAFT_JQ=/path/to/jq`` names the program.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

__all__ = ["JsonFilter", "JqError", "make_filter", "builtin_filter"]


class JqError(ValueError):
    """The expression is not valid, or does not apply to the output."""


class JsonFilter:
    """Applies one expression; :meth:`apply` gives the output lines."""

    def __init__(self, expression: str, program: str | None) -> None:
        self.expression = expression
        self.program = program  # None: the built-in subset
        if program is None:
            _parse(expression)  # refuse a bad expression before any call is made

    @property
    def engine(self) -> str:
        return self.program or "builtin"

    def apply(self, value: Any) -> list[str]:
        if self.program is None:
            return [_render(v) for v in builtin_filter(self.expression, value)]
        done = subprocess.run([self.program, "-r", self.expression], input=json.dumps(value),
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise JqError(f"--jq: {done.stderr.strip() or f'jq exited {done.returncode}'}")
        return done.stdout.rstrip("\n").split("\n") if done.stdout else []


def make_filter(expression: str, environ: dict[str, str] | None = None) -> JsonFilter:
    env = os.environ if environ is None else environ
    choice = env.get("GRAFT_JQ", "")
    if choice == "builtin":
        return JsonFilter(expression, None)
    program = shutil.which(choice or "jq")
    if choice and program is None:
        raise JqError(f"GRAFT_JQ={choice}: no such program (or GRAFT_JQ=builtin for the built-in subset)")
    return JsonFilter(expression, program)


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=2)
    return json.dumps(value)


_TOKEN = re.compile(r"""\s*(?:
    \.\[\s*\]                               # .[]
  | \[\s*\]                                 # [] after a key
  | \.?\[\s*(-?\d+)\s*\]                    # [N] / .[N]
  | \.?\[\s*"((?:[^"\\]|\\.)*)"\s*\]        # ["key"] / .["key"]
  | \.([A-Za-z_][A-Za-z0-9_]*)              # .key
  | (\.)                                    # . (identity)
)""", re.VERBOSE)


def _parse(expression: str) -> list[list[tuple[str, Any]]]:
    """Each pipe stage as steps: ("iter", None), ("index", n), ("key", k)."""
    stages: list[list[tuple[str, Any]]] = []
    for stage in expression.split("|"):
        text = stage.strip()
        if not text.startswith("."):
            raise JqError(f"--jq: the built-in filter (jq is not installed) takes paths such as .name, "
                          f".[0], .[] | .id; not {stage.strip()!r} (install jq for full expressions)")
        steps: list[tuple[str, Any]] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise JqError(f"--jq: cannot read {text[pos:]!r} in {expression!r} (the built-in filter "
                              "takes paths; install jq for full expressions)")
            token = m.group(0).strip()
            if token.endswith("[]") or token == ".[]":
                steps.append(("iter", None))
            elif m.group(1) is not None:
                steps.append(("index", int(m.group(1))))
            elif m.group(2) is not None:
                steps.append(("key", json.loads(f'"{m.group(2)}"')))
            elif m.group(3) is not None:
                steps.append(("key", m.group(3)))
            pos = m.end()
        stages.append(steps)
    return stages


def builtin_filter(expression: str, value: Any) -> list[Any]:
    """The values the expression yields for ``value`` (the built-in subset)."""
    results = [value]
    for steps in _parse(expression):
        for kind, arg in steps:
            results = list(_step(results, kind, arg))
    return results


def _step(values: list[Any], kind: str, arg: Any) -> Iterator[Any]:
    for v in values:
        if kind == "iter":
            if isinstance(v, list):
                yield from v
            elif isinstance(v, dict):
                yield from v.values()
            else:
                raise JqError(f"--jq: cannot iterate over {_type(v)}")
        elif kind == "index":
            if v is None:
                yield None
            elif not isinstance(v, list):
                raise JqError(f"--jq: cannot index {_type(v)} with a number")
            else:
                yield v[arg] if -len(v) <= arg < len(v) else None
        else:
            if v is None:
                yield None
            elif not isinstance(v, dict):
                raise JqError(f"--jq: cannot index {_type(v)} with \"{arg}\"")
            else:
                yield v.get(arg)


def _type(v: Any) -> str:
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, str):
        return "a string"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    return "a number"
