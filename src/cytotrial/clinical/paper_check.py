"""The demo's paper check: every number of the paper the demo is calibrated to, beside
this run's value and a verdict.

The paper's numbers come from the project's own transcription (simulate/paper_targets.py),
never from the paper's text at run time; this run's numbers from the result tables the
workflow wrote. Verdicts, by kind of number:

* count (and a whole-number median or range of Table 1): "exact" or "miss";
* estimate (a Kaplan-Meier median, the median follow-up): "close" within
  paper_targets.KM_TOLERANCE of the paper's value (ratio shown), else "miss";
* CI half-width (upper limit - median; the paper's SPSS intervals are symmetric and cut
  at 0, so the upper side is the part the cut never touches): "close" within
  paper_targets.CI_WIDTH_TOLERANCE, else "miss";
* P value: "same significance" when this run's P and the paper's fall on the same side
  of the paper's significance level (alpha = .05), else "miss"; the star levels
  (* < .05, ** < .01, *** < .001, **** < .0001) are given beside it.

A result file that is missing or lacks a row gives "not available" and a "miss": the
check never passes by default. `PAPER_NOTES` lists where the paper contradicts itself
and which reading the demo follows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from cytotrial.results import read_tsv
from cytotrial.simulate import paper_targets as pt

__all__ = [
    "COLUMNS",
    "PAPER_CHECK_INPUTS",
    "PAPER_NOTES",
    "demo_planted_extra",
    "paper_check_job",
    "paper_check_table",
    "summary",
]

COLUMNS = ["section", "item", "kind", "paper", "this run", "ratio", "verdict", "note"]
_C = "results/clinical"
# key -> the result file it reads (the paper-check rule's named inputs).
PAPER_CHECK_INPUTS: dict[str, str] = {
    "patient_flow": f"{_C}/patient_flow.tsv",
    "dose_escalation": f"{_C}/dose_escalation.tsv",
    "response_categories": f"{_C}/response_categories.tsv",
    "response_rates": f"{_C}/response_rates.tsv",
    "table1": f"{_C}/table1_baseline.tsv",
    "table2": f"{_C}/table2_adverse_events.tsv",
    "table2_footnotes": f"{_C}/table2_footnotes.tsv",
    "table3": f"{_C}/table3_subsequent_therapy.tsv",
    "subsequent_outcome": f"{_C}/subsequent_line_outcome.tsv",
    "survival_medians": f"{_C}/survival_medians.tsv",
    "survival_logrank": f"{_C}/survival_logrank.tsv",
    "survival_followup": f"{_C}/survival_followup.tsv",
    "samples_per_timepoint": "results/flow/samples_per_timepoint.tsv",
    "cell_count_tests": "results/flow/cell_count_tests.tsv",
}
PAPER_NOTES = (
    "Patients not enrolled in part B (13): Figure 1's legend says 2 still on treatment and "
    "10 ineligible or withdrawn; the results text says 3 still in part A, 8 ineligible, 2 "
    "withdrew consent. The demo follows the text.",
    "Figure 4's legend gives n = 51 part B C1D1 samples, but part B has 50 patients; the "
    "demo has one C1D1 sample per part B patient (50).",
    "Phase 1 enrolled 8 patients at 45 mg/m2, where a 3+3 design needs 6 DLT-evaluable: "
    "the demo reads this as 2 replaced, non-evaluable patients (the supplement is not "
    "transcribed).",
    "The medians' 95% CIs are SPSS's symmetric Wald intervals (median +- 1.96 SE) with the "
    "lower limit cut at 0: the part A PD group's OS-B (17.9, 0-48.8) and OS-AB (19.5, "
    "0-48.5) intervals reach below 0 before the cut. PFS-B SD/MR (2.8, 1.1-4.6) is not "
    "symmetric to the printed digit (rounding).",
    "The subsequent-line ORR of 61% is not a whole count of the 38 patients (23/38 = "
    "60.5%); the demo has 23 responders.",
    "The phase 2 high-risk count (18) exceeds the del(17p) and amp(1q) patients Table 1 "
    "lists (3 + 13): at least 2 more must carry gain(1q), which Table 1 does not list.",
    "The median follow-up (43 months) is given without its origin or method; this run's "
    "value is the reverse Kaplan-Meier median from the start of part A (RP2D population).",
    "'P < .0001' (NK cells under daratumumab) is a bound, not a value: the check asks only "
    "that this run's P is below .05 (and shows its stars).",
)

_Row = dict[str, object]


def _words(key: str) -> str:
    """'still_in_part_a' -> 'still in part A' (a paper_targets key as words)."""
    return re.sub(r"\bpart ([ab])\b", lambda m: "part " + m.group(1).upper(), key.replace("_", " "))


def _read(path: str | Path | None) -> pd.DataFrame:
    if path is None or not Path(path).is_file():
        return pd.DataFrame()
    try:
        return read_tsv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _count_of(cell: object) -> int | None:
    """'20 (31.7)' -> 20; '–' or '0' -> 0; 'n = 16 (25%)' -> 16; None if unreadable."""
    text = str(cell).strip()
    if text in ("–", "-", "0"):
        return 0
    found = re.match(r"(?:n = )?(\d+)", text)
    return int(found.group(1)) if found else None


def _row(section: str, item: str, kind: str, paper, run, ratio, verdict: str, note="") -> _Row:
    values = (section, item, kind, paper, run, ratio, verdict, note)
    return dict(zip(COLUMNS, values, strict=True))


def count_check(section: str, item: str, paper: int, run: int | None, note: str = "") -> _Row:
    """An exact comparison of two counts ('not available' when `run` is None)."""
    if run is None:
        return _row(section, item, "count", paper, "not available", "", "miss", note)
    return _row(section, item, "count", paper, run, "", "exact" if run == paper else "miss", note)


def estimate_check(
    section: str,
    item: str,
    kind: str,
    paper: float,
    run: float | None,
    tolerance: float,
    note: str = "",
) -> _Row:
    """`run` against `paper` as a ratio: 'close' within `tolerance` (relative)."""
    if run is None or not math.isfinite(run):
        return _row(section, item, kind, paper, "not available", "", "miss", note)
    ratio = run / paper
    verdict = "close" if abs(ratio - 1.0) <= tolerance + 1e-12 else "miss"
    tol = f"within {tolerance:.0%}" if verdict == "close" else f"outside {tolerance:.0%}"
    return _row(
        section,
        item,
        kind,
        paper,
        round(run, 2),
        round(ratio, 2),
        verdict,
        (note + "; " if note else "") + tol,
    )


def stars(p: float) -> str:
    """The paper's star levels: * < .05, ** < .01, *** < .001, **** < .0001, else ns."""
    for level, mark in ((1e-4, "****"), (1e-3, "***"), (1e-2, "**"), (pt.ALPHA, "*")):
        if p < level:
            return mark
    return "ns"


