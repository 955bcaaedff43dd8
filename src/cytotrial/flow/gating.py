"""Apply a gating template to one sample's transformed events.

Each gate is resolved against its parent's events (so thresholds and clusters
adapt to the sample), turned into a concrete shape (see `gates`), and applied.
Problems become flags on the gate, never exceptions: a gate whose parent is
empty is empty, a marker with one peak gets a fallback cut and a flag.

Cost on large files: every gate's shape is applied to all events (a few array
passes); the statistics that place it are not computed on all of them. Densities,
quantiles, medians and covariances come from a deterministic subsample of the
parent's events, every k-th one with k chosen so that at most MAX_SAMPLE remain
(`subsample`), while the kernel width of a density follows the parent's full event
count (Silverman's n). Below MAX_SAMPLE parent events every event is used; above it
a threshold lands within about one density bin of where all events put it
(tests/test_flow_fast_path.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cytotrial.flow.density import (
    Density,
    density,
    median,
    peaks,
    percentiles,
    prominent_pair,
    valley_between,
)
from cytotrial.flow.gate_kinds import KINDS as NEW_KINDS
from cytotrial.flow.gate_kinds.boolean import contains
from cytotrial.flow.gate_kinds.resolve import resolve_kind
from cytotrial.flow.gates import EllipseGate, Gate, PolygonGate, RectangleGate
from cytotrial.flow.gating_template import GateSpec, GatingTemplate, ThresholdSpec
from cytotrial.flow.mixture import fit_mixture

MIN_EVENTS_TO_ADAPT = 30  # fewer parent events than this: no density can be trusted
MAX_SAMPLE = 200_000  # densities and robust statistics from at most this many parent events


@dataclass(frozen=True)
class AppliedGate:
    """A gate as applied to one sample."""

    spec: GateSpec
    shape: Gate
    mask: np.ndarray  # over all events of the sample
    flags: tuple[str, ...]

    @property
    def events(self) -> int:
        return int(np.count_nonzero(self.mask))


def gate_events(data: dict[str, np.ndarray], template: GatingTemplate) -> dict[str, AppliedGate]:
    """Resolve and apply every gate of `template`, parents first."""
    n = len(next(iter(data.values())))
    masks = {"root": np.ones(n, dtype=bool)}
    mixtures: dict[tuple, object] = {}  # one mixture fit serves sibling cluster gates
    mixtures["masks"] = masks  # issue 15: earlier gates' masks (tail gate's control)
    applied: dict[str, AppliedGate] = {}
    for spec in template.gates:
        parent = masks[spec.parent]
        shape, flags = resolve(spec, data, parent, mixtures)
        mask = contains(shape, data, masks)  # a boolean gate reads earlier gates' masks
        mask &= parent
        masks[spec.name] = mask
        applied[spec.name] = AppliedGate(spec, shape, mask, tuple(flags))
    return applied


def apply_gates(
    data: dict[str, np.ndarray], template: GatingTemplate, shapes: dict[str, Gate]
) -> dict[str, np.ndarray]:
    """Masks of fixed (already resolved) shapes applied along the template's hierarchy."""
    n = len(next(iter(data.values())))
    masks = {"root": np.ones(n, dtype=bool)}
    for spec in template.gates:
        mask = contains(shapes[spec.name], data, masks)
        mask &= masks[spec.parent]
        masks[spec.name] = mask
    del masks["root"]
    return masks


