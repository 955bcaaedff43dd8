"""Column headings of the report's tables, for people: one mapping, code name -> label.

The CSV downloads and the result files keep the code names (scripts read them); the HTML
shows these labels, and each heading's tooltip gives the code name. A column that is not
in the mapping is shown readably (underscores as spaces, 'pct' as %), never as another
column's label; headings that are already text (a population with its n) pass unchanged.
"""

from __future__ import annotations

import re

from cytotrial.clinical.figures.common import printed

__all__ = [
    "COLUMN_LABELS",
    "column_label",
    "human_text",
]

COLUMN_LABELS: dict[str, str] = {
    # identifiers and design
    "sample_id": "Sample",
    "patient_id": "Patient",
    "part": "Part",
    "timepoint": "Timepoint",
    "batch": "Batch",
    "population": "Population",
    "gate": "Gate",
    "marker": "Marker",
    "kind": "Kind",
    "file": "File",
    "input": "Input",
    "bytes": "Bytes",
    "sha256": "SHA-256",
    "fcs_version": "FCS version",
    "channels": "Channels",
    "samples": "Samples",
    "patients": "Patients",
    "readable_files": "Readable files",
    "median_events": "Median events",
    "problem": "Problem",
    # status and flags
    "status": "Status",
    "status_reason": "Status reason",
    "reason": "Reason",
    "review": "Review",
    "decision": "Decision",
    "qc_flags": "QC flags",
    "gate_flags": "Gate flags",
    "cohort_flags": "Cohort QC flags",
    "flag": "Flag",
    "note": "Note",
    "saturated_fraction": "Saturated events (fraction)",
    "unstable_time_fraction": "Unstable acquisition time (fraction)",
    # populations and counts
    "events": "Events",
    "pct_of_parent": "% of parent",
    "pct_of_leukocytes": "% of leukocytes",
    "cells_per_ul": "Cells per µL",
    "leukocytes_per_ul": "Leukocytes per µL",
    "cd38_mfi_median_compensated_untransformed": "CD38 MFI (median, compensated, untransformed)",
    # cohort QC
    "group": "Group",
    "group_id": "Group ID",
    "group_n": "Group n",
    "group_median": "Group median",
    "group_min": "Group min",
    "group_max": "Group max",
    "value": "Value",
    "z": "Robust z",
    # paired tests
    "before": "Before",
    "after": "After",
    "n_pairs": "n pairs",
    "n_pairs_ok": "n pairs (ok only)",
    "n_pairs_with_flagged": "n pairs (with flagged)",
    "median_before": "Median before",
    "median_after": "Median after",
    "q1_before": "Q1 before",
    "q3_before": "Q3 before",
    "q1_after": "Q1 after",
    "q3_after": "Q3 after",
    "median_difference": "Median difference",
    "median_difference_ok": "Median difference (ok only)",
    "median_difference_with_flagged": "Median difference (with flagged)",
    "W": "W",
    "W_ok": "W (ok only)",
    "W_with_flagged": "W (with flagged)",
    "p_value": "P",
    "p_value_ok": "P (ok only)",
    "p_value_with_flagged": "P (with flagged)",
    "p_text": "P",
    "p_holm": "P (Holm)",
    "p_holm_text": "P (Holm)",
    "p_bh": "P (Benjamini-Hochberg)",
    "p_bh_text": "P (Benjamini-Hochberg)",
    "stars": "Significance",
    "stars_ok": "Significance (ok only)",
    "stars_with_flagged": "Significance (with flagged)",
    "significance_changes": "Significance changes",
    "populations_used": "Populations used",
    "left_out": "Left out",
    "left_out_flagged": "Left out: flagged",
    "left_out_failed": "Left out: failed",
    "left_out_excluded": "Left out: excluded",
    "pairs_left_out": "Pairs left out",
    "unpaired_patients": "Unpaired patients",
    # survival
    "endpoint": "Endpoint",
    "comparison": "Comparison",
    "compared": "Compared",
    "reference": "Reference",
    "n_group": "n (group)",
    "n_reference": "n (reference)",
    "chisq": "Chi-square",
    "df": "df",
    "hr": "HR",
    "lower": "CI lower",
    "upper": "CI upper",
    "std_err": "Standard error",
    "surv": "Survival",
    "n_risk": "n at risk",
    "months": "Months",
    "median_followup_months": "Median follow-up (months)",
    "deaths": "Deaths",
    "estimable": "Estimable",
    "method": "Method",
    "from": "From",
    "test": "Test",
    # clinical tables
    "label": "Label",
    "n": "n",
    "parent": "Parent box",
    "box": "Box",
    "characteristic": "Characteristic",
    "agreement_pct": "Agreement (%)",
    "assessments": "Assessments",
    "agree": "Agree",
    "disagree": "Disagree",
    "band": "Band",
    "item": "Item",
    "section": "Section",
    "term": "Term",
    "footnote": "Footnote",
    "episodes": "Episodes",
    "regimen": "Regimen",
    "enrolled": "Enrolled",
    "package": "Package",
    "version": "Version",
    # headings the result files write as lower-case words
    "dose level": "Dose level",
    "with DLT": "With DLT",
    "adverse event": "Adverse event",
    "regimen class": "Regimen class",
    "measure": "Measure",
    "paper": "Paper",
    "this run": "This run",
    "ratio": "Ratio",
    "verdict": "Verdict",
}
# Code-name parts written out in the fallback.
_WORDS = {"pct": "%", "ul": "µL", "mfi": "MFI", "cd38": "CD38", "nk": "NK", "qc": "QC", "n": "n"}
_CODE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+$")


def column_label(name: object) -> str:
    """The heading shown for column `name`: its label, a readable form of an unknown code
    name (status_t_cells -> 'Status t cells'), or the text itself when it is not a code
    name."""
    text = str(name)
    if text in COLUMN_LABELS:
        return COLUMN_LABELS[text]
    if not _CODE_NAME.match(text):
        return text  # already words ('Part B at RP2D (n=44)', '$CYT', 'log-log')
    words = [_WORDS.get(word.lower(), word) for word in text.split("_")]
    label = " ".join(words)
    return label[0].upper() + label[1:]


def human_text(text: object) -> str:
    """`text` as shown in the report: >= as ≥, <= as ≤, uL as µL, m2 as m² (whole words:
    mg/m2 -> mg/m²; 'mg_m2' stays), as the figures print their labels."""
    return printed(text)
