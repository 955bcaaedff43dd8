"""Apply a gating template to one sample's transformed events.

Each gate is resolved against its parent's events (so thresholds and clusters
adapt to the sample), turned into a concrete shape (see `gates`), and applied.
Problems become flags on the gate, never exceptions: a gate whose parent is
empty is empty. A marker with one peak in the parent is classified negative or
positive against its expected negative level (template, a reference population, or
an ancestor where the marker is bimodal; guide §1.4) and a gate takes that peak only
if it is on the gate's side: a population can be empty (flagged), never the whole
parent by default. Gates on one parent and marker share one cut. Every valley cut
carries its confidence (depth, separation, stability under resampling, guide §6),
and a low one is flagged.

Cost on large files: every gate's shape is applied to all events (a few array
passes); the statistics that place it are not computed on all of them. Densities,
quantiles, medians and covariances come from a deterministic subsample of the
parent's events, every k-th one with k chosen so that at most MAX_SAMPLE remain
(`subsample`), while the kernel width of a density follows the parent's full event
count (Silverman's n). Below MAX_SAMPLE parent events every event is used; above it
a threshold lands within about one density bin of where all events put it
(tests/unit/flow/test_flow_fast_path.py).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from cytotrial.flow.gating.cut_checks import (
    CHOICE_FLIP_SHARE,
    events_below_first_peak,
    lone_cut_value,
    out_of_body,
    valley_choice_flips,
)
from cytotrial.flow.gating.density import (
    Density,
    density,
    density_like,
    half_width_sd,
    local_peaks,
    median,
    peaks,
    percentiles,
    prominent_pair,
    valley_between,
    valley_index,
    without_spikes,
)
from cytotrial.flow.gating.gates import EllipseGate, Gate, PolygonGate, RectangleGate
from cytotrial.flow.gating.kinds import KINDS as NEW_KINDS
from cytotrial.flow.gating.kinds.boolean import BooleanGate, contains
from cytotrial.flow.gating.kinds.resolve import resolve_kind
from cytotrial.flow.gating.kinds.tail import MOVED_SHARE, shoulder_uncertain_events
from cytotrial.flow.gating.mixture import fit_mixture
from cytotrial.flow.gating.template import GateSpec, GatingTemplate, ThresholdSpec

__all__ = [
    "MAX_SAMPLE",
    "AppliedGate",
    "gate_events",
    "lineage_flags",
    "apply_gates",
    "SUBSET_SHARE",
    "member",
    "subsample",
    "resolve",
    "cut_as_dict",
    "find_threshold",
    "negative_level_of",
    "clip_polygon_y",
]

MIN_EVENTS_TO_ADAPT = 30  # fewer parent events than this: no density can be trusted
MAX_SAMPLE = 200_000  # densities and robust statistics from at most this many parent events
REPLICATES = 5  # resamples of the parent per data-driven cut (its stability, see _confidence)
REPLICATE_EVENTS = 20_000  # events per resample (at most)
# A shallow valley close to the negative peak is the negatives' upper flank, not a gap
# (flag valley_near_negative): when a kernel fills a sparse gap between a large negative
# population and a small positive one, the density's minimum can land inside the
# negatives, and a cut there puts their upper tail in the positive gate (the demo's
# PT058_B_C2D3 at 5,000 events: CD19 depth 0.67, 27% of the way from the negative peak,
# B cells F1 0.88). A positive population's own valley lies near the middle or nearer the
# smaller peak. SHALLOW_VALLEY: the guide's review threshold for the valley ratio
# (gating-methods.md §6); a deep valley is a gap wherever it lies. NEAR_NEGATIVE: chosen
# on the demo against the simulator's truth (267 samples at 5,000 and 20,000 events: no
# population gated at F1 >= 0.90 and otherwise unflagged has a shallow valley within 30%
# of the way); a constant of this rule, not a template option.
NEAR_NEGATIVE = 0.3
SHALLOW_VALLEY = 0.5


@dataclass(frozen=True)
class AppliedGate:
    """A gate as applied to one sample."""

    spec: GateSpec
    shape: Gate
    mask: np.ndarray  # over all events of the sample
    flags: tuple[str, ...]
    cuts: tuple[dict, ...] = ()  # each data-driven cut and its confidence (see _confidence)

    @property
    def events(self) -> int:
        return int(np.count_nonzero(self.mask))


def gate_events(
    data: dict[str, np.ndarray],
    template: GatingTemplate,
    display_ranges: dict[str, tuple[float, float]] | None = None,
    timings: dict[str, float] | None = None,
    pooled: Mapping[str, Mapping[str, dict]] | None = None,
    controls: Mapping[str, Mapping[str, dict]] | None = None,
    corrected: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, AppliedGate]:
    """Resolve and apply every gate of `template`, parents first.

    `pooled` (issue 16): gate -> marker -> a cut placed on its group's pooled events
    (cytotrial.flow.sample.pooling, `cut_as_dict`); those gates apply it instead of placing
    their own. `controls` (issue 16): control gate -> marker -> the negative level
    (mode, sd, valley, source) its batch control file shows (cytotrial.flow.sample.controls),
    for `negative_control`. `corrected` (issue 16, a reviewer's correction,
    cytotrial.flow.sample.review): gate -> marker -> the cut to apply (transformed units) instead
    of placing one; siblings sharing that cut (same parent and marker) share it.

    `display_ranges`: marker -> the transformed values of 0 and of the channel's top
    ($PnR), the weakest evidence for a lone peak's side when nothing else gives one.
    `timings`: if given, receives each gate's seconds (resolve + apply; work a gate
    shares with its siblings, e.g. a cached cut, counts for the first of them).
    """
    n = len(next(iter(data.values())))
    masks = {"root": np.ones(n, dtype=bool)}
    # The sample's cache: one mixture fit serves sibling cluster gates, one cut sibling
    # thresholds; lone peaks look up their ancestors' densities; earlier gates' masks serve
    # boolean gates and a tail gate's control.
    mixtures: dict = {
        "masks": masks,
        "parents": {g.name: g.parent for g in template.gates},
        "display_ranges": display_ranges or {},
        "pooled": pooled or {},
        "controls": controls or {},
        "corrected": corrected or {},
    }
    _seed_corrections(template, mixtures)
    applied: dict[str, AppliedGate] = {}
    for spec in template.gates:
        clock = time.perf_counter()
        parent = masks[spec.parent]
        shape, flags = resolve(spec, data, parent, mixtures)
        own_cut = spec.name in mixtures["pooled"] or spec.name in mixtures["corrected"]
        if spec.pool and not own_cut:  # never silently its own
            flags = [*flags, f"cut_not_pooled({spec.pool}: the sample's own cut)"]
        flags = [*flags, *_missing_controls(spec, mixtures["controls"])]
        if spec.kind == "boolean":
            flags = [*flags, *_operand_flags(applied, spec, data, mixtures)]
        mask = member(shape, data, masks, parent)  # a boolean gate reads earlier masks
        masks[spec.name] = mask
        cuts = tuple(mixtures.pop(("cuts", spec.name), ()))
        applied[spec.name] = AppliedGate(spec, shape, mask, tuple(flags), cuts)
        if timings is not None:
            timings[spec.name] = time.perf_counter() - clock
    return applied


def _seed_corrections(template: GatingTemplate, cache: dict) -> None:
    """A corrected cut on a parent's marker is the cut every gate on that parent and
    marker shares (as siblings share a placed cut), whichever of them comes first: the
    cuts placed on the whole parent (a threshold's, a quadrant's x)."""
    for spec in template.gates:
        fixed = cache["corrected"].get(spec.name, {})
        if spec.kind in ("threshold", "quadrant"):
            axis = spec.params["threshold" if spec.kind == "threshold" else "x"]
            if axis.marker in fixed:
                cache["corrected", (spec.parent,), axis.marker] = _corrected_cut(fixed[axis.marker])


def _corrected_cut(value: float) -> _Cut:
    return _Cut(float(value), record={"method": "corrected"})


def _axes(spec: GateSpec) -> list[ThresholdSpec]:
    if spec.kind == "threshold":
        return [spec.params["threshold"]]
    return [spec.params[a] for a in "xy"] if spec.kind == "quadrant" else []


def _missing_controls(spec: GateSpec, controls: Mapping) -> list[str]:
    """A `negative_control` whose batch control gave no level: flagged, the lone-peak
    rules fall back to negative_from or the ancestors."""
    return [
        f"no_batch_control({t.marker} on {t.negative_control})"
        for t in _axes(spec)
        if t.negative_control is not None
        and (controls.get(t.negative_control, {}).get(t.marker) or {}).get("mode") is None
    ]


def _operand_flags(
    applied: dict[str, AppliedGate],
    spec: GateSpec,
    data: Mapping[str, np.ndarray] | None = None,
    cache: dict | None = None,
) -> list[str]:
    """A boolean gate is only as sound as its operands: their flags (and their ancestors')
    that its own parent's lineage does not already carry (issue 15 item 3: flags carry
    to every population built from a flagged gate). One exception, measured per sample:
    the complement (NOT, same parent) of a tail gate cut at a shoulder does not carry
    tail_at_shoulder when the events whose side of that cut is uncertain are at most
    MOVED_SHARE of the complement (the share a resampled threshold cut may move before it
    is flagged): the doubt is the positives' size, and it cannot move the complement by
    more than that share."""
    inherited = set(lineage_flags(applied, spec.parent))
    flags: list[str] = []
    for name, _negated in spec.params["refs"]:
        carried = lineage_flags(applied, name)
        if spec.params["op"] == "not" and data is not None and cache is not None:
            carried = [
                f for f in carried if not _immaterial_shoulder(applied, spec, name, f, data, cache)
            ]
        flags += [f for f in carried if f not in inherited and f not in flags]
    return flags


def _immaterial_shoulder(
    applied: dict[str, AppliedGate],
    spec: GateSpec,
    name: str,
    flag: str,
    data: Mapping[str, np.ndarray],
    cache: dict,
) -> bool:
    """Whether `flag`, the tail gate `name`'s own tail_at_shoulder, leaves NOT `name`
    (gate `spec`, same parent) sound: see _operand_flags."""
    tail = applied[name]
    p = tail.spec.params
    if (
        not flag.startswith("tail_at_shoulder(")
        or flag not in tail.flags
        or tail.spec.kind != "tail"
        or tail.spec.parent != spec.parent
        or p.get("control") is not None
    ):
        return False
    parent = cache["masks"][spec.parent]
    values, count = _sample_values(cache, (spec.parent,), parent, p["marker"], data[p["marker"]])
    above = p["side"] == "above"
    cut = tail.shape.minimum[0] if above else tail.shape.maximum[0]
    if cut is None:
        return False
    uncertain = shoulder_uncertain_events(values, count, p["side"], float(cut))
    return uncertain <= MOVED_SHARE * (count - tail.events)


def lineage_flags(applied: dict[str, AppliedGate], name: str) -> list[str]:
    """A gate's own flags, then its ancestors' (nearest first): a population is only as
    sound as every gate above it."""
    flags: list[str] = []
    while name in applied:
        flags += [f for f in applied[name].flags if f not in flags]
        name = applied[name].spec.parent
    return flags


def apply_gates(
    data: dict[str, np.ndarray], template: GatingTemplate, shapes: dict[str, Gate]
) -> dict[str, np.ndarray]:
    """Masks of fixed (already resolved) shapes applied along the template's hierarchy."""
    n = len(next(iter(data.values())))
    masks = {"root": np.ones(n, dtype=bool)}
    for spec in template.gates:
        masks[spec.name] = member(shapes[spec.name], data, masks, masks[spec.parent])
    del masks["root"]
    return masks