def subsample(values: np.ndarray, limit: int | None = None) -> np.ndarray:
    """Every k-th value (a view), k the smallest step leaving at most `limit` (MAX_SAMPLE)."""
    limit = MAX_SAMPLE if limit is None else limit
    step = -(-len(values) // limit) if len(values) > limit else 1
    return values[::step]


def _of(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The values of the events in `mask` (np.compress: faster than values[mask])."""
    return np.compress(mask, values)


def _finite(values: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(values.sum()):
            return values
    return values[np.isfinite(values)]


@dataclass(frozen=True)
class _Population:
    """A population's event count and the indices of its subsample (every k-th event)."""

    count: int
    index: np.ndarray

    @classmethod
    def of(cls, mask: np.ndarray) -> _Population:
        index = np.flatnonzero(mask)
        return cls(len(index), subsample(index))


def _population(cache: dict, key: tuple, mask: np.ndarray) -> _Population:
    if ("population", key) not in cache:
        cache["population", key] = _Population.of(mask)
    return cache["population", key]


def _sample_values(
    cache: dict, key: tuple, mask: np.ndarray, marker: str, values: np.ndarray
) -> tuple[np.ndarray, int]:
    """The subsample's values of `marker` in population `key`, and the population's size."""
    population = _population(cache, key, mask)
    if ("values", key, marker) not in cache:
        cache["values", key, marker] = values.take(population.index)
    return cache["values", key, marker], population.count


def resolve(
    spec: GateSpec, data: dict[str, np.ndarray], parent: np.ndarray, mixtures: dict
) -> tuple[Gate, list[str]]:
    """The concrete shape of one gate for this sample, and any flags.

    `mixtures` is the sample's cache (empty at the start of each sample): sibling gates
    share the parent's subsample, a marker's density and mixture fits.
    """
    p = spec.params
    cache = mixtures
    # issue 15: the new gate kinds (cytotrial.flow.gate_kinds), singlets on height x width
    if spec.kind in NEW_KINDS or (spec.kind == "singlets" and p.get("width")):

        def values_of(key: tuple, mask: np.ndarray, marker: str) -> tuple[np.ndarray, int]:
            return _sample_values(cache, key, mask, marker, data[marker])

        return resolve_kind(spec, data, parent, cache.get("masks", {}), values_of)
    if spec.kind == "threshold":
        t = p["threshold"]
        cut, flags = _cached_threshold(cache, (spec.parent,), parent, data, t)
        return _one_sided((t.marker,), (t.side,), (cut,)), flags
    if spec.kind == "quadrant":
        x, y = p["x"], p["y"]
        cut_x, flags = _cached_threshold(cache, (spec.parent,), parent, data, x)
        key = (spec.parent, x.marker, x.side, cut_x)
        passes_x = cache.get(("mask", key))
        if passes_x is None:
            passes_x = _one_sided((x.marker,), (x.side,), (cut_x,)).contains(data)
            passes_x &= parent
            cache["mask", key] = passes_x
        if int(passes_x.sum()) >= MIN_EVENTS_TO_ADAPT:
            cut_y, flags_y = _cached_threshold(cache, key, passes_x, data, y)
        else:
            # Too few events pass x to place y's cut (e.g. NK cells depleted by
            # daratumumab): place it on the whole parent instead of leaving it empty.
            cut_y, flags_y = _cached_threshold(cache, (spec.parent,), parent, data, y)
            flags_y = [*flags_y, f"few_events({x.marker}; {y.marker} cut set on {spec.parent})"]
        return _one_sided((x.marker, y.marker), (x.side, y.side), (cut_x, cut_y)), flags + flags_y
    if spec.kind == "singlets":
        key = (spec.parent,)
        area, _ = _sample_values(cache, key, parent, p["area"], data[p["area"]])
        height, _ = _sample_values(cache, key, parent, p["height"], data[p["height"]])
        usable = parent & (data[p["height"]] > 0)
        reach = float(np.max(data[p["area"]], where=usable, initial=-np.inf))
        return singlet_wedge(area, height, p, reach)
    if spec.kind == "scatter_cluster":
        return scatter_population(spec, data, parent, cache)
    return RectangleGate(tuple(p["dims"]), tuple(p["min"]), tuple(p["max"])), []


def _cached_threshold(
    cache: dict, key: tuple, mask: np.ndarray, data: dict[str, np.ndarray], spec: ThresholdSpec
) -> tuple[float, list[str]]:
    """find_threshold for the population `key` (`mask`); specs share the density."""
    if spec.method == "static":
        return float(spec.value), []
    if ("profile", key, spec.marker) not in cache:
        values, count = _sample_values(cache, key, mask, spec.marker, data[spec.marker])
        cache["profile", key, spec.marker] = _Profile.of(values, count)
    return _cut(cache["profile", key, spec.marker], spec)


def _one_sided(dims: tuple[str, ...], sides: tuple[str, ...], cuts: tuple[float, ...]) -> Gate:
    minimum = tuple(c if s == "above" else None for s, c in zip(sides, cuts, strict=True))
    maximum = tuple(c if s == "below" else None for s, c in zip(sides, cuts, strict=True))
    return RectangleGate(dims, minimum, maximum)


@dataclass(frozen=True)
class _Profile:
    """One marker on one population: its (sub)sample of finite values and their density."""

    sample: np.ndarray
    count: int  # events of the population (the sample may hold fewer)
    dens: Density | None = None  # None: too few events to adapt

    @classmethod
    def of(cls, sample: np.ndarray, count: int) -> _Profile:
        finite = _finite(sample)
        if len(finite) < len(sample):  # non-finite values: scale the count alike
            count = round(count * len(finite) / max(len(sample), 1))
        if count < MIN_EVENTS_TO_ADAPT or len(finite) < MIN_EVENTS_TO_ADAPT:
            return cls(finite, count)
        low, q25, q75, high = percentiles(finite, [0.1, 25, 75, 99.9])
        margin = 0.05 * (high - low) + 1e-6
        dens = density(finite, low - margin, high + margin, n_events=count, quartiles=(q25, q75))
        return cls(finite, count, dens)


def find_threshold(
    values: np.ndarray, spec: ThresholdSpec, sample_limit: int | None = None
) -> tuple[float, list[str]]:
    """The cut for one marker on the parent's values (transformed units).

    The density, its quantiles and the fallback spreads come from
    `subsample(values, sample_limit)`; the kernel width follows len(values).
    """
    if spec.method == "static":
        return float(spec.value), []
    return _cut(_Profile.of(subsample(values, sample_limit), len(values)), spec)


def _cut(profile: _Profile, spec: ThresholdSpec) -> tuple[float, list[str]]:
    if profile.dens is None:
        count = profile.count
        if spec.value is not None:
            return spec.value, [f"too_few_events({spec.marker}: {count}; static cut used)"]
        empty = np.inf if spec.side == "above" else -np.inf
        return empty, [f"too_few_events({spec.marker}: {count}; gate left empty)"]
    dens, sample = profile.dens, profile.sample
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
            return _beyond(sample, centers[positive[0]], "below", spec.fallback_sd), flags
        flags = [f"no_positive_peak({spec.marker})"] if spec.side == "above" else []
        return _beyond(sample, centers[negative[-1]], "above", spec.fallback_sd), flags
    if spec.valley == "first":
        pair = (found[0], found[1]) if len(found) >= 2 else None
    else:
        pair = prominent_pair(dens, found)
    if pair is not None:
        return valley_between(dens, *pair), []
    if spec.value is not None:
        return spec.value, [f"no_valley({spec.marker}; static cut used)"]
    # One population only: take it as the wanted one and cut beyond its far side.
    centre = float(centers[found[0]]) if found else float(median(sample))
    far_side = "below" if spec.side == "above" else "above"
    return _beyond(sample, centre, far_side, spec.fallback_sd), [f"single_peak({spec.marker})"]


def _beyond(values: np.ndarray, centre: float, side: str, sds: float) -> float:
    """A cut `sds` robust half-SDs below or above a peak, from that side's own spread."""
    if side == "below":
        half = centre - values[values < centre]
    else:
        half = values[values > centre] - centre
    spread = 1.4826 * float(median(half)) if len(half) else 0.0
    return centre - sds * spread if side == "below" else centre + sds * spread


def singlet_wedge(
    area: np.ndarray, height: np.ndarray, p: dict, area_max: float | None = None
) -> tuple[Gate, list[str]]:
    """Events whose area/height ratio is within `width_mad` robust SDs of the median.

    `area`, `height`: the parent's events (or a subsample of them); `area_max`: the
    largest area among all the parent's events with a positive height (default: from
    `area`), which sets the wedge's reach.
    """
    usable = (height > 0) & np.isfinite(area) & np.isfinite(height)
    if np.count_nonzero(usable) < MIN_EVENTS_TO_ADAPT:
        return PolygonGate((p["area"], p["height"]), ((0, 0), (0, 0), (0, 0))), [
            "too_few_events(singlets)"
        ]
    ratio = area[usable] / height[usable]
    centre = float(median(ratio))
    spread = 1.4826 * float(median(np.abs(ratio - centre)))
    low = max(centre - p["width_mad"] * spread, 1e-6)
    high = centre + p["width_mad"] * spread
    if area_max is None or not np.isfinite(area_max):
        area_max = float(np.max(area[usable]))
    reach = max(1.5, area_max * 1.1)
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
    x, count = _sample_values(cache, (spec.parent,), parent, p["x"], data[p["x"]])
    y, _ = _sample_values(cache, (spec.parent,), parent, p["y"], data[p["y"]])
    key = (spec.parent, p["y"], p["components"])
    if key not in cache:
        cache[key] = _scatter_bands(y, p["components"], count)
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
    if np.count_nonzero(inside) < MIN_EVENTS_TO_ADAPT:
        return PolygonGate(dims, ((0, 0), (0, 0), (0, 0))), [f"too_few_events({spec.name})"]
    centre, covariance = _robust_centre(_of(x, inside), _of(y, inside))
    ellipse = EllipseGate(dims, centre, covariance, p["distance"] ** 2)
    outline = clip_polygon_y(ellipse.outline(64), low, high)
    return PolygonGate(dims, tuple((float(a), float(b)) for a, b in outline)), []


def _scatter_bands(
    y: np.ndarray, components: int, count: int | None = None
) -> tuple[list[float], list[float]] | None:
    """Band edges on y between `components` density peaks and the peaks' positions.

    `y`: the population's values (or a subsample; `count` events in all). None where
    y does not show exactly `components` peaks.
    """
    finite = _finite(y)
    count = len(y) if count is None else count
    count = round(count * len(finite) / max(len(y), 1))
    if len(finite) < MIN_EVENTS_TO_ADAPT:
        return None
    low, q25, q75, high = percentiles(finite, [0.1, 25, 75, 99.9])
    dens = density(finite, low, high, n_events=count, quartiles=(q25, q75))
    found = peaks(dens)
    if len(found) != components:
        return None
    cuts = [valley_between(dens, a, b) for a, b in zip(found, found[1:], strict=False)]
    return [-np.inf, *cuts, np.inf], [float(dens.centers[i]) for i in found]


def _robust_centre(x: np.ndarray, y: np.ndarray) -> tuple[tuple[float, float], tuple[tuple, tuple]]:
    """Median centre and the covariance of the events within 3 robust SDs of it."""
    centre = (median(x), median(y))
    dx, dy = np.abs(x - centre[0]), np.abs(y - centre[1])
    spread = (1.4826 * median(dx) + 1e-9, 1.4826 * median(dy) + 1e-9)
    core = (dx <= 3 * spread[0]) & (dy <= 3 * spread[1])
    if np.count_nonzero(core) > 2:
        covariance = np.cov(np.vstack([_of(x, core), _of(y, core)]))
    else:
        covariance = np.diag(np.square(spread))
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
