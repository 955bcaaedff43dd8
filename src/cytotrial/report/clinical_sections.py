"""The clinical sections of the merged report, in the paper's order.

Patient flow; baseline (Table 1) and dose escalation; efficacy (response, primary endpoint,
swimmer plot); response from lab values (IMWG engine vs reported, waterfall); survival (KM
figures, medians, subgroup tests, follow-up); safety (Table 2); subsequent therapy (Table 3).
Each section reads the clinical branch's result files named in ``REPORT_INPUTS`` and says so
in a note, instead of failing, when a file is empty or missing, a subgroup has no patients or
no events, or a table has nothing to count.

Usage (report rule): add ``**REPORT_INPUTS`` to its inputs, then
``clinical_sections({key: smk.input[key] for key in REPORT_INPUTS}, config)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from cytotrial.clinical.settings import ClinicalSettings
from cytotrial.clinical.survival.endpoints import ENDPOINTS, slug
from cytotrial.clinical.tables.dose_escalation import mtd_text
from cytotrial.io.results import read_tsv_or_empty
from cytotrial.report.figure_numbers import figure_title
from cytotrial.report.imwg_section import IMWG_REPORT_INPUT_KEYS, imwg_section
from cytotrial.report.model import ReportFigure, ReportSection, ReportTable

__all__ = [
    "REPORT_INPUT_KEYS",
    "clinical_sections",
]

# The result files the clinical sections read, by key: the report rule maps each key to
# a clinical rule's output (rules/report.smk owns the paths).
REPORT_INPUT_KEYS: tuple[str, ...] = (
    "clinical_patient_flow",
    "clinical_flow_png",
    "clinical_table1",
    "clinical_dose_escalation",
    "clinical_response_categories",
    "clinical_response_rates",
    "clinical_primary_endpoint",
    "clinical_response_png",
    "clinical_swimmer_png",
    "clinical_forest_png",
    "clinical_survival_medians",
    "clinical_survival_logrank",
    "clinical_survival_hazard_ratios",
    "clinical_survival_at_times",
    "clinical_survival_followup",
    *(f"clinical_km_{slug(e)}_{stratum}" for stratum in ("all", "by_response") for e in ENDPOINTS),
    "clinical_table2",
    "clinical_table2_footnotes",
    "clinical_table2_unmapped",
    "clinical_table3",
    "clinical_subsequent_outcome",
    *IMWG_REPORT_INPUT_KEYS,
)
SWIMMER_CAPTION = (
    "One bar per patient from the start of part A, coloured by the part A best-response "
    "group (colours as in the Kaplan-Meier plots); part B hatched; thin line: follow-up off "
    "treatment. \u25bc: the part B best response (\u2265MR) first documented, from the lab "
    "values (IMWG engine), with its category; | progression in part B; x death; arrow: on "
    "treatment at the cut-off."
)
_METHODS = (("spss", "SPSS symmetric"), ("log", "log"), ("loglog", "log-log"), ("plain", "plain"))


def _table(title: str, frame: pd.DataFrame, csv: str, caption: str, notes: list[str]) -> list:
    if frame.empty:
        notes.append(f"{title}: nothing to show (the table is empty).")
        return []
    return [ReportTable(title, frame, csv, caption)]


def _figure(title: str, path, caption: str, notes: list[str]) -> list:
    if path is None or not Path(path).is_file():
        notes.append(f"{title}: figure not available.")
        return []
    return [ReportFigure(title, path, caption)]


def clinical_sections(inputs: Mapping[str, str | Path], config: Mapping) -> list[ReportSection]:
    """The clinical report sections (keys of ``inputs``: see ``REPORT_INPUTS``)."""
    clinical = dict(config.get("clinical") or {})
    get = inputs.get
    return [
        _patient_flow_section(get),
        _baseline_section(get),
        _efficacy_section(get, clinical),
        imwg_section(get, read_tsv_or_empty),
        _survival_section(get, clinical),
        _safety_section(get),
        _therapy_section(get),
    ]


def _patient_flow_section(get) -> ReportSection:
    notes: list[str] = []
    figures = _figure(
        figure_title("patient_flow", "CONSORT"),
        get("clinical_flow_png"),
        "Boxes computed from patients.csv and dates.csv; every box equals the sum "
        "of its children (checked when the diagram is made).",
        notes,
    )
    flow = read_tsv_or_empty(get("clinical_patient_flow"))
    shown = flow[[c for c in ("label", "n", "parent", "box") if c in flow]] if len(flow) else flow
    tables = _table(
        "Patient flow counts",
        shown,
        "patient_flow.csv",
        "One row per box; 'parent' is the box it splits.",
        notes,
    )
    return ReportSection("Patient flow", "clinical-flow", tables, notes, figures)


def _baseline_section(get) -> ReportSection:
    notes: list[str] = []
    tables = _table(
        "Table 1. Baseline characteristics",
        read_tsv_or_empty(get("clinical_table1")),
        "table1_baseline.csv",
        "n (%) or median (range). Part A: all enrolled, part A baseline; part B "
        "columns: part B baseline. Part B at RP2D: the efficacy population (phase 1 at "
        "the RP2D and phase 2) at part B entry, a column the paper's Table 1 does not have "
        "(its text quotes it). Exposed includes refractory.",
        notes,
    )
    dose = read_tsv_or_empty(get("clinical_dose_escalation"))
    tables += _table(
        "Part B phase 1: dose escalation (3+3)",
        dose,
        "dose_escalation.csv",
        "Per planned ATRA dose level: enrolled, DLT-evaluable, DLTs, the 3+3 "
        "decision and the RP2D.",
        notes,
    )
    if len(dose) and "with DLT" in dose:
        notes.append(f"Dose escalation: {mtd_text(dose)}.")
    return ReportSection(
        "Baseline characteristics and dose escalation", "clinical-baseline", tables, notes
    )


def _response_display(categories: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """Response categories and rates as one text table, a column per population."""
    if categories.empty:
        return pd.DataFrame()
    heads = {}
    for pop, block in categories.groupby("population", sort=False):
        heads[pop] = f"{block['population_label'].iloc[0]} (n={int(block['N'].iloc[0])})"
    rows = []
    for _category, block in categories.groupby("category", sort=False):
        row = {"": block["category_label"].iloc[0]}
        row.update({heads[r.population]: r.text for r in block.itertuples()})
        rows.append(row)
    for _rate, block in rates.groupby("rate", sort=False):
        row = {"": block["rate_label"].iloc[0]}
        row.update({heads[r.population]: f"{r.x}/{r.N}: {r.text}" for r in block.itertuples()})
        rows.append(row)
    return pd.DataFrame(rows)


def _efficacy_section(get, clinical: Mapping) -> ReportSection:
    notes: list[str] = []
    primary = read_tsv_or_empty(get("clinical_primary_endpoint"))
    if len(primary):
        verdict = primary.set_index("item")["value"]
        notes.append(
            str(verdict.get("Verdict", "")) + " " + str(verdict.get("Verdict in words", ""))
        )
    categories = read_tsv_or_empty(get("clinical_response_categories"))
    rates = read_tsv_or_empty(get("clinical_response_rates"))
    tables = _table(
        "Best overall response",
        _response_display(categories, rates),
        "response.csv",
        "IMWG best overall response (MR and SD per EBMT/IMWG), n (%); ORR >= PR, "
        "CBR >= MR, DCR >= SD with exact Clopper-Pearson 95% CIs; NE counts as a "
        "non-responder.",
        notes,
    )
    tables += _table(
        "Primary endpoint",
        primary,
        "primary_endpoint.csv",
        "ORR at the RP2D against the configured threshold, the exact one-sided "
        "binomial test against p0, the exact single-stage design and the protocol's "
        "sample size (normal approximation with arcsine transformation).",
        notes,
    )
    figures = _figure(
        figure_title("response"),
        get("clinical_response_png"),
        "Percent of patients per category; numbers on bars are patients.",
        notes,
    )
    figures += _figure(
        figure_title("swimmer"),
        get("clinical_swimmer_png"),
        SWIMMER_CAPTION,
        notes,
    )
    return ReportSection("Efficacy", "clinical-efficacy", tables, notes, figures)


def _ci_text(row: pd.Series, method: str) -> str:
    median = row.get(f"{method}_median", math.nan)
    if pd.isna(median):
        return "NR"
    lower, upper = row.get(f"{method}_lower", math.nan), row.get(f"{method}_upper", math.nan)

    def f(v) -> str:
        return "NR" if pd.isna(v) else f"{float(v):.1f}"

    if method == "spss" and str(row.get("spss_lower_cut_at_0", "")) == "True":
        return f"{f(median)} (0*-{f(upper)})"
    return f"{f(median)} ({f(lower)}-{f(upper)})"


def _medians_display(medians: pd.DataFrame, method: str) -> pd.DataFrame:
    """n, events and the median (95% CI) by every method, the configured one first."""
    if medians.empty:
        return pd.DataFrame()
    rows = []
    for _, r in medians.iterrows():
        row = {
            "endpoint": r["endpoint"],
            "group": r["group"],
            "n": int(r["n"]),
            "events": int(r["events"]),
            f"median (95% CI), {method}": r["median_ci"] if int(r["n"]) else "no patients",
        }
        for key, label in _METHODS:
            row[label] = _ci_text(r, key) if int(r["n"]) else ""
        rows.append(row)
    return pd.DataFrame(rows)


def _survival_notes(medians: pd.DataFrame, followup: pd.DataFrame) -> list[str]:
    notes = []
    for _, r in followup.iterrows():
        if pd.notna(r["median_followup_months"]):
            notes.append(
                f"Median follow-up ({r['population']}, from {r['from']}; reverse "
                f"Kaplan-Meier): {r['median_followup_months']:.1f} months."
            )
    if medians.empty:
        return notes
    sub = medians[medians["group"] != "All"]
    empty = sorted(set(sub.loc[sub["n"] == 0, "group"]))
    if empty:
        notes.append(
            f"No patients in group(s) {', '.join(empty)}: no curve, median or comparison for them."
        )
    no_events = sub[(sub["n"] > 0) & (sub["events"] == 0)]
    for r in no_events.itertuples():
        notes.append(
            f"{r.endpoint}, group {r.group}: no events, median not reached and no hazard ratio."
        )
    if (medians.get("spss_lower_cut_at_0", pd.Series(dtype=str)).astype(str) == "True").any():
        notes.append(
            "SPSS symmetric CIs: 0* = lower limit below 0 shown as 0 (raw value in "
            "survival_medians.tsv, column spss_raw_lower), as in the paper."
        )
    return notes


def _survival_section(get, clinical: Mapping) -> ReportSection:
    method = ClinicalSettings.from_config(clinical).median_ci
    medians = read_tsv_or_empty(get("clinical_survival_medians"))
    followup = read_tsv_or_empty(get("clinical_survival_followup"))
    notes = _survival_notes(medians, followup)
    figures = []
    for stratum in ("all", "by_response"):
        for endpoint in ENDPOINTS:
            key = f"clinical_km_{slug(endpoint)}_{stratum}"
            figures += _figure(
                figure_title(f"km_{slug(endpoint)}_{stratum}"),
                get(key),
                "RP2D population. + censored; dotted lines at the medians; "
                "number at risk under each tick.",
                notes,
            )
    tables = _table(
        "Kaplan-Meier medians (months)",
        _medians_display(medians, method),
        "survival_medians.csv",
        f"Median (95% CI) by the configured method ({method}) and by every "
        "method; NR = not reached.",
        notes,
    )
    tables += _table(
        "Log-rank tests",
        read_tsv_or_empty(get("clinical_survival_logrank")),
        "survival_logrank.csv",
        "Two-sided log-rank overall and each group against the reference group "
        "(SPSS pairwise over strata): P unadjusted as in the paper; p_holm and p_bh "
        "adjust each endpoint's pairwise tests for multiplicity (Holm: family-wise "
        "error; Benjamini-Hochberg: false discovery rate).",
        notes,
    )
    figures += _figure(
        figure_title("forest", "forest plot"),
        get("clinical_forest_png"),
        "Cox proportional hazards, Efron ties: each group against the reference group "
        "with Wald 95% CI, log scale; rows that cannot be estimated say why.",
        notes,
    )
    tables += _table(
        "Hazard ratios (Cox, Efron ties)",
        read_tsv_or_empty(get("clinical_survival_hazard_ratios")),
        "survival_hazard_ratios.csv",
        "Each group against the reference group; Wald 95% CI and P.",
        notes,
    )
    tables += _table(
        "Survival at fixed times",
        read_tsv_or_empty(get("clinical_survival_at_times")),
        "survival_at_times.csv",
        "S(t) with Greenwood SE and pointwise 95% CI.",
        notes,
    )
    tables += _table(
        "Median follow-up", followup, "survival_followup.csv", "Reverse Kaplan-Meier.", notes
    )
    return ReportSection("Survival", "clinical-survival", tables, notes, figures)


def _safety_section(get) -> ReportSection:
    notes: list[str] = []
    table2 = read_tsv_or_empty(get("clinical_table2"))
    if len(table2):
        counts = table2.drop(columns=["section", "adverse event"], errors="ignore")
        if (counts.astype(str) == "–").all().all():
            notes.append("No grade >= 2 adverse event of the Table 2 rows was recorded.")
    tables = _table(
        "Table 2. Adverse events",
        table2,
        "table2_adverse_events.csv",
        "CTCAE v4.03; each patient once per row at the worst grade; part A all "
        "enrolled, part B at the RP2D.",
        notes,
    )
    tables += _table(
        "Table 2 footnotes",
        read_tsv_or_empty(get("clinical_table2_footnotes")),
        "table2_footnotes.csv",
        "Supportive care, any-grade infusion reactions and specified events.",
        notes,
    )
    tables += _unmapped_terms(get, notes)
    return ReportSection("Safety", "clinical-safety", tables, notes)


def _unmapped_terms(get, notes: list[str]) -> list:
    """Adverse events whose term no Table 2 row takes: a note and the list, never silence."""
    path = get("clinical_table2_unmapped")
    if path is None or not Path(path).is_file():
        notes.append("Adverse-event terms not in Table 2: list not available.")
        return []
    unmapped = read_tsv_or_empty(path)
    if unmapped.empty:
        notes.append("Every adverse-event term of the Table 2 populations maps to a row.")
        return []
    notes.append(
        f"{int(unmapped['episodes'].sum())} adverse-event episode(s) of "
        f"{unmapped['term'].nunique()} term(s) are not counted in Table 2 (no row in the "
        "layout, config clinical.ae_table_rows); they are listed below."
    )
    return [
        ReportTable(
            "Adverse-event terms not in Table 2",
            unmapped,
            "table2_unmapped_terms.csv",
            "Terms (as written in adverse_events.csv) that map to no Table 2 row, matched "
            "case-, space- and spelling-insensitively: patients and episodes per part, in "
            "the Table 2 populations up to the cut-off.",
        )
    ]


def _therapy_section(get) -> ReportSection:
    notes: list[str] = []
    table3 = read_tsv_or_empty(get("clinical_table3"))
    flow = read_tsv_or_empty(get("clinical_patient_flow"))
    treated = None
    if len(table3.columns):
        found = re.search(r"n = (\d+)", str(table3.columns[-1]))
        treated = int(found.group(1)) if found else None
    if len(flow) and "box" in flow:
        stopped = flow.loc[flow["box"] == "rp2d_status:discontinued", "n"]
        if len(stopped) and treated is not None:
            notes.append(
                f"{treated} of the {int(stopped.iloc[0])} RP2D patients who discontinued "
                "part B received a subsequent anti-myeloma therapy."
            )
    if treated == 0:
        notes.append("No subsequent therapy recorded by the cut-off.")
    tables = _table(
        "Table 3. First subsequent therapy",
        table3,
        "table3_subsequent_therapy.csv",
        "RP2D population; n (%) of the patients with a first subsequent line. 'Across "
        "classes' rows count first lines by the drugs their regimen names hold (the "
        "paper's text: IMiD-containing without a PI; pomalidomide-containing). n = the "
        "RP2D patients with a first subsequent line by the cut-off: fewer than the RP2D "
        "cohort, because patients still on part B treatment at the cut-off, and those who "
        "stopped without a further therapy, have none (see the note above).",
        notes,
    )
    outcome = read_tsv_or_empty(get("clinical_subsequent_outcome"))
    shown = outcome[[c for c in ("measure", "n", "x", "text", "note") if c in outcome]]
    tables += _table(
        "Outcome of the first subsequent line",
        shown.rename(columns={"x": "responders / events", "text": "estimate (95% CI)"}),
        "subsequent_line_outcome.csv",
        "ORR (>= PR, exact Clopper-Pearson 95% CI) over the first lines with a recorded "
        "best response; PFS from the start of the first subsequent line to progression or "
        "death (Kaplan-Meier, the configured CI method). n per row: see its note (the "
        "first lines of Table 3, not the cohort of 44).",
        notes,
    )
    return ReportSection("Subsequent therapy", "clinical-therapy", tables, notes)