def p_check(section: str, item: str, paper: float, run: float | None, bound: bool = False) -> _Row:
    """Same side of alpha = .05 as the paper ('P < x' when `bound`)."""
    shown = f"< {paper:g}" if bound else f"{paper:g}"
    if run is None or not math.isfinite(run):
        return _row(section, item, "P value", shown, "not available", "", "miss")
    same = (run < pt.ALPHA) == (paper < pt.ALPHA)
    note = f"stars: paper {'****' if bound else stars(paper)}, this run {stars(run)}"
    return _row(
        section,
        item,
        "P value",
        shown,
        f"{run:.2g}",
        "",
        "same significance" if same else "miss",
        note,
    )


# --- sections -------------------------------------------------------------------------


def _flow_rows(t: Callable[[str], pd.DataFrame]) -> list[_Row]:
    s = "Patient flow (Figure 1)"
    flow = t("patient_flow")
    n = dict(zip(flow["box"], flow["n"], strict=True)) if len(flow) else {}

    def box(key: str) -> int | None:
        return int(n[key]) if key in n else None

    rows = [
        count_check(s, "Part A, enrolled", pt.N_PATIENTS, box("part_a")),
        count_check(s, "Part B phase 1", pt.COLUMN_SIZES["B1"], box("phase1")),
        count_check(s, "Part B phase 2", pt.COLUMN_SIZES["B2"], box("phase2")),
        count_check(s, "Part B at the RP2D", pt.RP2D_N, box("rp2d")),
    ]
    rows += [
        count_check(s, f"Phase 1 at ATRA {dose} mg/m2", k, box(f"phase1:{dose}"))
        for dose, k in pt.PHASE1_DOSES.items()
    ]
    rows += [
        count_check(
            s,
            f"Not in part B: {_words(why)}",
            k,
            box(f"not_part_b:{why}"),
            "the results text; Figure 1's legend differs (see notes)",
        )
        for why, k in pt.NOT_IN_PART_B.items()
    ]
    rows += [
        count_check(s, f"Part B entry: {_words(why)}", k, box(f"part_b_entry:{why}"))
        for why, k in pt.PART_B_ENTRY_REASONS.items()
    ]
    rows += [
        count_check(
            s,
            "RP2D: on treatment at cut-off",
            pt.RP2D_ON_TREATMENT,
            box("rp2d_status:on_treatment"),
        ),
        count_check(s, "RP2D: discontinued", pt.RP2D_DISCONTINUED, box("rp2d_status:discontinued")),
        count_check(
            s,
            "RP2D: discontinued for progression",
            pt.RP2D_DISCONTINUED_FOR_PROGRESSION,
            box("discontinued:progression"),
        ),
    ]
    dose = t("dose_escalation")
    by_dose = dose.set_index("ATRA (mg/m2)") if len(dose) else dose
    for level, k in pt.PHASE1_DLT_EVALUABLE.items():
        run = int(by_dose.at[level, "DLT-evaluable"]) if level in by_dose.index else None
        rows.append(
            count_check(
                s,
                f"Phase 1 DLT-evaluable at {level} mg/m2",
                k,
                run,
                "our reading of the 3+3 design (see notes)",
            )
        )
    dlt = int(dose["with DLT"].sum()) if "with DLT" in dose else None
    rows.append(count_check(s, "Dose-limiting toxicities", 0, dlt))
    return rows


