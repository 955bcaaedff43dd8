"""Cox hazard ratios (lifelines, Efron ties) against R coxph golden values."""

from __future__ import annotations

import math

import pytest
from helpers.survival_data import FREIREICH_EVENT as EVENT
from helpers.survival_data import FREIREICH_GROUP as GROUP
from helpers.survival_data import FREIREICH_TIME as TIME
from helpers.survival_data import reference

from cytotrial.errors import InputError
from cytotrial.stats.cox import hazard_ratio

REL = dict(rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("name", ["lung", "veteran", "aml"])
def test_hazard_ratio_matches_r_coxph_efron(name):
    """R: ``coxph(Surv(time, event) ~ group, ties = "efron")`` with the reference as first
    level: coef, se, z, Wald p, exp(coef) and its 95% CI, log-likelihood."""
    ref, data, time, event = reference(name)
    want = ref["cox"]["efron"]
    (term,) = want["terms"]
    got = hazard_ratio(
        time, event, data[ref["cox"]["grouping"]].astype(str), want["reference_level"]
    )
    assert got.n == want["n"] and got.n_events == want["n_events"] and got.reason == ""
    hr = got.term(term["level"])
    assert hr.coef == pytest.approx(term["coef"], **REL)
    assert hr.se == pytest.approx(term["se"], **REL)
    assert hr.z == pytest.approx(term["z"], **REL)
    assert hr.p_value == pytest.approx(term["p_wald"], **REL)
    assert (got.hr, got.lower, got.upper) == pytest.approx(
        (term["hr"], term["hr_lower_95"], term["hr_upper_95"]), **REL
    )
    assert got.p_value == pytest.approx(want["wald_test"]["p_value"], **REL)
    assert got.log_likelihood == pytest.approx(want["loglik_model"], **REL)


def test_swapping_the_reference_inverts_the_hazard_ratio():
    a = hazard_ratio(TIME, EVENT, GROUP, reference="6-MP")
    b = hazard_ratio(TIME, EVENT, GROUP, reference="placebo")
    assert a.hr == pytest.approx(1 / b.hr, rel=1e-8)
    assert (a.lower, a.upper) == pytest.approx((1 / b.upper, 1 / b.lower), rel=1e-8)
    assert a.p_value == pytest.approx(b.p_value, rel=1e-8)
    # Freireich, R coxph(Surv(time, event) ~ group): exp(coef) placebo vs 6-MP = 4.82
    assert round(a.hr, 2) == 4.82


def test_several_levels_give_one_term_each():
    """R: ``coxph(Surv(time, status) ~ relevel(celltype, "squamous"), veteran)`` has 3 terms."""
    _, data, time, event = reference("veteran")
    got = hazard_ratio(time, event, data["celltype"], reference="squamous")
    assert [t.level for t in got.terms] == ["adeno", "large", "smallcell"]
    with pytest.raises(ValueError, match="3 terms"):
        _ = got.hr
    assert got.term("adeno").hr > 1


def test_degenerate_inputs_give_nan_with_reason():
    one = hazard_ratio([1, 2, 3], [1, 0, 1], ["a"] * 3, reference="a")
    assert one.terms == () and "only one group" in one.reason
    none = hazard_ratio([1, 2, 3, 4], [0] * 4, ["a", "a", "b", "b"], reference="a")
    assert math.isnan(none.hr) and none.reason == "no events"
    separated = hazard_ratio([1, 2, 3, 4], [1, 1, 0, 0], ["a", "a", "b", "b"], reference="a")
    assert math.isnan(separated.hr) and "without events" in separated.reason


def test_empty_reference_group_gives_nan_terms():
    got = hazard_ratio(TIME, EVENT, GROUP, reference="PD")
    assert [t.level for t in got.terms] == ["6-MP", "placebo"]
    assert (
        math.isnan(got.term("placebo").hr) and got.reason == "reference group 'PD' has no subjects"
    )


def test_group_length_mismatch_raises():
    with pytest.raises(InputError, match="group has 2 values"):
        hazard_ratio([1, 2, 3], [1, 1, 1], ["a", "b"], reference="a")


def test_format_hr_shows_small_ratios_to_two_significant_digits():
    from cytotrial.stats.cox import format_hr

    assert [format_hr(v) for v in (1.634, 0.1416, 0.0112, 0.00193)] == [
        "1.63",
        "0.14",
        "0.011",
        "0.0019",
    ]
    assert format_hr(float("nan")) == "NA"
