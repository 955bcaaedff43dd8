"""Non-convex polygons (2-D cluster contours) are applied through a grid of cells
(cytotrial.flow.gating.gates._cell_table): membership must stay flowutils' (FlowKit's) event
by event, and the grid must spare most events the exact test."""

from __future__ import annotations

import math

import numpy as np
import pytest
from flowutils import gating as fu_gating

import cytotrial.flow.gating.gates as gates
from cytotrial.flow.gating.gates import points_in_polygon
from cytotrial.flow.gating.kinds.cluster import cluster_gate
from cytotrial.flow.gating.kinds.syntax import parse_kind


def _star(points: int, inner: float, centre=(0.4, 0.6), radius=0.3) -> np.ndarray:
    angle = np.arange(2 * points) * math.pi / points
    r = np.where(np.arange(2 * points) % 2 == 0, radius, radius * inner)
    return np.column_stack([centre[0] + r * np.cos(angle), centre[1] + r * np.sin(angle)])


def _contour() -> np.ndarray:
    """A real cluster gate's contour: two overlapping clouds joined in one basin."""
    rng = np.random.default_rng(11)
    a = rng.multivariate_normal([0.3, 0.5], [[0.004, 0.002], [0.002, 0.003]], 40_000)
    b = rng.multivariate_normal([0.45, 0.3], [[0.002, 0.0], [0.0, 0.006]], 20_000)
    xy = np.vstack([a, b]).astype(np.float32)
    p = parse_kind("cluster", {"x": "a", "y": "b", "level": 0.02})
    shape, _ = cluster_gate("c", xy[:, 0], xy[:, 1], len(xy), p)
    return np.asarray(shape.vertices)


PENTAGRAM = np.array(
    [(math.cos(math.pi / 2 + k * 4 * math.pi / 5), math.sin(math.pi / 2 + k * 4 * math.pi / 5))
     for k in range(5)]
)  # fmt: skip
COMB = [(0, 0), (1, 0), (1, 1), (0.8, 1), (0.8, 0.2), (0.6, 0.2), (0.6, 1), (0.4, 1)]
COMB += [(0.4, 0.2), (0.2, 0.2), (0.2, 1), (0, 1)]
POLYGONS = {
    "star": _star(7, 0.4),
    "comb": np.array(COMB, dtype=float),
    "pentagram (self-crossing: even-odd)": PENTAGRAM,
    "cluster contour": _contour(),
}


def _events(vertices: np.ndarray, rng, n: int = 200_000) -> tuple[np.ndarray, np.ndarray]:
    (x0, y0), (x1, y1) = vertices.min(axis=0), vertices.max(axis=0)
    x = rng.uniform(x0 - 0.3 * (x1 - x0), x1 + 0.3 * (x1 - x0), n)
    y = rng.uniform(y0 - 0.3 * (y1 - y0), y1 + 0.3 * (y1 - y0), n)
    k = len(vertices)
    i, t = rng.integers(0, k, 5000), rng.uniform(0, 1, 5000)
    on_edge = vertices[i] + t[:, None] * (vertices[(i + 1) % k] - vertices[i])
    x[:5000], y[:5000] = on_edge[:, 0], on_edge[:, 1]  # on edges,
    x[5000:10000], y[5000:10000] = np.nextafter(on_edge[:, 0], np.inf), on_edge[:, 1]  # beside
    x[10000 : 10000 + k], y[10000 : 10000 + k] = vertices[:, 0], vertices[:, 1]  # on vertices
    x[-4:], y[-4:] = [np.nan, 0.5, np.inf, -np.inf], [0.5, np.nan, 0.5, np.inf]
    return x, y


