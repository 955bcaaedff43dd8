"""Concrete gates in transformed (display) coordinates.

Every data-driven gate resolves, per sample, to one of these shapes, which are
exactly Gating-ML 2.0's rectangle, polygon and ellipsoid gates: the gate that was
applied can be written out, plotted and re-applied by another tool.

Membership is FlowKit's (Gating-ML) by construction, fast on float32 data:
* rectangles: min inclusive, max exclusive, compared exactly as in float64 (the bound
  is rounded up to the data's dtype, see `at_least`), one pass per bound;
* polygons: flowutils' winding-number test, the one FlowKit calls, decides every event
  that lies near the boundary; events clearly inside or outside a convex polygon are
  settled by a table of horizontal strips (per strip, the x range that is inside for
  every y of the strip, and the range that is inside for some y), about 10 array
  passes per polygon instead of one test per event and edge. Other polygons (the
  contours of 2-D cluster gates are rarely convex) use a grid of cells over the
  polygon's box instead: a cell that no edge comes near is wholly inside or outside
  (the even-odd parity of its centre, flowutils' rule), events in the other cells get
  the exact test.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = [
    "RectangleGate",
    "PolygonGate",
    "EllipseGate",
    "Gate",
    "at_least",
    "points_in_polygon",
    "CELLS",
]


@dataclass(frozen=True)
class RectangleGate:
    """Open or closed interval per dimension (None = unbounded)."""

    dims: tuple[str, ...]
    minimum: tuple[float | None, ...]
    maximum: tuple[float | None, ...]

    def contains(self, data: dict[str, np.ndarray]) -> np.ndarray:
        mask = None
        for dim, low, high in zip(self.dims, self.minimum, self.maximum, strict=True):
            values = data[dim]
            for bound, above in ((low, True), (high, False)):
                if bound is None:
                    continue
                edge = at_least(bound, values.dtype)
                inside = values >= edge if above else values < edge
                mask = inside if mask is None else np.logical_and(mask, inside, out=mask)
        return np.ones(len(data[self.dims[0]]), dtype=bool) if mask is None else mask

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
        return points_in_polygon(self.vertices, data[self.dims[0]], data[self.dims[1]])

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
        precision = np.linalg.inv(np.asarray(self.covariance, dtype=np.float64))
        dx = np.asarray(data[self.dims[0]], dtype=np.float64) - self.mean[0]
        dy = np.asarray(data[self.dims[1]], dtype=np.float64) - self.mean[1]
        squared = precision[0, 0] * dx * dx
        squared += (precision[0, 1] + precision[1, 0]) * dx * dy
        squared += precision[1, 1] * dy * dy
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


def at_least(bound: float, dtype: np.dtype) -> np.floating:
    """The smallest value of float `dtype` >= bound (float64 for other dtypes).

    For v of that dtype, v >= bound <=> v >= at_least(bound) and v < bound <=>
    v < at_least(bound): comparisons stay exact although NumPy 2 would round a
    Python float bound to the array's float32.
    """
    kind = np.dtype(dtype).type if np.dtype(dtype).kind == "f" else np.float64
    value = kind(bound)
    if np.isnan(bound) or float(value) >= bound:
        return value
    return np.nextafter(value, kind(np.inf))


def _at_most(bound: float, dtype: np.dtype) -> np.floating:
    """The largest value of float `dtype` <= bound: v <= bound <=> v <= _at_most(bound)."""
    kind = np.dtype(dtype).type if np.dtype(dtype).kind == "f" else np.float64
    value = kind(bound)
    if np.isnan(bound) or float(value) <= bound:
        return value
    return np.nextafter(value, kind(-np.inf))


STRIPS = 1024  # horizontal strips of the convex-polygon table
_STRIP_WIDEN = 0.01  # each strip's ranges hold for y a hundredth of a strip beyond it


_CHUNK = 1 << 15  # events per block of the strip test: its temporaries stay in L2


def points_in_polygon(vertices, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """flowutils.gating.points_in_polygon(vertices, (x, y)) (FlowKit's test), faster.

    Identical by construction: flowutils decides every event within a margin of the
    boundary (and every event of a polygon that is not convex); the strip table only
    settles events that are inside or outside by more than the rounding of any of
    the arithmetic involved.
    """
    x, y = np.asarray(x), np.asarray(y)
    v = np.asarray(vertices, dtype=np.float64).reshape(-1, 2)
    key = (tuple(map(tuple, v.tolist())), x.dtype.str, y.dtype.str)
    table = _strip_table(*key)
    if table is None:
        cells = _cell_table(*key)
        return _winding_in_box(v, x, y) if cells is None else _in_cells(v, x, y, cells)
    y_low, per_strip, bounds = table
    offset = y_low * per_strip
    last = len(bounds) - 1
    by_bound = np.ascontiguousarray(bounds.T)  # (4, strips): one row per bound
    inside = np.empty(len(x), dtype=bool)
    size = min(_CHUNK, len(x))
    position = np.empty(size, dtype=y.dtype)
    strip = np.empty(size, dtype=np.int32)  # int32: the conversion from float is SIMD
    gathered = np.empty((4, size), dtype=bounds.dtype)
    test = np.empty(size, dtype=bool)
    unsure = np.empty(size, dtype=bool)
    uncertain = []
    for start in range(0, len(x), _CHUNK):
        xs, ys = x[start : start + _CHUNK], y[start : start + _CHUNK]
        k = len(xs)
        pos, index, ok, maybe = position[:k], strip[:k], test[:k], unsure[:k]
        into = inside[start : start + k]
        np.multiply(ys, per_strip, out=pos)
        np.subtract(pos, offset, out=pos)
        # below: strip 0, above: the last strip, both outside the polygon (np.clip: ~3x
        # faster than fmax + fmin, but it keeps NaN, which goes to strip 0 as fmax sent it)
        np.clip(pos, 0, last, out=pos)
        if np.isnan(pos.min()):
            pos[np.isnan(pos)] = 0
        np.copyto(index, pos, casting="unsafe")  # truncation = floor for values >= 0
        # One gather of the strip's four bounds into contiguous rows ('wrap': indices are
        # in range, no checks); comparisons on contiguous rows are ~5x faster than on
        # the columns of a (k, 4) gather
        edges = gathered if k == size else np.empty((4, k), dtype=bounds.dtype)
        np.take(by_bound, index, axis=1, out=edges, mode="wrap")
        np.greater_equal(xs, edges[0], out=into)
        np.less_equal(xs, edges[1], out=ok)
        into &= ok
        np.greater_equal(xs, edges[2], out=maybe)
        np.less_equal(xs, edges[3], out=ok)
        maybe &= ok
        np.greater(maybe, into, out=maybe)  # possibly inside, not surely inside
        if maybe.any():
            uncertain.append(start + np.flatnonzero(maybe))
    if uncertain:
        index = np.concatenate(uncertain)
        inside[index] = _winding(v, x[index], y[index])
    return inside


def _winding(v: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """flowutils' C winding-number test (with its bounding box) on the given points."""
    from flowutils import gating

    points = np.empty((len(x), 2), dtype=np.float64)
    points[:, 0], points[:, 1] = x, y
    return gating.points_in_polygon(np.ascontiguousarray(v), points)


def _winding_in_box(v: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The exact test on the events within the polygon's bounding box (closed)."""
    inside = np.zeros(len(x), dtype=bool)
    if len(v) == 0 or len(x) == 0:
        return inside
    (x_min, y_min), (x_max, y_max) = v.min(axis=0), v.max(axis=0)
    box = x >= at_least(x_min, x.dtype)
    box &= x <= _at_most(x_max, x.dtype)
    box &= y >= at_least(y_min, y.dtype)
    box &= y <= _at_most(y_max, y.dtype)
    index = np.flatnonzero(box)
    if len(index):
        inside[index] = _winding(v, x[index], y[index])
    return inside


CELLS = 256  # cells per axis of the grid over a non-convex polygon's box
_CELL_MARGIN = 3  # empty cells around the box: the outermost cells are always outside
_OUTSIDE, _INSIDE, _NEAR = 0, 1, 2


def _in_cells(v: np.ndarray, x: np.ndarray, y: np.ndarray, cells: tuple) -> np.ndarray:
    """Membership from the cell table; events in cells near an edge get the exact test.

    The cell of an event: its offset from the table's origin times cells per unit, in its
    dtype, clamped to 0..CELLS-1 (NaN: 0, the outside margin) and truncated. Blocks of
    _CHUNK events through scratch arrays allocated once; np.clip rather than
    fmax + fmin and int32 rather than int64 cells (both SIMD: ~3x faster), the same
    cells."""
    (x0, y0), (scale_x, scale_y), table = cells
    last = CELLS - 1
    inside = np.empty(len(x), dtype=bool)
    size = min(_CHUNK, len(x))
    scratch = [
        np.empty(size, dtype=np.result_type(x.dtype, x0, scale_x)),
        np.empty(size, dtype=np.result_type(y.dtype, y0, scale_y)),
    ]
    column, row = np.empty(size, dtype=np.int32), np.empty(size, dtype=np.int32)
    kind, near = np.empty(size, dtype=table.dtype), np.empty(size, dtype=bool)
    uncertain = []
    for start in range(0, len(x), _CHUNK):
        xs, ys = x[start : start + _CHUNK], y[start : start + _CHUNK]
        k = len(xs)
        axes = ((xs, x0, scale_x, scratch[0], column), (ys, y0, scale_y, scratch[1], row))
        for values, origin, scale, buffer, out in axes:
            position = buffer[:k]
            np.subtract(values, origin, out=position)
            np.multiply(position, scale, out=position)
            np.clip(position, 0, last, out=position)  # NaN stays NaN ...
            if np.isnan(position.min()):  # ... and goes to cell 0 (fmax's rule)
                position[np.isnan(position)] = 0
            np.copyto(out[:k], position, casting="unsafe")  # truncation, as astype
        index = column[:k]
        index *= CELLS
        index += row[:k]
        np.take(table, index, out=kind[:k], mode="wrap")
        np.equal(kind[:k], _INSIDE, out=inside[start : start + k])
        np.equal(kind[:k], _NEAR, out=near[:k])
        if near[:k].any():
            uncertain.append(start + np.flatnonzero(near[:k]))
    if uncertain:
        index = np.concatenate(uncertain)
        inside[index] = _winding(v, x[index], y[index])
    return inside


@lru_cache(maxsize=64)
def _cell_table(vertices: tuple, x_dtype: str, y_dtype: str):
    """A CELLS x CELLS grid over the polygon's box (plus _CELL_MARGIN cells a side): per
    cell (flat index column * CELLS + row) _INSIDE, _OUTSIDE, or _NEAR when an edge
    passes within two cells of it. An event's cell is computed in its dtype; None when
    that rounding could reach a quarter cell (the exact test then does everything).
    """
    v = np.asarray(vertices, dtype=np.float64).reshape(-1, 2)
    if len(v) < 3 or not np.all(np.isfinite(v)):
        return None
    low, high = v.min(axis=0), v.max(axis=0)
    step = np.maximum(high - low, 1e-12 * (np.abs(low) + np.abs(high)) + 1e-300)
    step = step / (CELLS - 2 * _CELL_MARGIN)
    origin = low - _CELL_MARGIN * step
    for dtype, axis in ((x_dtype, 0), (y_dtype, 1)):
        kind = np.dtype(dtype)
        eps = np.finfo(kind if kind.kind == "f" else np.float64).eps
        reach = abs(origin[axis]) + abs(high[axis]) + CELLS * step[axis]
        if 16 * eps * reach / step[axis] > 0.25:
            return None
    # Edges: points every quarter cell or closer mark their cells; any point of an edge
    # lies within a cell of a mark, and the dilation by two keeps every cell next to an
    # edge-crossed cell (an event's cell may be off by one through rounding) _NEAR.
    near = np.zeros((CELLS, CELLS), dtype=bool)
    start, end = v, np.roll(v, -1, axis=0)
    cell = _edge_cells(start, end, origin, step)
    near[cell[:, 0], cell[:, 1]] = True
    for _ in range(2):
        grown = near.copy()
        grown[1:] |= near[:-1]
        grown[:-1] |= near[1:]
        grown[:, 1:] |= grown[:, :-1]
        grown[:, :-1] |= grown[:, 1:].copy()
        near = grown
    # Even-odd parity of each cell centre: crossings of the edges with each row's centre
    # line (half-open in y, so a vertex on the line counts once) left of the centre.
    centre_y = origin[1] + (np.arange(CELLS) + 0.5) * step[1]
    ya, yb = start[:, 1], end[:, 1]
    lo, hi = np.minimum(ya, yb), np.maximum(ya, yb)
    crosses = (centre_y[:, None] >= lo) & (centre_y[:, None] < hi)
    rows, edges = np.nonzero(crosses)
    fraction = (centre_y[rows] - ya[edges]) / (yb[edges] - ya[edges])
    cross_x = start[edges, 0] + fraction * (end[edges, 0] - start[edges, 0])
    first = np.floor((cross_x - origin[0]) / step[0] - 0.5).astype(np.intp) + 1
    parity = np.zeros((CELLS + 1, CELLS), dtype=np.int64)  # [first column right of it, row]
    np.add.at(parity, (np.clip(first, 0, CELLS), rows), 1)
    inside = (np.cumsum(parity, axis=0)[:CELLS] % 2).astype(bool)
    table = np.where(near, _NEAR, np.where(inside, _INSIDE, _OUTSIDE)).astype(np.uint8)
    x_kind = np.dtype(x_dtype).type if np.dtype(x_dtype).kind == "f" else np.float64
    y_kind = np.dtype(y_dtype).type if np.dtype(y_dtype).kind == "f" else np.float64
    with np.errstate(over="ignore"):
        scales = (x_kind(1 / step[0]), y_kind(1 / step[1]))
    if not (np.isfinite(scales[0]) and np.isfinite(scales[1])):
        return None  # a box too small for the events' dtype (a polygon without area)
    offsets = (x_kind(origin[0]), y_kind(origin[1]))
    return offsets, scales, table.ravel()


def _edge_cells(start: np.ndarray, end: np.ndarray, origin, step) -> np.ndarray:
    """The cells (column, row) of points every quarter cell or closer along each edge
    start[e] -> end[e]: per edge, count + 1 points at t = linspace(0, 1, count + 1),
    count = ceil(4 x its longest extent in cells) + 1. All edges at once (one set of
    array operations instead of a loop over a contour's ~100 edges, ~30x faster when
    a new polygon's table is built), with linspace's own arithmetic: t = k x (1 /
    count), and 1 exactly at the end."""
    delta = end - start
    counts = np.ceil(4 * np.max(np.abs(delta) / step, axis=1)).astype(np.intp) + 1
    edge = np.repeat(np.arange(len(start)), counts + 1)
    first = np.cumsum(counts + 1) - (counts + 1)  # each edge's first point
    k = np.arange(len(edge)) - first[edge]
    t = (k * (1.0 / counts[edge]))[:, None]
    t[first + counts] = 1.0
    cell = np.floor((start[edge] + t * delta[edge] - origin) / step).astype(np.intp)
    return np.clip(cell, 0, CELLS - 1)


@lru_cache(maxsize=64)
def _strip_table(vertices: tuple, x_dtype: str, y_dtype: str):
    """Per horizontal strip: x ranges surely inside and possibly inside a convex polygon.

    None when the polygon is not convex, has no area, or is too thin for the strips
    to be resolved in the data's precision (the exact test then does everything).
    """
    v = np.asarray(vertices, dtype=np.float64).reshape(-1, 2)
    if len(v) < 3 or not np.all(np.isfinite(v)):
        return None
    scale = float(np.ptp(v, axis=0).max()) + float(np.abs(v).max())
    v = v[np.hypot(*(v - np.roll(v, 1, axis=0)).T) > 1e-12 * scale]  # drop repeated vertices
    if len(v) < 3 or not _convex(v):
        return None
    (x_min, y_min), (x_max, y_max) = v.min(axis=0), v.max(axis=0)
    height, width = y_max - y_min, x_max - x_min
    if height <= 0 or width <= 0:
        return None
    x_type, y_type = np.dtype(x_dtype), np.dtype(y_dtype)
    step = height / STRIPS
    y_low = y_min - 2 * step  # two empty strips below and above the polygon
    count = STRIPS + 4
    # The strip of an event comes from float arithmetic in the data's dtype: allow for
    # its rounding (relative to the magnitudes involved) on top of the fixed widening.
    eps = np.finfo(y_type).eps if y_type.kind == "f" else np.finfo(np.float64).eps
    slack = 64 * eps * (abs(y_low) + abs(y_max) + height) / step
    if slack > 0.25:
        return None
    widen = (_STRIP_WIDEN + slack) * step
    lows = y_low + np.arange(count) * step - widen
    highs = lows + step + 2 * widen
    a, b = np.maximum(lows, y_min), np.minimum(highs, y_max)
    present = a <= b
    a, b = np.where(present, a, y_min), np.where(present, b, y_min)
    left_a, right_a = _cross_section(v, a)
    left_b, right_b = _cross_section(v, b)
    # Inner range (every y of the widened strip): only where the strip lies strictly
    # inside the polygon's y range; the cross-section bounds are convex/concave in y.
    strictly = (lows > y_min) & (highs < y_max)
    inner_low = np.where(strictly, np.maximum(left_a, left_b), np.inf)
    inner_high = np.where(strictly, np.minimum(right_a, right_b), -np.inf)
    outer_low = np.where(present, np.minimum(left_a, left_b), np.inf)
    outer_high = np.where(present, np.maximum(right_a, right_b), -np.inf)
    for vx, vy in v:  # vertices within a (widened) strip extend its outer range
        first = max(int((vy - y_low - widen) // step) - 1, 0)
        for strip in range(first, min(first + 4, count)):
            if lows[strip] <= vy <= highs[strip]:
                outer_low[strip] = min(outer_low[strip], vx)
                outer_high[strip] = max(outer_high[strip], vx)
    # Margins for the float64 arithmetic (far below any float32 step), then round
    # the bounds to the data's dtype: inward for the inner range, outward for the outer.
    margin = 1e-9 * (width + max(abs(x_min), abs(x_max)))
    inner_low, inner_high = inner_low + margin, inner_high - margin
    outer_low, outer_high = outer_low - margin, outer_high + margin
    kind = x_type.type if x_type.kind == "f" else np.float64
    if kind is not np.float64:
        inner_low = _rounded(inner_low, kind, up=True)
        inner_high = _rounded(inner_high, kind, up=False)
        outer_low = _rounded(outer_low, kind, up=False)
        outer_high = _rounded(outer_high, kind, up=True)
    strip_type = y_type.type if y_type.kind == "f" else np.float64
    bounds = np.stack([inner_low, inner_high, outer_low, outer_high], axis=1)
    return strip_type(y_low), strip_type(1.0 / step), np.ascontiguousarray(bounds)


def _convex(v: np.ndarray) -> bool:
    """Convex and simple (turns all one way, once around); collinear vertices allowed.

    Turns smaller than 1e-9 rad count as straight: an ellipse outline that ends where
    it started leaves an edge of ~1e-17 whose direction is rounding noise. (The strip
    table's margins dwarf any such deviation from convexity.)
    """
    edges = np.roll(v, -1, axis=0) - v
    following = np.roll(edges, -1, axis=0)
    cross = edges[:, 0] * following[:, 1] - edges[:, 1] * following[:, 0]
    dot = np.sum(edges * following, axis=1)
    sine = cross / (np.hypot(*edges.T) * np.hypot(*following.T))
    if not (np.all(sine >= -1e-9) or np.all(sine <= 1e-9)):
        return False
    turning = np.sum(np.arctan2(cross, dot))
    return bool(abs(abs(turning) - 2 * np.pi) < 1e-6)


def _cross_section(v: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leftmost and rightmost x of the polygon's edges at each y (ys within its y range)."""
    start, end = v, np.roll(v, -1, axis=0)
    sloped = start[:, 1] != end[:, 1]  # horizontal edges end on sloped ones
    start, end = start[sloped], end[sloped]
    low = np.minimum(start[:, 1], end[:, 1])
    high = np.maximum(start[:, 1], end[:, 1])
    slope = (end[:, 0] - start[:, 0]) / (end[:, 1] - start[:, 1])
    at = start[:, 0] + (ys[:, None] - start[:, 1]) * slope
    on = (ys[:, None] >= low) & (ys[:, None] <= high)
    left = np.where(on, at, np.inf).min(axis=1)
    right = np.where(on, at, -np.inf).max(axis=1)
    return left, right


def _rounded(values: np.ndarray, kind: type, up: bool) -> np.ndarray:
    """Round float64 values to `kind` towards +inf (up) or -inf."""
    result = values.astype(kind)
    wrong = result < values if up else result > values
    result[wrong] = np.nextafter(result[wrong], kind(np.inf if up else -np.inf))
    return result