SUBSET_SHARE = 0.25  # polygons/ellipses on a parent smaller than this share: its events only


def member(
    shape: Gate | BooleanGate, data: dict[str, np.ndarray], masks: dict, parent: np.ndarray
) -> np.ndarray:
    """The events of `parent` inside `shape`. A polygon or ellipse (~10 array passes
    per event) is tested on the parent's events only when they are few: the same
    membership, element by element, without testing the rest of the file."""
    if isinstance(shape, PolygonGate | EllipseGate):
        count = int(np.count_nonzero(parent))
        if count < SUBSET_SHARE * len(parent):
            index = np.flatnonzero(parent)
            mask = np.zeros(len(parent), dtype=bool)
            if count:
                mask[index] = shape.contains({d: data[d].take(index) for d in shape.dims})
            return mask
    mask = contains(shape, data, masks)
    mask &= parent
    return mask


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
    fixed = cache.get("corrected", {}).get(spec.name, {})
    if spec.kind == "tail" and p["marker"] in fixed:  # a reviewer's cut (issue 16)
        cut = float(fixed[p["marker"]])
        record = {"marker": p["marker"], "side": p["side"], "cut": cut, "method": "corrected"}
        cache.setdefault(("cuts", spec.name), []).append(record)
        return _one_sided((p["marker"],), (p["side"],), (cut,)), []
    # issue 15: the new gate kinds (cytotrial.flow.gating.kinds), singlets on height x width
    if spec.kind in NEW_KINDS or (spec.kind == "singlets" and p.get("width")):

        def values_of(key: tuple, mask: np.ndarray, marker: str) -> tuple[np.ndarray, int]:
            return _sample_values(cache, key, mask, marker, data[marker])

        return resolve_kind(spec, data, parent, cache.get("masks", {}), values_of)
    if spec.kind == "threshold":
        t = p["threshold"]
        cut, flags = _gate_cut(cache, spec.name, (spec.parent,), parent, data, t)
        if spec.parent == "root" and t.valley == "first" and t.method == "valley":
            flags = flags + _debris_check(cache, parent, data, t)
        return _one_sided((t.marker,), (t.side,), (cut,)), flags
    if spec.kind == "quadrant":
        x, y = p["x"], p["y"]
        cut_x, flags = _gate_cut(cache, spec.name, (spec.parent,), parent, data, x)
        key = (spec.parent, x.marker, x.side, cut_x)
        passes_x = cache.get(("mask", key))
        if passes_x is None:
            passes_x = _one_sided((x.marker,), (x.side,), (cut_x,)).contains(data)
            passes_x &= parent
            cache["mask", key] = passes_x
        if int(passes_x.sum()) >= MIN_EVENTS_TO_ADAPT:
            cut_y, flags_y = _gate_cut(cache, spec.name, key, passes_x, data, y)
        else:
            # Too few events pass x to place y's cut (e.g. NK cells depleted by
            # daratumumab): place it on the whole parent instead of leaving it empty.
            cut_y, flags_y = _gate_cut(cache, spec.name, (spec.parent,), parent, data, y)
            flags_y = [*flags_y, f"few_events({x.marker}; {y.marker} cut set on {spec.parent})"]
        return _one_sided((x.marker, y.marker), (x.side, y.side), (cut_x, cut_y)), flags + flags_y
    if spec.kind == "singlets":
        key = (spec.parent,)
        area, _ = _sample_values(cache, key, parent, p["area"], data[p["area"]])
        height, _ = _sample_values(cache, key, parent, p["height"], data[p["height"]])
        usable = parent & (data[p["height"]] > 0)
        reach = float(np.max(data[p["area"]], where=usable, initial=-np.inf))
        return _singlet_wedge(area, height, p, reach)
    if spec.kind == "scatter_cluster":
        return _scatter_population(spec, data, parent, cache)
    return RectangleGate(tuple(p["dims"]), tuple(p["min"]), tuple(p["max"])), []


