"""Tail gates for rare positives that form a tail, not a peak (guide §2).

One-sided cut on one marker, from the parent's events (or a control gate's):
* fraction (default 0.01): from the negative peak of the marker's density, walk to the
  far side (`side`) until the density falls below `fraction` of the peak's height; a
  valley met first (a small positive hump) or a shoulder (the fall flattens, then
  steepens again: positives without a valley of their own) takes the cut instead.
  The negative peak is the significant peak (density.peaks) whose basin holds the most
  events: a tail gate's positives are a minority, yet in a strongly stimulated sample
  their hump can be higher (narrower) than the negative one.
* quantile q: the q-th quantile (side above; 1 - q for side below) of the events.
Flags: tail_not_reached (the density never falls: no cut on the grid, gate empty),
tail_at_shoulder (the cut is at a shoulder: positives with no valley of their own),
tail_close_to_peak (cut within 2 robust SDs of the negative peak: too many positives),
few_tail_events (fewer than `min_events` events beyond the cut), few_control_events
(quantile: n x (1 - q) < 20), too_few_events.
"""

from __future__ import annotations

import numpy as np

from cytotrial.flow.density import Density, density, half_width_sd, peaks, percentiles
from cytotrial.flow.gates import RectangleGate

MIN_EVENTS = 30
# A shoulder (flowDensity's trackSlope idea, guide §1.4): after the steepest fall beyond
# the negative peak, the fall flattens to a local minimum of |f'| below SHOULDER_SLOPE x
# the steepest fall where the density is below SHOULDER_HEIGHT x the peak (trackSlope's
# alpha 0.1 and magnitude 0.3), and then steepens again at least SHOULDER_STEEPENS x
# before the floor: a second population's density taking over. A Gaussian tail never
# steepens again, so a lone negative peak keeps the `fraction` cut.
SHOULDER_SLOPE, SHOULDER_HEIGHT, SHOULDER_STEEPENS = 0.1, 0.3, 2.0


def negative_peak(dens: Density) -> int:
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
    low, q25, q75, high = percentiles(values, [0.01, 25, 75, 99.99])
    margin = 0.1 * (high - low) + 1e-6
    dens = density(values, low - margin, high + margin, n_events=count, quartiles=(q25, q75))
    v, centres = dens.values, dens.centers
    peak = negative_peak(dens)
    floor = p["fraction"] * v[peak]
    path = np.arange(peak, len(v)) if above else np.arange(peak, -1, -1)
    cut, flags, stop = None, [], len(path) - 1
    for k in range(1, len(path)):
        here, before = path[k], path[k - 1]
        if v[here] < floor:
            t = (v[before] - floor) / (v[before] - v[here])
            cut = float(centres[before] + t * (centres[here] - centres[before]))
            stop = k
            break
        if k + 1 < len(path) and v[path[k + 1]] > v[here]:  # a valley before the floor
            cut = float(centres[here])
            stop = -1
            break
    if cut is not None and stop > 0:
        k = _shoulder(v, path, stop)
        if k is not None:  # no valley separates the positives: a less certain cut
            cut = float(centres[path[k]])
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
    marker = p["marker"]
    if above:
        return RectangleGate((marker,), (cut,), (None,)), flags
    return RectangleGate((marker,), (None,), (cut,)), flags
