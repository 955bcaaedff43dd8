"""Clopper-Pearson, exact binomial tests, A'Hern single-stage design, primary-endpoint verdict."""

from __future__ import annotations

import json
import math

import pytest
from helpers.paths import R_REFERENCE

from cytotrial.errors import InputError
from cytotrial.stats.proportions import (
    arcsine_sample_size,
    binomial_p_at_least,
    binomial_p_at_most,
    binomial_p_two_sided,
    clopper_pearson,
    design_at_n,
    primary_endpoint,
    rejection_count,
    single_stage_design,
)

REL = dict(rel=1e-6, abs=1e-12)


def binomial_reference() -> dict:
    return json.loads((R_REFERENCE / "binomial.json").read_text())


def test_clopper_pearson_matches_r_binom_test():
    """R: ``binom.test(x, n)$conf.int`` for ORR 2/44, CBR 4/44, DCR 29/44, part A 26/63, 9/63,
    3/63."""
    rows = binomial_reference()["clopper_pearson_95"]
    assert len(rows) == 6
    for row in rows:
        got = clopper_pearson(row["x"], row["n"])
        assert got.estimate == pytest.approx(row["estimate"], **REL)
        assert got.lower == pytest.approx(row["ci_95_lower"], **REL), row["call"]
        assert got.upper == pytest.approx(row["ci_95_upper"], **REL), row["call"]
        assert got.format().replace("-", "%-") == row["percent"]


def test_one_sided_tests_match_r():
    """R: ``binom.test(2, 44, p = 0.15, alternative = "greater")`` (p, one-sided 95% CI),
    ``alternative = "less"`` and two-sided."""
    ref = binomial_reference()["one_sided_test_2_of_44_vs_0.15"]
    x, n, p0 = ref["x"], ref["n"], ref["p0"]
    assert binomial_p_at_least(x, n, p0) == pytest.approx(ref["greater"]["p_value"], **REL)
    assert binomial_p_at_most(x, n, p0) == pytest.approx(
        ref["supplementary_less"]["p_value"], **REL
    )
    assert binomial_p_two_sided(x, n, p0) == pytest.approx(
        ref["supplementary_two_sided"]["p_value"], **REL
    )
    ninety = clopper_pearson(x, n, confidence=0.90)  # limits = one-sided 95% bounds
    assert ninety.lower == pytest.approx(ref["greater"]["one_sided_95_ci_lower"], **REL)
    assert ninety.upper == pytest.approx(ref["supplementary_less"]["one_sided_95_ci_upper"], **REL)


def test_clopper_pearson_guide_checks():
    """Guide section 2: 4/40 -> 2.79-23.66 %; 0/10 -> 0-30.85 %; R ``binom.test(4, 40)``."""
    ci = clopper_pearson(4, 40)
    assert (round(100 * ci.lower, 2), round(100 * ci.upper, 2)) == (2.79, 23.66)
    ci = clopper_pearson(0, 10)
    assert (ci.lower, round(100 * ci.upper, 2)) == (0.0, 30.85)
    assert clopper_pearson(10, 10).upper == 1.0


@pytest.mark.parametrize(
    ("p0", "alpha", "n", "r"),
    [(0.02, 0.025, 43, 4), (0.03, 0.05, 43, 4), (0.01, 0.025, 34, 3)],
)
def test_single_stage_design_guide_numbers(p0, alpha, n, r):
    """A'Hern exact design, p1 = 0.15, power 0.90 (guide section 2)."""
    design = single_stage_design(p0, 0.15, alpha, 0.90)
    assert (design.n, design.r) == (n, r)
    assert design.alpha_actual <= alpha and design.power_actual >= 0.90
    # n is the smallest: one patient fewer falls short of the power.
    assert design_at_n(n - 1, p0, 0.15, alpha).power_actual < 0.90