def _response_rows(t: Callable[[str], pd.DataFrame]) -> list[_Row]:
    s = "Responses"
    cats = t("response_categories")
    n = cats.set_index(["population", "category"])["n"].astype(int).to_dict() if len(cats) else {}

    def get(pop: str, *categories: str) -> int | None:
        keys = [(pop, c) for c in categories]
        return sum(n[k] for k in keys) if all(k in n for k in keys) else None

    rows = [
        count_check(s, "Part A >= PR", pt.PART_A_AT_LEAST_PR, get("A", "sCR", "CR", "VGPR", "PR")),
        count_check(s, "Part A CR (incl. sCR)", pt.PART_A_CR, get("A", "sCR", "CR")),
        count_check(s, "Part A VGPR", pt.PART_A_VGPR, get("A", "VGPR")),
    ]
    for category, k in pt.PART_B_RP2D_RESPONSES.items():
        keys = ("PD", "NE") if category == "PD_or_NE" else (category,)
        label = "PD or not evaluable" if category == "PD_or_NE" else category
        rows.append(count_check(s, f"Part B at the RP2D: {label}", k, get("B_RP2D", *keys)))
    rates = t("response_rates")
    x = rates.set_index(["population", "rate"])["x"].astype(int).to_dict() if len(rates) else {}
    part_b = pt.PART_B_RP2D_RESPONSES
    for rate, k in (
        ("ORR", part_b["VGPR"]),
        ("CBR", part_b["VGPR"] + part_b["MR"]),
        ("DCR", part_b["VGPR"] + part_b["MR"] + part_b["SD"]),
    ):
        rows.append(
            count_check(
                s, f"Part B at the RP2D: {rate} (of {pt.RP2D_N})", k, x.get(("B_RP2D", rate))
            )
        )
    table1 = t("table1")
    rp2d = f"Part B at RP2D (n={pt.RP2D_N})"
    run = None
    if len(table1) and rp2d in table1:
        hit = table1["characteristic"].str.startswith("Triple-class refractory")
        run = _count_of(table1.loc[hit, rp2d].iloc[0]) if hit.any() else None
    rows.append(
        count_check(
            s, "RP2D: triple-class refractory at part B entry", pt.RP2D_TRIPLE_CLASS_REFRACTORY, run
        )
    )
    return rows


