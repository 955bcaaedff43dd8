"""Tail gates for rare positives that form a tail, not a peak (guide §2).

One-sided cut on one marker, from the parent's events (or a control gate's):
* fraction (default 0.01): from the negative peak of the marker's density, walk to the
  far side (`side`) until the density falls below `fraction` of the peak's height; a
  valley met first (a small positive hump) or a shoulder takes the cut instead. Two
  kinds of shoulder, both positives without a valley of their own: the flank levels off
  (past the steepest descent, the descent per grid step drops below `shoulder`, default
  0.02, x that steepest descent: a plateau of positives, e.g. SEB-stimulated TNFa with
  5-10% positives; on a Gaussian flank that point, ~3.4 SDs, lies beyond the 1% floor,
  3.03 SDs, so only a plateau above the floor moves the cut), or, nearer the peak, the
  fall flattens and then steepens again (flowDensity's trackSlope idea); shoulder: 0
  turns both off. Valleys and shoulders count only below half the peak's height (the
  noise of the peak's top is neither), except a valley that leads to a significant peak
  (density.peaks): a large positive population. The negative peak is the significant peak
  (density.peaks) whose basin holds the most events: a tail gate's positives are a
  minority, yet in a strongly stimulated sample their hump can be higher (narrower)
  than the negative one.
* quantile q: the q-th quantile (side above; 1 - q for side below) of the events.
Flags: tail_not_reached (the density never falls: no cut on the grid, gate empty),
tail_at_shoulder (the cut is at a shoulder: positives with no valley of their own),
tail_close_to_peak (cut within 2 robust SDs of the negative peak, from the narrower of
its half-height widths: the cut is in the peak's body, too many positives),
few_tail_events (fewer than `min_events` events beyond the cut), unstable_tail_cut
(fraction cuts with enough events: resampling moves the cut across more events than
max(5%, 3 Poisson SDs) of those beyond it), few_control_events
(quantile: n x (1 - q) < 20), too_few_events.
"""

from __future__ import annotations

import numpy as np

from cytotrial.flow.gating.density import Density, density, half_width_sd, peaks, percentiles
from cytotrial.flow.gating.gates import RectangleGate

__all__ = [
    "MOVED_SHARE",
    "tail_cut",
    "shoulder_uncertain_events",
    "tail_gate",
]

MIN_EVENTS = 30
REPLICATES = 5  # resamples per cut (as gating.REPLICATES, for the threshold cuts)
REPLICATE_EVENTS = 20_000  # events per resample (at most)
MOVED_SHARE = 0.05  # as the threshold cuts' max_cut_moved default
# A shoulder (flowDensity's trackSlope idea, guide §1.4): after the steepest fall beyond
# the negative peak, the fall flattens to a local minimum of |f'| below SHOULDER_SLOPE x
# the steepest fall where the density is below SHOULDER_HEIGHT x the peak (trackSlope's
# alpha 0.1 and magnitude 0.3), and then steepens again at least SHOULDER_STEEPENS x
# before the floor: a second population's density taking over. A Gaussian tail never
# steepens again, so a lone negative peak keeps the `fraction` cut.
SHOULDER_SLOPE, SHOULDER_HEIGHT, SHOULDER_STEEPENS = 0.1, 0.3, 2.0


def _negative_peak(dens: Density) -> int:
    """Index of the significant peak whose basin (bounded by the density minima between
    neighbouring significant peaks) holds the most mass; the highest point if none."""
    found = peaks(dens)
    v = dens.values
    if len(found) < 2:
        return found[0] if found else int(np.argmax(v))
    bounds = [0]
    for a, b in zip(found[:-1], found[1:], strict=True):
        bounds.append(a + int(np.argmin(v[a : b + 1])))
    bounds.append(len(v))
    mass = [float(v[bounds[k] : bounds[k + 1]].sum()) for k in range(len(found))]
    return found[int(np.argmax(mass))]


def _separates(v: np.ndarray, path: np.ndarray, k: int, significant: set[int]) -> bool:
    """Whether the local minimum at path[k], above half the negative peak's height, still
    separates a population: the rise after it ends at a significant peak (density.peaks:
    a hump of 40% CD69+ cells), while a dip in the noise of the negative peak's top leads
    to no peak of its own."""
    top = k
    while top + 1 < len(path) and v[path[top + 1]] >= v[path[top]]:
        top += 1
    return int(path[top]) in significant


