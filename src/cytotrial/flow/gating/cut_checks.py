"""How far a data-driven cut can be trusted beyond its valley depth (guide §6).

Two failure modes the depth and resampling checks of a valley cut do not see:

- **two gaps nearly as deep** among three or more peaks (a dim smear between the
  negatives and the bright positives): the cut falls in the deeper one, and the middle
  population lands on one side by a small difference in their depths;
- a **lone peak** whose cut is placed a few spreads beyond its mode: in a small sample
  the mode can sit on a chance clump at one edge of a flat-topped population and its
  spread look tight, so the cut runs through the population without anything to see.

Both are measured as a share of events the choice could move across the cut, as the
valley cut's `moved` is, and flagged above the gate's `max_cut_moved`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cytotrial.flow.gating.density import (
    Density,
    density_like,
    half_width_sd,
    median,
    prominent_pair,
    valley_index,
)

__all__ = [
    "events_below_first_peak",
    "CHOICE_FLIP_SHARE",
    "CHOICE_REPLICATES",
    "valley_choice_flips",
    "lone_cut_value",
    "lone_cut_moved",
]


# Resamples that re-choose the deepest valley among three or more peaks, and the share
# of them that must choose another gap (moving more than the gate's max_cut_moved) for
# the choice to count as unstable: a choice that flips in 10% of resamples or more; one
# flip in 40 is a chance clump (a cut flipping in 20% of resamples shows 4 or more
# flips in 40 with probability 0.97).
CHOICE_REPLICATES = 40
CHOICE_FLIP_SHARE = 0.1


def valley_choice_flips(
    dens: Density,
    values: np.ndarray,
    at: int,
    found_in: Callable[[Density], list[int]],
    max_moved: float,
    replicate_events: int,
) -> tuple[float, float, float | None]:
    """How stable the deepest-valley choice is among three or more peaks: the share of
    CHOICE_REPLICATES resamples (each: peaks found again, the pair with the deepest
    valley chosen again, its lowest point) whose cut moves more than `max_moved` of
    `values` across the cut at grid index `at`, the largest such move (share of
    `values`) and where that replicate cut lay (None: none moved that far).

    With three or more peaks (negatives, a dim smear, bright positives) two gaps may be
    nearly as deep; which one is cut then rests on where a few events fell, and the
    population between them lands on either side.
    """
    if not len(values):
        return 0.0, 0.0, None
    ordered = np.sort(values)
    rank_at = int(np.searchsorted(ordered, dens.centers[at]))
    size = min(len(values), replicate_events)
    rng = np.random.default_rng([len(values), at, CHOICE_REPLICATES])
    flips, worst, where = 0, 0.0, None
    for _ in range(CHOICE_REPLICATES):
        replicate = density_like(dens, values.take(rng.integers(0, len(values), size)))
        pair = prominent_pair(replicate, found_in(replicate))
        if pair is None:
            continue
        cut = float(dens.centers[valley_index(replicate.values, *pair)])
        moved = abs(int(np.searchsorted(ordered, cut)) - rank_at) / len(values)
        if moved > max_moved:
            flips += 1
            if moved > worst:
                worst, where = moved, cut
    return flips / CHOICE_REPLICATES, worst, where


def events_below_first_peak(values: np.ndarray, dens: Density, first: int) -> int:
    """Events of `values` more than 3 SDs below the first (lowest) peak at grid `first`,
    the SD from the peak's narrower half-height width (the other half may hold another
    population): a Gaussian peak leaves 0.13% of itself there.

    `valley: first` removes the first peak as debris. At a few thousand events a debris
    plateau can be too flat to count as a peak, and the first peak found is then the
    lymphocytes: the cut removes cells, and what lies below that peak is the debris.
    """
    sd = min(half_width_sd(dens, first, "below"), half_width_sd(dens, first, "above"))
    return int(np.count_nonzero(values < float(dens.centers[first]) - 3 * sd))


def lone_cut_value(
    values: np.ndarray, mode: float, side: str, spreads: float, valley: float | None
) -> tuple[float, bool]:
    """The cut `spreads` robust SDs beyond a lone peak at `mode` on `side` ("above": the
    peak is below the cut) and whether the reference `valley` capped it. The spread is
    the narrower half's (the other half may hold another population's events)."""
    away = "below" if side == "above" else "above"
    spread = min(_half_spread(values, mode, away), _half_spread(values, mode, side))
    value = mode + spreads * spread if side == "above" else mode - spreads * spread
    if valley is None:
        return value, False
    capped = min(value, valley) if side == "above" else max(value, valley)
    return capped, capped != value


def lone_cut_moved(
    values: np.ndarray,
    dens: Density,
    index: int,
    side: str,
    spreads: float,
    valley: float | None,
    replicates: int,
    replicate_events: int,
) -> float:
    """Largest share of the lone peak's side of `values` that the cut crosses over
    `replicates` resamples (each: the density's mode nearest the peak at grid `index`,
    its spread and cut recomputed). A cut resting on where a small sample's mode fell
    moves much; a well-sampled Gaussian peak's hardly at all."""
    if not len(values):
        return 0.0
    cut, _ = lone_cut_value(values, float(dens.centers[index]), side, spreads, valley)
    size = min(len(values), replicate_events)
    rng = np.random.default_rng([len(values), index])
    ordered = np.sort(values)
    kept = (
        np.searchsorted(ordered, cut)
        if side == "above"
        else len(values) - np.searchsorted(ordered, cut)
    )
    worst = 0
    for _ in range(replicates):
        resample = values.take(rng.integers(0, len(values), size))
        peak = _climb(density_like(dens, resample).values, index)
        other, _ = lone_cut_value(resample, float(dens.centers[peak]), side, spreads, valley)
        low, high = sorted((cut, other))
        worst = max(worst, int(np.searchsorted(ordered, high) - np.searchsorted(ordered, low)))
    return worst / max(int(kept), 1)


def _climb(y: np.ndarray, index: int) -> int:
    """The local maximum of `y` reached uphill from `index`."""
    while True:
        left = y[index - 1] if index > 0 else -np.inf
        right = y[index + 1] if index < len(y) - 1 else -np.inf
        if left <= y[index] and right <= y[index]:
            return index
        index = index - 1 if left > right else index + 1


def _half_spread(values: np.ndarray, centre: float, side: str) -> float:
    """Robust SD of a peak from the events on one side of its mode (1.4826 x median
    distance to the mode)."""
    half = centre - values[values < centre] if side == "below" else values[values > centre] - centre
    return 1.4826 * float(median(half, overwrite=True)) if len(half) else 0.0
