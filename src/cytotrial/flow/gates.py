"""Concrete gates in transformed (display) coordinates.

Every data-driven gate resolves, per sample, to one of these shapes, which are
exactly Gating-ML 2.0's rectangle, polygon and ellipsoid gates: the gate that was
applied can be written out, plotted and re-applied by another tool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class RectangleGate:
    """Open or closed interval per dimension (None = unbounded)."""

    dims: tuple[str, ...]
    minimum: tuple[float | None, ...]
    maximum: tuple[float | None, ...]

    def contains(self, data: dict[str, np.ndarray]) -> np.ndarray:
        mask = np.ones(len(data[self.dims[0]]), dtype=bool)
        for dim, low, high in zip(self.dims, self.minimum, self.maximum, strict=True):
            values = data[dim]
            if low is not None:
                mask &= values >= low
            if high is not None:
                mask &= values < high
        return mask

    def describe(self) -> dict[str, Any]:
        return {
            "shape": "rectangle",
            "dims": list(self.dims),
            "min": [_round(v) for v in self.minimum],
            "max": [_round(v) for v in self.maximum],
        }


@dataclass(frozen=True)
class PolygonGate:
    """A closed polygon in two dimensions (vertices in order)."""

    dims: tuple[str, str]
    vertices: tuple[tuple[float, float], ...]

    def contains(self, data: dict[str, np.ndarray]) -> np.ndarray:
        from matplotlib.path import Path  # only the geometry module, not pyplot

        points = np.column_stack([data[self.dims[0]], data[self.dims[1]]])
        return Path(np.asarray(self.vertices)).contains_points(points)

    def describe(self) -> dict[str, Any]:
        return {
            "shape": "polygon",
            "dims": list(self.dims),
            "vertices": [[_round(x), _round(y)] for x, y in self.vertices],
        }


@dataclass(frozen=True)
class EllipseGate:
    """Points whose squared Mahalanobis distance to `mean` is <= `distance_squared`."""

    dims: tuple[str, str]
    mean: tuple[float, float]
    covariance: tuple[tuple[float, float], tuple[float, float]]
    distance_squared: float

    def contains(self, data: dict[str, np.ndarray]) -> np.ndarray:
        delta = np.column_stack([data[self.dims[0]], data[self.dims[1]]]) - np.asarray(self.mean)
        precision = np.linalg.inv(np.asarray(self.covariance))
        squared = np.einsum("ij,jk,ik->i", delta, precision, delta)
        return squared <= self.distance_squared

    def outline(self, points: int = 100) -> np.ndarray:
        """Boundary points, for plots."""
        values, vectors = np.linalg.eigh(np.asarray(self.covariance))
        angle = np.linspace(0, 2 * np.pi, points)
        circle = np.column_stack([np.cos(angle), np.sin(angle)])
        radii = np.sqrt(np.maximum(values, 0) * self.distance_squared)
        return circle * radii @ vectors.T + np.asarray(self.mean)

    def describe(self) -> dict[str, Any]:
        return {
            "shape": "ellipse",
            "dims": list(self.dims),
            "mean": [_round(v) for v in self.mean],
            "covariance": [[_round(v, 8) for v in row] for row in self.covariance],
            "distance_squared": _round(self.distance_squared),
        }


Gate = RectangleGate | PolygonGate | EllipseGate


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(float(value), digits)