def _shoulder(v: np.ndarray, path: np.ndarray, stop: int) -> int | None:
    """Position on `path` (before `stop`) of a shoulder: the least steep point after the
    steepest fall, when the fall steepens SHOULDER_STEEPENS x again before `stop`."""
    fall = v[path[:-1]] - v[path[1:]]  # > 0 while the density falls along the path
    if stop < 3:
        return None
    steepest = int(np.argmax(fall[:stop]))
    flat, low = SHOULDER_SLOPE * fall[steepest], SHOULDER_HEIGHT * v[path[0]]
    for k in range(steepest + 1, stop - 1):
        if fall[k] < fall[k - 1] and fall[k] <= fall[k + 1]:  # least steep point
            if fall[k] >= flat or v[path[k]] >= low:
                continue
            again = float(fall[k + 1 : stop].max())
            if again > 0 and again >= SHOULDER_STEEPENS * max(float(fall[k]), 0.0):
                return k
    return None


def tail_cut(name: str, values: np.ndarray, count: int, p: dict) -> tuple[float, list[str]]:
    """The cut (transformed units) and flags; `values` may subsample `count` events."""
    above = p["side"] == "above"
    values = values[np.isfinite(values)]
    if count < MIN_EVENTS or len(values) < MIN_EVENTS:
        return (np.inf if above else -np.inf), [f"too_few_events({name}: {count})"]
    if p["quantile"] is not None:
        q = p["quantile"]
        cut = float(np.quantile(values, q if above else 1 - q))
        flags = []
        if count * (1 - q) < 20:
            flags.append(f"few_control_events({name}: {count} x (1 - {q}) < 20)")
        return cut, flags
    dens = _tail_density(values, count)
    v, centres = dens.values, dens.centers
    significant = set(peaks(dens))
    peak = _negative_peak(dens)
    floor = p["fraction"] * v[peak]
    path = np.arange(peak, len(v)) if above else np.arange(peak, -1, -1)
    cut, flags, stop = None, [], len(path) - 1
    steepest = 0.0  # the largest descent per step so far on the walk
    for k in range(1, len(path)):
        here, before = path[k], path[k - 1]
        descent = v[before] - v[here]
        # Valleys and shoulders count only on the flank, below half the peak's height: a
        # dip in the peak's noisy top is not a positive hump (5 resamples of a 10,000-event
        # file put a "valley" 0.01 above the mode in 2 of 5).
        flank = v[here] < 0.5 * v[peak]
        if flank and descent < steepest and descent < p.get("shoulder", 0.0) * steepest:
            cut = float(centres[before])  # the flank has levelled off: a shoulder
            flags.append(f"tail_at_shoulder({name}: positives without a valley)")
            stop = k - 1
            break
        steepest = max(steepest, descent)
        if v[here] < floor:
            t = (v[before] - floor) / (v[before] - v[here])
            cut = float(centres[before] + t * (centres[here] - centres[before]))
            stop = k
            break
        rising = k + 1 < len(path) and v[path[k + 1]] > v[here]
        if rising and (flank or _separates(v, path, k, significant)):  # a valley first
            cut = float(centres[here])
            stop = -1
            break
    if cut is not None and stop > 0 and p.get("shoulder", 0.0) > 0:
        # a flattening that steepens again before the cut (trackSlope) is a shoulder
        # nearer the negatives than the levelled-off flank or the floor: it wins
        k = _shoulder(v, path, stop)
        if k is not None:  # no valley separates the positives: a less certain cut
            cut = float(centres[path[k]])
            if not flags:
                flags.append(f"tail_at_shoulder({name}: positives without a valley)")
    if cut is None:
        cut = float(centres[path[-1]])
        flags.append(f"tail_not_reached({name}: density stays above {p['fraction']} of the peak)")
    centre = float(centres[peak])
    # the narrower half: a neighbouring population (the positives, or another
    # negative one) only ever widens a half
    spread = min(half_width_sd(dens, peak, "below"), half_width_sd(dens, peak, "above"))
    if abs(cut - centre) < 2 * spread:
        flags.append(f"tail_close_to_peak({name}: cut within 2 SD of the negative peak)")
    return cut, flags


def _tail_density(values: np.ndarray, count: int) -> Density:
    low, q25, q75, high = percentiles(values, [0.01, 25, 75, 99.99])
    margin = 0.1 * (high - low) + 1e-6
    return density(values, low - margin, high + margin, n_events=count, quartiles=(q25, q75))


