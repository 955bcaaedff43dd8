"""Kaplan-Meier, medians/quantiles with CIs, survival at times, reverse-KM follow-up.

Golden values: R 4.2.2 / survival 3.5.3 on lung, veteran, aml (tests/data/r-reference,
copied from ../shared/data/survival-reference).
Hand-checked values: the Freireich 6-MP data (gehan) for the SPSS symmetric median CI.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers.survival_data import MP6_EVENT, MP6_TIME, PLACEBO_EVENT, PLACEBO_TIME, reference

from cytotrial.errors import InputError
from cytotrial.stats.kaplan_meier import (
    confidence_band,
    kaplan_meier,
    median_followup,
    median_survival,
    quantile_survival,
    survival_at,
)

DATASETS = ("lung", "veteran", "aml")
CONF_TYPES = ("log", "log-log", "plain")


def close(got: float, expected: float | None) -> bool:
    """R's null (NA / not reached) is NaN here; numbers agree to 1e-6 relative."""
    if expected is None:
        return math.isnan(got)
    return got == pytest.approx(expected, rel=1e-6, abs=1e-12)


def curves(name: str):
    """(label, R curve dict, row mask, R reverse-KM dict) for the overall curve and each group."""
    ref, data, time, event = reference(name)
    out = [
        (
            "overall",
            ref["km"]["overall"],
            np.ones(time.size, bool),
            ref["median_followup_reverse_km"]["overall"],
        )
    ]
    for grouping, spec in ref["km"]["by"].items():
        column = data[grouping].astype(str)
        for level, curve in spec["curves"].items():
            follow = ref["median_followup_reverse_km"]["by"][grouping][level]
            out.append((f"{grouping}={level}", curve, (column == level).to_numpy(), follow))
    return out, time, event


@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("name", DATASETS)
def test_median_and_ci_match_r_print_survfit(name, conf_type):
    """R: ``print(survfit(Surv(time, status) ~ group, data, conf.type = conf_type))``
    (median, 0.95LCL, 0.95UCL), for the overall curve and every group."""
    items, time, event = curves(name)
    mismatches = []
    for label, curve, mask, _ in items:
        got = median_survival(kaplan_meier(time[mask], event[mask]), conf_type)
        ci = curve["median"]["ci_95"][conf_type]
        expected = (curve["median"]["estimate"], ci["lower"], ci["upper"])
        if not all(map(close, (got.estimate, got.lower, got.upper), expected)):
            mismatches.append((label, (got.estimate, got.lower, got.upper), expected))
    assert not mismatches
    assert len(items) >= 3


@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("name", DATASETS)
def test_quartiles_match_r_quantile_survfit(name, conf_type):
    """R: ``quantile(fit, probs = c(.25, .5, .75), conf.int = TRUE)`` (internal findq)."""
    items, time, event = curves(name)
    mismatches = []
    for label, curve, mask, _ in items:
        km = kaplan_meier(time[mask], event[mask])
        for p, q in curve["quantiles"].items():
            got = quantile_survival(km, float(p), conf_type)
            ci = q["ci_95"][conf_type]
            expected = (q["estimate"], ci["lower"], ci["upper"])
            if not all(map(close, (got.estimate, got.lower, got.upper), expected)):
                mismatches.append((label, p, (got.estimate, got.lower, got.upper), expected))
    assert not mismatches


def test_print_rule_and_quantile_rule_differ_where_r_says_so():
    """R: ``print(survfit(Surv(time, status) ~ 1, aml))`` upper 45 vs
    ``quantile(survfit(Surv(time, status) ~ 1, aml), .5)$upper`` 48 (log band not monotone)."""
    ref, _, time, event = reference("aml")
    (diff,) = ref["km"]["overall"]["median"]["detail"][
        "print_table_vs_quantile_survfit_differences"
    ]
    km = kaplan_meier(time, event)
    assert median_survival(km, diff["conf_type"]).upper == diff["print_table_value"] == 45
    assert quantile_survival(km, 0.5, diff["conf_type"]).upper == diff["quantile_survfit_value"]


