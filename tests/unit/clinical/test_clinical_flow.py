"""CONSORT patient-flow boxes: children sum to their parent, checked before drawing."""

from __future__ import annotations

import pandas as pd
import pytest

from cytotrial.clinical.figures.patient_flow import check_flow, consort_boxes, draw_flow_diagram
from cytotrial.io.results import save_figure

CUTOFF = pd.Timestamp("2020-10-01")


def tiny() -> tuple[pd.DataFrame, pd.DataFrame]:
    patients = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d", "e"],
            "part_b_cohort": ["phase1", "phase1", "phase2", "none", "none"],
            "atra_dose_mg_m2": [15.0, 45.0, 45.0, None, None],
            "part_b_entry_reason": [
                "pd_in_cycle1",
                "pd_after_response",
                "pd_after_response",
                None,
                None,
            ],
            "not_in_part_b_reason": [None, None, None, "ineligible", "still_in_part_a"],
        }
    )
    dates = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d", "e"],
            "part_b_end_of_treatment": pd.to_datetime(
                ["2018-01-01", "2018-01-01", "2021-01-01", None, None]
            ),
            "part_b_end_reason": ["progression", "death", "progression", None, None],
        }
    )
    return patients, dates


def test_boxes_reconcile_and_status_respects_the_cutoff():
    patients, dates = tiny()
    boxes = consort_boxes(patients, dates, 45, CUTOFF).set_index("box")["n"]
    assert (boxes["part_a"], boxes["part_b"], boxes["not_part_b"], boxes["rp2d"]) == (5, 3, 2, 2)
    assert boxes["part_b_entry:pd_after_response"] == 2
    assert (boxes["rp2d:phase1"], boxes["rp2d:phase2"]) == (1, 1)
    # c stops after the cut-off: still on treatment at the cut-off
    assert boxes["rp2d_status:on_treatment"] == 1 and boxes["discontinued:death"] == 1
    assert "discontinued:progression" not in boxes


def test_children_not_summing_to_the_parent_fail():
    patients, dates = tiny()
    boxes = consort_boxes(patients, dates, 45, CUTOFF)
    broken = boxes.copy()
    broken.loc[broken.box == "not_part_b:ineligible", "n"] = 5
    with pytest.raises(
        ValueError, match="'not_part_b' has 2 patients but its children add up to 6"
    ):
        check_flow(broken)
    with pytest.raises(ValueError, match="children add up"):
        draw_flow_diagram(broken, 45)  # nothing is drawn from counts that do not reconcile
    mismatch = boxes.copy()
    mismatch.loc[mismatch.box == "rp2d_status", "n"] = 3
    mismatch.loc[mismatch.box == "rp2d_status:on_treatment", "n"] = 2
    with pytest.raises(ValueError, match="'rp2d' has 2"):
        check_flow(mismatch)


def test_missing_reason_is_shown_not_lost():
    patients, dates = tiny()
    patients.loc[patients.patient_id == "a", "part_b_entry_reason"] = None
    boxes = consort_boxes(patients, dates, 45, CUTOFF).set_index("box")["n"]
    assert boxes["part_b_entry:not recorded"] == 1


def test_diagram_is_drawn(tmp_path):
    patients, dates = tiny()
    fig = draw_flow_diagram(consort_boxes(patients, dates, 45, CUTOFF), 45)
    text = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "Enrolled in part A" in text and "n = 5" in text and "Reason for part B entry" in text
    save_figure(fig, tmp_path / "flow.png", tmp_path / "flow.svg", tight=True)
    assert (tmp_path / "flow.png").stat().st_size > 1000
