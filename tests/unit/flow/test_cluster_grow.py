"""The cluster gate's region growing (4-connected component by run filling) gives the
component that growing one cell at a time gives, on any mask."""

from __future__ import annotations

import numpy as np
import pytest

from cytotrial.flow.gating.kinds.cluster import _fill_holes, _grow


def _grow_cell_by_cell(seed: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    region = seed & allowed
    while True:
        grown = region.copy()
        grown[1:] |= region[:-1]
        grown[:-1] |= region[1:]
        grown[:, 1:] |= region[:, :-1]
        grown[:, :-1] |= region[:, 1:]
        grown &= allowed
        if np.array_equal(grown, region):
            return region
        region = grown


def _spiral(size: int) -> np.ndarray:
    """A one-cell-wide spiral corridor: the longest paths a grid allows."""
    allowed = np.zeros((size, size), dtype=bool)
    low, high, step = 0, size - 1, 0
    while low <= high:
        allowed[low, low : high + 1] = allowed[low : high + 1, high] = True
        allowed[high, low : high + 1] = True
        allowed[low + 2 : high + 1, low] = True
        low, high, step = low + 2, high - 2, step + 1
        if low <= high:
            allowed[low - 1, low] = True
    return allowed


@pytest.mark.parametrize("density", [0.45, 0.55, 0.6, 0.75, 1.0])
@pytest.mark.parametrize("shape", [(128, 128), (40, 90), (1, 50), (50, 1)])
def test_run_filling_finds_the_same_component(density, shape):
    rng = np.random.default_rng(int(density * 100) + shape[0])
    for _ in range(5):
        allowed = rng.random(shape) < density
        seed = np.zeros(shape, dtype=bool)
        seed[tuple(rng.integers(0, s) for s in shape)] = True
        expected = _grow_cell_by_cell(seed, allowed)
        assert np.array_equal(_grow(seed.copy(), allowed), expected)


def test_run_filling_follows_a_spiral_and_fills_holes():
    allowed = _spiral(64)
    seed = np.zeros_like(allowed)
    seed[0, 0] = True
    region = _grow(seed, allowed)
    assert np.array_equal(region, _grow_cell_by_cell(seed, allowed))
    assert region.sum() > 0.4 * allowed.size
    ring = np.zeros((9, 9), dtype=bool)
    ring[2:7, 2:7] = True
    ring[4, 4] = False  # a hole
    assert _fill_holes(ring).sum() == 25


def _fill_holes_over_the_grid(region: np.ndarray) -> np.ndarray:
    padded = np.pad(region, 1, constant_values=False)
    seed = np.zeros_like(padded)
    seed[0, :] = seed[-1, :] = seed[:, 0] = seed[:, -1] = True
    return ~_grow_cell_by_cell(seed, ~padded)[1:-1, 1:-1]


def test_filling_holes_within_the_bounding_box_fills_the_same_cells():
    """_fill_holes grows the outside only around the region's bounding box: the same
    cells as growing it over the whole grid, for random masks and holed blobs."""
    rng = np.random.default_rng(11)
    for k in range(400):
        shape = tuple(int(s) for s in rng.integers(1, 40, 2))
        region = rng.random(shape) < rng.random()
        if k % 2:  # a blob with holes, anywhere on the grid (touching its edges too)
            i, j = np.indices(shape)
            centre = rng.uniform(0, shape[0]), rng.uniform(0, shape[1])
            disc = (i - centre[0]) ** 2 + (j - centre[1]) ** 2 < rng.uniform(4, 300)
            region = disc & (rng.random(shape) < 0.85)
        assert np.array_equal(_fill_holes(region), _fill_holes_over_the_grid(region)), k
    assert not _fill_holes(np.zeros((5, 5), dtype=bool)).any()
