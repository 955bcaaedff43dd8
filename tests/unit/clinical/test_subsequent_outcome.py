"""ORR and PFS of the first subsequent line: input checks, the analysis, the demo's values."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers.bad_input import broken_clinical
from helpers.paths import REPO, SCHEMA_DIR

from cytotrial.clinical.population import rp2d_patients
from cytotrial.clinical.tables.subsequent_outcome import subsequent_outcome_table
from cytotrial.errors import InputError
from cytotrial.io.inputs import read_clinical_tables
from cytotrial.simulate import paper_targets as pt
from cytotrial.simulate.clinical.trial import simulate_clinical
from cytotrial.stats.kaplan_meier import kaplan_meier, median_survival

SEED = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["demo"]["seed"]
D = pd.Timestamp


def _tables():
    ids = ["P1", "P2", "P3", "P4", "P5"]
    therapies = pd.DataFrame(
        {
            "patient_id": ids + ["P1"],
            "line": [1, 1, 1, 1, 1, 2],
            "start_date": [D("2019-01-01")] * 5 + [D("2019-09-01")],
            "best_response": ["VGPR", "PR", "SD", None, "PD", "PR"],
            "progression_date": [D("2019-07-01"), pd.NaT, D("2019-03-01"), pd.NaT, pd.NaT, pd.NaT],
        }
    )
    dates = pd.DataFrame(
        {
            "patient_id": ids,
            "death": [pd.NaT, pd.NaT, D("2019-05-01"), pd.NaT, D("2019-02-15")],
            "last_followup": [D("2020-09-01"), D("2020-01-01"), D("2019-05-01"),
                              D("2021-01-01"), D("2019-02-15")],
        }
    )  # fmt: skip
    return therapies, dates, ids


def test_orr_counts_recorded_lines_only_and_pfs_ends_at_progression_or_death():
    therapies, dates, ids = _tables()
    table = subsequent_outcome_table(therapies, dates, ids, "2020-10-01").set_index("measure")
    orr = table.iloc[0]
    assert (orr["n"], orr["x"]) == (4, 2)  # P4 has no best response: out of n, named
    assert "1 without one left out" in orr["note"]
    assert orr["text"].startswith("2/4: 50%")
    pfs = table.iloc[1]
    # P1 progression day 181; P2 censored at last follow-up; P3 progression (before death);
    # P4 censored at the cut-off (last follow-up after it); P5 death (no progression)
    days = np.array([181, 365, 59, 639, 45])
    event = np.array([True, False, True, False, True])
    expected = median_survival(kaplan_meier(days / (365.25 / 12), event), conf_type="spss")
    assert (pfs["n"], pfs["x"]) == (5, 3)
    assert pfs["estimate"] == pytest.approx(expected.estimate)
    assert pfs["upper"] == pytest.approx(expected.upper)


def test_outcome_not_computed_without_the_optional_columns():
    therapies, dates, ids = _tables()
    bare = therapies.assign(best_response=None, progression_date=pd.NaT)
    table = subsequent_outcome_table(bare, dates, ids, "2020-10-01")
    assert table["text"].tolist() == ["not computed", "not computed"]
    assert "no best_response recorded" in table["note"].iloc[0]
    assert "no progression_date recorded" in table["note"].iloc[1]
    none = subsequent_outcome_table(therapies, dates, [], "2020-10-01")
    assert none["n"].tolist() == [0, 0]


def _first_line_edit(**values: str):
    def edit(frame: pd.DataFrame) -> None:
        row = frame.index[(frame["line"] == "1") & (frame["progression_date"] != "")][0]
        for column, value in values.items():
            frame.loc[row, column] = value

    return edit


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"progression_date": "2010-01-01"},
            r"field 'progression_date' \(2010-01-01\) is before 'start_date'",
        ),
        (
            {"progression_date": "2020-09-30"},
            r"field 'progression_date' \(2020-09-30\) is after '(death|last_followup)'",
        ),
        ({"best_response": "ORR"}, r"best_response"),
    ],
)
def test_bad_subsequent_line_outcomes_name_file_line_and_field(
    demo_clinical, tmp_path, values, expected
):
    folder = broken_clinical(
        demo_clinical, tmp_path / "clinical", "subsequent_therapies", _first_line_edit(**values)
    )
    with pytest.raises(InputError) as error:
        read_clinical_tables(folder, SCHEMA_DIR)
    message = str(error.value)
    assert "subsequent_therapies.csv, line " in message, message
    assert re.search(expected, message), message


def test_demo_first_subsequent_line_reproduces_the_paper():
    tables = simulate_clinical(SEED)
    ids = rp2d_patients(tables.patients, pt.RP2D_MG_M2)
    table = subsequent_outcome_table(tables.subsequent_therapies, tables.dates, ids, pt.CUTOFF)
    orr, pfs = table.iloc[0], table.iloc[1]
    assert (orr["x"], orr["n"]) == (pt.SUBSEQUENT_LINE_RESPONDERS, pt.RP2D_SUBSEQUENT_THERAPY)
    assert round(100 * orr["estimate"]) == pt.SUBSEQUENT_LINE_ORR_PCT
    median, _, upper = pt.SUBSEQUENT_LINE_PFS
    assert pfs["estimate"] == pytest.approx(median, rel=pt.KM_TOLERANCE)
    assert pfs["upper"] - pfs["estimate"] == pytest.approx(
        upper - median, rel=pt.CI_WIDTH_TOLERANCE
    )