def test_midpoint_rule_when_survival_is_exactly_one_half():
    """R: ``survfit(Surv(time, status) ~ 1, veteran, subset = trt == 2)`` prints median 52.5;
    the naive first time with S <= 0.5 (lifelines, SPSS) is 52."""
    ref, data, time, event = reference("veteran")
    detail = ref["km"]["by"]["trt"]["curves"]["2"]["median"]
    mask = (data["trt"] == 2).to_numpy()
    km = kaplan_meier(time[mask], event[mask])
    assert median_survival(km).estimate == detail["estimate"] == 52.5
    assert median_survival(km, "spss").estimate == detail["detail"]["naive_first_time_surv_le_0.5"]


@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("name", DATASETS)
def test_survival_at_fixed_times_matches_r_summary(name, conf_type):
    """R: ``summary(fit, times = fixed_times)`` (n.risk, surv, std.err, lower, upper);
    a time after the last follow-up is not estimable (R drops the row)."""
    items, time, event = curves(name)
    checked = 0
    for label, curve, mask, _ in items:
        km = kaplan_meier(time[mask], event[mask])
        rows = curve["surv_at_times"]
        table = survival_at(km, [r["time"] for r in rows], conf_type)
        for got, want in zip(table.itertuples(), rows, strict=True):
            if not want["estimable"] and km.surv[-1] == 0.0:
                # R drops a time after the curve's end; where the curve ended at 0 we keep S = 0
                assert got.estimable and got.surv == 0.0 and got.n_risk == 0, (label, want)
                continue
            assert got.estimable == want["estimable"], (label, want["time"])
            if not want["estimable"]:
                assert math.isnan(got.surv)
                continue
            ci = want["ci_95"][conf_type]
            pairs = [
                (got.n_risk, want["n_risk"]),
                (got.surv, want["surv"]),
                (got.std_err, want["std_err"]),
                (got.lower, ci["lower"]),
                (got.upper, ci["upper"]),
            ]
            assert all(close(g, w) for g, w in pairs), (label, want["time"], pairs)
            checked += 1
    assert checked >= 8


@pytest.mark.parametrize("name", DATASETS)
def test_full_table_matches_r_survfit(name):
    """R: ``summary(survfit(Surv(time, status) ~ 1, data, conf.type = "log-log"),
    censored = TRUE)`` plus ``fit$std.err`` and ``fit$cumhaz``, row by row."""
    ref, _, time, event = reference(name)
    table = ref["km_overall_table_loglog"]
    km = kaplan_meier(time, event)
    lower, upper = confidence_band(km, "log-log")
    ours = {
        "time": km.time,
        "n_risk": km.n_risk,
        "n_event": km.n_event,
        "n_censor": km.n_censor,
        "surv": km.surv,
        "std_err": km.std_err,
        "std_err_log_surv": km.std_err_log,
        "lower": lower,
        "upper": upper,
        "cumhaz": km.cumhaz,
    }
    for column, values in ours.items():
        assert len(values) == len(table[column]), column
        rows = zip(km.time, values, table[column], strict=True)
        bad = [(t, g, w) for t, g, w in rows if not close(g, w)]
        assert not bad, (column, bad[:3])


@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("name", DATASETS)
def test_median_followup_matches_r_reverse_km(name, conf_type):
    """R: ``survfit(Surv(time, 1 - event) ~ 1, conf.type = conf_type)`` median and CI
    (status simply flipped), overall and per group."""
    items, time, event = curves(name)
    for label, _, mask, follow in items:
        got = median_followup(time[mask], event[mask], conf_type)
        ci = follow["ci_95"][conf_type]
        expected = (follow["median"], ci["lower"], ci["upper"])
        assert all(map(close, (got.estimate, got.lower, got.upper), expected)), (label, got)