def shoulder_uncertain_events(values: np.ndarray, count: int, side: str, cut: float) -> float:
    """How many of `count` events may lie on the wrong side of a tail cut placed at a
    shoulder (no valley: the negatives' flank and the positives overlap there).

    The negative peak is modelled as a Gaussian at its mode with the narrower half-height
    SD (the side a neighbour does not widen); the estimate is the model's events beyond
    the cut (negatives taken as positive) plus the density's excess over the model
    between the peak and the cut (positives left with the negatives). A skewed negative
    peak only adds excess, so the estimate errs high. `values` may subsample `count`.
    """
    values = values[np.isfinite(values)]
    if len(values) < MIN_EVENTS or not np.isfinite(cut):
        return float(count)  # nothing to model: all events are in doubt
    dens = _tail_density(values, count)
    v, centres = dens.values, dens.centers
    peak = _negative_peak(dens)
    spread = min(_half_width(v, peak, -1), _half_width(v, peak, 1)) * dens.step / 1.1774
    model = v[peak] * np.exp(-0.5 * ((centres - centres[peak]) / spread) ** 2)
    above = side == "above"
    beyond = centres >= cut if above else centres < cut
    inside = (centres > centres[peak]) & ~beyond if above else (centres < centres[peak]) & ~beyond
    share = (model[beyond].sum() + np.clip(v - model, 0.0, None)[inside].sum()) / v.sum()
    return float(share * count)


def _half_width(v: np.ndarray, peak: int, direction: int) -> float:
    """Grid steps from `peak` to where `v` falls to half its height, interpolated between
    grid points (half_width_sd's whole steps overstate a narrow peak's SD by up to a
    step, which on its flank, 2-3 SDs out, outweighs a small shoulder)."""
    half = v[peak] / 2
    k = peak
    while 0 <= k + direction < len(v) and v[k + direction] >= half:
        k += direction
    if not 0 <= k + direction < len(v):
        return float(abs(k - peak)) or 1.0
    fall = (v[k] - half) / (v[k] - v[k + direction])
    return max(abs(k - peak) + float(fall), 0.5)


def _unstable_tail(
    name: str, values: np.ndarray, count: int, p: dict, cut: float, events: np.ndarray
) -> str | None:
    """A flag when the cut is less stable than the tail's own count (guide §6: stability
    of a cut when the parent is resampled): the cut is placed again on REPLICATES
    resamples of `values` (at most REPLICATE_EVENTS each, same kernel width); the largest
    number of `events` the moves carry across the cut is compared with the events beyond
    it, N: more than max(MOVED_SHARE x N, 3 sqrt(N)) (three Poisson SDs of N, the noise a
    tail count has anyway) means the cut, not only the count, is uncertain."""
    above = p["side"] == "above"
    beyond = int(np.count_nonzero(events >= cut if above else events < cut))
    rng = np.random.default_rng([len(values), beyond])
    size = min(len(values), REPLICATE_EVENTS)
    moved = 0
    for _ in range(REPLICATES):
        again, _flags = tail_cut(name, values.take(rng.integers(0, len(values), size)), count, p)
        if np.isfinite(again):
            low, high = min(cut, again), max(cut, again)
            moved = max(moved, int(np.count_nonzero((events >= low) & (events < high))))
    if moved > max(MOVED_SHARE * beyond, 3 * np.sqrt(beyond)):
        return (
            f"unstable_tail_cut({name}: resampling moves {moved} events across the cut, "
            f"{beyond} beyond it)"
        )
    return None


def tail_gate(
    name: str, values: np.ndarray, count: int, p: dict, parent_values: np.ndarray, parent_count: int
) -> tuple[RectangleGate, list[str]]:
    """The one-sided gate; `values`/`count` place the cut (parent or control),
    `parent_values`/`parent_count` (the parent's) count the events beyond it."""
    cut, flags = tail_cut(name, values, count, p)
    above = p["side"] == "above"
    finite = parent_values[np.isfinite(parent_values)]
    if len(finite) and np.isfinite(cut):
        beyond = np.count_nonzero(finite >= cut if above else finite < cut)
        expected = round(beyond * parent_count / len(finite))
        if expected < p["min_events"]:
            flags.append(f"few_tail_events({name}: {expected} < {p['min_events']})")
        elif p["quantile"] is None and len(values) >= MIN_EVENTS:
            unstable = _unstable_tail(name, values[np.isfinite(values)], count, p, cut, finite)
            if unstable is not None:
                flags.append(unstable)
    marker = p["marker"]
    if above:
        return RectangleGate((marker,), (cut,), (None,)), flags
    return RectangleGate((marker,), (None,), (cut,)), flags
