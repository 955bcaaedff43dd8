"""Apply a gating template to one sample's transformed events.

Each gate is resolved against its parent's events (so thresholds and clusters
adapt to the sample), turned into a concrete shape (see `gates`), and applied.
Problems become flags on the gate, never exceptions: a gate whose parent is
empty is empty, a marker with one peak gets a fallback cut and a flag.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cytotrial.flow.density import density, peaks, prominent_pair, valley_between
from cytotrial.flow.gates import EllipseGate, Gate, PolygonGate, RectangleGate
from cytotrial.flow.gating_template import GateSpec, GatingTemplate, ThresholdSpec
from cytotrial.flow.mixture import fit_mixture

MIN_EVENTS_TO_ADAPT = 30  # fewer parent events than this: no density can be trusted


@dataclass(frozen=True)
class AppliedGate:
    """A gate as applied to one sample."""

    spec: GateSpec
    shape: Gate
    mask: np.ndarray  # over all events of the sample
    flags: tuple[str, ...]

    @property
    def events(self) -> int:
        return int(self.mask.sum())


def gate_events(data: dict[str, np.ndarray], template: GatingTemplate) -> dict[str, AppliedGate]:
    """Resolve and apply every gate of `template`, parents first."""
    n = len(next(iter(data.values())))
    masks = {"root": np.ones(n, dtype=bool)}
    mixtures: dict[tuple, object] = {}  # one mixture fit serves sibling cluster gates
    applied: dict[str, AppliedGate] = {}
    for spec in template.gates:
        parent = masks[spec.parent]
        shape, flags = resolve(spec, data, parent, mixtures)
        mask = parent & shape.contains(data)
        masks[spec.name] = mask
        applied[spec.name] = AppliedGate(spec, shape, mask, tuple(flags))
    return applied


def resolve(
    spec: GateSpec, data: dict[str, np.ndarray], parent: np.ndarray, mixtures: dict
) -> tuple[Gate, list[str]]:
    """The concrete shape of one gate for this sample, and any flags."""
    p = spec.params
    if spec.kind == "threshold":
        cut, flags = find_threshold(data[p["threshold"].marker][parent], p["threshold"])
        return _one_sided((p["threshold"].marker,), (p["threshold"].side,), (cut,)), flags
    if spec.kind == "quadrant":
        x, y = p["x"], p["y"]
        cut_x, flags = find_threshold(data[x.marker][parent], x)
        passes_x = parent & _one_sided((x.marker,), (x.side,), (cut_x,)).contains(data)
        cut_y, flags_y = find_threshold(data[y.marker][passes_x], y)
        return _one_sided((x.marker, y.marker), (x.side, y.side), (cut_x, cut_y)), flags + flags_y
    if spec.kind == "singlets":
        return singlet_wedge(data[p["area"]][parent], data[p["height"]][parent], p)
    if spec.kind == "scatter_cluster":
        return scatter_population(spec, data, parent, mixtures)
    return RectangleGate(tuple(p["dims"]), tuple(p["min"]), tuple(p["max"])), []


def _one_sided(dims: tuple[str, ...], sides: tuple[str, ...], cuts: tuple[float, ...]) -> Gate:
    minimum = tuple(c if s == "above" else None for s, c in zip(sides, cuts, strict=True))
    maximum = tuple(c if s == "below" else None for s, c in zip(sides, cuts, strict=True))
    return RectangleGate(dims, minimum, maximum)


def find_threshold(values: np.ndarray, spec: ThresholdSpec) -> tuple[float, list[str]]:
    """The cut for one marker on the parent's values (transformed units)."""
    if spec.method == "static":
        return float(spec.value), []
    values = values[np.isfinite(values)]
    if len(values) < MIN_EVENTS_TO_ADAPT:
        if spec.value is not None:
            return spec.value, [f"too_few_events({spec.marker}: {len(values)}; static cut used)"]
        empty = np.inf if spec.side == "above" else -np.inf
        return empty, [f"too_few_events({spec.marker}: {len(values)}; gate left empty)"]
    low, high = np.percentile(values, [0.1, 99.9])
    margin = 0.05 * (high - low) + 1e-6
    dens = density(values, low - margin, high + margin)
    found = peaks(dens)
    centers = dens.centers
    if spec.negative_below is not None:
        negative = [i for i in found if centers[i] < spec.negative_below]
        positive = [i for i in found if centers[i] >= spec.negative_below]
        if negative and positive:
            return valley_between(dens, negative[-1], positive[0]), []
        # One side only: cut beyond it, and flag it if it is not the wanted side.
        if positive:
            flags = [f"no_negative_peak({spec.marker})"] if spec.side == "below" else []
            return _beyond(values, centers[positive[0]], "below", spec.fallback_sd), flags
        flags = [f"no_positive_peak({spec.marker})"] if spec.side == "above" else []
        return _beyond(values, centers[negative[-1]], "above", spec.fallback_sd), flags
    if spec.valley == "first":
        pair = (found[0], found[1]) if len(found) >= 2 else None
    else:
        pair = prominent_pair(dens, found)
    if pair is not None:
        return valley_between(dens, *pair), []
    if spec.value is not None:
        return spec.value, [f"no_valley({spec.marker}; static cut used)"]
    # One population only: take it as the wanted one and cut beyond its far side.
    centre = float(centers[found[0]]) if found else float(np.median(values))
    far_side = "below" if spec.side == "above" else "above"
    return _beyond(values, centre, far_side, spec.fallback_sd), [f"single_peak({spec.marker})"]


