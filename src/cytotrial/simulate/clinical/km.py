"""A tiny numpy Kaplan-Meier median, used to calibrate the simulated survival times.

The estimate follows lifelines' arithmetic (S = exp(cumsum(log(n - d) - log(n))) over
the sorted distinct times; median = first time with S <= 0.5), so the simulator's
calibration sees the same medians the report computes with lifelines. It is kept here
(numpy only) because the simulator runs at Snakemake parse time and must not import
lifelines or scipy.
"""

from __future__ import annotations

import numpy as np


def km_curve(durations: np.ndarray, events: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier survival estimate at each distinct observed time.

    Returns (times, survival) with survival[i] = S(times[i]) (right-continuous).
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    times, inverse = np.unique(t, return_inverse=True)
    deaths = np.bincount(inverse, weights=e.astype(float), minlength=times.size)
    removed = np.bincount(inverse, minlength=times.size).astype(float)
    at_risk = t.size - np.concatenate(([0.0], np.cumsum(removed)[:-1]))
    with np.errstate(divide="ignore"):
        log_factor = np.log(at_risk - deaths) - np.log(at_risk)
    return times, np.exp(np.cumsum(log_factor))


def km_median(durations: np.ndarray, events: np.ndarray, slack: float = 0.0) -> float:
    """Median survival time (first time with S <= 0.5 + slack); inf if not reached.

    A tiny positive slack gives the alternative answer when S lands on 0.5 up to
    rounding, which lets callers check both neighbours of an exact-0.5 step.
    """
    times, surv = km_curve(durations, events)
    reached = np.nonzero(surv <= 0.5 + slack)[0]
    return float(times[reached[0]]) if reached.size else float("inf")


def km_median_pair(durations: np.ndarray, events: np.ndarray) -> tuple[float, float]:
    """(median, alternative median): the alternative treats S within 1e-9 of 0.5 as
    reached, i.e. it differs only when S lands on 0.5 up to rounding, where lifelines'
    answer depends on the last bit of a float."""
    times, surv = km_curve(durations, events)
    out = []
    for slack in (0.0, 1e-9):
        reached = np.nonzero(surv <= 0.5 + slack)[0]
        out.append(float(times[reached[0]]) if reached.size else float("inf"))
    return out[0], out[1]


def reverse_km_median(durations: np.ndarray, events: np.ndarray) -> float:
    """Median follow-up by the reverse Kaplan-Meier method (censoring is the 'event')."""
    return km_median(durations, ~np.asarray(events, dtype=bool))