@pytest.mark.parametrize("name", sorted(POLYGONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cell_grid_membership_equals_flowutils(name, dtype):
    vertices = POLYGONS[name]
    rng = np.random.default_rng(7)
    x, y = (values.astype(dtype) for values in _events(vertices, rng))
    key = (tuple(map(tuple, vertices.tolist())), x.dtype.str, y.dtype.str)
    assert gates._strip_table(*key) is None and gates._cell_table(*key) is not None
    with np.errstate(invalid="ignore"):
        expected = fu_gating.points_in_polygon(vertices, np.column_stack([x, y]).astype(float))
    ours = points_in_polygon(vertices, x, y)
    assert np.array_equal(ours, expected), np.count_nonzero(ours != expected)
    assert 0.05 < ours.mean() < 0.9


def test_cell_grid_leaves_few_events_to_the_exact_test():
    vertices = POLYGONS["cluster contour"]
    rng = np.random.default_rng(8)
    x, y = (v.astype(np.float32) for v in _events(vertices, rng, 500_000))
    _, _, table = gates._cell_table(tuple(map(tuple, vertices.tolist())), "<f4", "<f4")
    assert np.mean(table == gates._NEAR) < 0.15  # of the grid's cells
    called = []
    winding = gates._winding

    def counting(v, xs, ys):
        called.append(len(xs))
        return winding(v, xs, ys)

    gates._winding, kept = counting, gates._winding
    try:
        points_in_polygon(vertices, x, y)
    finally:
        gates._winding = kept
    assert sum(called) < 0.1 * len(x), sum(called)


def test_tiny_polygon_far_from_zero_falls_back_to_the_exact_test():
    """float32 cannot place events in cells a few float steps wide: no grid, same result."""
    vertices = _star(5, 0.5, centre=(1000.0, 1000.0), radius=1e-4)
    key = (tuple(map(tuple, vertices.tolist())), "<f4", "<f4")
    assert gates._cell_table(*key) is None
    rng = np.random.default_rng(9)
    x, y = (v.astype(np.float32) for v in _events(vertices, rng, 20_000))
    expected = fu_gating.points_in_polygon(vertices, np.column_stack([x, y]).astype(float))
    assert np.array_equal(points_in_polygon(vertices, x, y), expected)


@pytest.mark.parametrize("share", [0.0, 0.001, 0.1, 0.24, 0.26, 1.0])
def test_shapes_on_a_small_parent_test_only_its_events_with_the_same_result(share):
    from cytotrial.flow.gating.engine import SUBSET_SHARE, member
    from cytotrial.flow.gating.gates import EllipseGate, PolygonGate

    rng = np.random.default_rng(10)
    n = 100_000
    data = {d: rng.uniform(0, 1, n).astype(np.float32) for d in ("a", "b")}
    parent = rng.random(n) < share
    shapes = [
        PolygonGate(("a", "b"), tuple(map(tuple, _star(6, 0.5, (0.5, 0.5), 0.4)))),
        PolygonGate(("b", "a"), ((0.1, 0.1), (0.9, 0.2), (0.5, 0.8))),
        EllipseGate(("a", "b"), (0.5, 0.4), ((0.04, 0.01), (0.01, 0.02)), 1.0),
    ]
    tested = []
    for shape in shapes:
        kept = type(shape).contains

        def spy(self, values, kept=kept):
            tested.append(len(next(iter(values.values()))))
            return kept(self, values)

        type(shape).contains = spy
        try:
            ours = member(shape, data, {}, parent)
        finally:
            type(shape).contains = kept
        assert np.array_equal(ours, shape.contains(data) & parent)
    small = parent.sum() < SUBSET_SHARE * n
    expected = (parent.sum() if parent.any() else None) if small else n
    assert all(t == expected for t in tested) if expected else tested == []


def test_polygon_without_area_falls_back_to_the_exact_test():
    """All vertices at 0 (an empty cluster's contour): the cell scale 1 / step overflows
    float32, so no grid; membership is the exact test's, and no warning."""
    vertices = np.array([[0.0, 0.0]] * 4)
    key = (tuple(map(tuple, vertices.tolist())), "<f4", "<f4")
    with np.errstate(all="raise"):
        assert gates._cell_table(*key) is None
    x = np.array([0.0, -0.1, 0.1], dtype=np.float32)
    y = np.array([0.0, 0.0, 0.0], dtype=np.float32)
    expected = fu_gating.points_in_polygon(vertices, np.column_stack([x, y]).astype(float))
    assert np.array_equal(points_in_polygon(vertices, x, y), expected)
