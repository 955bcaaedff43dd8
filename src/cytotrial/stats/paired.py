"""Wilcoxon matched-pairs signed-rank test as GraphPad Prism and as R compute it; stars; quartiles.

Differences are ``d = after - before`` (Prism's default "second - first" orientation; R's
``wilcox.test(x, y, paired=TRUE)`` uses ``x - y``, so call ``wilcoxon_matched_pairs(y, x)``).
Ranks: average ranks of ``|d|``. ``zero_method="wilcox"`` drops zero differences before
ranking (Wilcoxon; Prism <= 5, InStat, R); ``"pratt"`` ranks them and discards their ranks.
``V`` = sum of positive ranks (R), ``W`` = sum of signed ranks (Prism).

P values:

* ``method="prism"`` (GraphPad Prism >= 6): exact two-sided P for fewer than 200 pairs (counted
  after dropping zero differences; Prism's wording does not say), even with ties or zeros;
  Gaussian approximation with continuity correction ``z = (|V - mu| - 0.5) / sigma`` from 200
  pairs on (GraphPad Statistics Guide, "How the Wilcoxon matched pairs test works"). The exact
  null distribution of V over (average) ranks is computed by dynamic programming over the
  integer scores ``2 * rank`` (each rank enters with probability 1/2) -- O(n * sum of scores),
  not 2^n enumeration. Two-sided P = P(|V' - mu| >= |V - mu|) (the distribution is symmetric,
  so this is also 2 * the smaller tail).
* ``method="r"``: R ``wilcox.test(paired=TRUE)``: exact (psignrank) only when n < 50 (or
  ``exact=True``) and there are no ties and no zeros, else
  ``z = (V - mu - CORRECTION) / sigma`` with ``CORRECTION = 0.5 sign(V - mu)`` (two-sided),
  ``0.5`` (greater), ``-0.5`` (less) if ``correct``; ``sigma^2 = n(n+1)(2n+1)/24 -
  sum(t^3 - t)/48`` (= sum of squared ranks / 4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from cytotrial.errors import InputError

__all__ = [
    "WilcoxonResult",
    "Quartiles",
    "signed_rank_null",
    "wilcoxon_matched_pairs",
    "significance_stars",
    "prism_quartiles",
]

NAN = float("nan")
PRISM_EXACT_MAX_PAIRS = 200
R_EXACT_MAX_PAIRS = 50
ALTERNATIVES = ("two-sided", "greater", "less")


@dataclass(frozen=True)
class WilcoxonResult:
    """Result of a Wilcoxon matched-pairs signed-rank test (``d = after - before``).

    ``n_pairs`` complete pairs; ``n_missing`` pairs dropped for a missing value; ``n_zero``
    zero differences; ``n_used`` ranks in the null distribution (nonzero differences).
    ``v`` = sum of positive ranks (R's V), ``w`` = sum of signed ranks (Prism's W).
    ``p_value`` NaN with ``reason`` when there is nothing to test.
    """

    n_pairs: int
    n_missing: int
    n_zero: int
    n_used: int
    v: float
    w: float
    r_plus: float
    r_minus: float
    p_value: float
    method: str
    test: str
    exact: bool
    correction: bool
    ties: bool
    zero_method: str
    alternative: str
    median_difference: float
    reason: str = ""

    @property
    def stars(self) -> str:
        return significance_stars(self.p_value)


@dataclass(frozen=True)
class Quartiles:
    """Prism quartiles (Hyndman-Fan type 6) of the non-missing values."""

    q1: float
    median: float
    q3: float
    n: int


def signed_rank_null(scores: np.ndarray) -> np.ndarray:
    """Null distribution of the sum of a random subset of integer ``scores`` (each in w.p. 1/2).

    Returns ``prob`` with ``prob[s] = P(sum = s)``, for s = 0 .. sum(scores). Dynamic
    programming: one shift-and-average per score.
    """
    scores = np.asarray(scores, dtype=np.int64)
    if (scores < 0).any():
        raise ValueError("scores must be non-negative integers")
    prob = np.zeros(int(scores.sum()) + 1)
    prob[0] = 1.0
    top = 0
    for s in scores:
        s = int(s)
        if s == 0:
            continue
        new = 0.5 * prob[: top + s + 1]
        new[s : top + s + 1] += 0.5 * prob[: top + 1]
        prob[: top + s + 1] = new
        top += s
    return prob


def _exact_p(scores: np.ndarray, observed: int, alternative: str) -> float:
    prob = signed_rank_null(scores)
    support = np.arange(prob.size)
    if alternative == "greater":
        p = prob[support >= observed].sum()
    elif alternative == "less":
        p = prob[support <= observed].sum()
    else:
        total = int(np.sum(scores))  # 2 * mean, in score units
        dist = np.abs(2 * support - total)
        p = prob[dist >= abs(2 * observed - total)].sum()
    return float(min(1.0, p))


def _normal_p(v: float, ranks: np.ndarray, alternative: str, correct: bool) -> float:
    mu = ranks.sum() / 2.0
    sigma = math.sqrt(float(np.sum(ranks**2)) / 4.0)
    if sigma == 0:
        return NAN
    if correct:
        corr = {"two-sided": 0.5 * np.sign(v - mu), "greater": 0.5, "less": -0.5}[alternative]
    else:
        corr = 0.0
    z = (v - mu - corr) / sigma
    if alternative == "greater":
        return float(stats.norm.sf(z))
    if alternative == "less":
        return float(stats.norm.cdf(z))
    return float(2 * min(stats.norm.cdf(z), stats.norm.sf(z)))


def wilcoxon_matched_pairs(
    before,
    after,
    method: str = "prism",
    zero_method: str = "wilcox",
    alternative: str = "two-sided",
    exact: bool | None = None,
    correct: bool = True,
) -> WilcoxonResult:
    """Wilcoxon matched-pairs signed-rank test on ``d = after - before``.

    ``method="prism"``: exact P below 200 pairs even with ties (Prism >= 6), normal with
    continuity correction above. ``method="r"``: R ``wilcox.test(after, before, paired=TRUE,
    exact=exact, correct=correct)``. ``exact=True/False`` overrides the automatic choice
    (``method="r"`` still cannot be exact with ties or zeros, as in R). Pairs with a missing
    value are dropped (counted in ``n_missing``).
    """
    if method not in ("prism", "r"):
        raise InputError(f"method must be 'prism' or 'r', got {method!r}")
    if zero_method not in ("wilcox", "pratt"):
        raise InputError(f"zero_method must be 'wilcox' or 'pratt', got {zero_method!r}")
    if method == "r" and zero_method != "wilcox":
        raise InputError("R's wilcox.test only drops zeros: use zero_method='wilcox' with 'r'")
    if alternative not in ALTERNATIVES:
        raise InputError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")
    b = np.asarray(before, dtype=float).reshape(-1)
    a = np.asarray(after, dtype=float).reshape(-1)
    if a.size != b.size:
        raise InputError(f"before has {b.size} values but after has {a.size}: pairs must match")
    complete = ~(np.isnan(a) | np.isnan(b))
    d = a[complete] - b[complete]
    n_pairs, n_missing = int(d.size), int((~complete).sum())
    zero = d == 0
    n_zero = int(zero.sum())
    if zero_method == "wilcox":
        ranks = stats.rankdata(np.abs(d[~zero]))
    else:
        ranks = stats.rankdata(np.abs(d))[~zero]
    signs = np.sign(d[~zero])
    n_used = int(ranks.size)
    r_plus = float(ranks[signs > 0].sum())
    r_minus = float(ranks[signs < 0].sum())
    ties = bool(np.unique(np.abs(d[~zero])).size < n_used)
    base = dict(
        n_pairs=n_pairs,
        n_missing=n_missing,
        n_zero=n_zero,
        n_used=n_used,
        v=r_plus,
        w=r_plus - r_minus,
        r_plus=r_plus,
        r_minus=r_minus,
        method=method,
        ties=ties,
        zero_method=zero_method,
        alternative=alternative,
        median_difference=float(np.median(d)) if n_pairs else NAN,
    )
    if n_pairs == 0 or n_used == 0:
        reason = "no complete pairs" if n_pairs == 0 else "all differences are zero"
        return WilcoxonResult(
            **base, p_value=NAN, test="none", exact=False, correction=False, reason=reason
        )
    if method == "prism":
        use_exact = n_used < PRISM_EXACT_MAX_PAIRS if exact is None else exact
    else:
        exact_ok = not ties and n_zero == 0
        want = n_used < R_EXACT_MAX_PAIRS if exact is None else exact
        use_exact = want and exact_ok
    if use_exact:
        scores = np.rint(2 * ranks).astype(np.int64)
        p = _exact_p(scores, int(round(2 * r_plus)), alternative)
        test = "exact" + (" (ties/zeros handled by average ranks)" if ties or n_zero else "")
        return WilcoxonResult(**base, p_value=p, test=test, exact=True, correction=False)
    p = _normal_p(r_plus, ranks, alternative, correct)
    test = "normal approximation" + (" with continuity correction" if correct else "")
    return WilcoxonResult(**base, p_value=p, test=test, exact=False, correction=correct)


def significance_stars(p: float) -> str:
    """GraphPad "GP" style on the unrounded P: ns > .05, * <= .05, ** <= .01, *** <= .001,
    **** <= .0001; ``"n/a"`` for a missing P."""
    if p is None or math.isnan(p):
        return "n/a"
    for limit, stars_ in ((0.0001, "****"), (0.001, "***"), (0.01, "**"), (0.05, "*")):
        if p <= limit:
            return stars_
    return "ns"


def prism_quartiles(x) -> Quartiles:
    """Quartiles as Prism computes them: Hyndman-Fan type 6 (``R = P(n + 1) / 100``, GraphPad KB
    #501) = ``np.percentile(x, q, method="weibull")``; missing values ignored."""
    v = np.asarray(x, dtype=float).reshape(-1)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return Quartiles(NAN, NAN, NAN, 0)
    q1, med, q3 = np.percentile(v, [25, 50, 75], method="weibull")
    return Quartiles(float(q1), float(med), float(q3), int(v.size))