def _debris_check(cache: dict, parent: np.ndarray, data: dict, spec: ThresholdSpec) -> list[str]:
    """The flag of a debris cut (`valley: first` on all events) whose first peak has a
    population below it (FIRST_PEAK_FLOOR_SHARE): the first peak may be cells."""
    profile = _profile(cache, ("root",), parent, data, spec.marker)
    if profile.dens is None:
        return []
    found = _found_peaks(profile.dens, spec)
    if len(found) < 2:
        return []
    below = events_below_first_peak(profile.sample, profile.dens, found[0])
    share = below / max(len(profile.sample), 1)
    if below < spec.peak_min_events or share <= FIRST_PEAK_FLOOR_SHARE:
        return []
    return [
        f"events_below_first_peak({spec.marker}: {share:.1%} of the events lie below the "
        f"peak at {profile.dens.centers[found[0]]:.2f} the debris cut removes; it may be "
        "cells, not debris)"
    ]


def _gate_cut(
    cache: dict, gate: str, key: tuple, mask: np.ndarray, data: dict, spec: ThresholdSpec
) -> tuple[float, list[str]]:
    """The cut one gate applies on `spec.marker` and its flags; the cut (and its
    confidence) is recorded for the gate's record and for `cut_from`."""
    pooled = cache.get("pooled", {}).get(gate, {}).get(spec.marker)
    own = cache.get("corrected", {}).get(gate, {}).get(spec.marker)
    if own is not None:  # a reviewer's cut (issue 16, review.py): later siblings share it
        cut = _corrected_cut(own)
        cache["corrected", key, spec.marker] = cut
    elif ("corrected", key, spec.marker) in cache:  # a sibling's corrected cut
        cut = cache["corrected", key, spec.marker]
    elif pooled is not None:  # the group's cut (issue 16); siblings on this parent share it
        cut = _cut_from_dict(pooled)
        cache.setdefault(("cut", key, spec.marker), cut)
    elif spec.cut_from is not None:
        cut = cache.get(("cut_of", spec.cut_from, spec.marker))
        if cut is None:  # the named gate placed no cut on this marker in this sample
            cut = _Cut(np.inf, "empty", (f"no_cut_to_reuse({spec.marker} of {spec.cut_from})",))
    else:
        cut = _cached_cut(cache, key, mask, data, spec)
    cache["cut_of", gate, spec.marker] = cut
    value = cut.value_for(spec.side)
    if cut.record is not None:
        record = {"marker": spec.marker, "side": spec.side, "cut": round(float(value), 6)}
        record |= cut.record
        if f"moved_{spec.side}" in record:
            record["moved"] = record[f"moved_{spec.side}"]
        if spec.cut_from is not None:
            record["cut_from"] = spec.cut_from
        cache.setdefault(("cuts", gate), []).append(record)
    return value, cut.flags_for(spec)


