from __future__ import annotations

import numpy as np
import pytest

from graft_client import pb
from graft_client.inputs import series, tensor, to_input, to_inputs, to_target


def test_python_values_become_inputs() -> None:
    assert to_input("hello").text.text == "hello"
    pair = to_input(("premise", "hypothesis")).text
    assert (pair.text, pair.pair) == ("premise", "hypothesis")
    assert to_input(b"\x89PNG").image.encoded == b"\x89PNG"
    assert to_input(pb.Text(text="t")).text.text == "t"
    with pytest.raises(TypeError):
        to_input(3.5)


def test_a_single_value_or_many() -> None:
    assert len(to_inputs("one")) == 1
    assert len(to_inputs(["a", "b", "c"])) == 3
    assert len(to_inputs(("a", "b"))) == 1  # a sentence pair, not two inputs


def test_tensor_is_little_endian_row_major() -> None:
    t = tensor(np.array([[1, 2], [3, 4]], dtype=">i4")).tensor
    assert t.dtype == pb.DATA_TYPE_INT32
    assert list(t.shape) == [2, 2]
    assert np.frombuffer(t.data, dtype="<i4").tolist() == [1, 2, 3, 4]


def test_series_channels_from_shape() -> None:
    s = series(np.array([[1, 10], [2, 20], [3, 30]])).series
    assert s.channels == 2
    assert list(s.values) == [1, 10, 2, 20, 3, 30]


def test_targets() -> None:
    assert to_target("positive").label == "positive"
    assert to_target(2).value == 2.0
    assert list(to_target([1.0, 2.0]).values.values) == [1.0, 2.0]
    with pytest.raises(TypeError):
        to_target(True)
