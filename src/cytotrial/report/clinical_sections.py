"""The clinical sections of the merged report, in the paper's order.

Patient flow; baseline (Table 1) and dose escalation; efficacy (response, primary endpoint,
swimmer plot); response from lab values (IMWG engine vs reported, waterfall); survival (KM
figures, medians, subgroup tests, follow-up); safety (Table 2); subsequent therapy (Table 3).
Each section reads the clinical branch's result files named in ``REPORT_INPUTS`` and says so
in a note, instead of failing, when a file is empty or missing, a subgroup has no patients or
no events, or a table has nothing to count.

Usage (report rule): add ``**REPORT_INPUTS`` to its inputs, then
``clinical_sections({key: smk.input[key] for key in REPORT_INPUTS}, settings.clinical)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from cytotrial.clinical.settings import MEDIAN_CI_WORDS, ClinicalSettings
from cytotrial.clinical.survival.endpoints import ENDPOINTS, slug
from cytotrial.clinical.tables.dose_escalation import mtd_text
from cytotrial.errors import InputError
from cytotrial.io.results import read_tsv_or_empty
from cytotrial.report.counts import Cohort, n_text, plural
from cytotrial.report.figure_numbers import figure_title
from cytotrial.report.imwg_section import IMWG_REPORT_INPUT_KEYS, imwg_section
from cytotrial.report.model import ReportFigure, ReportSection, ReportTable
from cytotrial.report.survival_display import (
    at_times_display,
    empty_groups,
    followup_display,
    hazard_ratio_display,
    logrank_display,
)
from cytotrial.report.table1_display import (
    SECTION,
    label_ungrouped,
    missing_note,
    table1_shown,
)

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
    "clinical_endpoints",  # the RP2D patients (the waterfall's n)
    *IMWG_REPORT_INPUT_KEYS,
)
SWIMMER_CAPTION = (
    "One bar per patient from the start of part A, coloured by the part A best-response "
    "group (colours as in the Kaplan-Meier plots); part B hatched; thin line: follow-up off "
    "treatment. \u25bc: the part B best response (\u2265MR) first documented, from the lab "
    "values (IMWG engine), with its category; | progression in part B; \u25a1 part B "
    "stopped without progression; x death; arrow: on treatment at the cut-off."
)


def _table(
    title: str,
    frame: pd.DataFrame,
    csv: str,
    caption: str,
    notes: list[str],
    n: str,
    shown: pd.DataFrame | None = None,
) -> list:
    if frame.empty:
        notes.append(f"{title}: nothing to show (the table is empty).")
        return []
    return [ReportTable(title, frame, csv, caption, n=n, shown=shown)]


def _figure(title: str, path, caption: str, notes: list[str], n: str) -> list:
    if path is None or not Path(path).is_file():
        notes.append(f"{title}: figure not available.")
        return []
    return [ReportFigure(title, path, caption, n=n)]


def clinical_sections(
    inputs: Mapping[str, str | Path], clinical: ClinicalSettings
) -> list[ReportSection]:
    """The clinical report sections (keys of ``inputs``: see ``REPORT_INPUTS``)."""
    get = inputs.get
    cohort = Cohort.from_flow(read_tsv_or_empty(get("clinical_patient_flow")))
    return [
        _patient_flow_section(get, cohort),
        _baseline_section(get, cohort),
        _efficacy_section(get, cohort),
        imwg_section(get, read_tsv_or_empty, cohort),
        _survival_section(get, clinical, cohort),
        _safety_section(get, cohort),
        _therapy_section(get, cohort),
    ]


def _flow_boxes_shown(flow: pd.DataFrame) -> pd.DataFrame:
    """The patient-flow table as shown: label, n and the parent box by its title (the box
    codes, part_a or not_part_b:ineligible, stay in the download); a box that splits the
    same patients as another box another way (its 'equals') names that box instead."""
    if flow.empty or "label" not in flow:
        return flow
    shown = flow[[c for c in ("label", "n", "parent") if c in flow]].copy()
    if "parent" in shown and "box" in flow:
        titles = dict(zip(flow["box"].astype(str), flow["label"].astype(str), strict=True))
        unknown = sorted(set(shown["parent"].dropna().astype(str)) - set(titles) - {""})
        if unknown:
            raise InputError(f"patient_flow.tsv: parent boxes {unknown} are not boxes of the table")
        shown["parent"] = shown["parent"].map(lambda p: titles.get(str(p), p), na_action="ignore")
        if "equals" in flow:  # 'Reason for part B entry': the patients of 'Enrolled in part B'
            same = flow["equals"].fillna("").astype(str)
            top = same.ne("") & shown["parent"].fillna("").astype(str).eq("")
            shown.loc[top, "parent"] = [f"same patients as: {titles.get(b, b)}" for b in same[top]]
    return shown


def _patient_flow_section(get, cohort: Cohort) -> ReportSection:
    notes: list[str] = []
    figures = _figure(
        figure_title("patient_flow", "CONSORT"),
        get("clinical_flow_png"),
        "Boxes computed from patients.csv and dates.csv; every box equals the sum "
        "of its children (checked when the diagram is made).",
        notes,
        cohort.whole(),
    )
    flow = read_tsv_or_empty(get("clinical_patient_flow"))
    tables = _table(
        "Patient flow counts",
        _flow_boxes_shown(flow),
        "patient_flow.csv",
        "One row per box of Figure 1, titled as in the figure; Parent box is the box it "
        "splits, or the box whose patients it counts again by another split (same patients "
        "as); the download names the boxes by their codes.",
        notes,
        cohort.whole(),
    )
    return ReportSection("Patient flow", "clinical-flow", tables, notes, figures)


def _table1_n(cohort: Cohort) -> str:
    if None in (cohort.enrolled, cohort.part_b, cohort.rp2d):
        return "n = not known (no patient-flow table)"
    text = f"n = {cohort.enrolled} patients (part A: all enrolled); part B: {cohort.part_b}"
    if cohort.phase1 is not None and cohort.phase2 is not None:
        text += f" ({cohort.phase1} phase 1, {cohort.phase2} phase 2)"
    return text + (
        f", {cohort.rp2d} of them at the RP2D; {cohort.enrolled - cohort.part_b} part A "
        "patients did not enter part B (patient flow)"
    )


def _baseline_section(get, cohort: Cohort) -> ReportSection:
    notes: list[str] = []
    table1 = read_tsv_or_empty(get("clinical_table1"))
    tables = _table(
        "Table 1. Baseline characteristics",
        table1,
        "table1_baseline.csv",
        "n (%) or median (range). Part A: all enrolled, part A baseline; part B "
        "columns: part B baseline. Part B at RP2D: the efficacy population (phase 1 at "
        "the RP2D and phase 2) at part B entry, a column the paper's Table 1 does not have "
        "(its text quotes it). Exposed includes refractory. A row's medians share one number "
        "of decimals (a median of an even count may end in .5). " + missing_note(table1),
        notes,
        _table1_n(cohort),
        shown=table1_shown(table1),
    )
    for table in tables:  # Table 1's section label: a group row, not a repeated column
        table.group_column = SECTION if SECTION in table.frame else None
    dose = read_tsv_or_empty(get("clinical_dose_escalation"))
    tables += _table(
        "Part B phase 1: dose escalation (3+3)",
        dose,
        "dose_escalation.csv",
        "Per planned ATRA dose level: enrolled, DLT-evaluable, DLTs, the 3+3 "
        "decision and the RP2D.",
        notes,
        _dose_n(dose, cohort),
    )
    if len(dose) and "with DLT" in dose:
        notes.append(f"Dose escalation: {mtd_text(dose)}.")
    return ReportSection(
        "Baseline characteristics and dose escalation", "clinical-baseline", tables, notes
    )


def _dose_n(dose: pd.DataFrame, cohort: Cohort) -> str:
    if dose.empty or "enrolled" not in dose:
        return "n = 0 patients"
    why = "part B phase 1 (dose finding) only"
    if cohort.part_b is not None:
        why += f", of the {cohort.part_b} part B patients; phase 2 treats at the RP2D"
    return n_text(int(pd.to_numeric(dose["enrolled"], errors="coerce").sum()), "patient", why)


def _response_n(categories: pd.DataFrame, cohort: Cohort) -> str:
    """Each response population's N, as the response table counts it."""
    if categories.empty:
        return "n = 0 patients"
    sizes = categories.groupby("population_label", sort=False)["N"].first()
    counts = [f"{int(size)} in {label}" for label, size in sizes.items()]
    rp2d = categories.loc[categories["population"] == "B_RP2D", "N"]
    lower = cohort.lower_dose(int(rp2d.iloc[0]) if len(rp2d) else None)
    return (
        "n = "
        + ", ".join(counts).replace(" in ", " patients in ", 1)
        + (f"; {lower}" if lower else "")
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


def _efficacy_section(get, cohort: Cohort) -> ReportSection:
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
        _response_n(categories, cohort),
    )
    rp2d = categories[categories["population"] == "B_RP2D"] if len(categories) else categories
    tables += _table(
        "Primary endpoint",
        primary,
        "primary_endpoint.csv",
        "ORR at the RP2D against the configured threshold, the exact one-sided "
        "binomial test against p0, the exact single-stage design and the protocol's "
        "sample size (normal approximation with arcsine transformation).",
        notes,
        cohort.rp2d_n(int(rp2d["N"].iloc[0]) if len(rp2d) else None),
    )
    figures = _figure(
        figure_title("response"),
        get("clinical_response_png"),
        "Percent of patients per category; numbers on bars are patients.",
        notes,
        _response_n(categories, cohort),
    )
    figures += _figure(
        figure_title("swimmer"),
        get("clinical_swimmer_png"),
        SWIMMER_CAPTION,
        notes,
        cohort.rp2d_n(),
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
    """n, events and the median (95% CI) by every method, the configured one first;
    groups without patients are left out (the notes name them)."""
    if medians.empty:
        return pd.DataFrame()
    rows = []
    for _, r in medians.iterrows():
        row = {
            "endpoint": r["endpoint"],
            "group": r["group"],
            "n": int(r["n"]),
            "events": int(r["events"]),
        }
        if not int(r["n"]):  # a group without patients: named in the section's notes
            continue
        for key, words in sorted(MEDIAN_CI_WORDS.items(), key=lambda m: m[0] != method):
            label = f"{words.heading} (configured)" if key == method else words.heading
            # the medians table's columns drop the hyphen: loglog_* for "log-log"
            row[label] = _ci_text(r, key.replace("-", ""))
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
    empty = sorted({group for _, group in empty_groups(medians)})
    if empty:
        notes.append(
            f"No patients in {'groups' if len(empty) > 1 else 'group'} {', '.join(empty)}: "
            "no patient analysed had that part A best response, so the figures draw no "
            "curve or forest-plot row for it and the tables give no median or comparison."
        )
    no_events = sub[(sub["n"] > 0) & (sub["events"] == 0)]
    for r in no_events.itertuples():
        notes.append(
            f"{r.endpoint}, group {r.group}: no events, median not reached and no hazard ratio."
        )
    if (medians.get("spss_lower_cut_at_0", pd.Series(dtype=str)).astype(str) == "True").any():
        notes.append(
            "SPSS symmetric CIs: 0* = lower limit below 0 shown as 0, as in the paper (the "
            "raw negative lower limit is in the survival medians download)."
        )
    return notes


def _km_n(medians: pd.DataFrame, endpoint: str, by_group: bool, cohort: Cohort) -> str:
    """The patients and events a Kaplan-Meier figure draws (its rows of the medians
    table): all of them, or each part A response group's."""
    if medians.empty:
        return "n = 0 patients (no survival table)"
    rows = medians[medians["endpoint"] == endpoint]
    everyone = rows[rows["group"] == "All"]
    if everyone.empty:
        return "n = 0 patients"
    n, events = int(everyone["n"].iloc[0]), int(everyone["events"].iloc[0])
    text = cohort.rp2d_n(n) + f", {plural(events, 'event')}"
    if by_group:
        groups = rows[(rows["group"] != "All") & (rows["n"] > 0)]
        text += "; by part A best response: " + ", ".join(
            f"{g.group} {int(g.n)}" for g in groups.itertuples()
        )
    return text


def _survival_n(medians: pd.DataFrame, cohort: Cohort) -> str:
    """The patients each endpoint's analysis uses (the 'All' rows of the medians)."""
    everyone = medians[medians["group"] == "All"] if len(medians) else medians
    if everyone.empty:
        return "n = 0 patients"
    return cohort.rp2d_n(int(everyone["n"].max())) + " per endpoint"


def _survival_section(get, clinical: ClinicalSettings, cohort: Cohort) -> ReportSection:
    method = clinical.median_ci
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
                _km_n(medians, endpoint, stratum == "by_response", cohort),
            )
    survival_n = _survival_n(medians, cohort)
    tables = _table(
        "Kaplan-Meier medians (months)",
        _medians_display(medians, method),
        "survival_medians.csv",
        "Median (95% CI) by every CI method, the configured one first; NR = not reached.",
        notes,
        survival_n,
    )
    empty = empty_groups(medians)
    logrank = read_tsv_or_empty(get("clinical_survival_logrank"))
    tables += _table(
        "Log-rank tests",
        logrank,
        "survival_logrank.csv",
        "Two-sided log-rank overall and each group against the reference group "
        "(SPSS pairwise over strata): P unadjusted as in the paper; the Holm and "
        "Benjamini-Hochberg columns adjust each endpoint's pairwise tests for "
        "multiplicity (Holm: family-wise error; Benjamini-Hochberg: false discovery "
        "rate). The download holds each P as a number too.",
        notes,
        survival_n,
        logrank_display(logrank, empty),
    )
    figures += _figure(
        figure_title("forest", "forest plot"),
        get("clinical_forest_png"),
        "Cox proportional hazards, Efron ties: each group against the reference group "
        "with Wald 95% CI, log scale; rows that cannot be estimated say why.",
        notes,
        survival_n,
    )
    hazard_ratios = read_tsv_or_empty(get("clinical_survival_hazard_ratios"))
    tables += _table(
        "Hazard ratios (Cox, Efron ties)",
        hazard_ratios,
        "survival_hazard_ratios.csv",
        "Each group against the reference group: one Cox proportional-hazards model per "
        "endpoint with every group in it (Efron ties), Wald 95% CI and P. A pairwise "
        "log-rank test above uses only the two groups' patients, so the two P values can "
        "differ, most with small groups and with curves that cross.",
        notes,
        survival_n,
        hazard_ratio_display(hazard_ratios, empty),
    )
    at_times = read_tsv_or_empty(get("clinical_survival_at_times"))
    tables += _table(
        "Survival at fixed times",
        at_times,
        "survival_at_times.csv",
        "S(t) in % with its pointwise 95% CI: Greenwood SE on the "
        + _band_words(at_times)
        + " (the scale of the configured median CI method); a time after a group's last "
        "observation is not estimable (as R's summary, which drops it) unless every "
        "patient of the group had the event (S = 0, no CI); the download holds the SE.",
        notes,
        survival_n,
        at_times_display(at_times, empty),
    )
    tables += _table(
        "Median follow-up",
        followup,
        "survival_followup.csv",
        "Time to censoring with deaths censored ("
        + "; ".join(sorted(set(followup.get("method", pd.Series(dtype=str)).astype(str))))
        + "); NR = limit not reached.",
        notes,
        _followup_n(followup),
        followup_display(followup),
    )
    return ReportSection("Survival", "clinical-survival", tables, notes, figures)