def _cached_cut(
    cache: dict, key: tuple, mask: np.ndarray, data: dict[str, np.ndarray], spec: ThresholdSpec
) -> _Cut:
    """One cut per population and marker: sibling gates on one parent and marker share
    the cut the first of them placed (its options decide), so they never overlap nor
    leave a gap."""
    if spec.method == "static":
        return _Cut(float(spec.value))
    if ("cut", key, spec.marker) not in cache:
        profile = _profile(cache, key, mask, data, spec.marker)
        cache["cut", key, spec.marker] = _cut(
            profile, spec, lambda: _negative_reference(cache, key, data, spec)
        )
    return cache["cut", key, spec.marker]


def _profile(cache: dict, key: tuple, mask: np.ndarray, data: dict, marker: str) -> _Profile:
    if ("profile", key, marker) not in cache:
        values, count = _sample_values(cache, key, mask, marker, data[marker])
        cache["profile", key, marker] = _Profile.of(values, count)
    return cache["profile", key, marker]


def _one_sided(dims: tuple[str, ...], sides: tuple[str, ...], cuts: tuple[float, ...]) -> Gate:
    minimum = tuple(c if s == "above" else None for s, c in zip(sides, cuts, strict=True))
    maximum = tuple(c if s == "below" else None for s, c in zip(sides, cuts, strict=True))
    return RectangleGate(dims, minimum, maximum)


@dataclass(frozen=True)
class _Profile:
    """One marker on one population: its (sub)sample of finite values and their density.

    Events in a spike at the lowest value (the zero spike of mass cytometry, a pile-up
    at the ADC floor) or at the highest (saturation) are left out of `sample` and the
    density but stay in the data: the cut is kept above the low spike and at or below
    the high one (saturated events are on the + side).
    """

    sample: np.ndarray
    count: int  # events of the population (the sample may hold fewer)
    dens: Density | None = None  # None: too few events to adapt
    low_spike: float | None = None  # value of a spike at the low end (excluded)
    high_spike: float | None = None  # value of a spike at the high end (excluded)
    spikes: tuple[float, float] = (0.0, 0.0)  # shares of the sample in each spike

    @classmethod
    def of(cls, sample: np.ndarray, count: int) -> _Profile:
        finite = _finite(sample)
        if len(finite) < len(sample):  # non-finite values: scale the count alike
            count = round(count * len(finite) / max(len(sample), 1))
        if count < MIN_EVENTS_TO_ADAPT or len(finite) < MIN_EVENTS_TO_ADAPT:
            return cls(finite, count)
        cleaned, low_spike, high_spike, shares = without_spikes(finite)
        if len(cleaned) < MIN_EVENTS_TO_ADAPT:
            return cls(finite, count)
        count = max(round(count * len(cleaned) / len(finite)), 1)
        low, q25, q75, high = percentiles(cleaned, [0.1, 25, 75, 99.9])
        margin = 0.05 * (high - low) + 1e-6
        dens = density(cleaned, low - margin, high + margin, n_events=count, quartiles=(q25, q75))
        return cls(cleaned, count, dens, low_spike, high_spike, shares)

    def clamp(self, cut: float) -> float:
        """Keep the cut above a low spike and at or below a high spike."""
        if self.high_spike is not None and cut > self.high_spike:
            cut = self.high_spike
        if self.low_spike is not None and cut <= self.low_spike:
            cut = float(np.nextafter(self.low_spike, np.inf))
        return cut