_T1_COLUMNS = {"A": "Part A (n=63)", "B1": "Part B phase 1 (n=14)", "B2": "Part B phase 2 (n=36)"}


def _table1_expected() -> list[tuple[str, str, dict[str, int]]]:
    """(section, characteristic, {column key: count}) of every Table 1 count."""
    out: list[tuple[str, str, dict[str, int]]] = []
    cols = tuple(_T1_COLUMNS)

    def add(section: str, label: str, source: Mapping[str, Mapping], key) -> None:
        out.append((section, label, {c: source[c][key] for c in cols}))

    age = "Age"
    for label, i in (("<65, n (%)", 0), ("65 to <75, n (%)", 1), ("≥75, n (%)", 2)):
        out.append((age, label, {c: pt.AGE[c].bins[i][2] for c in cols}))
    for key, label in (("female", "Female"), ("male", "Male")):
        add("Sex, n (%)", label, pt.SEX, key)
    for key, label in ((0, "0"), (1, "1"), (2, "2"), (None, "Unknown")):
        add("WHO performance score, n (%)", label, pt.WHO, key)
    for key in ("no", "yes", "unknown"):
        add("Extramedullary plasmacytomas, n (%)", key.capitalize(), pt.PLASMACYTOMA, key)
    heavy = {
        "IgG": "IgG",
        "IgA": "IgA",
        "light_chain_only": "Light chain only",
        "bence_jones": "Bence-Jones",
    }
    for key, label in heavy.items():
        add("Type of monoclonal heavy chain, n (%)", label, pt.HEAVY_CHAIN, key)
    for key in ("kappa", "lambda"):
        add("Type of light chain, n (%)", key.capitalize(), pt.LIGHT_CHAIN, key)
    prior = "Prior treatment"
    singles = (
        (">3 prior lines, n (%)", pt.MORE_THAN_3_PRIOR_LINES),
        ("Autologous SCT, n (%)", pt.AUTOLOGOUS_SCT),
        ("Allogeneic SCT, n (%)", pt.ALLOGENEIC_SCT),
        ("Double-class refractory (IMiD + PI), n (%)", pt.DOUBLE_CLASS_REFRACTORY),
        ("Triple-class refractory (IMiD + PI + CD38 antibody), n (%)", pt.TRIPLE_CLASS_REFRACTORY),
    )
    for label, source in singles:
        out.append((prior, label, {c: source[c] for c in cols}))
    for drug in pt.DRUGS:
        section = (
            "Prior IMiD, n (%)"
            if drug in pt.IMIDS
            else "Prior PI, n (%)"
            if drug in pt.PIS
            else "Prior monoclonal antibody, n (%)"
        )
        for i, what in enumerate(("exposed", "refractory")):
            counts = {c: pt.DRUG_COUNTS[c][drug][i] for c in cols}
            out.append((section, f"{drug.capitalize()}, {what}", counts))
    for key in ("I", "II", "III", "unknown"):
        add("ISS at registration, n (%)", key if key != "unknown" else "Unknown", pt.ISS, key)
    cyto = {
        "t_4_14": "t(4;14)",
        "t_14_16": "t(14;16)",
        "t_14_20": "t(14;20)",
        "del_17p": "del(17p)",
        "amp_1q": "amp(1q)",
        "del_1p": "del(1p)",
        "del_13q": "del(13q)",
    }
    for key, label in cyto.items():
        add("Cytogenetic abnormalities, n (%)", label, pt.CYTO_COUNTS, key)
    risk = {"high": "High-risk", "standard": "Standard-risk", "not_available": "Not available"}
    for key, label in risk.items():
        add("Cytogenetic risk profile, n (%)", label, pt.CYTO_RISK, key)
    return out