def test_reverse_km_midpoint_case():
    """R: ``survfit(Surv(time, 1 - status) ~ 1, aml, subset = x == "Maintained")`` prints 103
    = (45 + 161) / 2; lifelines' ``KaplanMeierFitter().fit(T, 1 - E).median_survival_time_``
    gives 45."""
    _, data, time, event = reference("aml")
    mask = (data["x"] == "Maintained").to_numpy()
    assert median_followup(time[mask], event[mask]).estimate == 103


def test_freireich_spss_symmetric_median_ci():
    """SPSS KM (guide section 3.1): 6-MP median 23, SE 5.255, 95% CI 12.70-33.30;
    placebo 8, SE 1.669, CI 4.73-11.27 (formula-computed fixture, hand-checked)."""
    mp = median_survival(kaplan_meier(MP6_TIME, MP6_EVENT), "spss")
    assert (mp.estimate, round(mp.se, 3), round(mp.lower, 2), round(mp.upper, 2)) == (
        23,
        5.255,
        12.70,
        33.30,
    )
    assert not mp.lower_truncated and mp.raw_lower == mp.lower
    pl = median_survival(kaplan_meier(PLACEBO_TIME, PLACEBO_EVENT), "spss")
    assert (pl.estimate, round(pl.se, 3), round(pl.lower, 2), round(pl.upper, 2)) == (
        8,
        1.669,
        4.73,
        11.27,
    )
    # By hand for 6-MP: u = 16 (S = .6275), l = 23 (S = .4482), SE_G(S(23)) = .13459.
    f = (0.627451 - 0.448179) / (23 - 16)
    assert mp.se == pytest.approx(0.134589 / f, rel=1e-4)


def test_freireich_r_and_lifelines_style_limits():
    """R: ``survfit(Surv(time, event) ~ 1)`` on Freireich: 6-MP 23 (16, NA), placebo 8 (4, 12);
    conf.type = "log-log" (= lifelines' exponential Greenwood band): 6-MP 23 (13, NA),
    placebo 8 (4, 11)."""
    mp = kaplan_meier(MP6_TIME, MP6_EVENT)
    pl = kaplan_meier(PLACEBO_TIME, PLACEBO_EVENT)
    assert median_survival(mp).format(0) == "23 (16-NR)"
    assert median_survival(pl).format(0) == "8 (4-12)"
    assert median_survival(mp, "log-log").format(0) == "23 (13-NR)"
    assert median_survival(pl, "log-log").format(0) == "8 (4-11)"


def test_spss_lower_limit_below_zero_is_cut_and_flagged():
    """The paper's OS-B PD group "17.9 (0-48.8)" = 17.9 +- 30.9: six deaths, median exactly at
    S = 0.5 (SPSS takes 17.9, R would take the midpoint 22.8), u = 2.0, l = 27.75."""
    km = kaplan_meier([1.0, 2.0, 17.9, 27.75, 30.0, 40.0], [1] * 6)
    med = median_survival(km, "spss")
    assert med.estimate == 17.9
    assert med.raw_lower == pytest.approx(17.9 - 30.906, abs=1e-3)
    assert med.lower == 0.0 and med.lower_truncated
    assert med.upper == pytest.approx(48.8, abs=0.01)
    assert med.format(1) == "17.9 (0.0-48.8)"
    assert "cut at 0" in med.note
    assert median_survival(km).estimate == pytest.approx((17.9 + 27.75) / 2)


def test_all_censored_median_not_reached():
    km = kaplan_meier([3, 5, 8], [0, 0, 0])
    for conf_type in (*CONF_TYPES, "spss"):
        med = median_survival(km, conf_type)
        assert not med.reached and math.isnan(med.lower) and math.isnan(med.upper)
        assert med.format() == "NR"
    assert np.all(km.surv == 1.0)
    assert "not reached" in median_survival(km).note


def test_spss_se_not_estimable_without_a_time_below_045():
    """S falls to 0.5 and no lower: the SPSS table shows '.' for SE and CI."""
    km = kaplan_meier([1, 2, 3, 4], [1, 1, 0, 0])
    med = median_survival(km, "spss")
    assert med.estimate == 2 and math.isnan(med.se) and math.isnan(med.lower)
    assert "not estimable" in med.note