# The valley ratio above which the guide (§6) flags a cut for review, applied to the
# gate on the lower peak's side: depth is the density at the cut over that peak's height,
# so it measures how far that side's population runs into the valley (a small population
# beside a smear of a large one), and that side's count moves most, relative to its size,
# with the cut. The higher peak's side keeps `max_valley_depth` (default 0.7): the same
# valley is shallower against its own peak.
MINOR_DEPTH = 0.5


# A debris cut (`valley: first` on all events, the template's first gate): events more
# than 3 SDs below the first peak beyond this share of the events are a population the
# density did not resolve into a peak (a flat debris plateau at a few thousand events),
# so the first peak may be cells. A Gaussian first peak leaves 0.13% of itself there.
# (Other `valley: first` cuts, e.g. CD56's, have compensation spread below their
# negative peak, which is no sign of anything.)
FIRST_PEAK_FLOOR_SHARE = 0.01


@dataclass(frozen=True)
class _Cut:
    """A cut on one marker in one population, shared by every gate that uses it.

    `lone`: "" (a valley between two peaks, or static), "negative" / "positive" / "ambiguous"
    (a single peak, classified against the expected negative level), "empty" (too few
    events: every gate using it is empty). `flags` hold for every gate using the cut;
    flags_for adds the side-specific ones. `record`: the numbers for the sample record.
    """

    value: float
    lone: str = ""
    flags: tuple[str, ...] = ()
    record: dict | None = None

    def value_for(self, side: str) -> float:
        if self.lone == "empty":
            return np.inf if side == "above" else -np.inf
        return self.value

    def flags_for(self, spec: ThresholdSpec) -> list[str]:
        flags = list(self.flags)
        record = self.record or {}
        if record.get("method") == "valley":
            depth, shift = record["depth"], record["shift"]
            moved = record[f"moved_{spec.side}"]
            limit = spec.max_valley_depth
            if record.get("lower_side") == spec.side:  # the lower peak's side: see MINOR_DEPTH
                limit = min(limit, MINOR_DEPTH)
            if depth > limit or moved > spec.max_cut_moved:
                flags.append(
                    f"low_confidence_cut({spec.marker}: depth {depth:.2f}, shift {shift:.2f}, "
                    f"moved {moved:.0%})"
                )
            elif depth > SHALLOW_VALLEY and record.get("valley_position", 0.5) < NEAR_NEGATIVE:
                flags.append(
                    f"valley_near_negative({spec.marker}: depth {depth:.2f}, "
                    f"{record['valley_position']:.0%} of the way from the negative peak)"
                )
        if self.lone == "negative" and spec.side == "above":
            flags.append(f"no_positive_peak({spec.marker})")
        elif self.lone == "positive" and spec.side == "below":
            flags.append(f"no_negative_peak({spec.marker})")
        return flags


def cut_as_dict(cut: _Cut) -> dict:
    """A cut as JSON (a pooled group cut, cytotrial.flow.sample.pooling): value (None: none, the
    gate is empty), lone-peak class, flags and the record of how it was placed."""
    value = float(cut.value) if np.isfinite(cut.value) else None
    return {"value": value, "lone": cut.lone, "flags": list(cut.flags), "record": cut.record}


def _cut_from_dict(content: Mapping) -> _Cut:
    """The cut `cut_as_dict` wrote."""
    value = content["value"]
    value = np.inf if value is None else float(value)
    return _Cut(value, content["lone"], tuple(content["flags"]), content.get("record"))


def find_threshold(
    values: np.ndarray, spec: ThresholdSpec, sample_limit: int | None = None
) -> tuple[float, list[str]]:
    """The cut for one marker on the parent's values (transformed units).

    The density, its quantiles and the fallback spreads come from
    `subsample(values, sample_limit)`; the kernel width follows len(values).
    """
    if spec.method == "static":
        return float(spec.value), []
    level = None if spec.negative_level is None else (*_template_level(spec), None)
    cut = _cut(_Profile.of(subsample(values, sample_limit), len(values)), spec, lambda: level)
    return cut.value_for(spec.side), cut.flags_for(spec)


def _found_peaks(dens: Density, spec: ThresholdSpec) -> list[int]:
    return peaks(
        dens, spec.min_peak_share, spec.peak_prominence, spec.peak_noise_sds, spec.peak_min_events
    )


