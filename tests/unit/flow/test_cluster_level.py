"""The cluster gate's contour level (default: descend from 5% to 1% of the peak along the
cluster's own flank): a lone cloud is taken whole, not cut at a fixed 5% contour that
leaves ~5% of it out; the descent stops where the contour meets a plateau of other
events; an explicit `level` is still a fixed contour."""

from __future__ import annotations

import numpy as np
import pytest

from cytotrial.flow.gating.kinds.cluster import (
    LEVEL_FLOOR,
    LEVEL_START,
    cluster_gate,
    descend_level,
)
from cytotrial.flow.gating.kinds.syntax import parse_kind


def _gaussian_grid(size: int = 128, plateau: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D Gaussian density (peak 1) plus, for x beyond 1.5 SD, a flat plateau of
    `plateau` x the peak (a smear of other events without a peak of its own)."""
    axis = np.linspace(-5, 5, size)
    gx, gy = np.meshgrid(axis, axis, indexing="ij")
    values = np.exp(-0.5 * (gx**2 + gy**2))
    values = np.maximum(values, np.where(gx > 1.5, plateau, 0.0))
    seed = np.zeros_like(values, dtype=bool)
    seed[np.unravel_index(np.argmax(values), values.shape)] = True
    return values, seed


def test_a_gaussian_flank_is_followed_to_the_floor():
    values, seed = _gaussian_grid()
    level, region = descend_level(values, seed, np.zeros_like(seed), 1.0)
    assert level == pytest.approx(LEVEL_FLOOR)
    assert values[region].sum() / values.sum() > 0.985


@pytest.mark.parametrize("plateau", [0.02, 0.03])
def test_the_descent_stops_above_a_plateau(plateau):
    values, seed = _gaussian_grid(plateau=plateau)
    level, region = descend_level(values, seed, np.zeros_like(seed), 1.0)
    assert plateau < level <= LEVEL_START
    assert not (region & (values <= plateau)).any()


def _cloud(seed: int, n: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = rng.multivariate_normal([0.5, 0.4], [[0.004, 0.002], [0.002, 0.006]], n)
    return xy[:, 0], xy[:, 1]


@pytest.mark.parametrize("seed", range(3))
def test_a_lone_cloud_is_taken_whole_by_default(seed):
    x, y = _cloud(seed)
    default = parse_kind("cluster", {"x": "a", "y": "b"})
    fixed = parse_kind("cluster", {"x": "a", "y": "b", "level": 0.05})
    shape, _ = cluster_gate("cloud", x, y, len(x), default)
    shape_fixed, _ = cluster_gate("cloud", x, y, len(x), fixed)
    recall = shape.contains({"a": x, "b": y}).mean()
    recall_fixed = shape_fixed.contains({"a": x, "b": y}).mean()
    assert recall >= 0.985, recall
    assert recall_fixed < 0.975, recall_fixed  # the fixed 5% contour: ~5% left out


@pytest.mark.parametrize("seed", range(3))
def test_a_cloud_beside_a_sparse_smear_does_not_take_the_smear(seed):
    """A cloud whose right side runs into a smear of other events (uniform, about 2-3%
    of the cloud's peak density, no peak of its own): the contour stops before it."""
    x, y = _cloud(seed)
    rng = np.random.default_rng(100 + seed)
    smear = np.column_stack([rng.uniform(0.62, 1.1, 2_500), rng.uniform(0.1, 0.7, 2_500)])
    x_all, y_all = np.concatenate([x, smear[:, 0]]), np.concatenate([y, smear[:, 1]])
    p = parse_kind("cluster", {"x": "a", "y": "b"})
    shape, _ = cluster_gate("cloud", x_all, y_all, len(x_all), p)
    inside = shape.contains({"a": x_all, "b": y_all})
    far = smear[:, 0] > 0.75  # smear events beyond the cloud's own events
    assert inside[len(x) :][far].mean() < 0.05
    assert inside[: len(x)].mean() >= 0.94