def _beyond(values: np.ndarray, centre: float, side: str, sds: float) -> float:
    """A cut `sds` robust half-SDs below or above a peak, from that side's own spread."""
    if side == "below":
        half = centre - values[values < centre]
    else:
        half = values[values > centre] - centre
    spread = 1.4826 * float(np.median(half)) if len(half) else 0.0
    return centre - sds * spread if side == "below" else centre + sds * spread


def singlet_wedge(area: np.ndarray, height: np.ndarray, p: dict) -> tuple[Gate, list[str]]:
    """Events whose area/height ratio is within `width_mad` robust SDs of the median."""
    usable = (height > 0) & np.isfinite(area) & np.isfinite(height)
    if usable.sum() < MIN_EVENTS_TO_ADAPT:
        return PolygonGate((p["area"], p["height"]), ((0, 0), (0, 0), (0, 0))), [
            "too_few_events(singlets)"
        ]
    ratio = area[usable] / height[usable]
    centre = float(np.median(ratio))
    spread = 1.4826 * float(np.median(np.abs(ratio - centre)))
    low = max(centre - p["width_mad"] * spread, 1e-6)
    high = centre + p["width_mad"] * spread
    reach = max(1.5, float(np.max(area[usable])) * 1.1)
    # Wedge between the lines height = area / high and height = area / low.
    vertices = ((0.0, 0.0), (reach, reach / high), (reach, reach / low))
    return PolygonGate((p["area"], p["height"]), vertices), []


def scatter_population(
    spec: GateSpec, data: dict[str, np.ndarray], parent: np.ndarray, cache: dict
) -> tuple[Gate, list[str]]:
    """The `pick`-th of `components` scatter clouds, ranked by their y (side scatter).

    The clouds are separated by the density valleys of y; the picked cloud's core
    (robust centre and covariance) gives an ellipse at `distance`, clipped to the
    cloud's y band so that it never reaches into a neighbour. Where y does not show
    the expected number of peaks, a Gaussian mixture is fitted instead (flagged).
    """
    p = spec.params
    dims = (p["x"], p["y"])
    x, y = data[p["x"]][parent], data[p["y"]][parent]
    key = (spec.parent, p["y"], p["components"])
    if key not in cache:
        cache[key] = _scatter_bands(y, p["components"])
    bands = cache[key]
    k = p["pick"] - 1
    if bands is None:
        return _mixture_ellipse(spec, x, y, cache)
    edges, centres = bands
    low, high = edges[k], edges[k + 1]
    # Reach part of the way towards the neighbouring clouds' peaks: scatter clouds
    # overlap, and a marker gate below this one removes the neighbours' cells.
    if k > 0:
        low -= p["widen"] * (low - centres[k - 1])
    if k + 1 < len(centres):
        high += p["widen"] * (centres[k + 1] - high)
    inside = (y >= low) & (y < high) & np.isfinite(x)
    if inside.sum() < MIN_EVENTS_TO_ADAPT:
        return PolygonGate(dims, ((0, 0), (0, 0), (0, 0))), [f"too_few_events({spec.name})"]
    centre, covariance = _robust_centre(np.column_stack([x[inside], y[inside]]))
    ellipse = EllipseGate(dims, centre, covariance, p["distance"] ** 2)
    outline = clip_polygon_y(ellipse.outline(64), low, high)
    return PolygonGate(dims, tuple((float(a), float(b)) for a, b in outline)), []


