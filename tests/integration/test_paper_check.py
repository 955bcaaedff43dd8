"""The demo's paper check: verdict rules, no pass by default, the demo's own results."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers.result_paths import PAPER_CHECK_PATHS

from cytotrial.clinical.paper_check import (
    PAPER_CHECK_INPUT_KEYS,
    count_check,
    estimate_check,
    p_check,
    paper_check_table,
    summary,
)
from cytotrial.io.results import write_tsv
from cytotrial.report.paper_check_section import ANCHOR, paper_check_section
from cytotrial.report.render import render_report
from cytotrial.simulate import paper_targets as pt
from cytotrial.simulate.settings import DemoSettings


def test_verdict_rules():
    assert count_check("s", "x", 44, 44)["verdict"] == "exact"
    assert count_check("s", "x", 44, 43)["verdict"] == "miss"
    assert count_check("s", "x", 44, None)["this run"] == "not available"
    close = estimate_check("s", "m", "estimate", 2.8, 3.2, 0.15)
    assert (close["verdict"], close["ratio"]) == ("close", 1.14)
    assert estimate_check("s", "m", "estimate", 2.8, 3.3, 0.15)["verdict"] == "miss"
    assert estimate_check("s", "m", "estimate", 2.8, float("nan"), 0.15)["verdict"] == "miss"
    assert p_check("s", "p", 0.002, 0.037)["verdict"] == "same significance"
    # this run's P as the paper prints its own, not in scientific notation
    assert p_check("s", "p", 0.002, 6.9e-9)["this run"] == "< 0.0001"
    assert p_check("s", "p", 0.002, 0.00042)["this run"] == "0.0004"
    assert p_check("s", "p", 0.002, 0.0351)["this run"] == "0.035"
    assert p_check("s", "p", 0.027, 0.092)["verdict"] == "miss"
    assert p_check("s", "p", 0.3, 0.2)["verdict"] == "same significance"  # both not significant
    bound = p_check("s", "p", 0.0001, 0.005, bound=True)
    assert (bound["paper"], bound["verdict"]) == ("< 0.0001", "same significance")
    assert "paper ****, this run **" in bound["note"]


def test_missing_results_never_pass(tmp_path):
    check = paper_check_table({key: tmp_path / "absent.tsv" for key in PAPER_CHECK_INPUT_KEYS})
    assert len(check) > 300
    assert (check["verdict"] == "miss").all()
    assert "miss" in summary(check)


def test_planted_extra_files_are_taken_off_and_not_called_failed_samples(tmp_path):
    """The demo's faulty extra files come off the run's count; the note says what they are
    and leaves failing to the QC (the report may well say 0 failed: they are flagged)."""
    counts = pd.DataFrame({"part": ["A"], "timepoint": ["C1D1"], "samples": [60]})
    write_tsv(counts, tmp_path / "counts.tsv")
    inputs = {key: tmp_path / "absent.tsv" for key in PAPER_CHECK_INPUT_KEYS}
    inputs["samples_per_timepoint"] = tmp_path / "counts.tsv"
    planted = {("A", "C1D1"): ["failed_clog", "too_small", "too_small"]}
    check = paper_check_table(inputs, planted).set_index("item")
    row = check.loc["Samples, part A C1D1"]
    assert str(row["this run"]) == "57"
    assert "3 faulty extra files" in row["note"] and "too few events: 2" in row["note"]
    assert "failed acquisitions" not in row["note"] and "flags or fails" in row["note"]


def test_the_demo_reproduces_every_count_and_p_value(clinical_demo, tmp_path):
    inputs = {key: clinical_demo / path for key, path in PAPER_CHECK_PATHS.items()}
    check = paper_check_table(inputs)
    clinical = check[~check["section"].str.startswith("Flow")]  # flow results not made here
    by_kind = dict(iter(clinical.groupby("kind")))
    assert (by_kind["count"]["verdict"] == "exact").all(), by_kind["count"].query(
        "verdict != 'exact'"
    )
    assert (by_kind["median (range)"]["verdict"] == "exact").all()
    assert (by_kind["estimate"]["verdict"] == "close").all()
    # The default seed is also chosen for its median CIs (tests/integration/test_demo_seed.py)
    widths = by_kind["CI half-width"]
    assert len(widths) == 17 and (widths["verdict"] == "close").all(), widths.query(
        "verdict != 'close'"
    )[["item", "paper", "this run"]]
    p = by_kind["P value"]
    assert len(p) == len(pt.LOGRANK_P)
    assert p["this run"].map(lambda v: 0 <= float(str(v).removeprefix("< ")) <= 1).all()
    assert (p["verdict"] == "same significance").all(), p[["item", "paper", "this run"]]
    # Every count of the paper is here: Table 1 alone has 3 columns x its count rows.
    assert len(by_kind["count"]) > 280
    # The rendered section: anchor, the misses table only when there are misses.
    table = tmp_path / "paper_check.tsv"
    write_tsv(check, table)
    notes = tmp_path / "notes.tsv"
    write_tsv(pd.DataFrame({"note": ["the paper says 51"]}), notes)
    default = DemoSettings().seed
    section = paper_check_section(table, notes, default)
    assert section.anchor == ANCHOR == "paper-check"
    # the reader learns that the seed, not only the calibration, makes the CI widths agree
    assert f"This run's seed, {default}, is the demo's default, chosen as" in "".join(
        section.paragraphs
    )
    other = paper_check_section(table, notes, default + 1)
    assert f"the demo's default, {default}, was chosen as" in "".join(other.paragraphs)
    has_misses = bool((check["verdict"] == "miss").any())
    assert section.tables[0].title.startswith("Paper check: the") == has_misses
    render_report([section], {}, tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text()
    assert 'id="paper-check"' in html and "the paper says 51" in html


@pytest.mark.parametrize("half", [0.4, 1.35])
def test_ci_half_width_rule(half):
    row = estimate_check("s", "w", "CI half-width", 0.4, half, pt.CI_WIDTH_TOLERANCE)
    assert row["verdict"] == ("close" if half == 0.4 else "miss")
