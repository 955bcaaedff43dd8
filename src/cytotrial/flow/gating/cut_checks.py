"""Checks of a data-driven cut beyond its valley depth and stability (guide §6), and the
lone-peak cut they share with the engine.

- **Two gaps nearly as deep** among three or more peaks (a dim smear between the
  negatives and the bright positives): the cut falls in the deeper one, and the middle
  population lands on one side by a small difference in their depths. Measured by
  choosing the gap again on resamples (valley_choice_flips).
- **A debris cut whose first peak is cells**: at a few thousand events a flat debris
  plateau makes no peak, the lymphocytes are the first peak, and `valley: first`
  removes them (events_below_first_peak).

A lone peak's cut was also placed again on resamples (how far it moves), but in the
demo's small activated-NK populations (50-250 events, a long upper tail) the cut trims
the tail and moves 5-27% of the events on correct gates (F1 0.94-1.0): no signal.
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
    "LONE_BODY_DENSITY",
    "out_of_body",
    "events_below_first_peak",
    "CHOICE_FLIP_SHARE",
    "CHOICE_REPLICATES",
    "valley_choice_flips",
    "lone_cut_value",
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


# A lone peak's cut where the density is still above this share of the peak's height
# lies in the population's body (a Gaussian peak's density 4 SDs out is 0.03% of its
# height; a small sample's mode on a chance clump makes the spread look tight).
LONE_BODY_DENSITY = 0.2


def out_of_body(dens: Density, mode_index: int, cut: float, valley: float) -> float | None:
    """Where a lone peak's cut at `cut` goes when it lies in the peak's body and a
    reference `valley` bounds the peak's population beyond it: the lowest density
    between the cut and the valley (the gap the population ends in). None when the cut
    is not in the body."""
    y, centres = dens.values, dens.centers
    at = int(np.clip(np.searchsorted(centres, cut), 0, len(y) - 1))
    if y[at] <= LONE_BODY_DENSITY * y[mode_index]:
        return None
    end = int(np.clip(np.searchsorted(centres, valley), 0, len(y) - 1))
    low, high = sorted((at, end))
    if high <= low:
        return None
    segment = y[low : high + 1]
    lowest = np.flatnonzero(segment == segment.min())
    # the nearest of tied minima to the cut: an empty stretch ends the population there
    pick = lowest[0] if end > at else lowest[-1]
    return float(centres[low + pick])


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


def _half_spread(values: np.ndarray, centre: float, side: str) -> float:
    """Robust SD of a peak from the events on one side of its mode (1.4826 x median
    distance to the mode)."""
    half = centre - values[values < centre] if side == "below" else values[values > centre] - centre
    return 1.4826 * float(median(half, overwrite=True)) if len(half) else 0.0
