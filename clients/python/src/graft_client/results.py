"""Inference results as plain Python and NumPy values."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from graft_client import pb

__all__ = ["ClassScore", "Prediction", "Predictions", "Features", "features_array"]


def _raw() -> Any:
    return field(default=None, repr=False, compare=False, metadata={"json": False})


class _Result:
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: floats and lists of floats (NumPy arrays become lists)."""
        from graft_client.resources import to_jsonable

        out: dict[str, Any] = to_jsonable(self)
        return out


@dataclass(frozen=True)
class ClassScore(_Result):
    label: str
    score: float


@dataclass(frozen=True)
class Prediction(_Result):
    """One input's outputs: classes sorted by score (highest first), or regression/forecast values."""

    classes: tuple[ClassScore, ...]
    values: npt.NDArray[np.float32]
    proto: pb.Prediction = _raw()

    @property
    def label(self) -> str | None:
        """The top class, or None for a regression/forecast output."""
        return self.classes[0].label if self.classes else None

    @property
    def score(self) -> float | None:
        return self.classes[0].score if self.classes else None

    @classmethod
    def from_proto(cls, p: Any) -> Prediction:
        return cls(tuple(ClassScore(c.label, float(c.score)) for c in p.classes),
                   np.asarray(p.values, dtype=np.float32), p)


@dataclass(frozen=True)
class Predictions(_Result, Sequence[Prediction]):
    """The predictions for each input, in order, and the model that answered (``name@version``)."""

    predictions: tuple[Prediction, ...]
    model: str
    proto: pb.PredictResponse = _raw()

    @classmethod
    def from_proto(cls, response: pb.PredictResponse) -> Predictions:
        return cls(tuple(Prediction.from_proto(p) for p in response.predictions), response.model, response)

    @overload
    def __getitem__(self, index: int) -> Prediction: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Prediction]: ...

    def __getitem__(self, index: int | slice) -> Prediction | Sequence[Prediction]:
        return self.predictions[index]

    def __len__(self) -> int:
        return len(self.predictions)

    def __iter__(self) -> Iterator[Prediction]:
        return iter(self.predictions)

    @property
    def labels(self) -> list[str | None]:
        """The top label of each prediction."""
        return [p.label for p in self.predictions]

    @property
    def scores(self) -> npt.NDArray[np.float32]:
        """Scores as an [n, k] float32 array (k classes per input, highest first)."""
        return _stack([np.asarray([c.score for c in p.classes], dtype=np.float32) for p in self.predictions])

    @property
    def values(self) -> npt.NDArray[np.float32]:
        """Regression/forecast outputs as an [n, h] float32 array."""
        return _stack([p.values for p in self.predictions])


def _stack(rows: list[npt.NDArray[np.float32]]) -> npt.NDArray[np.float32]:
    if not rows:
        return np.zeros((0, 0), dtype=np.float32)
    if len({len(r) for r in rows}) != 1:
        raise ValueError("rows differ in length; use the per-prediction values")
    return np.stack(rows).astype(np.float32, copy=False)


def features_array(response: pb.ExtractResponse) -> npt.NDArray[np.float32]:
    """Extract's features as an [n, dim] float32 array."""
    n = len(response.features)
    dim = response.dimension or (len(response.features[0].values) if n else 0)
    out = np.empty((n, dim), dtype=np.float32)
    for i, vector in enumerate(response.features):
        if len(vector.values) != dim:
            raise ValueError(f"feature {i} has {len(vector.values)} values, expected {dim}")
        out[i] = vector.values
    return out


@dataclass(frozen=True)
class Features(_Result):
    """Extract's answer: an [n, dimension] float32 array, the layer and the model that answered."""

    vectors: npt.NDArray[np.float32]
    dimension: int
    layer: str
    model: str
    proto: pb.ExtractResponse = _raw()

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    @classmethod
    def from_proto(cls, response: pb.ExtractResponse) -> Features:
        vectors = features_array(response)
        return cls(vectors, int(vectors.shape[1]), response.layer, response.model, response)