def _scatter_bands(y: np.ndarray, components: int) -> tuple[list[float], list[float]] | None:
    """Band edges on y between `components` density peaks and the peaks' positions.

    None where y does not show exactly `components` peaks.
    """
    y = y[np.isfinite(y)]
    if len(y) < MIN_EVENTS_TO_ADAPT:
        return None
    low, high = np.percentile(y, [0.1, 99.9])
    dens = density(y, low, high)
    found = peaks(dens)
    if len(found) != components:
        return None
    cuts = [valley_between(dens, a, b) for a, b in zip(found, found[1:], strict=False)]
    return [-np.inf, *cuts, np.inf], [float(dens.centers[i]) for i in found]


def _robust_centre(points: np.ndarray) -> tuple[tuple[float, float], tuple[tuple, tuple]]:
    """Median centre and the covariance of the events within 3 robust SDs of it."""
    centre = np.median(points, axis=0)
    spread = 1.4826 * np.median(np.abs(points - centre), axis=0) + 1e-9
    core = points[np.all(np.abs(points - centre) <= 3 * spread, axis=1)]
    covariance = np.cov(core.T) if len(core) > 2 else np.diag(spread**2)
    return (
        (float(centre[0]), float(centre[1])),
        tuple(tuple(float(v) for v in row) for row in covariance),
    )


def clip_polygon_y(vertices: np.ndarray, low: float, high: float) -> np.ndarray:
    """Clip a convex polygon to low <= y <= high (Sutherland-Hodgman on two lines)."""
    for bound, keep_above in ((low, True), (high, False)):
        if not np.isfinite(bound):
            continue
        clipped = []
        for i, current in enumerate(vertices):
            previous = vertices[i - 1]
            current_in = current[1] >= bound if keep_above else current[1] <= bound
            previous_in = previous[1] >= bound if keep_above else previous[1] <= bound
            if current_in != previous_in:
                t = (bound - previous[1]) / (current[1] - previous[1])
                clipped.append(previous + t * (current - previous))
            if current_in:
                clipped.append(current)
        vertices = np.asarray(clipped)
    return vertices


def _mixture_ellipse(
    spec: GateSpec, x: np.ndarray, y: np.ndarray, cache: dict
) -> tuple[Gate, list[str]]:
    p = spec.params
    dims = (p["x"], p["y"])
    key = ("mixture", spec.parent, p["x"], p["y"], p["components"])
    if key not in cache:
        try:
            cache[key] = fit_mixture(np.column_stack([x, y]), p["components"], sort_dim=1)
        except ValueError as exc:
            cache[key] = exc
    mixture = cache[key]
    flags = [f"scatter_peaks_not_found({spec.name}; Gaussian mixture used)"]
    if isinstance(mixture, ValueError):
        empty = EllipseGate(dims, (0.0, 0.0), ((1e-9, 0.0), (0.0, 1e-9)), 0.0)
        return empty, [*flags, f"cluster_failed({mixture})"]
    k = p["pick"] - 1
    shape = EllipseGate(
        dims,
        (float(mixture.means[k][0]), float(mixture.means[k][1])),
        tuple(tuple(float(v) for v in row) for row in mixture.covariances[k]),
        p["distance"] ** 2,
    )
    return shape, flags if mixture.converged else [*flags, "cluster_not_converged"]