def _cut(profile: _Profile, spec: ThresholdSpec, reference) -> _Cut:
    """The cut on one marker: the valley between the negative and the positive peak, or,
    with one peak, beyond it on the side its classification says (see _lone_peak).
    `reference()`: the expected negative level (mode, SD, source) or None."""
    if profile.dens is None:
        count = profile.count
        if spec.value is not None:
            return _Cut(
                spec.value, "", (f"too_few_events({spec.marker}: {count}; static cut used)",)
            )
        return _Cut(np.inf, "empty", (f"too_few_events({spec.marker}: {count}; gate left empty)",))
    dens = profile.dens
    found = _found_peaks(dens, spec)
    centers = dens.centers
    pair = None
    if spec.negative_below is not None:
        negative = [i for i in found if centers[i] < spec.negative_below]
        positive = [i for i in found if centers[i] >= spec.negative_below]
        if negative and positive:
            pair = (negative[-1], positive[0])
        elif found:  # one side only: the template's level classifies the peaks
            lone = "positive" if positive else "negative"
            index = positive[0] if positive else negative[-1]
            record = {"negative_below": spec.negative_below}
            return _lone_cut(
                profile, spec, index, lone, record | {"reference_valley": spec.negative_below}
            )
    elif spec.valley == "first":
        pair = (found[0], found[1]) if len(found) >= 2 else None
    elif spec.valley == "last":
        pair = (found[-2], found[-1]) if len(found) >= 2 else None
    else:
        pair = prominent_pair(dens, found)
    if pair is not None:
        return _valley_cut(profile, spec, pair, found)
    if spec.value is not None:
        return _Cut(spec.value, "", (f"no_valley({spec.marker}; static cut used)",))
    index = found[0] if found else int(np.argmax(dens.values))
    return _lone_peak(profile, spec, index, reference())


def _valley_cut(
    profile: _Profile, spec: ThresholdSpec, pair: tuple[int, int], found: list[int]
) -> _Cut:
    dens = profile.dens
    a, b = sorted(pair)
    at = valley_index(dens.values, a, b)
    value = profile.clamp(float(dens.centers[at]))
    record = {"method": "valley", "peaks": len(found)} | _confidence(profile, spec, a, b, at)
    # Three or more peaks: resamples may choose another gap (flag when 10% or more of
    # them move more than max_cut_moved of the parent; see cut_checks). `valley: first`
    # and `negative_below` name the gap, so only the deepest-valley choice is checked.
    flags = ()
    if spec.valley == "deepest" and spec.negative_below is None and len(found) >= 3:
        flips, moved, other = valley_choice_flips(
            dens,
            profile.sample,
            at,
            lambda d: _found_peaks(d, spec),
            spec.max_cut_moved,
            REPLICATE_EVENTS,
        )
        record["choice_flips"] = round(flips, 3)
        if flips >= CHOICE_FLIP_SHARE:
            flags = (
                f"competing_valley({spec.marker}: {flips:.0%} of resamples cut at another gap, "
                f"up to {other:.2f}, moving {moved:.0%} of the parent)",
            )
    return _Cut(value, "", flags, record)


def _confidence(profile: _Profile, spec: ThresholdSpec, a: int, b: int, at: int) -> dict:
    """How much to trust the valley at grid index `at` between peaks `a` < `b` (guide §6).

    depth: density at the cut / the lower of the two peaks (0 = clean gap, 1 = no dip);
    separation: peak distance in robust SDs of the negative peak (its half-height width
    on the side away from the positive peak); shift: the largest move of the cut (the
    lowest density between the same two peaks) over REPLICATES resamples of the parent
    of at most REPLICATE_EVENTS events, same grid and kernel, in those SDs; moved: the
    parent's events that largest move carries across the cut, as a share of the smaller
    side (a cut wandering in an empty gap moves none); valley_position: where the cut
    lies from the negative peak (0) to the positive one (1) (NEAR_NEGATIVE).
    """
    dens = profile.dens
    y = dens.values
    sd = half_width_sd(dens, a, "below")
    depth = float(y[at] / max(min(y[a], y[b]), 1e-300))
    separation = float((dens.centers[b] - dens.centers[a]) / sd)
    sample = profile.sample
    size = min(len(sample), REPLICATE_EVENTS)
    rng = np.random.default_rng([len(sample), a, b, at])
    moves = []
    for _ in range(REPLICATES):
        replicate = density_like(dens, sample.take(rng.integers(0, len(sample), size)))
        moves.append(valley_index(replicate.values, a, b))
    shift = max(abs(m - at) for m in moves) * dens.step / sd
    mass = np.concatenate([[0.0], np.cumsum(y)]) / max(float(y.sum()), 1e-300)
    moved = max(abs(mass[m] - mass[at]) for m in moves)  # share of the parent
    position = (at - a) / max(b - a, 1)  # see NEAR_NEGATIVE
    spikes = {"zero_spike": profile.spikes[0], "saturated": profile.spikes[1]}
    return {
        "depth": round(depth, 3),
        "lower_side": "below" if y[a] < y[b] else "above",
        "separation": round(separation, 2),
        "shift": round(float(shift), 3),
        "moved_below": round(float(moved / max(mass[at], 1e-9)), 4),
        "moved_above": round(float(moved / max(1 - mass[at], 1e-9)), 4),
        "valley_position": round(float(position), 3),
        "replicates": REPLICATES,
        "replicate_events": size,
        "negative_mode": round(float(dens.centers[a]), 4),
        "negative_sd": round(sd, 4),
        "positive_mode": round(float(dens.centers[b]), 4),
    } | {k: v for k, v in spikes.items() if v}


def _template_level(spec: ThresholdSpec) -> tuple[float, float | None, str]:
    return spec.negative_level, spec.negative_sd, "template"


# A lone peak with no control, template level or bimodal ancestor: classified by its place
# on the display (flowStats' density1d anchors at 25% and 50% of the range): negative within
# 2 of its SDs of the 25% point, positive beyond the midpoint of the two anchors, otherwise
# ambiguous; always flagged, as the weakest evidence.
DISPLAY_RANGE = "display range"