@pytest.mark.parametrize(
    ("p0", "alpha", "r", "size", "power"),
    [(0.02, 0.025, 4, 0.008, 0.87), (0.03, 0.05, 4, 0.031, 0.87), (0.05, 0.05, 5, 0.048, 0.74)],
)
def test_fixed_n40_operating_characteristics(p0, alpha, r, size, power):
    """Guide: with n = 40 and p1 = 0.15, rejection count, actual size and power."""
    design = design_at_n(40, p0, 0.15, alpha)
    assert design.r == r == rejection_count(40, p0, alpha)
    assert round(design.alpha_actual, 3) == size
    assert round(design.power_actual, 2) == power


def test_test_and_ci_readings_are_equivalent():
    """x >= r <=> P(X >= x | p0) <= alpha <=> one-sided CP lower bound > p0 (guide section 2)."""
    for n in (10, 40, 44):
        for p0, alpha in ((0.02, 0.025), (0.05, 0.05), (0.2, 0.025)):
            r = rejection_count(n, p0, alpha)
            for x in range(n + 1):
                by_r = x >= r
                assert by_r == (binomial_p_at_least(x, n, p0) <= alpha)
                assert by_r == (clopper_pearson(x, n, 1 - 2 * alpha).lower > p0)


def test_primary_endpoint_not_met_in_the_trial():
    """Paper: ORR 2/44 at the RP2D; endpoint ORR >= 15 %, expected ORR 0-2 %, alpha 0.025."""
    res = primary_endpoint(2, 44, p0=0.02, alpha_one_sided=0.025, threshold=0.15)
    assert not res.met and not res.met_by_test and not res.met_by_point_estimate
    assert res.r == 4 and res.p_value == pytest.approx(0.2197, abs=1e-4)
    assert res.verdict.startswith(
        "ORR 2/44 = 4.5% (95% CI 0.6-15.5%); the primary endpoint (ORR >= 15%) was not met:"
    )
    assert "needs 4 of 44 responders" in res.verdict


def test_primary_endpoint_readings_can_disagree():
    res = primary_endpoint(5, 40, p0=0.02, alpha_one_sided=0.025, threshold=0.15)
    assert res.met_by_test and not res.met_by_point_estimate and not res.met
    assert "one reading only" in res.verdict
    met = primary_endpoint(6, 40, p0=0.02, alpha_one_sided=0.025, threshold=0.15)
    assert met.met and "was met" in met.verdict  # 6/40 is exactly 15 %


def test_edge_cases():
    empty = clopper_pearson(0, 0)
    assert math.isnan(empty.lower) and empty.format() == "0/0 (no patients)"
    assert rejection_count(3, 0.5, 0.01) == 4  # P(X >= 3) = 0.125: never rejected
    with pytest.raises(InputError, match="0 <= x <= n"):
        clopper_pearson(5, 4)
    with pytest.raises(InputError, match="whole numbers"):
        clopper_pearson(1.5, 4)
    with pytest.raises(InputError, match="n = 0"):
        primary_endpoint(0, 0, 0.02, 0.025, 0.15)
    with pytest.raises(InputError, match="must exceed"):
        single_stage_design(0.2, 0.1, 0.05, 0.8)


def test_arcsine_sample_size_against_a_hand_computation():
    """n = ((z_.975 + z_.90) / (2 (asin sqrt .15 - asin sqrt .02)))^2 with the normal quantiles
    from the standard library (independent of scipy)."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.975) + NormalDist().inv_cdf(0.90)
    h = 2 * (math.asin(math.sqrt(0.15)) - math.asin(math.sqrt(0.02)))
    assert arcsine_sample_size(0.02, 0.15, 0.025, 0.90) == pytest.approx((z / h) ** 2, rel=1e-9)
    assert round(arcsine_sample_size(0.02, 0.15, 0.025, 0.90)) == 40  # the protocol's n
    # p0 = 0 is allowed (an expected ORR of 0%): asin(0) = 0
    h0 = 2 * math.asin(math.sqrt(0.15))
    assert arcsine_sample_size(0.0, 0.15, 0.025, 0.90) == pytest.approx((z / h0) ** 2, rel=1e-9)
    with pytest.raises(InputError, match="must exceed"):
        arcsine_sample_size(0.2, 0.15, 0.025, 0.90)
