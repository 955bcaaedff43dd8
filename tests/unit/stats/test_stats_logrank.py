"""Log-rank test: R survdiff golden values, SPSS pairwise over strata, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from helpers.survival_data import FREIREICH_EVENT, FREIREICH_GROUP, FREIREICH_TIME, reference

from cytotrial.errors import InputError
from cytotrial.stats.logrank import format_p, logrank, pairwise_logrank

REL = dict(rel=1e-6, abs=1e-12)


@pytest.mark.parametrize(
    ("name", "grouping"),
    [("lung", "sex"), ("veteran", "trt"), ("veteran", "celltype"), ("aml", "x")],
)
def test_overall_logrank_matches_r_survdiff(name, grouping):
    """R: ``survdiff(Surv(time, event) ~ group)`` -- chisq, df, p, observed, expected, variance
    matrix, and the textbook sum((O-E)^2/E) kept as chisq_approx."""
    ref, data, time, event = reference(name)
    want = ref["logrank"][grouping]
    got = logrank(time, event, data[grouping].astype(str), levels=want["levels"])
    assert list(got.levels) == want["levels"]
    assert got.n.tolist() == want["n"]
    assert got.observed.tolist() == want["observed"]
    assert got.expected == pytest.approx(want["expected"], **REL)
    assert got.o_minus_e == pytest.approx(want["o_minus_e"], abs=1e-9)
    assert got.variance == pytest.approx(np.array(want["variance_matrix"]), rel=1e-6, abs=1e-9)
    assert got.chisq == pytest.approx(want["chisq"], **REL)
    assert got.df == want["df"]
    assert got.p_value == pytest.approx(want["p_value"], **REL)
    approx = want["supplementary_approx_chisq_sum_o_minus_e_sq_over_e"]
    assert got.chisq_approx == pytest.approx(approx, **REL)


def test_pairwise_over_strata_matches_r_on_subsets():
    """R, for every pair: ``survdiff(Surv(time, event) ~ celltype, veteran,
    subset = celltype %in% c(g1, g2))`` (SPSS /COMPARE=PAIRWISE; unadjusted p)."""
    ref, data, time, event = reference("veteran")
    want = ref["logrank_pairwise"]["celltype"]["pairs"]
    levels = ref["logrank"]["celltype"]["levels"]
    got = pairwise_logrank(time, event, data["celltype"], levels=levels)
    assert [(p.group1, p.group2) for p in got] == [(w["group1"], w["group2"]) for w in want]
    for p, w in zip(got, want, strict=True):
        assert p.n == w["n"] and p.df == w["df"] == 1
        assert p.chisq == pytest.approx(w["chisq"], **REL)
        assert p.p_value == pytest.approx(w["p_value"], **REL)


def test_pairwise_with_reference_keeps_only_pairs_with_it():
    """Each group against one reference (the paper: each part-A response group vs PD); R as
    above with the pair's subset."""
    ref, data, time, event = reference("veteran")
    want = {
        frozenset((w["group1"], w["group2"])): w
        for w in ref["logrank_pairwise"]["celltype"]["pairs"]
    }
    levels = ref["logrank"]["celltype"]["levels"]
    got = pairwise_logrank(time, event, data["celltype"], reference="large", levels=levels)
    assert [(p.group1, p.group2) for p in got] == [
        ("squamous", "large"),
        ("smallcell", "large"),
        ("adeno", "large"),
    ]
    for p in got:
        assert p.p_value == pytest.approx(want[frozenset((p.group1, "large"))]["p_value"], **REL)


def test_freireich_hand_checked():
    """R: ``survdiff(Surv(time, event) ~ group)`` on Freireich: chisq 16.8 on 1 df, p = 4e-05
    (guide: 16.79, 4.2e-5)."""
    got = logrank(FREIREICH_TIME, FREIREICH_EVENT, FREIREICH_GROUP)
    assert round(got.chisq, 2) == 16.79
    assert got.p_value == pytest.approx(4.17e-5, rel=1e-2)
    assert got.observed.tolist() == [9, 21]
    assert got.expected == pytest.approx([19.25, 10.75], abs=0.01)