def _table1_median_expected() -> list[tuple[str, str, Mapping[str, pt.NumericSpec]]]:
    labs = {
        "neutrophils_1e9_per_l": "Absolute neutrophil count, ×10⁹/L",
        "hemoglobin_mmol_per_l": "Hemoglobin level, mmol/L",
        "platelets_1e9_per_l": "Platelet count, ×10⁹/L",
        "creatinine_umol_per_l": "Creatinine, µmol/L",
        "calcium_corrected_mmol_per_l": "Calcium (corrected for albumin), mmol/L",
        "ldh_u_per_l": "LDH, U/L",
    }
    return [
        ("Age", "Median age, y (range)", pt.AGE),
        (
            "Prior treatment",
            "Time since start first treatment, median years (range)",
            pt.YEARS_SINCE_FIRST_TREATMENT,
        ),
        ("Prior treatment", "Prior lines of treatment, median (range)", pt.PRIOR_LINES),
        *[
            ("Laboratory values at baseline, median (range)", label, pt.LABS[key])
            for key, label in labs.items()
        ],
    ]


def _median_text(spec: pt.NumericSpec) -> str:
    d = spec.decimals if spec.decimals != 2 or spec.median != round(spec.median, 1) else 2
    return f"{spec.median:.{d}f} ({spec.lo:.{d}f}-{spec.hi:.{d}f})"


def _numbers(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in re.findall(r"\d+(?:\.\d+)?", text)[:3])


def _table1_rows(t: Callable[[str], pd.DataFrame]) -> list[_Row]:
    s = "Table 1 (baseline)"
    table1 = t("table1")
    cells = table1.set_index(["section", "characteristic"]) if len(table1) else pd.DataFrame()

    def cell(section: str, label: str, column: str) -> str | None:
        key = (section, label)
        if column not in cells or key not in cells.index:
            return None
        return str(cells.at[key, column])

    rows = []
    for section, label, counts in _table1_expected():
        for c, k in counts.items():
            text = cell(section, label, _T1_COLUMNS[c])
            run = _count_of(text) if text is not None else None
            rows.append(count_check(s, f"{label} [{section}], {_T1_COLUMNS[c]}", k, run))
    for section, label, specs in _table1_median_expected():
        for c, spec in specs.items():
            text = cell(section, label, _T1_COLUMNS[c])
            want = (spec.median, spec.lo, spec.hi)
            item = f"{label}, {_T1_COLUMNS[c]}"
            if text is None:
                rows.append(
                    _row(s, item, "median (range)", _median_text(spec), "not available", "", "miss")
                )
                continue
            same = len(_numbers(text)) == 3 and all(
                math.isclose(a, b, abs_tol=1e-9) for a, b in zip(_numbers(text), want, strict=True)
            )
            rows.append(
                _row(
                    s,
                    item,
                    "median (range)",
                    _median_text(spec),
                    text,
                    "",
                    "exact" if same else "miss",
                )
            )
    bm = cell(
        "Laboratory values at baseline, median (range)",
        "Bone marrow plasma cells in biopsy, %",
        _T1_COLUMNS["A"],
    )
    found = re.search(r"\[n=(\d+)\]", bm or "")
    rows.append(
        count_check(
            s,
            "Bone marrow plasma cells in biopsy: patients, Part A",
            pt.BM_PLASMA_CELLS_N,
            int(found.group(1)) if found else None,
        )
    )
    return rows


