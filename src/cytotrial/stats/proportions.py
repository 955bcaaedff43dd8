"""Response rates: Clopper-Pearson CIs, exact binomial tests, single-stage phase 2 design.

* Clopper-Pearson (R ``binom.test``): lower = Beta^-1(a/2; x, n-x+1) (0 if x = 0),
  upper = Beta^-1(1-a/2; x+1, n-x) (1 if x = n).
* Exact one-sided test of H0 p <= p0: P = P(X >= x | n, p0) (R ``binom.test(alternative=
  "greater")``).
* Single-stage exact design (A'Hern, Stat Med 2001;20:859-66; Fleming, Biometrics 1982):
  r(n) = smallest r with P(X >= r | n, p0) <= alpha_1; n = smallest n with
  P(X >= r(n) | n, p1) >= power. "Two-sided alpha 0.05" means alpha_1 = 0.025.
* Primary endpoint met <=> x >= r(n) <=> P(X >= x | p0) <= alpha_1 <=> one-sided CP lower bound
  > p0 (equivalent for CP). The wording "ORR >= 15 %" may instead mean the point estimate
  reaches 15 %; ``primary_endpoint`` reports both readings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from cytotrial.errors import InputError

NAN = float("nan")


@dataclass(frozen=True)
class ProportionCI:
    """x/n with its exact (Clopper-Pearson) two-sided interval."""

    x: int
    n: int
    estimate: float
    lower: float
    upper: float
    confidence: float

    def format(self, digits: int = 1, label: str = "") -> str:
        """``"4.5% (95% CI 0.6-15.5%)"``."""
        if self.n == 0:
            return f"{label}0/0 (no patients)".strip()
        pct = f"{100 * self.confidence:g}%"
        body = (
            f"{100 * self.estimate:.{digits}f}% ({pct} CI "
            f"{100 * self.lower:.{digits}f}-{100 * self.upper:.{digits}f}%)"
        )
        return f"{label}{body}"


@dataclass(frozen=True)
class SingleStageDesign:
    """Exact single-stage design: reject H0 (p <= p0) when responders >= r out of n."""

    n: int
    r: int
    p0: float
    p1: float
    alpha_one_sided: float
    alpha_actual: float
    power_target: float
    power_actual: float


@dataclass(frozen=True)
class PrimaryEndpoint:
    """Primary-endpoint evaluation with both readings and a plain-words verdict."""

    ci: ProportionCI
    p0: float
    alpha_one_sided: float
    threshold: float
    r: int
    p_value: float
    one_sided_lower: float
    met_by_test: bool
    met_by_point_estimate: bool
    verdict: str

    @property
    def met(self) -> bool:
        """Met under both readings (the conservative summary; see ``verdict``)."""
        return self.met_by_test and self.met_by_point_estimate


def _check_xn(x: int, n: int) -> tuple[int, int]:
    if int(x) != x or int(n) != n:
        raise InputError(f"x and n must be whole numbers, got x={x!r}, n={n!r}")
    x, n = int(x), int(n)
    if n < 0 or x < 0 or x > n:
        raise InputError(f"need 0 <= x <= n, got x={x}, n={n}")
    return x, n


def _check_prob(name: str, p: float, open_interval: bool = False) -> None:
    ok = 0 < p < 1 if open_interval else 0 <= p <= 1
    if not ok:
        raise InputError(f"{name} must be in {'(0, 1)' if open_interval else '[0, 1]'}, got {p!r}")


def clopper_pearson(x: int, n: int, confidence: float = 0.95) -> ProportionCI:
    """Exact Clopper-Pearson interval (R ``binom.test(x, n)$conf.int``).

    ``confidence=0.90`` gives the one-sided 95 % bounds as its limits. n = 0 gives NaN.
    """
    x, n = _check_xn(x, n)
    _check_prob("confidence", confidence, open_interval=True)
    if n == 0:
        return ProportionCI(0, 0, NAN, NAN, NAN, confidence)
    a = 1.0 - confidence
    lower = 0.0 if x == 0 else float(stats.beta.ppf(a / 2, x, n - x + 1))
    upper = 1.0 if x == n else float(stats.beta.ppf(1 - a / 2, x + 1, n - x))
    return ProportionCI(x, n, x / n, lower, upper, confidence)


def binomial_p_at_least(x: int, n: int, p0: float) -> float:
    """Exact one-sided P(X >= x | n, p0) (R ``binom.test(x, n, p0, alternative="greater")``)."""
    x, n = _check_xn(x, n)
    _check_prob("p0", p0)
    return float(stats.binom.sf(x - 1, n, p0))


def binomial_p_at_most(x: int, n: int, p0: float) -> float:
    """Exact one-sided P(X <= x | n, p0) (R ``binom.test(..., alternative="less")``)."""
    x, n = _check_xn(x, n)
    _check_prob("p0", p0)
    return float(stats.binom.cdf(x, n, p0))


def binomial_p_two_sided(x: int, n: int, p0: float) -> float:
    """R ``binom.test`` two-sided P: sum of P(X=k) with P(X=k) <= P(X=x)(1 + 1e-7) (scipy same)."""
    x, n = _check_xn(x, n)
    _check_prob("p0", p0)
    return float(stats.binomtest(x, n, p0).pvalue)


def rejection_count(n: int, p0: float, alpha_one_sided: float) -> int:
    """Smallest r with P(X >= r | n, p0) <= alpha_one_sided (n + 1 if none: H0 never rejected)."""
    _, n = _check_xn(0, n)
    _check_prob("p0", p0)
    _check_prob("alpha_one_sided", alpha_one_sided, open_interval=True)
    for r in range(n + 1):
        if stats.binom.sf(r - 1, n, p0) <= alpha_one_sided:
            return r
    return n + 1


def design_at_n(n: int, p0: float, p1: float, alpha_one_sided: float) -> SingleStageDesign:
    """Operating characteristics of the exact test at a fixed n (r, actual alpha and power)."""
    r = rejection_count(n, p0, alpha_one_sided)
    _check_prob("p1", p1)
    size = float(stats.binom.sf(r - 1, n, p0)) if r <= n else 0.0
    power = float(stats.binom.sf(r - 1, n, p1)) if r <= n else 0.0
    return SingleStageDesign(n, r, p0, p1, alpha_one_sided, size, NAN, power)


def single_stage_design(
    p0: float, p1: float, alpha_one_sided: float, power: float, n_max: int = 2000
) -> SingleStageDesign:
    """A'Hern exact single-stage design: smallest n whose exact test has the requested power.

    Check (guide section 2): p0 = 0.02, p1 = 0.15, alpha_1 = 0.025, power 0.90 -> n = 43, r = 4.
    """
    _check_prob("p0", p0, open_interval=True)
    _check_prob("p1", p1, open_interval=True)
    _check_prob("power", power, open_interval=True)
    if p1 <= p0:
        raise InputError(f"p1 ({p1}) must exceed p0 ({p0})")
    for n in range(1, n_max + 1):
        d = design_at_n(n, p0, p1, alpha_one_sided)
        if d.r <= n and d.power_actual >= power:
            return SingleStageDesign(
                n, d.r, p0, p1, alpha_one_sided, d.alpha_actual, power, d.power_actual
            )
    raise InputError(f"no design with n <= {n_max} reaches power {power}")


def arcsine_sample_size(p0: float, p1: float, alpha_one_sided: float, power: float) -> float:
    """n of a one-sample test of p0 against p1 by the normal approximation with the arcsine
    (variance-stabilising) transformation, unrounded:
    ``n = ((z_{1-alpha_1} + z_{power}) / (2 (asin(sqrt(p1)) - asin(sqrt(p0)))))^2``
    (Machin et al., Sample Size Tables for Clinical Studies, one-sample proportion).

    The trial protocol's n = 40 (p0 0.02, p1 0.15, two-sided alpha 0.05, power 0.90): 40.1.
    """
    _check_prob("p0", p0)
    _check_prob("p1", p1)
    _check_prob("power", power, open_interval=True)
    _check_prob("alpha_one_sided", alpha_one_sided, open_interval=True)
    if p1 <= p0:
        raise InputError(f"p1 ({p1}) must exceed p0 ({p0})")
    z = stats.norm.ppf(1 - alpha_one_sided) + stats.norm.ppf(power)
    effect = 2 * (math.asin(math.sqrt(p1)) - math.asin(math.sqrt(p0)))
    return float((z / effect) ** 2)


def _pct(v: float, digits: int = 1) -> str:
    return f"{100 * v:.{digits}f}%"


def primary_endpoint(
    x: int,
    n: int,
    p0: float,
    alpha_one_sided: float,
    threshold: float,
    confidence: float = 0.95,
    endpoint: str = "ORR",
) -> PrimaryEndpoint:
    """Evaluate a single-arm primary endpoint on x responders of n, in plain words.

    Test reading: exact one-sided binomial test of H0 p <= ``p0`` at ``alpha_one_sided``
    (met <=> x >= r(n)). Point-estimate reading: x / n >= ``threshold`` (the trial's "ORR >=
    15 %"). ``verdict`` states both; when they disagree it says so rather than choosing.
    """
    x, n = _check_xn(x, n)
    _check_prob("threshold", threshold)
    if n == 0:
        raise InputError(f"{endpoint}: no patients in the denominator (n = 0)")
    ci = clopper_pearson(x, n, confidence)
    r = rejection_count(n, p0, alpha_one_sided)
    p_value = binomial_p_at_least(x, n, p0)
    one_sided = clopper_pearson(x, n, 1 - 2 * alpha_one_sided).lower
    by_test = x >= r
    by_estimate = ci.estimate >= threshold - 1e-12  # 6/40 is 0.15 despite float rounding
    head = (
        f"{endpoint} {x}/{n} = {_pct(ci.estimate)} ({100 * confidence:g}% CI "
        f"{100 * ci.lower:.1f}-{100 * ci.upper:.1f}%)"
    )
    goal = f"the primary endpoint ({endpoint} >= {100 * threshold:g}%)"
    need = "no number of responders" if r > n else f"{r} of {n}"
    test_words = (
        f"the exact one-sided binomial test against p0 = {100 * p0:g}% gives "
        f"P(X >= {x}) = {p_value:.3g}, {'at or below' if by_test else 'above'} one-sided "
        f"alpha {alpha_one_sided:g} (rejecting p0 needs {need} responders)"
    )
    estimate_words = (
        f"the observed rate {_pct(ci.estimate)} is "
        f"{'at or above' if by_estimate else 'below'} {100 * threshold:g}%"
    )
    if by_test and by_estimate:
        verdict = f"{head}; {goal} was met: {estimate_words}, and {test_words}."
    elif not by_test and not by_estimate:
        verdict = f"{head}; {goal} was not met: {estimate_words}, and {test_words}."
    else:
        verdict = (
            f"{head}; {goal} is met under one reading only: {estimate_words}, while "
            f"{test_words} -- the protocol must say which reading is the endpoint."
        )
    return PrimaryEndpoint(
        ci=ci,
        p0=p0,
        alpha_one_sided=alpha_one_sided,
        threshold=threshold,
        r=r,
        p_value=p_value,
        one_sided_lower=one_sided,
        met_by_test=bool(by_test),
        met_by_point_estimate=bool(by_estimate),
        verdict=verdict,
    )


__all__ = [
    "PrimaryEndpoint",
    "ProportionCI",
    "SingleStageDesign",
    "binomial_p_at_least",
    "binomial_p_at_most",
    "binomial_p_two_sided",
    "clopper_pearson",
    "design_at_n",
    "primary_endpoint",
    "rejection_count",
    "single_stage_design",
]
