"""Tail gates for rare positives that form a tail, not a peak (guide §2).

One-sided cut on one marker, from the parent's events (or a control gate's):
* fraction (default 0.01): from the highest (negative) peak of the marker's density,
  walk to the far side (`side`) until the density falls below `fraction` of the peak's
  height; a valley met first (a small positive hump) takes the cut instead, and so does
  a shoulder met first: past the steepest descent, the point where the density's descent
  per grid step drops below `shoulder` (default 0.02) x that steepest descent, i.e. the
  negative peak's flank has ended and a plateau of positives begins (SEB-stimulated
  TNFa: 5-10% positives with no valley). On a Gaussian flank that point (~3.4 SDs) lies
  beyond the 1% floor (3.03 SDs), so only a plateau above the floor moves the cut
  (0.05 would stop at ~3.05 SDs and, on 20,000 events, in the flank's noise at 2.8).
  shoulder: 0 turns it off. Valleys and shoulders count only below half the peak's
  height (the noise of the peak's top is neither).
* quantile q: the q-th quantile (side above; 1 - q for side below) of the events.
Flags: tail_not_reached (the density never falls: no cut on the grid, gate empty),
tail_close_to_peak (cut within 2 SDs of the negative peak, from its half-height width on
the tail's side: the cut is in the peak's body, too many positives),
few_tail_events (fewer than `min_events` events beyond the cut), unstable_tail_cut
(fraction cuts with enough events: resampling moves the cut across more events than
max(5%, 3 Poisson SDs) of those beyond it), few_control_events
(quantile: n x (1 - q) < 20), too_few_events.
"""

from __future__ import annotations

import numpy as np

from cytotrial.flow.density import density, half_width_sd, percentiles
from cytotrial.flow.gates import RectangleGate

MIN_EVENTS = 30
REPLICATES = 5  # resamples per cut (as gating.REPLICATES, for the threshold cuts)
REPLICATE_EVENTS = 20_000  # events per resample (at most)
MOVED_SHARE = 0.05  # as the threshold cuts' max_cut_moved default


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
    peak = int(np.argmax(v))
    floor = p["fraction"] * v[peak]
    path = np.arange(peak, len(v)) if above else np.arange(peak, -1, -1)
    cut, flags = None, []
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
            break
        steepest = max(steepest, descent)
        if v[here] < floor:
            t = (v[before] - floor) / (v[before] - v[here])
            cut = float(centres[before] + t * (centres[here] - centres[before]))
            break
        if flank and k + 1 < len(path) and v[path[k + 1]] > v[here]:  # a valley first
            cut = float(centres[here])
            break
    if cut is None:
        cut = float(centres[path[-1]])
        flags.append(f"tail_not_reached({name}: density stays above {p['fraction']} of the peak)")
    centre = float(centres[peak])
    # The negative peak's spread on the tail's side, from its half-height width: the far
    # side of a logicle-transformed negative peak is often much wider (the negatives'
    # stretch) and would call a cut well clear of the peak's body "close"; positives
    # below half the peak's height do not move the half-height point.
    spread = half_width_sd(dens, peak, p["side"])
    if abs(cut - centre) < 2 * spread:
        flags.append(f"tail_close_to_peak({name}: cut within 2 SD of the negative peak)")
    return cut, flags


def unstable_tail(
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
            unstable = unstable_tail(name, values[np.isfinite(values)], count, p, cut, finite)
            if unstable is not None:
                flags.append(unstable)
    marker = p["marker"]
    if above:
        return RectangleGate((marker,), (cut,), (None,)), flags
    return RectangleGate((marker,), (None,), (cut,)), flags
