"""Every table and figure of the report states its n, from the data, and why it is not
the cohort (issue 18, item 3); the report writes ≥, ≤, µL and m² where a person reads them
(item 2). The checks (helpers.report_layout_checks) read a rendered page; on main before
this change the demo's main page had 46 tables and figures without an n and 88 texts
with >=, <=, uL or m2.
"""

from __future__ import annotations

import base64
import re

import pandas as pd
import pytest
from helpers.report_layout_checks import captions_without_n, visible_ascii_symbols

from cytotrial.report.counts import Cohort, count_range, n_text
from cytotrial.report.labels import human_text
from cytotrial.report.model import ReportFigure, ReportSection, ReportTable
from cytotrial.report.render import render_report


def flow_table(part_b: int = 50, rp2d: int = 44, enrolled: int = 63) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "box": ["part_a", "part_b", "phase1", "phase2", "rp2d"],
            "label": ["A", "B", "p1", "p2", "Treated at the RP2D (45 mg/m2)"],
            "n": [enrolled, part_b, part_b - 36, 36, rp2d],
        }
    )


def test_cohort_sizes_and_the_reason_come_from_the_flow_table():
    cohort = Cohort.from_flow(flow_table())
    assert cohort.rp2d_n() == (
        "n = 44 patients (part B at the RP2D, the efficacy population: of the 63 enrolled, "
        "50 entered part B, 6 of them at a lower phase 1 dose)"
    )
    # Other data, other numbers: nothing is written in.
    other = Cohort.from_flow(flow_table(part_b=30, rp2d=27, enrolled=40)).rp2d_n()
    assert other.startswith("n = 27 patients") and "of the 40 enrolled, 30 entered" in other
    assert "3 of them at a lower" in other
    # No patient at a lower dose: no clause claiming one.
    assert "lower phase 1 dose" not in Cohort.from_flow(flow_table(44, 44)).rp2d_n()
    assert Cohort.from_flow(pd.DataFrame()).rp2d_n().startswith("n = not known")
    assert Cohort.from_flow(flow_table()).parts_n() == (
        "n = 63 patients in part A (all enrolled) and 44 in part B at the RP2D (the other "
        "6 of the 50 part B patients had a lower phase 1 dose)"
    )


def test_n_text_and_ranges():
    assert n_text(1, "sample") == "n = 1 sample"
    assert n_text(12, "pair", "why") == "n = 12 pairs (why)"
    assert count_range([14, 12, 18]) == "12-18" and count_range([5, 5]) == "5"
    assert count_range([]) == "0"


def _page(tmp_path, sections) -> str:
    out = tmp_path / "report.html"
    render_report(sections, {}, out)
    return out.read_text()


def test_the_check_finds_a_table_or_figure_without_its_n(tmp_path, png_file):
    frame = pd.DataFrame({"a": [1]})
    with_n = ReportTable("Counted", frame, "c.csv", "Caption.", n="n = 1 patient")
    without = ReportTable("Not counted", frame, "u.csv", "n (%) per row.")
    figure = ReportFigure("Figure 9. Uncounted", png_file, "A caption.")
    section = ReportSection("S", "s", tables=[with_n, without], figures=[figure])
    assert captions_without_n(_page(tmp_path, [section])) == [
        "Figure 9. Uncounted.",
        "Not counted",
    ]
    figure.n = "n = 3 patients (why)"
    without.n = "n = 2 patients"
    assert captions_without_n(_page(tmp_path, [section])) == []


def test_symbols_are_written_properly_where_read_and_csv_keeps_them(tmp_path):
    frame = pd.DataFrame(
        {"group": [">=PR", "SD/MR"], "ATRA (mg/m2)": ["45", "30"], "cells_per_ul": [1, 2]}
    )
    table = ReportTable(
        "ORR >= PR", frame, "t.csv", "P <= .05; cells per uL.", n="n = 2 (45 mg/m2)"
    )
    section = ReportSection("Rates >= PR", "s", tables=[table], notes=["grade >= 2"])
    page = _page(tmp_path, [section])
    assert visible_ascii_symbols(page) == []
    for shown in ("≥PR", "ATRA (mg/m²)", "Cells per µL", "P ≤ .05", "ORR ≥ PR", "45 mg/m²"):
        assert shown in page, shown
    csv = base64.b64decode(re.search(r"base64,([^\"]+)", page).group(1)).decode()
    assert csv.splitlines()[:2] == ["group,ATRA (mg/m2),cells_per_ul", ">=PR,45,1"]
    # The check itself sees what the old page showed.
    assert visible_ascii_symbols("<html><body><th>ATRA (mg/m2)</th></body></html>")
    assert human_text("rp2d_atra_mg_m2 uLtra") == "rp2d_atra_mg_m2 uLtra"  # code stays


@pytest.fixture
def png_file(tmp_path):
    from PIL import Image

    path = tmp_path / "figure.png"
    Image.new("RGB", (20, 10), "white").save(path)
    return path


def test_flow_figure_and_test_n_count_the_analysed_samples_and_pairs():
    from cytotrial.report.flow_sections import _figure_n, _plot_n, _tests_n

    qc = pd.DataFrame(
        {
            "sample_id": ["P1_A_1", "P1_A_2", "P2_A_1", "P3_A_1", "P1_B_1"],
            "patient_id": ["P1", "P1", "P2", "P3", "P1"],
            "part": ["A", "A", "A", "A", "B"],
            "status": ["ok", "ok", "ok", "failed", "ok"],
        }
    )
    tests = pd.DataFrame({"part": ["A", "A", "B"], "n_pairs": [1, 3, 7]})
    # The failed sample is not analysed: 3 samples of 2 patients in part A.
    assert _figure_n(qc, tests, "A").startswith("n = 3 samples of 2 patients (part A")
    assert "1-3 pairs per test" in _figure_n(qc, tests, "A")
    assert _figure_n(qc, tests, "B").startswith("n = 1 sample of 1 patient (part B")
    assert _tests_n(tests).startswith("n = 3 tests, 1-7 pairs each")
    assert _plot_n(20000.0).startswith("n = 20000 events")
    assert _plot_n(float("nan")) == "n = 1 sample (events not recorded)"
