"""Column headings of the report's tables, for people: one mapping, code name -> label.

The CSV downloads and the result files keep the code names (scripts read them); the HTML
shows these labels, and each heading's tooltip gives the code name. A column that is not
in the mapping is shown readably (underscores as spaces, 'pct' as %), never as another
column's label; headings that are already text (a population with its n) pass unchanged.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from cytotrial.clinical.figures.common import printed
from cytotrial.io.names import (
    CODE_NAME,
    FLAG_LABELS,
    POPULATION_LABELS,
    code_words,
    flag_text,
    population_label,
)

__all__ = [
    "COLUMN_LABELS",
    "FLAG_LABELS",
    "IMWG_REASON_LABELS",
    "POPULATION_LABELS",
    "TEST_LABELS",
    "VALUE_LABELS",
    "code_words",
    "column_label",
    "flag_text",
    "imwg_reasons",
    "shown_rows",
    "human_text",
    "population_label",
    "prose",
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
    "cd38_mfi_median_compensated_untransformed": "CD38 MFI (median, compensated, linear)",
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
# Cell values, one mapping per kind of value (the result files keep the codes).
# What a paired test's 'value' column measures (a column of populations.tsv).
VALUE_LABELS: dict[str, str] = {
    "cd38_mfi_median_compensated_untransformed": "CD38 MFI (median, compensated, linear)",
    "cells_per_ul": "cells/µL",
    "leukocytes_per_ul": "leukocytes/µL",
    "pct_of_parent": "% of parent",
    "pct_of_leukocytes": "% of leukocytes",
    "events": "events",
}
# The paired test's method (cytotrial.stats.paired.wilcoxon_signed_rank: 'prism' is
# GraphPad Prism >= 6's exact P below 200 pairs, ties included; 'r' is R's wilcox.test).
TEST_LABELS: dict[str, str] = {
    "prism": "Wilcoxon matched-pairs (as GraphPad Prism)",
    "r": "Wilcoxon signed-rank (as R's wilcox.test)",
}
# Reason codes of the IMWG engine (cytotrial.clinical.imwg.assessment).
IMWG_REASON_LABELS: dict[str, str] = {
    "no_bm_at_suspected_cr": "No marrow examined at suspected CR (CR → VGPR)",
    "no_ife_at_suspected_cr": "No IFE result at suspected CR (CR → VGPR)",
    "dara_ife_interference": "Positive IFE in an IgG-kappa patient, no DIRA (daratumumab; → VGPR)",
    "no_clonality_for_scr": "No marrow clonality result for sCR (sCR → CR)",
    "no_flc_for_scr": "No free light chain ratio for sCR (sCR → CR)",
    "no_measurable_disease": "No measurable disease at baseline (NE)",
}
_MISSING_MARKER = re.compile(r"^(?P<marker>[a-z0-9]+)_missing$")
_PLUS_MINUS = re.compile(r"(?<=\s)\+-(?=\s)")  # "median +- 1.96 SE"; never a marker (CD3+-)


def column_label(name: object) -> str:
    """The heading shown for column `name`: its label, a readable form of an unknown code
    name (status_t_cells -> 'Status t cells'), or the text itself when it is not a code
    name."""
    text = str(name)
    if text in COLUMN_LABELS:
        return COLUMN_LABELS[text]
    if not CODE_NAME.match(text):
        return text  # already words ('Part B at RP2D (n=44)', '$CYT', 'log-log')
    return code_words(text)


def human_text(text: object) -> str:
    """`text` as shown in the report: >= as ≥, <= as ≤, uL as µL, m2 as m² (whole words:
    mg/m2 -> mg/m²; 'mg_m2' stays), as the figures print their labels; and +- as ±."""
    return _PLUS_MINUS.sub("±", printed(text))


# A config key the reader must set, written `flow.review` in a caption: shown in code font.
_CONFIG_KEY = re.compile(r"`([A-Za-z][A-Za-z0-9_.]*)`")


def prose(text: object) -> Markup:
    """A caption, note or paragraph as shown: human_text, escaped, and a config key in
    backticks (`flow.statistics.include_flagged`) in code font; the only code name a
    reader meets outside the configuration as run, where they must change it."""
    escaped = str(escape(human_text(text)))
    return Markup(_CONFIG_KEY.sub(r"<code>\1</code>", escaped))


def imwg_reasons(text: str) -> str:
    """IMWG reason codes (';'-joined) as words; a cell that is not all codes (a reviewer's
    free-text reason in another table) is returned as written."""
    codes = [code.strip() for code in text.split(";")]
    if not all(CODE_NAME.match(code) for code in codes):
        return text
    shown = []
    for code in codes:
        found = _MISSING_MARKER.match(code)
        if code in IMWG_REASON_LABELS:
            shown.append(IMWG_REASON_LABELS[code])
        elif found:
            shown.append(f"{found['marker'].upper()} not measured (NE)")
        else:
            shown.append(code_words(code))
    return "; ".join(shown)


# Which mapping a table column's cells go through (the column keeps its code name in the
# CSV download; unlisted columns are shown as they are).
_CELL_MAPPINGS = {
    "population": population_label,
    "gate": population_label,
    "value": lambda v: VALUE_LABELS.get(str(v), str(v)),
    "test": lambda v: TEST_LABELS.get(str(v), str(v)),
    "reason": lambda v: imwg_reasons(str(v)),
    "reasons": lambda v: imwg_reasons(str(v)),
    "left_out": flag_text,
    "status_reason": flag_text,
    "gate_flags": flag_text,
    "qc_flags": flag_text,
    "cohort_flags": flag_text,
}


def shown_rows(columns: list[str], rows: list[list[str]], keep: int = -1) -> list[list[str]]:
    """`rows` (text cells under `columns`) as the HTML shows them, each cell through its
    column's mapping; column `keep` (a link target such as a sample ID) stays as written."""
    mappings = [None if at == keep else _CELL_MAPPINGS.get(c) for at, c in enumerate(columns)]
    if not any(mappings):
        return rows
    return [
        [
            cell if mapping is None or cell == "" else mapping(cell)
            for mapping, cell in zip(mappings, row, strict=True)
        ]
        for row in rows
    ]
