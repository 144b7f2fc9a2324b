"""Conversions from Python values to graft.v1 ``Input``, ``Target`` and ``Example`` messages.

Accepted as an input: ``str`` (text), ``(text, pair)`` (a sentence pair), ``bytes`` (an encoded
PNG/JPEG/BMP/GIF image), a NumPy array (a tensor), or a ``pb.Input``. Use :func:`series` for a
time series and :func:`image_file` for an image on disk.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from graft_client import pb

__all__ = [
    "InputLike",
    "TargetLike",
    "ExampleLike",
    "text",
    "image",
    "image_file",
    "series",
    "tensor",
    "to_input",
    "to_inputs",
    "to_target",
    "to_example",
    "encode_delimited",
]

InputLike: TypeAlias = "str | tuple[str, str] | bytes | np.ndarray[Any, Any] | pb.Input"
TargetLike: TypeAlias = "str | float | int | Sequence[float] | np.ndarray[Any, Any] | pb.Target"
ExampleLike: TypeAlias = "tuple[InputLike, TargetLike] | pb.Example"

_DTYPES: dict[np.dtype[Any], pb.DataType] = {
    np.dtype(np.float32): pb.DATA_TYPE_FLOAT32,
    np.dtype(np.float64): pb.DATA_TYPE_FLOAT64,
    np.dtype(np.int32): pb.DATA_TYPE_INT32,
    np.dtype(np.int64): pb.DATA_TYPE_INT64,
    np.dtype(np.uint8): pb.DATA_TYPE_UINT8,
    np.dtype(np.int8): pb.DATA_TYPE_INT8,
    np.dtype(np.float16): pb.DATA_TYPE_FLOAT16,
    np.dtype(np.bool_): pb.DATA_TYPE_BOOL,
}


def text(value: str, pair: str = "") -> pb.Input:
    return pb.Input(text=pb.Text(text=value, pair=pair))


def image(encoded: bytes) -> pb.Input:
    """An encoded image (PNG, JPEG, BMP or GIF bytes). Raw pixels: use :func:`tensor`."""
    return pb.Input(image=pb.Image(encoded=bytes(encoded)))


def image_file(path: str | os.PathLike[str]) -> pb.Input:
    return image(Path(path).read_bytes())


def series(values: Sequence[float] | npt.ArrayLike, channels: int = 1) -> pb.Input:
    """A time series; with ``channels > 1`` pass shape [T, C] (or values interleaved by step)."""
    array = np.asarray(values, dtype=np.float32)
    if array.ndim == 2:
        channels = array.shape[1]
    return pb.Input(series=pb.Series(values=array.reshape(-1).tolist(), channels=channels))


def tensor(array: npt.ArrayLike) -> pb.Input:
    """A dense tensor, sent little-endian and row-major."""
    a = np.asarray(array)
    dtype = a.dtype.newbyteorder("=") if a.dtype.byteorder not in ("=", "|") else a.dtype
    code = _DTYPES.get(np.dtype(dtype))
    if code is None:
        raise TypeError(f"unsupported tensor dtype {a.dtype}")
    data = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
    return pb.Input(tensor=pb.Tensor(dtype=code, shape=list(a.shape), data=data))


def to_input(value: Any) -> pb.Input:
    if isinstance(value, pb.Input):
        return value
    if isinstance(value, str):
        return text(value)
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return text(value[0], value[1])
    if isinstance(value, (bytes, bytearray, memoryview)):
        return image(bytes(value))
    if isinstance(value, np.ndarray):
        return tensor(value)
    if isinstance(value, (pb.Text, pb.Image, pb.Series, pb.Tensor)):
        kind = {pb.Text: "text", pb.Image: "image", pb.Series: "series", pb.Tensor: "tensor"}[type(value)]
        return pb.Input(**{kind: value})
    raise TypeError(f"cannot send {type(value).__name__} as an input: use str, (text, pair), bytes, "
                    "a numpy array, graft_client.inputs.series(...) or a pb.Input")


def to_inputs(values: InputLike | Iterable[InputLike]) -> list[pb.Input]:
    """One input (a ``str``, for one) or an iterable of them."""
    if isinstance(values, (str, bytes, bytearray, memoryview, pb.Input)) or (
            isinstance(values, tuple) and len(values) == 2 and all(isinstance(v, str) for v in values)):
        return [to_input(values)]
    if isinstance(values, np.ndarray):
        return [to_input(values)]
    return [to_input(v) for v in values]


def to_target(value: Any) -> pb.Target:
    if isinstance(value, pb.Target):
        return value
    if isinstance(value, str):
        return pb.Target(label=value)
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("a bool is not a target: use a label string")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return pb.Target(value=float(value))
    return pb.Target(values=pb.FloatVector(values=np.asarray(value, dtype=np.float32).reshape(-1).tolist()))


def to_example(value: Any) -> pb.Example:
    if isinstance(value, pb.Example):
        return value
    try:
        inp, target = value
    except (TypeError, ValueError):
        raise TypeError("an example is a pb.Example or an (input, target) pair") from None
    return pb.Example(input=to_input(inp), target=to_target(target))


def encode_delimited(message: Any) -> bytes:
    """A message prefixed with its varint length (the EXAMPLES dataset format)."""
    body: bytes = message.SerializeToString()
    n = len(body)
    prefix = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            prefix.append(byte | 0x80)
        else:
            prefix.append(byte)
            return bytes(prefix) + body