# The pointwise CI's scale, as a reader knows it.
_BAND_WORDS = {
    "plain": "linear scale (as SPSS), limits cut to 0-100%",
    "log": "log scale (R's default)",
    "log-log": "log-log scale",
}


def _band_words(at_times: pd.DataFrame) -> str:
    bands = sorted(set(at_times.get("band", pd.Series(dtype=str)).dropna().astype(str)))
    return "; ".join(_BAND_WORDS.get(b, f"{b} scale") for b in bands) or "configured scale"


def _followup_n(followup: pd.DataFrame) -> str:
    if followup.empty:
        return "n = 0 patients"
    sizes = followup.groupby("population", sort=False)["n"].first()
    return "n = " + ", ".join(f"{int(n)} ({pop})" for pop, n in sizes.items()) + " patients"


# Table 2's rows without a group (the paper lists them between its groups).
OTHER_EVENTS = "Other adverse events"


def _safety_section(get, cohort: Cohort) -> ReportSection:
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
        cohort.parts_n(),
        shown=label_ungrouped(table2, OTHER_EVENTS),
    )
    for table in tables:  # Table 2's groups (Hematologic, Infections): group rows, as Table 1
        table.group_column = SECTION if SECTION in table.frame else None
    tables += _table(
        "Table 2 footnotes",
        read_tsv_or_empty(get("clinical_table2_footnotes")),
        "table2_footnotes.csv",
        "Supportive care, any-grade infusion reactions and specified events.",
        notes,
        cohort.parts_n(),
    )
    tables += _unmapped_terms(get, notes, cohort)
    return ReportSection("Safety", "clinical-safety", tables, notes)


