"""Survival tables and Kaplan-Meier figures on hand-made cohorts (empty groups, no events)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cytotrial.clinical.figures.km import km_figure, km_ticks, number_at_risk, p_words
from cytotrial.clinical.population import NOT_GROUPED
from cytotrial.clinical.settings import ClinicalSettings
from cytotrial.clinical.survival.analysis import median_row, survival_tables
from cytotrial.io.results import save_figure
from cytotrial.stats.kaplan_meier import kaplan_meier, median_survival

SETTINGS = ClinicalSettings.from_config({}, "2020-10-01")

# Freireich 6-MP arm (guide section 3.1: SPSS median 23, SE 5.255, CI 12.70-33.30).
SIX_MP = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]


def cohort(groups: dict[str, list[tuple[float, int]]]) -> pd.DataFrame:
    """An endpoint table (all four endpoints share the same times) for the RP2D population."""
    rows = []
    k = 0
    for group, data in groups.items():
        for months, event in data:
            k += 1
            for endpoint in ("PFS-B", "OS-B", "PFS-AB", "OS-AB"):
                rows.append((f"P{k:02d}", endpoint, "RP2D", group, months, event))
    return pd.DataFrame(
        rows, columns=["patient_id", "endpoint", "population", "group", "months", "event"]
    )


def test_median_row_has_every_method_and_the_chosen_one():
    row = median_row(np.array(SIX_MP, float), np.array(SIX_MP_EVENT), "spss", "OS-B", "All")
    assert row["n"] == 21 and row["events"] == 9
    assert row["median"] == 23 and row["spss_se"] == pytest.approx(5.255, abs=1e-3)
    assert (row["lower"], row["upper"]) == pytest.approx((12.70, 33.30), abs=0.01)
    assert row["median_ci"] == "23.0 (12.7-33.3)"
    log = median_survival(kaplan_meier(SIX_MP, SIX_MP_EVENT), "log")
    assert row["log_lower"] == log.lower and math.isnan(row["log_upper"])  # R: 16, NA
    assert row["log_lower"] == 16
    for method in ("spss", "log", "loglog", "plain"):
        assert f"{method}_median" in row


def test_spss_lower_limit_cut_at_zero_is_flagged():
    data = np.array([1.0, 10.0, 20.0, 21.0, 22.0]), np.array([1, 1, 1, 1, 1])
    row = median_row(*data, "spss", "OS-B", "PD")
    assert row["lower_cut_at_0"] and row["spss_raw_lower"] < 0 and row["lower"] == 0
    assert "0*" in row["median_ci"]


def test_empty_group_and_group_without_events_are_notes_not_errors():
    frame = cohort(
        {
            ">=PR": [(5.0, 1), (7.0, 1), (9.0, 0), (12.0, 1)],
            "SD/MR": [(3.0, 0), (4.0, 0), (8.0, 0)],  # no events
            "PD": [(1.0, 1), (2.0, 1), (2.5, 1)],
        }
    )
    result = survival_tables(frame, SETTINGS)
    med = result.medians.set_index(["endpoint", "group"])
    assert med.loc[("PFS-B", "NE"), "note"] == "no patients"
    assert med.loc[("PFS-B", "NE"), "n"] == 0
    assert med.loc[("PFS-B", "SD/MR"), "note"] == "no events"
    assert med.loc[("PFS-B", "SD/MR"), "median_ci"] == "NR"
    tests = result.logrank[result.logrank.endpoint == "PFS-B"].set_index("comparison")
    assert tests.loc["overall", "df"] == 2
    assert tests.loc[">=PR vs PD", "p_value"] < 0.2
    assert (
        math.isnan(tests.loc["NE vs PD", "p_value"])
        and "no subjects" in tests.loc["NE vs PD", "note"]
    )
    hrs = result.hazard_ratios[result.hazard_ratios.endpoint == "PFS-B"].set_index("group")
    assert hrs.loc["NE", "note"] == "no patients in this group"
    assert math.isnan(hrs.loc["SD/MR", "hr"]) and "without events" in hrs.loc["SD/MR", "note"]
    at = result.at_times[(result.at_times.endpoint == "PFS-B") & (result.at_times.group == "PD")]
    # every PD patient had the event by 2.5: S = 0 is known after the curve's last time
    assert list(at.months) == [6, 12, 24] and at.estimable.all() and (at.surv == 0).all()


# three response groups with events in each (NE has no patients)
THREE_GROUPS = {
    ">=PR": [(9.0, 1), (12.0, 1), (15.0, 0), (20.0, 1), (24.0, 0)],
    "SD/MR": [(4.0, 1), (6.0, 1), (7.0, 1), (11.0, 0)],
    "PD": [(1.0, 1), (2.0, 1), (2.5, 1), (3.0, 1)],
}


def test_pairwise_logrank_p_values_adjusted_per_endpoint():
    frame = cohort(THREE_GROUPS)
    tests = survival_tables(frame, SETTINGS).logrank
    pfs = tests[tests.endpoint == "PFS-B"].set_index("comparison")
    assert math.isnan(pfs.loc["overall", "p_holm"]) and pfs.loc["overall", "p_bh_text"] == ""
    # two comparisons made (NE has no patients: left out of the family, stays missing)
    p1, p2 = pfs.loc[">=PR vs PD", "p_value"], pfs.loc["SD/MR vs PD", "p_value"]
    low, high = sorted((p1, p2))
    holm = {low: min(1, 2 * low), high: max(min(1, 2 * low), high)}
    bh = {low: min(2 * low, high), high: high}
    for comparison, p in ((">=PR vs PD", p1), ("SD/MR vs PD", p2)):
        assert pfs.loc[comparison, "p_holm"] == pytest.approx(holm[p])
        assert pfs.loc[comparison, "p_bh"] == pytest.approx(bh[p])
        assert pfs.loc[comparison, "p_value"] <= pfs.loc[comparison, "p_bh"]
        assert pfs.loc[comparison, "p_bh"] <= pfs.loc[comparison, "p_holm"]
    assert math.isnan(pfs.loc["NE vs PD", "p_holm"]) and pfs.loc["NE vs PD", "p_holm_text"] == "NA"


def test_not_grouped_patients_count_overall_but_in_no_subgroup():
    frame = cohort(
        {">=PR": [(5.0, 1), (7.0, 1)], "PD": [(1.0, 1), (2.0, 1)], NOT_GROUPED: [(4.0, 1)]}
    )
    result = survival_tables(frame, SETTINGS)
    med = result.medians.set_index(["endpoint", "group"])
    assert med.loc[("OS-B", "All"), "n"] == 5
    assert med.loc[("OS-B", ">=PR"), "n"] + med.loc[("OS-B", "PD"), "n"] == 4
    overall = result.logrank[(result.logrank.endpoint == "OS-B")].iloc[0]
    assert overall["n"] == 4


def test_followup_by_reverse_km():
    frame = cohort({"PD": [(10.0, 1), (20.0, 0), (30.0, 0)]})
    follow = frame[frame.endpoint == "OS-AB"].assign(endpoint="OS-A", population="all enrolled")
    result = survival_tables(pd.concat([frame, follow]), SETTINGS)
    row = result.followup.set_index("population").loc["all enrolled"]
    # reverse KM: "events" at 20 and 30, S = 0.5 on [20, 30) -> R's midpoint rule gives 25
    assert row["median_followup_months"] == 25.0
    assert row["deaths"] == 1


def test_ticks_and_number_at_risk():
    assert list(km_ticks(13.2, 6)) == [0, 6, 12, 18]
    assert list(km_ticks(0.0, 6)) == [0, 6]
    assert number_at_risk(np.array([1.0, 6.0, 7.0, 13.0]), np.array([0, 6, 12])) == [4, 3, 1]
    assert p_words(0.0004) == "P < .001" and p_words(0.027) == "P = .027"


def test_km_figures_draw_with_an_empty_group(tmp_path):
    frame = cohort({">=PR": [(5.0, 1), (7.0, 1), (9.0, 0)], "PD": [(1.0, 1), (2.0, 1)]})
    fig = km_figure(frame, "PFS-B", True, SETTINGS)
    texts = " ".join(t.get_text() for t in fig.axes[0].get_legend().texts)
    title = fig.axes[0].get_legend().get_title().get_text()
    assert "\u2265PR (n=3, 2 events)" in texts
    # empty groups are not drawn, nor listed in the legend (the report's notes name them)
    assert "SD/MR" not in texts + title and "No patients" not in title
    assert "spss" not in title and "symmetric, as SPSS" in title  # the method in words
    curves = [line for line in fig.axes[0].get_lines() if line.get_label() in texts]
    styles = {(line.get_color(), line.get_linestyle()) for line in curves}
    assert len(curves) == 2 and len({s[1] for s in styles}) == 2  # a dash pattern per group
    risk_labels = [t.get_text() for t in fig.axes[1].texts]
    assert risk_labels[:2] == ["3", "2"]  # >=PR at risk at 0 and 6 months
    save_figure(fig, tmp_path / "km.png", tmp_path / "km.svg", tight=True)
    assert (tmp_path / "km.png").stat().st_size > 1000 and (tmp_path / "km.svg").is_file()
    fig = km_figure(frame.iloc[0:0], "OS-B", False, SETTINGS)  # nobody at all
    save_figure(fig, tmp_path / "empty.png", tmp_path / "empty.svg", tight=True)


def test_no_patients_at_all_gives_notes():
    empty = cohort({})
    result = survival_tables(empty, SETTINGS)
    assert (result.medians["note"] == "no patients").all()
    assert result.logrank["p_value"].isna().all()
    assert (result.followup["note"] == "no observations").all()


def test_forest_plot_has_a_row_per_comparison_with_patients():
    from cytotrial.clinical.figures.forest import forest_figure

    frame = cohort(THREE_GROUPS)
    hrs = survival_tables(frame, SETTINGS).hazard_ratios
    assert (hrs["n_group"] == 0).sum() == 4  # NE has nobody, at each endpoint
    fig = forest_figure(hrs)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    with_patients = hrs[hrs["n_group"] > 0]
    assert len(labels) == len(with_patients) + hrs["endpoint"].nunique()  # + a heading each
    assert "   \u2265PR (n=5)" in labels and "PFS-B (vs PD, n=4)" in labels
    assert not any(label.strip().startswith("NE") for label in labels)  # not drawn
    texts = [t.get_text() for t in ax.texts]
    assert not any("no patients" in t for t in texts)
    estimated = hrs.dropna(subset=["hr"])
    assert sum(" P " in t for t in texts) == len(estimated)
    assert ax.get_xscale() == "log"
    fig.clf()


def test_by_group_km_figures_print_two_to_a_landscape_page(tmp_path):
    """A by-group figure (P lines, a legend and an at-risk row per group) is too tall to
    share a portrait page at 8-pt text: it is narrow enough that two print side by side on
    a landscape page (the 7.5-in figures printed one to a page, a third of it blank)."""
    from cytotrial.report.model import ReportFigure
    from cytotrial.report.print_layout import side_by_side

    rng = np.random.default_rng(7)

    def group(n: int, longest: float, share: float) -> list[tuple[float, int]]:
        months, events = rng.uniform(1, longest, n), rng.random(n) < share
        return [(float(t), int(e)) for t, e in zip(months, events, strict=True)]

    # two-digit n, events and times, and a small group: the longest legend lines
    wide = {
        ">=PR": group(24, 48, 0.7),
        "SD/MR": group(20, 40, 0.8),
        "PD": [(1.0, 1), (17.9, 1), (44.4, 0)],
    }
    frame = cohort(wide)
    caption = "x" * 330  # the demo's captions: about 330 characters with the n
    boxes = []
    for endpoint in ("PFS-B", "OS-B", "PFS-AB", "OS-AB"):
        fig = km_figure(frame, endpoint, True, SETTINGS)
        png = tmp_path / f"{endpoint}.png"
        save_figure(fig, png, png.with_suffix(".svg"), tight=True)
        boxes.append(ReportFigure(endpoint, png, caption).print_box)
    assert "0*" in fig.axes[0].get_legend().get_title().get_text()  # the longest legend
    assert all(side_by_side(a, b) for a, b in zip(boxes[::2], boxes[1::2], strict=True)), boxes