def test_empty_input_gives_empty_table_and_nan_estimates():
    km = kaplan_meier([], [])
    assert km.n == 0 and km.time.size == 0
    for conf_type in (*CONF_TYPES, "spss"):
        assert median_survival(km, conf_type).note == "no observations"
    assert quantile_survival(km, 0.25).note == "no observations"
    table = survival_at(km, [1.0])
    assert not table.estimable.iloc[0]


def test_everyone_dies_at_once():
    km = kaplan_meier([5, 5, 5], [1, 1, 1])
    assert km.surv.tolist() == [0.0] and math.isnan(km.std_err[0])
    med = median_survival(km)
    assert med.estimate == 5 and math.isnan(med.lower)  # band undefined at S = 0, as in R
    assert median_survival(km, "plain").estimate == 5


def test_survival_at_before_first_time_and_at_censoring():
    km = kaplan_meier([2, 4, 6, 8], [1, 0, 1, 0])
    table = survival_at(km, [1, 4, 5, 8, 9])
    assert table.surv.tolist()[:4] == [1.0, 0.75, 0.75, 0.375]
    assert table.n_risk.tolist()[:4] == [4, 3, 2, 1]
    assert table.estimable.tolist() == [True, True, True, True, False]


def test_survival_after_the_curve_reached_zero_is_zero():
    """Every patient had the event by 3: S(10) = 0 is known (R ``extend = TRUE``), not
    'not estimable' as after a last patient censored."""
    row = survival_at(kaplan_meier([1, 2, 3], [1, 1, 1]), [10]).iloc[0]
    assert row.estimable and row.surv == 0.0 and row.n_risk == 0
    assert math.isnan(row.lower) and math.isnan(row.upper)


@pytest.mark.parametrize("conf_type", CONF_TYPES)
def test_ci_before_the_first_time_is_one_to_one_as_r(conf_type):
    """R ``summary(survfit(...), times = 1)`` before the first observed time: surv, lower and
    upper come from the curve's start row, 1, 1, 1 (also for log-log)."""
    km = kaplan_meier([2, 4, 6, 8], [1, 0, 1, 0])
    row = survival_at(km, [1], conf_type).iloc[0]
    assert (row.surv, row.std_err, row.lower, row.upper) == (1.0, 0.0, 1.0, 1.0)
    # a time after a censoring but before the first event: S = 1 at an observed row, where
    # R's log-log band is NA (log(-log 1)) and the others are 1 to 1
    late = survival_at(kaplan_meier([2, 4, 6], [0, 1, 1]), [3], conf_type).iloc[0]
    assert late.surv == 1.0
    if conf_type == "log-log":
        assert math.isnan(late.lower) and math.isnan(late.upper)
    else:
        assert (late.lower, late.upper) == (1.0, 1.0)


def test_event_coding_is_checked():
    with pytest.raises(InputError, match="converted first"):
        kaplan_meier([1, 2], [1, 2])
    with pytest.raises(InputError, match="missing"):
        kaplan_meier([1, np.nan], [1, 0])
    with pytest.raises(InputError, match="negative"):
        kaplan_meier([-1, 2], [1, 0])
    with pytest.raises(InputError, match="conf_type"):
        median_survival(kaplan_meier([1], [1]), "arcsine")


def test_bool_and_integer_events_agree():
    a = kaplan_meier(MP6_TIME, MP6_EVENT)
    b = kaplan_meier(MP6_TIME, np.array(MP6_EVENT, dtype=bool))
    assert np.array_equal(a.surv, b.surv)
    with pytest.raises(ValueError, match="read-only"):
        a.surv[0] = 0.0
    frame = a.to_frame()
    assert list(frame.columns)[:3] == ["time", "n_risk", "n_event"] and len(frame) == a.time.size