def _unmapped_terms(get, notes: list[str], cohort: Cohort) -> list:
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
        f"{plural(int(unmapped['episodes'].sum()), 'adverse-event episode')} of "
        f"{plural(unmapped['term'].nunique(), 'term')} "
        f"{'is' if int(unmapped['episodes'].sum()) == 1 else 'are'} not counted in Table 2 (no row "
        "for them in the table's layout: add one to the AE table layout named in the "
        "configuration); they are listed below."
    )
    return [
        ReportTable(
            "Adverse-event terms not in Table 2",
            unmapped,
            "table2_unmapped_terms.csv",
            "Terms (as written in adverse_events.csv) that map to no Table 2 row, matched "
            "case-, space- and spelling-insensitively: patients and episodes per part, in "
            "the Table 2 populations up to the cut-off.",
            n=cohort.parts_n(),
        )
    ]


def _table3_n(treated: int | None, cohort: Cohort) -> str:
    if treated is None:
        return "n = not known (Table 3 names no n)"
    return n_text(
        treated,
        "patient",
        f"of the {cohort.rp2d if cohort.rp2d is not None else '(unknown)'} at the RP2D, "
        "those with a first subsequent line by the cut-off: the others were still on part B "
        "treatment or stopped without a further therapy",
    )


def _outcome_n(outcome: pd.DataFrame, treated: int | None, cohort: Cohort) -> str:
    if outcome.empty or "n" not in outcome:
        return "n = 0 first subsequent lines"
    return n_text(
        int(pd.to_numeric(outcome["n"], errors="coerce").max()),
        "first subsequent line",
        f"one per RP2D patient with one, Table 3; not the "
        f"{cohort.rp2d if cohort.rp2d is not None else '(unknown)'} at the RP2D",
    )


def _therapy_section(get, cohort: Cohort) -> ReportSection:
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
        "paper's text: IMiD-containing without a PI; pomalidomide-containing).",
        notes,
        _table3_n(treated, cohort),
    )
    outcome = read_tsv_or_empty(get("clinical_subsequent_outcome"))
    shown = outcome[[c for c in ("measure", "n", "x", "text", "note") if c in outcome]]
    tables += _table(
        "Outcome of the first subsequent line",
        shown.rename(columns={"x": "responders / events", "text": "estimate (95% CI)"}),
        "subsequent_line_outcome.csv",
        "ORR (>= PR, exact Clopper-Pearson 95% CI) over the first lines with a recorded "
        "best response; PFS from the start of the first subsequent line to progression or "
        "death (Kaplan-Meier; its CI by the survival medians' method, Methods). n per row: "
        "see its note.",
        notes,
        _outcome_n(outcome, treated, cohort),
    )
    return ReportSection("Subsequent therapy", "clinical-therapy", tables, notes)
