"""The cluster gate's faster basins and stability resamples give what the slower code gave.

basins(): a running comparison over the 8 neighbours and pointer jumping that stops at
its fixpoint, against the argmax over the stacked neighbours with a fixed number of
jumps (the code it replaced), on grids with many ties and on smooth densities.
The stability resamples reuse the cell counts the density was smoothed from: they must
be the counts of the events, every event in a cell.
"""

from __future__ import annotations

import numpy as np
import pytest

from cytotrial.flow.gating.kinds.cluster import (
    _NEIGHBOURS,
    _bin_counts,
    _cluster,
    _moved,
    basins,
    kde2d,
)


def _basins_by_argmax(values: np.ndarray) -> np.ndarray:
    size_x, size_y = values.shape
    padded = np.pad(values, 1, constant_values=-np.inf)
    offsets = [(0, 0), *_NEIGHBOURS]
    stack = np.stack(
        [padded[1 + dx : 1 + dx + size_x, 1 + dy : 1 + dy + size_y] for dx, dy in offsets]
    )
    shift = np.array(offsets)[np.argmax(stack, axis=0)]
    i, j = np.indices(values.shape)
    pointer = ((i + shift[..., 0]) * size_y + (j + shift[..., 1])).ravel()
    for _ in range(int(np.ceil(np.log2(pointer.size))) + 1):
        pointer = pointer[pointer]
    return pointer.reshape(values.shape)


@pytest.mark.parametrize("kind", ["ties", "random", "smooth"])
def test_basins_match_the_argmax_over_stacked_neighbours(kind):
    rng = np.random.default_rng({"ties": 1, "random": 2, "smooth": 3}[kind])
    for _ in range(60):
        shape = tuple(int(s) for s in rng.integers(1, 80, 2))
        if kind == "ties":  # plateaus: the tie rule decides where cells point
            values = rng.integers(0, 3, shape).astype(float)
        elif kind == "random":
            values = rng.random(shape)
        else:  # a few Gaussian hills: long ascent paths, as a density has
            i, j = np.indices(shape)
            values = np.zeros(shape)
            for _ in range(3):
                ci, cj, width = (
                    rng.uniform(0, shape[0]),
                    rng.uniform(0, shape[1]),
                    rng.uniform(2, 30),
                )
                values += rng.uniform(0.2, 1) * np.exp(-((i - ci) ** 2 + (j - cj) ** 2) / width**2)
        assert np.array_equal(basins(values), _basins_by_argmax(values)), shape


def test_resamples_use_the_counts_of_the_events():
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.normal(0, 1, 4000), rng.normal(5, 0.7, 1500)])
    y = np.concatenate([rng.normal(0, 1, 4000), rng.normal(4, 0.7, 1500)])
    x[:20] = 40.0  # far beyond the grid: counted in its edge cells
    grid = kde2d(x, y, size=64)
    assert np.array_equal(grid.counts, _bin_counts(grid, x, y))
    assert grid.counts.sum() == len(x)
    p = {"min_height": 0.05, "near": None, "within": None, "by": "high_x", "pick": 1}
    p["level"] = 0.05
    _, region, _ = _cluster("test", grid, p, outline=False)
    moved = _moved(grid, p, region)
    assert 0.0 <= moved < 0.05  # a well separated blob stays put