def _table2_rows(t: Callable[[str], pd.DataFrame]) -> list[_Row]:
    s = "Table 2 (adverse events)"
    table2 = t("table2")
    by_row = table2.set_index("adverse event") if len(table2) else pd.DataFrame()
    columns = [c for c in table2.columns if c not in ("section", "adverse event")]
    heads = ("Part A grade 2", "Part A grade 3-4", "Part B RP2D grade 2", "Part B RP2D grade 3-4")
    rows = []
    for term, counts in pt.TABLE2_COUNTS.items():
        for i, (head, k) in enumerate(zip(heads, counts, strict=True)):
            run = None
            if term in by_row.index and len(columns) == 4:
                run = _count_of(by_row.at[term, columns[i]])
            rows.append(count_check(s, f"{term}, {head}", k, run))
    notes = t("table2_footnotes")
    by_note = notes.set_index("footnote") if len(notes) else pd.DataFrame()
    wording = {
        "erythrocyte_transfusion": "Patients requiring erythrocyte transfusions",
        "platelet_transfusion": "Patients requiring platelet transfusion",
        "gcsf": "Patients requiring granulocyte colony-stimulating factor support",
    }
    for key, (_, a, b) in pt.SUPPORTIVE_CARE.items():
        for column, k in (("Part A", a), ("Part B at RP2D", b)):
            run = None
            if wording[key] in by_note.index and column in by_note:
                run = _count_of(by_note.at[wording[key], column])
            rows.append(count_check(s, f"{wording[key]}, {column}", k, run))
    irr = "Any grade infusion-related reaction"
    run = _count_of(by_note.at[irr, "Part A"]) if irr in by_note.index else None
    rows.append(count_check(s, f"{irr}, Part A", pt.PART_A_IRR_ANY_GRADE, run))
    return rows


def _table3_rows(t: Callable[[str], pd.DataFrame]) -> list[_Row]:
    s = "Table 3 and subsequent line"
    table3 = t("table3")
    rows = []
    header = table3.columns[-1] if len(table3.columns) else ""
    found = re.search(r"n = (\d+)", str(header))
    rows.append(
        count_check(
            s,
            "RP2D patients with a subsequent therapy",
            pt.RP2D_SUBSEQUENT_THERAPY,
            int(found.group(1)) if found else None,
        )
    )
    by_regimen = table3.set_index("regimen")[header] if len(table3) else pd.Series(dtype=str)

    def run_of(label: str) -> int | None:
        return _count_of(by_regimen[label]) if label in by_regimen.index else None

    for regimen, (_, k) in pt.TABLE3.items():
        rows.append(count_check(s, regimen, k, run_of(regimen)))
    classes: dict[str, int] = {}
    for klass, k in pt.TABLE3.values():
        classes[klass] = classes.get(klass, 0) + k
    for klass, k in classes.items():
        rows.append(count_check(s, f"{klass} (class total)", k, run_of(f"{klass} regimen (total)")))
    rows += [
        count_check(
            s,
            "IMiD-containing first line without a PI",
            pt.SUBSEQUENT_IMID_WITHOUT_PI,
            run_of("IMiD-containing regimen without a PI"),
        ),
        count_check(
            s,
            "Pomalidomide-based first line",
            pt.SUBSEQUENT_POMALIDOMIDE,
            run_of("Pomalidomide-containing regimen"),
        ),
        count_check(
            s,
            "Later line: bispecific antibody",
            pt.LATER_LINE_BISPECIFIC,
            run_of("bispecific antibody"),
        ),
        count_check(s, "Later line: CAR T-cell", pt.LATER_LINE_CAR_T, run_of("CAR T-cell")),
    ]
    outcome = t("subsequent_outcome")
    orr = pfs = None
    if len(outcome) == 2:
        orr, pfs = outcome.iloc[0], outcome.iloc[1]
    pct = (
        round(100 * float(orr["estimate"]))
        if orr is not None and pd.notna(orr["estimate"])
        else None
    )
    rows.append(
        count_check(
            s,
            "Subsequent-line ORR, % (whole percent)",
            pt.SUBSEQUENT_LINE_ORR_PCT,
            pct,
            "61% of 38 is no whole count (see notes)",
        )
    )
    median, _, upper = pt.SUBSEQUENT_LINE_PFS
    run = float(pfs["estimate"]) if pfs is not None and pd.notna(pfs["estimate"]) else None
    rows.append(
        estimate_check(
            s, "Subsequent-line PFS, median (months)", "estimate", median, run, pt.KM_TOLERANCE
        )
    )
    half = None
    if pfs is not None and pd.notna(pfs["upper"]) and run is not None:
        half = float(pfs["upper"]) - run
    rows.append(
        estimate_check(
            s,
            "Subsequent-line PFS, CI upper half-width (months)",
            "CI half-width",
            round(upper - median, 2),
            half,
            pt.CI_WIDTH_TOLERANCE,
            f"paper CI 2.2-{upper}",
        )
    )
    return rows