def test_lifelines_gives_the_same_statistic():
    """lifelines ``logrank_test`` / ``multivariate_logrank_test`` reproduce survdiff (not used
    at run time: slower import, no O/E/V)."""
    from lifelines.statistics import logrank_test, multivariate_logrank_test

    t, e, g = map(np.asarray, (FREIREICH_TIME, FREIREICH_EVENT, FREIREICH_GROUP))
    ours = logrank(t, e, g)
    a, b = g == "6-MP", g == "placebo"
    theirs = logrank_test(t[a], t[b], e[a], e[b])
    assert ours.chisq == pytest.approx(theirs.test_statistic, rel=1e-10)
    multi = multivariate_logrank_test(t, g, e)
    assert ours.p_value == pytest.approx(multi.p_value, rel=1e-10)


def test_level_order_changes_layout_not_result():
    forward = logrank(FREIREICH_TIME, FREIREICH_EVENT, FREIREICH_GROUP)
    backward = logrank(FREIREICH_TIME, FREIREICH_EVENT, FREIREICH_GROUP, levels=["placebo", "6-MP"])
    assert backward.chisq == pytest.approx(forward.chisq, rel=1e-12)
    assert backward.observed.tolist() == forward.observed.tolist()[::-1]


def test_categorical_order_is_used():
    group = pd.Categorical(FREIREICH_GROUP, categories=["placebo", "6-MP"])
    assert logrank(FREIREICH_TIME, FREIREICH_EVENT, group).levels == ("placebo", "6-MP")


def test_single_group_gives_nan_with_reason():
    got = logrank([1, 2, 3], [1, 0, 1], ["a", "a", "a"])
    assert math.isnan(got.p_value) and math.isnan(got.chisq)
    assert got.reason == "only one group with subjects: no comparison"
    assert pairwise_logrank([1, 2, 3], [1, 0, 1], ["a", "a", "a"]) == ()


def test_no_events_and_empty_input():
    got = logrank([1, 2, 3, 4], [0, 0, 0, 0], ["a", "a", "b", "b"])
    assert math.isnan(got.p_value) and got.reason == "no events"
    empty = logrank([], [], [])
    assert math.isnan(empty.p_value) and empty.reason == "no observations"


def test_group_never_at_risk_at_an_event_time_leaves_no_test():
    """Group b is censored before the first event: E_b = 0, R drops it (df = 0): no test."""
    got = logrank([5, 6, 7, 1, 2], [1, 1, 0, 0, 0], ["a", "a", "a", "b", "b"])
    assert math.isnan(got.p_value) and got.df == 0


def test_empty_groups_give_nan_pairs_with_reason():
    """An empty PD group (possible in a small demo cohort) must not crash the report."""
    (pair,) = pairwise_logrank([1, 2, 3], [1, 1, 0], ["a", "a", "a"], reference="PD")
    assert (pair.group1, pair.group2, pair.n) == ("a", "PD", 3)
    assert math.isnan(pair.p_value)
    assert pair.result.reason == "only one group with subjects: no comparison (no subjects in 'PD')"
    time, event, group = [1, 2, 3, 4], [1, 1, 0, 1], ["a", "a", "b", "b"]
    pairs = pairwise_logrank(time, event, group, levels=["a", "b", "c"])
    assert [math.isnan(p.p_value) for p in pairs] == [False, True, True]
    overall = logrank(time, event, group, levels=["a", "b", "c"])
    assert overall.n.tolist() == [2, 2, 0] and overall.df == 1  # R drops groups with E = 0
    assert overall.chisq == pytest.approx(logrank(time, event, group).chisq)


def test_bad_inputs_raise():
    with pytest.raises(InputError, match="not in levels"):
        logrank([1, 2], [1, 1], ["a", "b"], levels=["a"])
    with pytest.raises(InputError, match="group has 1 values"):
        logrank([1, 2], [1, 1], ["a"])
    with pytest.raises(InputError, match="missing"):
        logrank([1, 2], [1, 1], ["a", None])


def test_format_p():
    assert format_p(0.0021) == ".002"
    assert format_p(0.00004) == "<.001"
    assert format_p(float("nan")) == "NA"
