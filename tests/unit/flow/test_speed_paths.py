"""Faster paths of the gate stage (issue 15, item 8) give what the code they replaced gave.

* the 2-D cluster's cell counts (`_bin_counts`, blocks and int32 cells) against the
  whole-array formula, with events beyond the grid and on cell edges;
* the cluster gate bins the parent's events once when no spike is left out of its
  density (`_open` then reads the density's own counts): the same polygon and flags
  as binning them again;
* convex polygons (the strip table, np.clip and int32 strips) and non-convex ones (the
  cell table) against flowutils' winding test with NaN and infinite events, over
  several blocks and a ragged last one.
"""

from __future__ import annotations

import numpy as np
import pytest
from flowutils import gating as fu_gating

import cytotrial.flow.gating.gates as gates
from cytotrial.flow.gating.kinds import cluster
from cytotrial.flow.gating.kinds.syntax import parse_kind


def _cells_by_whole_arrays(grid: cluster.Grid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The formula `_bin_counts` had: float64 offsets, astype(intp), clip, one bincount."""
    size = len(grid.x)
    step_x, step_y = grid.x[1] - grid.x[0], grid.y[1] - grid.y[0]
    x0, y0 = grid.x[0] - step_x / 2, grid.y[0] - step_y / 2
    ix = np.clip(((x - x0) / step_x).astype(np.intp), 0, size - 1)
    iy = np.clip(((y - y0) / step_y).astype(np.intp), 0, size - 1)
    return np.bincount(ix * size + iy, minlength=size * size).reshape(size, size)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bin_counts_equal_the_whole_array_formula(dtype):
    rng = np.random.default_rng(21)
    n = 2 * cluster._CHUNK + 12_345  # several blocks, a ragged last one
    x = rng.normal(0.4, 0.2, n).astype(dtype)
    y = rng.normal(1000.0, 300.0, n).astype(dtype)
    grid = cluster.kde2d(x, y, size=64)
    # events far beyond the grid, and exactly on cell edges (and one float step off)
    x[:50], y[50:100] = 1e6, -1e6
    step = grid.x[1] - grid.x[0]
    edges = grid.x[0] - step / 2 + step * rng.integers(0, 65, 500)
    x[100:600] = edges.astype(dtype)
    x[600:1100] = np.nextafter(edges.astype(dtype), dtype(-np.inf))
    counts = cluster._bin_counts(grid, x, y)
    assert counts.sum() == n
    assert np.array_equal(counts, _cells_by_whole_arrays(grid, x, y))


@pytest.mark.parametrize("spike", [False, True])
def test_cluster_bins_its_events_once_without_a_spike(spike, monkeypatch):
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.normal(0.3, 0.05, 6000), rng.normal(0.7, 0.05, 3000)])
    y = np.concatenate([rng.normal(0.3, 0.05, 6000), rng.normal(0.6, 0.05, 3000)])
    x, y = x.astype(np.float32), y.astype(np.float32)
    if spike:  # a pile at the scale's floor: left out of the density, counted by _open
        y[:200] = y.min()
    p = parse_kind("cluster", {"x": "a", "y": "b", "by": "low_x"})

    calls = []
    binning = cluster._bin_counts

    def counted(grid, xs, ys):
        calls.append(len(xs))
        return binning(grid, xs, ys)

    monkeypatch.setattr(cluster, "_bin_counts", counted)
    shape, flags = cluster.cluster_gate("c", x, y, len(x), p)
    assert len(calls) == (2 if spike else 1)

    # the reference: the raw events binned on their own, as before
    kept_x, kept_y, count = cluster._without_spikes(x, y, len(x))
    grid = cluster.kde2d(kept_x, kept_y, count, p["grid"], p["adjust"])
    used: dict = {}
    vertices, _, expected = cluster._cluster("c", grid, p, counts=binning(grid, x, y), used=used)
    assert flags[: len(expected)] == expected
    assert np.array_equal(np.asarray(shape.vertices), vertices)


def _events(vertices: np.ndarray, rng, dtype) -> tuple[np.ndarray, np.ndarray]:
    n = 3 * gates._CHUNK + 777
    (x0, y0), (x1, y1) = vertices.min(axis=0), vertices.max(axis=0)
    x = rng.uniform(x0 - 0.3 * (x1 - x0), x1 + 0.3 * (x1 - x0), n)
    y = rng.uniform(y0 - 0.3 * (y1 - y0), y1 + 0.3 * (y1 - y0), n)
    k = len(vertices)
    i, t = rng.integers(0, k, 3000), rng.uniform(0, 1, 3000)
    on_edge = vertices[i] + t[:, None] * (vertices[(i + 1) % k] - vertices[i])
    x[:3000], y[:3000] = on_edge[:, 0], on_edge[:, 1]
    x[3000:6000], y[3000:6000] = np.nextafter(on_edge[:, 0], np.inf), on_edge[:, 1]
    # non-finite events in the first and the last block
    for at in (10, n - 5):
        x[at : at + 4] = [np.nan, 0.5, np.inf, -np.inf]
        y[at : at + 4] = [0.5, np.nan, np.nan, np.inf]
    y[7000:7004] = [np.inf, -np.inf, 1e30, -1e30]  # beyond the first and last strips
    return x.astype(dtype), y.astype(dtype)


SHAPES = {
    "convex (strips)": np.array([(0.1, 0.1), (0.9, 0.2), (0.8, 0.9), (0.3, 0.7)]),
    "non-convex (cells)": np.array(
        [(0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.5, 0.4), (0.1, 0.9)], dtype=float
    ),
}


@pytest.mark.parametrize("name", list(SHAPES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_polygon_membership_with_nonfinite_events_over_blocks(name, dtype):
    vertices = SHAPES[name]
    key = (tuple(map(tuple, vertices.tolist())), np.dtype(dtype).str, np.dtype(dtype).str)
    convex = gates._strip_table(*key) is not None
    assert convex == name.startswith("convex")
    x, y = _events(vertices, np.random.default_rng(8), dtype)
    points = np.column_stack([x, y]).astype(np.float64)
    expected = fu_gating.points_in_polygon(vertices, points)
    assert np.array_equal(gates.points_in_polygon(vertices, x, y), expected)


def test_order_statistics_by_halves_equal_np_sort():
    """Ranks in any number and order, adjacent ones (max/min of a part), ties, sorted
    input, NaN (np.sort puts it last), a strided view; the input is left as it was
    unless `overwrite`."""
    from cytotrial.flow.gating.density import median, order_statistics

    rng = np.random.default_rng(17)
    for n in (1, 2, 3, 10, 1001, 50_000, 250_001):
        nan = rng.normal(0, 1, n)
        nan[:: max(n // 7, 2)] = np.nan
        for values in (
            rng.lognormal(5, 2, n).astype(np.float32),
            rng.integers(0, 4, n).astype(np.float64),  # ties
            np.sort(rng.normal(0, 1, n)).astype(np.float32),  # sorted input
            nan,
            rng.normal(0, 1, 2 * n)[::2],  # a strided view
        ):
            expected = np.sort(values)
            before = values.copy()
            for count in (1, 2, 3, 8):
                ranks = rng.integers(0, n, count).tolist()
                ranks += [min(r + 1, n - 1) for r in ranks]  # adjacent pairs
                got = order_statistics(values, ranks)
                assert np.array_equal(got, expected[ranks], equal_nan=True), (n, ranks)
            assert np.array_equal(values, before, equal_nan=True)  # not reordered
            if not np.isnan(values).any():
                assert median(values) == np.median(values)
                assert median(values.copy(), overwrite=True) == np.median(values)


def _peaks_on_2d_views(values: np.ndarray, min_height: float) -> list[tuple[int, int]]:
    """grid_peaks as it was: comparisons on 2-D views of the padded grid."""
    size_x, size_y = values.shape
    padded = np.pad(values, 1, constant_values=-np.inf)
    peak = values >= min_height * values.max()
    for dx, dy in cluster._NEIGHBOURS:
        neighbour = padded[1 + dx : 1 + dx + size_x, 1 + dy : 1 + dy + size_y]
        peak &= (values > neighbour) if (dx, dy) > (0, 0) else (values >= neighbour)
    found = [(int(i), int(j)) for i, j in zip(*np.nonzero(peak), strict=True)]
    return sorted(found, key=lambda c: -values[c])


def _saddles_on_2d_views(values: np.ndarray, label: np.ndarray, count: int) -> np.ndarray:
    """merge_shallow's saddle matrix as it was computed: on 2-D views, per direction."""
    saddle = np.zeros((count, count))
    for a, b, va, vb in (
        (label[:-1], label[1:], values[:-1], values[1:]),
        (label[:, :-1], label[:, 1:], values[:, :-1], values[:, 1:]),
        (label[:-1, :-1], label[1:, 1:], values[:-1, :-1], values[1:, 1:]),
        (label[:-1, 1:], label[1:, :-1], values[:-1, 1:], values[1:, :-1]),
    ):
        pair = (a >= 0) & (b >= 0) & (a != b)
        np.maximum.at(saddle, (a[pair], b[pair]), np.minimum(va, vb)[pair])
    return np.maximum(saddle, saddle.T)


def _smooth_on_2d_views(values: np.ndarray, sigma: float, axis: int) -> np.ndarray:
    """_smooth as it was: np.pad, and `out += weight * shifted` along either axis."""
    sigma = max(float(sigma), 1.0)
    radius = min(int(np.ceil(4 * sigma)), values.shape[axis] - 1)
    weights = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    pad = [(0, 0), (0, 0)]
    pad[axis] = (radius, radius)
    padded = np.pad(values, pad)
    size = values.shape[axis]
    out = np.zeros_like(values)
    for k, weight in enumerate(weights):
        out += weight * (padded[k : k + size] if axis == 0 else padded[:, k : k + size])
    return out


@pytest.mark.parametrize("kind", ["ties", "random", "smooth"])
def test_flat_grid_passes_equal_the_2d_view_code(kind):
    """grid_peaks, merge_shallow's saddles and _smooth on flat contiguous slices give,
    number for number, what the same comparisons and sums on 2-D views gave."""
    rng = np.random.default_rng({"ties": 31, "random": 32, "smooth": 33}[kind])
    for _ in range(40):
        shape = tuple(int(s) for s in rng.integers(1, 70, 2))
        if kind == "ties":
            values = rng.integers(0, 3, shape).astype(float)
        elif kind == "random":
            values = rng.random(shape)
        else:
            i, j = np.indices(shape)
            values = np.zeros(shape)
            for _ in range(4):
                ci, cj = rng.uniform(0, shape[0]), rng.uniform(0, shape[1])
                width = rng.uniform(2, 20)
                values += rng.uniform(0.1, 1) * np.exp(-((i - ci) ** 2 + (j - cj) ** 2) / width**2)
        grid = cluster.Grid(np.arange(shape[0]), np.arange(shape[1]), values)
        found = cluster.grid_peaks(grid, 0.05)
        assert found == _peaks_on_2d_views(values, 0.05), shape
        label = cluster.basin_labels(values, found)
        if len(found) >= 2:
            expected = _saddles_on_2d_views(values, label, len(found))
            assert np.array_equal(cluster.saddles(values, label, len(found)), expected)
        for axis in (0, 1):
            sigma = rng.uniform(0.5, 4)
            smoothed = cluster._smooth(values, sigma, axis)
            assert np.array_equal(smoothed, _smooth_on_2d_views(values, sigma, axis)), shape
            assert smoothed.flags.c_contiguous


def test_multinomial_over_fewer_cells_draws_the_same():
    """The stability resamples' cell counts: the same counts as rng.multinomial over every
    cell, and the generator left in the same state (the next draw is the same too), for
    grids with empty cells first, between, last, and none empty."""
    rng = np.random.default_rng(40)
    for case in range(60):
        cells = int(rng.integers(1, 3000))
        counts = rng.poisson(rng.uniform(0.05, 20), cells) * (rng.random(cells) < 0.6)
        if case % 4 == 0:
            counts[-int(rng.integers(1, cells + 1)) :] = 0  # a run of empty cells at the end
        if case % 7 == 0:
            counts[:] = rng.integers(1, 9, cells)  # none empty
        if counts.sum() == 0:
            counts[int(rng.integers(0, cells))] = 3
        events = int(counts.sum())
        share = counts / events
        seed = [events, case]
        full, fewer = np.random.default_rng(seed), np.random.default_rng(seed)
        for _ in range(3):
            expected = full.multinomial(events, share)
            got = cluster.multinomial_cells(fewer, events, share)
            assert np.array_equal(got, expected) and got.dtype == expected.dtype, case
        assert full.integers(0, 2**62) == fewer.integers(0, 2**62)  # same state after


def _logicle_lut_uint32(values: np.ndarray, t: float, w: float, m: float, a: float) -> np.ndarray:
    """logicle_lut as it was: uint32 segment numbers, NaN found by a sum."""
    from flowutils import transforms as fu

    from cytotrial.flow.prepare import transforms as tr

    e_table, d_table = tr._logicle_table(t, w, m, a)
    x = np.ascontiguousarray(values, dtype=np.float32)
    bits = x.view(np.uint32)
    segment = np.right_shift(bits, tr._LOW_BITS)
    position = np.bitwise_or(
        np.left_shift(np.bitwise_and(bits, tr._LOW_MASK), tr._SEGMENT_BITS), tr._ONE_BITS
    ).astype(np.uint32)
    rise = np.take(d_table, segment)
    out = np.take(e_table, segment) + rise * position.view(np.float32)
    outside = np.isnan(rise)
    out[outside] = fu.logicle(x[outside].astype(np.float64), None, t, m, w, a)
    return out


def test_logicle_lookup_table_with_intp_segments_is_unchanged():
    from cytotrial.flow.prepare.transforms import logicle_lut

    rng = np.random.default_rng(12)
    n = 3 * (1 << 15) + 99  # several blocks, a ragged last one
    values = rng.lognormal(6, 3, n) * rng.choice([-1.0, 1.0], n, p=[0.2, 0.8])
    values[:8] = [0.0, -0.0, 1e-30, -1e-30, np.nan, np.inf, -np.inf, 3e38]
    values[8:12] = [262144.0 * 9, -262144.0 * 9, 262143.0, 1e6]  # beyond the table: exact
    values = values.astype(np.float32)
    for params in ((262144.0, 0.5, 4.5, 0.0), (10_000.0, 1.0, 4.0, 0.5)):
        expected = _logicle_lut_uint32(values, *params)
        assert np.array_equal(logicle_lut(values, *params), expected, equal_nan=True)


def _scaled_whole_columns(source: np.ndarray, scales, dtype) -> np.ndarray:
    """apply_scales as it was: each column in float64 at once."""
    out = source.astype(dtype)
    for j, scale in enumerate(scales):
        if scale.identity:
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            values = source[:, j].astype(np.float64)
            if scale.timestep != 1.0:
                values = values * scale.timestep
            if scale.decades > 0:
                values = (10 ** (scale.decades * values / scale.value_range)) * scale.log_zero
            if scale.gain != 1.0:
                values = values / scale.gain
            out[:, j] = values
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fcs_scaling_in_blocks_equals_whole_columns(dtype):
    from cytotrial.fcs import scale as fcs_scale

    rng = np.random.default_rng(3)
    n = 2 * fcs_scale._BLOCK + 321  # several blocks, a ragged last one
    scales = [
        fcs_scale.ChannelScale(),  # identity
        fcs_scale.ChannelScale(timestep=0.01),
        fcs_scale.ChannelScale(decades=4.0, log_zero=1.0, value_range=1024.0),
        fcs_scale.ChannelScale(decades=5.0, log_zero=0.5, value_range=262144.0, gain=3.0),
        fcs_scale.ChannelScale(gain=1e-300),  # overflows to inf, as before
    ]
    for source in (
        rng.integers(0, 1024, (n, len(scales))).astype(np.uint32),  # integer data
        rng.normal(1000, 500, (n, len(scales))).astype(dtype),  # float data, in place
    ):
        expected = _scaled_whole_columns(source, scales, dtype)
        out = source if source.dtype == dtype else source.astype(dtype)
        fcs_scale.apply_scales(out, source, scales)
        assert np.array_equal(out, expected, equal_nan=True)


def test_edge_cells_of_all_edges_at_once_equal_the_loop_over_edges():
    """The cell table's edge marks: the same points (linspace's arithmetic) as the loop
    over edges built, for contours of many sizes, scales and a zero-length edge."""
    rng = np.random.default_rng(50)
    for case in range(150):
        count = int(rng.integers(3, 120))
        angle = np.sort(rng.uniform(0, 2 * np.pi, count))
        radius = rng.uniform(0.2, 1, count) * 10.0 ** rng.uniform(-3, 3)
        v = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
        v += rng.normal(0, 5, 2)
        if case % 10 == 0:
            v[1] = v[0]  # a repeated vertex
        low, high = v.min(axis=0), v.max(axis=0)
        step = (high - low) / (gates.CELLS - 2 * gates._CELL_MARGIN)
        origin = low - gates._CELL_MARGIN * step
        start, end = v, np.roll(v, -1, axis=0)
        expected = []
        for a, b in zip(start, end, strict=True):  # the loop it replaced
            n = int(np.ceil(4 * np.max(np.abs(b - a) / step))) + 1
            t = np.linspace(0.0, 1.0, n + 1)[:, None]
            cell = np.floor((a + t * (b - a) - origin) / step).astype(np.intp)
            expected.append(np.clip(cell, 0, gates.CELLS - 1))
        got = gates._edge_cells(start, end, origin, step)
        assert np.array_equal(got, np.concatenate(expected)), case