def _negative_reference(cache: dict, key: tuple, data: dict, spec: ThresholdSpec):
    """The expected negative level of `spec.marker` for a lone peak in population `key`:
    (mode, SD or None, source, valley or None), from the template, the `negative_from`
    gate's population (its lowest peak), or the nearest ancestor where the marker shows
    two or more peaks (its lowest peak, and the valley above it). None without evidence."""
    if spec.negative_level is not None:
        return (*_template_level(spec), None)
    if spec.negative_control is not None:
        level = cache.get("controls", {}).get(spec.negative_control, {}).get(spec.marker)
        if level and level.get("mode") is not None:
            return level["mode"], level["sd"], level["source"], level.get("valley")
    masks, parents = cache["masks"], cache["parents"]
    if spec.negative_from is not None:
        candidates, least = [spec.negative_from], 1
    else:
        candidates, least = [], 2
        name = key[0]  # the population's gate (a quadrant's x-pass: its parent)
        if len(key) == 1:
            name = parents.get(name, "root")
        while name != "root":
            candidates.append(name)
            name = parents.get(name, "root")
    for name in candidates:
        if name not in masks:
            continue
        profile = _profile(cache, (name,), masks[name], data, spec.marker)
        if profile.dens is None:
            continue
        found = _found_peaks(profile.dens, spec)
        if len(found) >= least:
            index = found[0]
            if spec.negative_below is not None:
                below = [i for i in found if profile.dens.centers[i] < spec.negative_below]
                index = below[-1] if below else index
            dens = profile.dens
            mode = float(dens.centers[index])
            above = [i for i in found if i > index]
            valley = valley_between(dens, index, above[0]) if above else None
            return mode, half_width_sd(dens, index, "below"), name, valley
    display = cache.get("display_ranges", {}).get(spec.marker)
    if display is not None:  # the weakest evidence (guide §1.4; flowStats' density1d anchors)
        low, high = display
        return low + 0.25 * (high - low), None, DISPLAY_RANGE, low + 0.375 * (high - low)
    return None


def negative_level_of(values: np.ndarray, spec: ThresholdSpec) -> dict | None:
    """The negative level a control shows on `spec.marker` (issue 16): its lowest peak
    (below `negative_below` if given), that peak's SD (its lower half-width) and the valley
    above it if there is a higher peak; None without a peak (too few events)."""
    profile = _Profile.of(subsample(values), len(values))
    if profile.dens is None:
        return None
    dens = profile.dens
    found = _found_peaks(dens, spec) or [int(np.argmax(dens.values))]
    index = found[0]
    if spec.negative_below is not None:
        below = [i for i in found if dens.centers[i] < spec.negative_below]
        index = below[-1] if below else index
    above = [i for i in found if i > index]
    return {
        "mode": round(float(dens.centers[index]), 4),
        "sd": round(half_width_sd(dens, index, "below"), 4),
        "valley": round(valley_between(dens, index, above[0]), 4) if above else None,
        "events": profile.count,
    }


def _lone_peak(profile: _Profile, spec: ThresholdSpec, index: int, reference) -> _Cut:
    """One peak: negative if within 2 SDs of the expected negative level, positive if
    more than 4 SDs above it or above the reference population's valley, else ambiguous
    (guide §1.4)."""
    dens = profile.dens
    mode = float(dens.centers[index])
    if reference is None:
        return _lone_cut(profile, spec, index, "ambiguous", {"negative_reference": None})
    level, sd, source, valley = reference
    if sd is None:  # the negative population's spread: the lone peak's own
        sd = half_width_sd(dens, index, "below")
    if mode <= level + 2 * sd:
        lone = "negative"
    elif mode > level + 4 * sd or (valley is not None and mode > valley):
        lone = "positive"
    else:
        lone = "ambiguous"
    record = {
        "negative_level": round(level, 4),
        "negative_sd": round(sd, 4),
        "negative_from": source,
    }
    if valley is not None:
        record["reference_valley"] = round(valley, 4)
    return _lone_cut(profile, spec, index, lone, record)


def _lone_cut(profile: _Profile, spec: ThresholdSpec, index: int, lone: str, record: dict) -> _Cut:
    """The cut beyond a lone peak: above a negative one, below a positive one; an
    ambiguous peak is left out of the gate's population (and flagged)."""
    mode = float(profile.dens.centers[index])
    if lone == "ambiguous":
        side = "above" if spec.side == "above" else "below"
    else:
        side = "above" if lone == "negative" else "below"
    # No further than the reference population's valley (an ambiguous peak: no cap).
    valley = record.get("reference_valley") if lone != "ambiguous" else None
    value, capped = lone_cut_value(profile.sample, mode, side, spec.fallback_sd, valley)
    # A lone negative peak's cut in its body moves out to the gap before the reference
    # valley (the negatives' population ends there). Not a positive peak's: below it
    # a dim smear (spillover spread) runs to the valley, and the cut would take it in;
    # nor to a valley guessed from the display range (no evidence of where it ends).
    evidence = record.get("negative_from") != DISPLAY_RANGE
    if valley is not None and not capped and lone == "negative" and evidence:
        moved = out_of_body(profile.dens, index, value, valley)
        if moved is not None:
            record = record | {"spread_cut": round(value, 4), "cut_out_of_body": True}
            value = moved
    value = profile.clamp(value)
    flags = ()
    if lone != "ambiguous" and not capped:
        flags = _lone_cut_in_body(profile.sample, value, side, spec.marker)
    if record.get("negative_from") == DISPLAY_RANGE and lone != "ambiguous":
        flags += (f"single_peak_by_display_range({spec.marker}: mode {mode:.2f} taken as {lone})",)
    if lone == "ambiguous":
        where = record.get("negative_from")
        if where is None and "negative_level" not in record:
            flags = (f"ambiguous_single_peak({spec.marker}: no negative reference)",)
        else:
            flags = (
                f"ambiguous_single_peak({spec.marker}: mode {mode:.2f}, negative "
                f"{record['negative_level']:.2f}+-{record['negative_sd']:.2f} from {where})",
            )
    full = {"method": "single_peak", "peak": lone, "mode": round(mode, 4)} | record
    spikes = {"zero_spike": profile.spikes[0], "saturated": profile.spikes[1]}
    full |= {k: v for k, v in spikes.items() if v}
    return _Cut(value, lone, flags, full)


