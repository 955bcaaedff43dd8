"""The report section "Response from lab values": agreement of the IMWG engine with the
reported best responses, progression dates and part B entry reasons, each disagreement,
the reason codes of the downgrades, and the waterfall plot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from cytotrial.clinical.figures.waterfall import waterfall_data
from cytotrial.clinical.imwg.confirmation import AT_LEAST_PR
from cytotrial.report.counts import Cohort, n_text
from cytotrial.report.figure_numbers import figure_title
from cytotrial.report.model import ReportFigure, ReportSection, ReportTable

__all__ = [
    "IMWG_REPORT_INPUT_KEYS",
    "reason_counts",
    "imwg_section",
]

IMWG_REPORT_INPUT_KEYS: tuple[str, ...] = (
    "clinical_imwg_assessments",
    "clinical_imwg_best",
    "clinical_imwg_concordance",
    "clinical_imwg_concordance_summary",
    "clinical_waterfall_png",
)
_ITEM_LABELS = {
    "best_response": "Best overall response",
    "progression_date": "Progression date",
    "part_b_entry_reason": "Part B entry reason",
}


def reason_counts(assessments: pd.DataFrame) -> pd.DataFrame:
    """How many assessments carry each reason code (a downgrade or an NE), per part."""
    if assessments.empty or "reasons" not in assessments:
        return pd.DataFrame(columns=["reason", "part", "assessments"])
    rows = assessments.dropna(subset=["reasons"])
    exploded = rows.assign(reason=rows["reasons"].str.split(";")).explode("reason")
    exploded = exploded[exploded["reason"] != ""]
    counts = exploded.groupby(["reason", "part"]).size().rename("assessments").reset_index()
    return counts.sort_values(["reason", "part"], kind="stable").reset_index(drop=True)


def reasons_n(reasons: pd.DataFrame, assessments: pd.DataFrame) -> str:
    """The reasons table's n: its reasons, the assessments they come from and the patients
    who have one (not every patient of the cohort: one may have no lab values)."""
    return (
        f"n = {int(reasons['assessments'].sum())} reasons in {len(assessments)} assessments "
        f"of {assessments['patient_id'].nunique()} patients"
    )


def _responder_counts(best: pd.DataFrame) -> pd.DataFrame:
    """Per part: patients, responders (>= PR) confirmed, and including unconfirmed responses
    (the sensitivity count: a last-visit response without a confirming sample)."""
    rows = []
    for part, group in best.groupby("part", sort=True):
        confirmed = int(group["best_response"].isin(AT_LEAST_PR).sum())
        unconfirmed = int(
            (
                group["best_response"].isin(AT_LEAST_PR)
                | group["best_unconfirmed"].isin(AT_LEAST_PR)
            ).sum()
        )
        rows.append([part, len(group), confirmed, unconfirmed])
    columns = ["part", "patients", ">=PR confirmed", ">=PR incl. unconfirmed"]
    return pd.DataFrame(rows, columns=columns)


def _endpoints(get: Callable[[str], object], read: Callable[[object], pd.DataFrame]):
    """endpoints.tsv (its RP2D rows name the patients the waterfall draws), if given."""
    path = get("clinical_endpoints")
    return read(path) if path is not None else pd.DataFrame()


def _waterfall_n(best: pd.DataFrame, endpoints: pd.DataFrame, cohort: Cohort) -> str:
    """The RP2D patients the waterfall draws: those with a part B best change."""
    if endpoints.empty or "population" not in endpoints:
        return "n = not known (no endpoints table naming the RP2D patients)"
    ids = endpoints.loc[endpoints["population"] == "RP2D", "patient_id"].unique()
    drawn = len(waterfall_data(best, "B", ids))
    why = f"of the {len(ids)} at the RP2D, those with a part B change of a response marker"
    lower = cohort.lower_dose(len(ids))
    return n_text(drawn, "patient", why + (f"; {lower}" if lower else ""))


def imwg_section(
    get: Callable[[str], object],
    read: Callable[[object], pd.DataFrame],
    cohort: Cohort | None = None,
) -> ReportSection:
    """Concordance summary, disagreements, reason codes and the waterfall (or a note)."""
    cohort = cohort or Cohort()
    notes: list[str] = []
    best = read(get("clinical_imwg_best"))
    title, anchor = "Response from lab values (IMWG 2016)", "clinical-imwg"
    if best.empty:
        notes.append(
            "No lab values (lab_values.csv) were given: best responses and progression "
            "dates are the reported ones."
        )
        return ReportSection(title, anchor, [], notes)
    notes.append(
        "Best responses and progression dates derived from the lab values by the IMWG "
        "rules replace the reported ones in every clinical analysis of this report."
    )
    summary = read(get("clinical_imwg_concordance_summary"))
    parts = best.groupby("part")["patient_id"].nunique()
    everyone = n_text(
        best["patient_id"].nunique(),
        "patient",
        ", ".join(f"part {part}: {n}" for part, n in parts.items())
        + "; every part B patient, not only those at the RP2D",
    )
    tables = []
    if len(summary):
        shown = summary.assign(item=summary["item"].map(_ITEM_LABELS).fillna(summary["item"]))
        tables.append(ReportTable(
            "Derived versus reported", shown, "response_concordance_summary.csv",
            "Per item: patient-parts compared, agreeing, disagreeing, % agreement.",
            n=everyone,
        ))  # fmt: skip
    tables.append(ReportTable(
        "Responders from lab values", _responder_counts(best), "imwg_responders.csv",
        "Derived best response >= PR per part: confirmed (two consecutive assessments; "
        "primary) and including a last-visit response without a confirming sample "
        "(sensitivity count).",
        n=everyone,
    ))  # fmt: skip
    agreement = read(get("clinical_imwg_concordance"))
    if len(agreement):
        disagree = agreement[agreement["agree"].astype(str) != "True"]
        if len(disagree):
            tables.append(ReportTable(
                "Disagreements", disagree.drop(columns="agree"), "response_disagreements.csv",
                "Every comparison where the derived value differs from the reported one.",
                n=f"n = {len(disagree)} of {len(agreement)} comparisons",
            ))  # fmt: skip
        else:
            notes.append(f"All {len(agreement)} comparisons agree (100% concordance).")
    assessments = read(get("clinical_imwg_assessments"))
    reasons = reason_counts(assessments)
    if len(reasons):
        tables.append(ReportTable(
            "Downgrade and NE reasons", reasons, "imwg_reasons.csv",
            "Assessments carrying each reason for a lower category than the values alone "
            "would give (a datum the higher category needs is missing) or for NE; the "
            "download gives the engine's reason codes.",
            n=reasons_n(reasons, assessments),
        ))  # fmt: skip
    figures = []
    png = get("clinical_waterfall_png")
    if png is not None and Path(str(png)).is_file():
        figures.append(ReportFigure(
            figure_title("waterfall"), png,
            "Part B at the RP2D: best % change from the part B baseline per patient, a "
            "panel per response marker, coloured by the derived best response. Dashed: the "
            "IMWG % cut-offs of that marker (serum MR -25%, PR -50%, VGPR -90%; urine MR "
            "-50%, PR -90%; dFLC PR -50%; PD +25%); the dFLC VGPR line (-90%, marked *) "
            "is the protocol's convention for FLC-only disease, which the IMWG engine "
            "applies: IMWG 2016 defines no dFLC-only VGPR. Absolute criteria (urine < "
            "200 mg/24 h PR, < 100 mg VGPR; PD's absolute rise), confirmation and IFE also "
            "decide the category, so a colour can sit across a line; bars above +100% are "
            "cut there (triangle).",
            n=_waterfall_n(best, _endpoints(get, read), cohort),
        ))  # fmt: skip
    else:
        notes.append("Waterfall plot: figure not available.")
    return ReportSection(title, anchor, tables, notes, figures)
