"""A tiny numpy Kaplan-Meier median, used to calibrate the simulated survival times.

The estimate follows lifelines' arithmetic (S = exp(cumsum(log(n - d) - log(n))) over
the sorted distinct times; median = first time with S <= 0.5), so the simulator's
calibration sees the same medians the report computes with lifelines. It is kept here
(numpy only) because the simulator runs at Snakemake parse time and must not import
lifelines or scipy.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "km_median",
    "km_median_pair",
    "reverse_km_median",
    "spss_median_halfwidth",
    "median_ci_event_times",
    "logrank_p",
]


def _risk_table(
    durations: np.ndarray, events: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct times, deaths at each, number at risk just before each)."""
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    times, inverse = np.unique(t, return_inverse=True)
    deaths = np.bincount(inverse, weights=e.astype(float), minlength=times.size)
    removed = np.bincount(inverse, minlength=times.size).astype(float)
    at_risk = t.size - np.concatenate(([0.0], np.cumsum(removed)[:-1]))
    return times, deaths, at_risk


def _km_curve(durations: np.ndarray, events: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier survival estimate at each distinct observed time.

    Returns (times, survival) with survival[i] = S(times[i]) (right-continuous).
    """
    times, deaths, at_risk = _risk_table(durations, events)
    with np.errstate(divide="ignore"):
        log_factor = np.log(at_risk - deaths) - np.log(at_risk)
    return times, np.exp(np.cumsum(log_factor))


def km_median(durations: np.ndarray, events: np.ndarray, slack: float = 0.0) -> float:
    """Median survival time (first time with S <= 0.5 + slack); inf if not reached.

    A tiny positive slack gives the alternative answer when S lands on 0.5 up to
    rounding, which lets callers check both neighbours of an exact-0.5 step.
    """
    return _first_at_half(*_km_curve(durations, events), slack)


def _first_at_half(times: np.ndarray, surv: np.ndarray, slack: float) -> float:
    reached = np.nonzero(surv <= 0.5 + slack)[0]
    return float(times[reached[0]]) if reached.size else float("inf")


def km_median_pair(durations: np.ndarray, events: np.ndarray) -> tuple[float, float]:
    """(median, alternative median): the alternative treats S within 1e-9 of 0.5 as
    reached, i.e. it differs only when S lands on 0.5 up to rounding, where lifelines'
    answer depends on the last bit of a float."""
    times, surv = _km_curve(durations, events)
    return _first_at_half(times, surv, 0.0), _first_at_half(times, surv, 1e-9)


def reverse_km_median(durations: np.ndarray, events: np.ndarray) -> float:
    """Median follow-up by the reverse Kaplan-Meier method (censoring is the 'event')."""
    return km_median(durations, ~np.asarray(events, dtype=bool))


_TOL = 1.5e-8  # S within this of .45, .5 or .55 counts as there (float rounding)


def _median_ci_crossings(
    durations: np.ndarray, events: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int | None, int | None]:
    """At the event times: (times, S, Greenwood SE of S, index of the last S >= .55 or
    None, index of the first S <= .45 or None), as SPSS's density estimate of the median
    reads them."""
    times, deaths, at_risk = _risk_table(durations, events)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - deaths / at_risk)
        var = np.cumsum(deaths / (at_risk * (at_risk - deaths)))
        se_all = surv * np.sqrt(var)  # NaN where S drops to 0, as R and SPSS
    ev = deaths > 0
    times, surv, se = times[ev], surv[ev], se_all[ev]
    up = np.flatnonzero(surv >= 0.55 - _TOL)
    low = np.flatnonzero(surv <= 0.45 + _TOL)
    return (
        times,
        surv,
        se,
        int(up[-1]) if up.size else None,
        int(low[0]) if low.size else None,
    )


def median_ci_event_times(durations: np.ndarray, events: np.ndarray) -> tuple[float, float]:
    """The two event times whose S sets `spss_median_halfwidth`'s density: the last with
    S >= .55 (0 if none) and the first with S <= .45; NaN when S never falls to .45."""
    times, _, _, up, low = _median_ci_crossings(durations, events)
    if low is None:
        return float("nan"), float("nan")
    return (float(times[up]) if up is not None else 0.0), float(times[low])


def spss_median_halfwidth(durations: np.ndarray, events: np.ndarray) -> float:
    """1.96 x SPSS's SE of the KM median (the CI's upper limit minus the median), as
    cytotrial.stats.kaplan_meier computes it (SE_G[S(t_med)] / f, f from the event times
    where S last is >= 0.55 and first is <= 0.45); NaN when not estimable."""
    times, surv, se, up, low = _median_ci_crossings(durations, events)
    hit = np.flatnonzero(surv <= 0.5 + _TOL)
    if hit.size == 0 or low is None:
        return float("nan")
    u_time, u_surv = (times[up], surv[up]) if up is not None else (0.0, 1.0)
    density = (u_surv - surv[low]) / (times[low] - u_time)
    return float(1.959963984540054 * se[hit[0]] / density)


def logrank_p(time: np.ndarray, event: np.ndarray, in_first: np.ndarray) -> float:
    """Two-sided log-rank P of two groups (`in_first` marks group 1), as R survdiff with
    1 df: the chi-square tail from math.erfc (no scipy at parse time)."""
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=bool)
    g = np.asarray(in_first, dtype=bool)
    times = np.unique(t[e])
    if times.size == 0 or g.all() or not g.any():
        return float("nan")
    at_risk = (t[None, :] >= times[:, None]).astype(float)
    dies = ((t[None, :] == times[:, None]) & e[None, :]).astype(float)
    n, n1 = at_risk.sum(1), at_risk[:, g].sum(1)
    d, d1 = dies.sum(1), dies[:, g].sum(1)
    expected = d * n1 / n
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(n > 1, d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1), 0.0)
    v = var.sum()
    if v <= 0:
        return float("nan")
    chi2 = (d1.sum() - expected.sum()) ** 2 / v
    return math.erfc(math.sqrt(chi2 / 2.0))
