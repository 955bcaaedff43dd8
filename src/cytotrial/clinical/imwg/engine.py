"""Run the IMWG engine over a trial: per-assessment categories, best response per part,
progression dates and part B eligibility, from lab_values.csv plus patients/dates/therapies.

Parts: part A runs from part_a_start until part B registration (or the first subsequent
therapy); part B from its registration until the first subsequent therapy after it. A part's
baseline is each marker's last value on or before its first dose; its assessments are the
rows after that and before the part ends (a new therapy ends confirmation too). A part with
no lab row at all is not derived (the reported values stay in use).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from cytotrial.clinical.imwg.assessment import Assessment, PartAssessor
from cytotrial.clinical.imwg.baseline import measurable_disease, part_baseline
from cytotrial.clinical.imwg.confirmation import (
    PartResult,
    best_overall_response,
    part_b_eligibility,
)
from cytotrial.clinical.imwg.settings import ImwgSettings

__all__ = [
    "PartWindow",
    "assess_part",
    "derived_windows",
    "derive_responses",
    "ImwgResult",
]

_ASSESSMENT_COLUMNS = ["patient_id", "part", "date", "category", "reasons", "pd_markers",
                      "change_pct"]  # fmt: skip
_BEST_COLUMNS = [
    "patient_id", "part", "response_marker", "best_response", "response_date",
    "best_unconfirmed", "progression_date", "pd_confirmed_by", "best_change_pct",
    "n_assessments", "part_b_eligibility", "eligible_from",
]  # fmt: skip


@dataclass(frozen=True)
class ImwgResult:
    """The engine's two tables (columns _ASSESSMENT_COLUMNS and _BEST_COLUMNS)."""

    assessments: pd.DataFrame
    best: pd.DataFrame


@dataclass(frozen=True)
class PartWindow:
    part: str
    start: pd.Timestamp
    end: pd.Timestamp | None  # exclusive; None = open


def _part_windows(dates_row: pd.Series, therapy_starts: list[pd.Timestamp]) -> list[PartWindow]:
    """Part A (and B if registered) with the date each ends (new treatment)."""
    a_start, b_reg = dates_row["part_a_start"], dates_row["part_b_registration"]

    def next_therapy(after: pd.Timestamp) -> pd.Timestamp | None:
        later = [t for t in therapy_starts if t > after]
        return min(later) if later else None

    if pd.isna(b_reg):
        return [PartWindow("A", a_start, next_therapy(a_start))]
    return [PartWindow("A", a_start, b_reg), PartWindow("B", b_reg, next_therapy(b_reg))]


def assess_part(
    rows: pd.DataFrame, window: PartWindow, s: ImwgSettings, igg_kappa: bool
) -> tuple[list[Assessment], str | None]:
    """The part's assessments and its primary response marker."""
    base = part_baseline(rows, window.start)
    disease = measurable_disease(base, s)
    after = rows[rows["date"] > window.start]
    if window.end is not None:
        after = after[after["date"] < window.end]
    assessor = PartAssessor(base, disease, s, igg_kappa)
    return assessor.assess_all(after), disease.primary_marker


def derived_windows(
    dates: pd.DataFrame, therapies: pd.DataFrame, labs: pd.DataFrame
) -> Iterator[tuple[str, pd.DataFrame, PartWindow]]:
    """(patient_id, the patient's lab rows, part window) of every part the engine derives:
    a part with lab rows (see the module docstring). The input checks ask it too: a part
    derived here needs no reported best response."""
    d = dates.set_index("patient_id")
    starts = therapies.groupby("patient_id")["start_date"].apply(list).to_dict()
    for pid, rows in labs.groupby("patient_id", sort=True):
        pid = str(pid)
        for window in _part_windows(d.loc[pid], starts.get(pid, [])):
            if window.end is not None and not (rows["date"] < window.end).any():
                continue
            if window.part == "B" and not (rows["date"] >= window.start).any():
                continue
            yield pid, rows, window


def derive_responses(
    patients: pd.DataFrame,
    dates: pd.DataFrame,
    therapies: pd.DataFrame,
    labs: pd.DataFrame,
    s: ImwgSettings,
) -> ImwgResult:
    """The engine over every patient with lab values (see module docstring)."""
    p = patients.set_index("patient_id")
    d = dates.set_index("patient_id")
    rows_a, rows_b = [], []
    for pid, rows, window in derived_windows(dates, therapies, labs):
        igg_kappa = p.at[pid, "heavy_chain"] == "IgG" and p.at[pid, "light_chain"] == "kappa"
        death = d.at[pid, "death"]
        assessments, marker = assess_part(rows, window, s, igg_kappa)
        result = best_overall_response(assessments, death, s)
        eligibility = (None, None)
        if window.part == "A":
            eligibility = part_b_eligibility(assessments, result, window.start, s)
        rows_a += [_assessment_row(pid, window.part, a) for a in assessments]
        rows_b.append(_best_row(pid, window.part, marker, assessments, result, eligibility))
    return ImwgResult(
        pd.DataFrame(rows_a, columns=_ASSESSMENT_COLUMNS),
        pd.DataFrame(rows_b, columns=_BEST_COLUMNS),
    )


def _assessment_row(pid: str, part: str, a: Assessment) -> list:
    return [pid, part, a.date, a.category, ";".join(a.reasons), ";".join(a.pd_markers),
            round(a.change_pct, 1)]  # fmt: skip


def _best_row(pid, part, marker, assessments, result: PartResult, eligibility) -> list:
    changes = [a.change_pct for a in assessments if pd.notna(a.change_pct)]
    best_change = round(min(changes), 1) if changes else float("nan")
    return [
        pid, part, marker or "none", result.best_response, result.response_date,
        result.best_unconfirmed, result.progression_date, result.pd_confirmed_by, best_change,
        result.n_assessments, eligibility[0], eligibility[1],
    ]  # fmt: skip