def _survival_rows(t: Callable[[str], pd.DataFrame]) -> list[_Row]:
    s = "Survival at the RP2D (Figures 2-3)"
    medians = t("survival_medians")
    by = medians.set_index(["endpoint", "group"]) if len(medians) else pd.DataFrame()
    rows = []
    for endpoint, groups in pt.KM_TARGETS.items():
        for group, target in groups.items():
            key = (endpoint, "All" if group == "all" else group)
            have = key in by.index
            run = float(by.at[key, "median"]) if have else None
            rows.append(
                estimate_check(
                    s,
                    f"{endpoint} {group}: median (months)",
                    "estimate",
                    target,
                    run,
                    pt.KM_TOLERANCE,
                )
            )
            lo, hi = pt.KM_CI[endpoint][group]
            half = float(by.at[key, "upper"]) - run if have else None
            cut = " (lower cut at 0)" if lo == 0 else ""
            rows.append(
                estimate_check(
                    s,
                    f"{endpoint} {group}: CI upper half-width (months)",
                    "CI half-width",
                    round(hi - target, 2),
                    half,
                    pt.CI_WIDTH_TOLERANCE,
                    f"paper CI {lo:g}-{hi:g}{cut}",
                )
            )
    logrank = t("survival_logrank")
    lr = logrank.set_index(["endpoint", "comparison"]) if len(logrank) else pd.DataFrame()
    for (endpoint, group), p in pt.LOGRANK_P.items():
        key = (endpoint, f"{group} vs PD")
        run = float(lr.at[key, "p_value"]) if key in lr.index else None
        rows.append(p_check(s, f"{endpoint}: {group} vs PD, log-rank P", p, run))
    follow = t("survival_followup")
    run = None
    if len(follow):
        hit = (follow["population"] == "RP2D") & (follow["from"] == "start of part A")
        run = float(follow.loc[hit, "median_followup_months"].iloc[0]) if hit.any() else None
    rows.append(
        estimate_check(
            s,
            "Median follow-up (months)",
            "estimate",
            pt.MEDIAN_FOLLOW_UP_MONTHS,
            run,
            pt.KM_TOLERANCE,
            "origin and method not stated in the paper (see notes)",
        )
    )
    return rows