# A cut `fallback_sd` spreads beyond a lone Gaussian peak leaves ~0.003% of it beyond;
# more than this share of the parent beyond it means the spread was misjudged (a small
# sample's mode on a chance clump: the narrower half looks tight) or a second population
# without a peak of its own lies there. Either way the cut is in a population's body.
LONE_CUT_BEYOND_SHARE = 0.2


def _lone_cut_in_body(sample: np.ndarray, value: float, side: str, marker: str) -> tuple[str, ...]:
    """The flag for a lone peak's spread-based cut with much of the parent beyond it."""
    if not len(sample):
        return ()
    beyond = float(np.mean(sample > value if side == "above" else sample < value))
    if beyond <= LONE_CUT_BEYOND_SHARE:
        return ()
    return (
        f"lone_peak_cut_in_body({marker}: {beyond:.0%} of the parent beyond the cut at "
        f"{value:.2f}; a lone peak leaves few)",
    )


def _singlet_wedge(
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
    spread = 1.4826 * float(median(np.abs(ratio - centre), overwrite=True))
    low = max(centre - p["width_mad"] * spread, 1e-6)
    high = centre + p["width_mad"] * spread
    if area_max is None or not np.isfinite(area_max):
        area_max = float(np.max(area[usable]))
    reach = max(1.5, area_max * 1.1)
    # Wedge between the lines height = area / high and height = area / low.
    vertices = ((0.0, 0.0), (reach, reach / high), (reach, reach / low))
    return PolygonGate((p["area"], p["height"]), vertices), []


def _scatter_population(
    spec: GateSpec, data: dict[str, np.ndarray], parent: np.ndarray, cache: dict
) -> tuple[Gate, list[str]]:
    """The `pick`-th of `components` scatter clouds, ranked by their y (side scatter).

    The clouds are separated by the density valleys of y; the picked cloud's core
    (robust centre and covariance) gives an ellipse at `distance`, clipped to the
    cloud's y band (widened by `widen`) so that it never reaches into a neighbour. The
    centre is the median of the widened band's events, or of the own band's (valley to
    valley) where the widened band holds more of the neighbours' flanks than of the
    own band. Where y does not show the expected number of peaks, a Gaussian mixture
    is fitted instead (flagged).
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
    own = (y >= low) & (y < high) & np.isfinite(x)  # the cloud's own band (valley to valley)
    # Reach part of the way towards the neighbouring clouds' peaks: scatter clouds
    # overlap, and a marker gate below this one removes the neighbours' cells.
    if k > 0:
        low -= p["widen"] * (low - centres[k - 1])
    if k + 1 < len(centres):
        high += p["widen"] * (centres[k + 1] - high)
    inside = (y >= low) & (y < high) & np.isfinite(x)
    if np.count_nonzero(own) < MIN_EVENTS_TO_ADAPT:
        return PolygonGate(dims, ((0, 0), (0, 0), (0, 0))), [f"too_few_events({spec.name})"]
    # A median lies in the cloud only if the cloud holds most of the events it is taken
    # over. Where the neighbours' flanks in the reach outnumber the cloud's own band (2%
    # monocytes beside 89% granulocytes), the reach's median sat in the granulocytes'
    # flank and the ellipse took a slice of the monocytes: the centre is then the own
    # band's median (the spread and core are still measured on the reach around it: the
    # valleys cut the cloud's own tails).
    centred_on = own if 2 * np.count_nonzero(own) < np.count_nonzero(inside) else None
    centre, covariance = _robust_centre(
        _of(x, inside), _of(y, inside), None if centred_on is None else _of(own, inside)
    )
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
    finite = without_spikes(finite)[0]  # saturated side scatter: not a cloud
    if len(finite) < MIN_EVENTS_TO_ADAPT:
        return None
    low, q25, q75, high = percentiles(finite, [0.1, 25, 75, 99.9])
    dens = density(finite, low, high, n_events=count, quartiles=(q25, q75))
    found = local_peaks(dens)
    if len(found) != components:
        return None
    cuts = [valley_between(dens, a, b) for a, b in zip(found, found[1:], strict=False)]
    return [-np.inf, *cuts, np.inf], [float(dens.centers[i]) for i in found]


def _robust_centre(
    x: np.ndarray, y: np.ndarray, own: np.ndarray | None = None
) -> tuple[tuple[float, float], tuple[tuple, tuple]]:
    """Median centre (of the `own` events only, default all) and the covariance of the
    events within 3 robust SDs (their median distance to that centre) of it."""
    x_own, y_own = (x, y) if own is None else (_of(x, own), _of(y, own))
    centre = (median(x_own), median(y_own))
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
