"""The "Failed or flagged samples" table says failed or flagged (and why), never 'ok'."""

from __future__ import annotations

import pandas as pd

from cytotrial.report.qc_outcome import OUTCOME, outcome_text, with_outcome


def problems() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sample_id": ["S1", "S2", "S3"],
            "status": ["ok", "failed", "panel_mismatch"],
            "reason": ["", "FCS header unreadable", ""],
            "qc_flags": ["low_event_count(300<1000)", "", ""],
            "gate_flags": ["", "", ""],
            "cohort_flags": ["cohort_outlier(...)", "", ""],
        }
    )


def test_a_flagged_sample_reads_flagged_with_its_checks_and_a_failed_one_failed_with_why():
    texts = [outcome_text(row) for _, row in problems().iterrows()]
    assert texts[0] == "flagged, kept: acquisition QC, cohort QC flags"
    assert texts[1] == "failed, not analysed: FCS header unreadable"
    assert texts[2] == "failed (panel mismatch), not analysed: no reason recorded"
    assert not any(text.startswith("ok") for text in texts)


def test_the_shown_table_has_the_outcome_not_the_status_column():
    shown = with_outcome(problems())
    assert list(shown.columns) == ["sample_id", OUTCOME, "qc_flags", "gate_flags", "cohort_flags"]
    assert "ok" not in set(shown[OUTCOME])


def test_the_gating_qc_problem_table_shows_outcomes_and_downloads_the_status(tmp_path):
    from cytotrial.report.flow_sections import _gating_sections

    qc = problems().assign(events=1000)
    gating_qc, _ = _gating_sections(qc, {}, "none")
    (table,) = [t for t in gating_qc.tables if t.title == "Failed or flagged samples"]
    assert table.columns[1] == OUTCOME and "status" not in table.columns
    assert [row[1].split()[0].strip(",") for row in table.rows] == ["flagged", "failed", "failed"]
    assert "status" in table.frame.columns  # the download keeps the analysis status