def _flow_sample_rows(t: Callable[[str], pd.DataFrame], planted: Mapping[tuple, int]) -> list[_Row]:
    s = "Flow cytometry (Figure 4, supplemental Figure 1)"
    counts = t("samples_per_timepoint")
    by = counts.set_index(["part", "timepoint"])["samples"].to_dict() if len(counts) else {}
    rows = []
    for (part, timepoint), k in pt.FLOW_SAMPLE_COUNTS.items():
        extra = planted.get((part, timepoint), 0)
        run = by.get((part, timepoint))
        run = None if run is None else int(run) - extra
        note = (
            f"this run's files minus the {extra} failed acquisitions the demo adds as extra "
            "files (simulate/flow_scenarios)"
            if extra
            else ""
        )
        if (part, timepoint) == ("B", "C1D1"):
            note = "the paper's legend says 51 (see notes)"
        rows.append(count_check(s, f"Samples, part {part} {timepoint}", k, run, note))
    tests = t("cell_count_tests")
    keyed = (
        tests.set_index(["part", "population", "before", "after"])["p_value"].to_dict()
        if len(tests)
        else {}
    )
    for (part, population, before, after), p in pt.FLOW_COUNT_P.items():
        run = keyed.get((part, population, before, after))
        item = f"Absolute {population.replace('_', ' ')}, part {part} {before} vs {after}"
        rows.append(p_check(s, item, p, None if run is None else float(run), bound=p == 0.0001))
    return rows


def paper_check_table(
    inputs: Mapping[str, str | Path], planted_extra: Mapping[tuple[str, str], int] | None = None
) -> pd.DataFrame:
    """Every checked number (COLUMNS). `inputs`: PAPER_CHECK_INPUTS keys -> result files;
    `planted_extra`: (part, timepoint) -> failed-acquisition files the demo adds beyond
    the paper's samples (simulate/flow_scenarios), taken off this run's sample counts."""
    cache: dict[str, pd.DataFrame] = {}

    def table(key: str) -> pd.DataFrame:
        if key not in cache:
            cache[key] = _read(inputs.get(key))
        return cache[key]

    rows = [
        *_flow_rows(table),
        *_response_rows(table),
        *_table1_rows(table),
        *_table2_rows(table),
        *_table3_rows(table),
        *_survival_rows(table),
        *_flow_sample_rows(table, planted_extra or {}),
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def summary(check: pd.DataFrame) -> str:
    """'312 numbers: 290 exact, 16 close, 4 same significance, 2 miss (...)'."""
    if check.empty:
        return "No number checked."
    parts = []
    for kind, verdicts in check.groupby("kind", sort=False)["verdict"]:
        counted = verdicts.value_counts()
        text = ", ".join(f"{n} {v}" for v, n in counted.items())
        parts.append(f"{kind}: {text}")
    misses = int((check["verdict"] == "miss").sum())
    head = f"{len(check)} numbers of the paper checked, {misses} miss(es)"
    return f"{head} ({'; '.join(parts)})."


def demo_planted_extra(seed: int) -> dict[tuple[str, str], int]:
    """(part, timepoint) -> failed-acquisition files the demo with this seed adds beyond the
    paper's samples (its sample plan, simulate/flow_scenarios.EXTRA_FILES)."""
    from cytotrial.simulate import plan_demo_trial
    from cytotrial.simulate.flow_scenarios import EXTRA_FILES

    plan = plan_demo_trial(seed, "demo")
    extra = plan[plan["scenario"].isin(EXTRA_FILES)]
    return {key: len(block) for key, block in extra.groupby(["part", "timepoint"])}


def paper_check_job(
    inputs: Mapping[str, str | Path], seed: int, out_tsv: str | Path, notes_tsv: str | Path
) -> pd.DataFrame:
    """Write the paper check (COLUMNS) and the paper's own inconsistencies (one per row)."""
    from cytotrial.results import write_tsv

    check = paper_check_table(inputs, demo_planted_extra(seed))
    write_tsv(check, out_tsv)
    write_tsv(pd.DataFrame({"note": list(PAPER_NOTES)}), notes_tsv)
    return check
