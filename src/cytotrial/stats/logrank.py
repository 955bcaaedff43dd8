"""Log-rank (Mantel-Cox) test, overall and SPSS-style pairwise, matching R ``survdiff`` (rho = 0).

At each distinct event time t with n at risk and d events (n_g, d_g in group g):
``E_g += d n_g / n`` and the hypergeometric covariance
``V_gh += d (n - d) / (n - 1) * (n_g / n) * (delta_gh - n_h / n)`` (n > 1).
``chi2 = (O - E)' V^- (O - E)`` with the first group (among groups with E > 0) dropped,
``df = (#groups with E > 0) - 1`` -- R ``survdiff`` exactly (equals the Cox score test with exact
ties); not the textbook ``sum (O - E)^2 / E``, which is kept as ``chisq_approx``.

``pairwise_logrank`` = SPSS ``/COMPARE=PAIRWISE`` ("pairwise over strata"): a separate
two-group test on the subjects of each pair only, unadjusted p values (IBM SPSS help
idh_kmei_comp).

lifelines' ``logrank_test`` / ``multivariate_logrank_test`` give the same statistic
(checked in tests/unit/stats/test_stats_logrank.py) but cost a 1.4 s import and return no
O/E/V per group, so the formula is implemented here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from cytotrial.errors import InputError
from cytotrial.stats._common import group_levels, survival_arrays

__all__ = [
    "LogrankResult",
    "PairwiseLogrank",
    "logrank",
    "pairwise_logrank",
    "format_p",
]

NAN = float("nan")


@dataclass(frozen=True, eq=False)
class LogrankResult:
    """Log-rank test result; per-group arrays follow ``levels``.

    ``p_value`` is NaN (with ``reason``) when there is no test: fewer than two groups with
    subjects, or no events.
    """

    levels: tuple
    n: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    variance: np.ndarray
    chisq: float
    df: int
    p_value: float
    chisq_approx: float = NAN
    reason: str = ""

    @property
    def o_minus_e(self) -> np.ndarray:
        return self.observed - self.expected


@dataclass(frozen=True, eq=False)
class PairwiseLogrank:
    """One SPSS "pairwise over strata" comparison: ``group1`` vs ``group2`` on their subjects."""

    group1: object
    group2: object
    result: LogrankResult

    @property
    def n(self) -> int:
        return int(self.result.n.sum())

    @property
    def chisq(self) -> float:
        return self.result.chisq

    @property
    def df(self) -> int:
        return self.result.df

    @property
    def p_value(self) -> float:
        return self.result.p_value


def _survdiff(t: np.ndarray, e: np.ndarray, g: np.ndarray, levels: list) -> LogrankResult:
    k = len(levels)
    index = {lv: i for i, lv in enumerate(levels)}
    gi = np.array([index[v] for v in g], dtype=int)
    n_g = np.bincount(gi, minlength=k).astype(int)
    observed = np.bincount(gi, weights=e.astype(float), minlength=k)
    expected = np.zeros(k)
    variance = np.zeros((k, k))
    for time in np.unique(t[e]):
        at_risk = t >= time
        n_risk_g = np.bincount(gi[at_risk], minlength=k).astype(float)
        d_g = np.bincount(gi[at_risk & e & (t == time)], minlength=k).astype(float)
        n_risk, d = n_risk_g.sum(), d_g.sum()
        frac = n_risk_g / n_risk
        expected += d * frac
        if n_risk > 1:
            factor = d * (n_risk - d) / (n_risk - 1)
            variance += factor * (np.diag(frac) - np.outer(frac, frac))
    with np.errstate(divide="ignore", invalid="ignore"):
        approx = float(np.sum(np.where(expected > 0, (observed - expected) ** 2 / expected, 0.0)))
    args = dict(
        levels=tuple(levels),
        n=n_g,
        observed=observed,
        expected=expected,
        variance=variance,
        chisq_approx=approx,
    )
    empty = [lv for lv, n in zip(levels, n_g, strict=True) if n == 0]
    if k - len(empty) < 2:
        if k == len(empty):
            reason = "no observations"
        else:
            reason = "only one group with subjects: no comparison"
            if empty:
                reason += f" (no subjects in {', '.join(map(repr, empty))})"
        return LogrankResult(**args, chisq=NAN, df=0, p_value=NAN, reason=reason)
    if not e.any():
        return LogrankResult(**args, chisq=NAN, df=k - 1, p_value=NAN, reason="no events")
    use = np.flatnonzero(expected > 0)
    df = use.size - 1
    if df < 1:
        reason = "fewer than two groups with subjects at risk at an event time"
        return LogrankResult(**args, chisq=NAN, df=0, p_value=NAN, reason=reason)
    diff = (observed - expected)[use][1:]
    vv = variance[np.ix_(use, use)][1:, 1:]
    try:
        chisq = float(diff @ np.linalg.solve(vv, diff))
    except np.linalg.LinAlgError:
        chisq = float(diff @ np.linalg.pinv(vv) @ diff)
    p = float(stats.chi2.sf(chisq, df))
    return LogrankResult(**args, chisq=chisq, df=df, p_value=p)


def logrank(time, event, group, levels: Sequence | None = None) -> LogrankResult:
    """Log-rank test over all groups (R ``survdiff(Surv(time, event) ~ group)``).

    ``levels`` fixes the group order (default: categorical order, else sorted); it changes the
    layout of the per-group arrays only, never chi2 or p.
    """
    t, e = survival_arrays(time, event)
    g, lv = group_levels(group, levels)
    if g.size != t.size:
        raise InputError(f"group has {g.size} values but time has {t.size}")
    return _survdiff(t, e, g, lv)


def pairwise_logrank(
    time,
    event,
    group,
    reference=None,
    levels: Sequence | None = None,
) -> tuple[PairwiseLogrank, ...]:
    """SPSS "pairwise over strata": one two-group log-rank per pair, on that pair's subjects.

    No multiplicity adjustment (as SPSS). Pairs follow the level order (group1 before group2).
    With ``reference`` only the pairs containing it, as ``(other, reference)`` -- e.g. each
    part-A response group against PD. A pair with an empty group gets p = NaN and a reason.
    """
    t, e = survival_arrays(time, event)
    g, lv = group_levels(group, levels)
    if g.size != t.size:
        raise InputError(f"group has {g.size} values but time has {t.size}")
    if reference is not None:
        if reference not in lv:  # an empty reference group: every pair says so, no crash
            lv = [*lv, reference]
        pairs = [(other, reference) for other in lv if other != reference]
    else:
        pairs = list(itertools.combinations(lv, 2))
    out = []
    for a, b in pairs:
        m = (g == a) | (g == b)
        pair_levels = [x for x in lv if x in (a, b)]
        out.append(PairwiseLogrank(a, b, _survdiff(t[m], e[m], g[m], pair_levels)))
    return tuple(out)


def format_p(p: float, digits: int = 3) -> str:
    """Journal-style P: ``".002"``, ``"<.001"``; ``"NA"`` for NaN."""
    if math.isnan(p):
        return "NA"
    if p < 10 ** (-digits):
        return "<." + "0" * (digits - 1) + "1"
    return f"{p:.{digits}f}".lstrip("0")
