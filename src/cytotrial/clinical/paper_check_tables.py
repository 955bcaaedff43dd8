"""Paper-check rows of Tables 1-3 and the subsequent line (cytotrial.clinical.paper_check).

Each function takes `t(key)` (a result table by its PAPER_CHECK_INPUT_KEYS key, empty when
missing) and returns one row per number of the paper (paper_check_rules.COLUMNS).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

import pandas as pd

from cytotrial.clinical.paper_check_rules import (
    Row,
    count_check,
    count_of,
    estimate_check,
    row,
)
from cytotrial.simulate import paper_targets as pt

__all__ = ["table1_rows", "table2_rows", "table3_rows"]

Tables = Callable[[str], pd.DataFrame]


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


def table1_rows(t: Callable[[str], pd.DataFrame]) -> list[Row]:
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
            run = count_of(text) if text is not None else None
            rows.append(count_check(s, f"{label} [{section}], {_T1_COLUMNS[c]}", k, run))
    for section, label, specs in _table1_median_expected():
        for c, spec in specs.items():
            text = cell(section, label, _T1_COLUMNS[c])
            want = (spec.median, spec.lo, spec.hi)
            item = f"{label}, {_T1_COLUMNS[c]}"
            if text is None:
                rows.append(
                    row(s, item, "median (range)", _median_text(spec), "not available", "", "miss")
                )
                continue
            same = len(_numbers(text)) == 3 and all(
                math.isclose(a, b, abs_tol=1e-9) for a, b in zip(_numbers(text), want, strict=True)
            )
            rows.append(
                row(
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


def table2_rows(t: Callable[[str], pd.DataFrame]) -> list[Row]:
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
                run = count_of(by_row.at[term, columns[i]])
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
                run = count_of(by_note.at[wording[key], column])
            rows.append(count_check(s, f"{wording[key]}, {column}", k, run))
    irr = "Any grade infusion-related reaction"
    run = count_of(by_note.at[irr, "Part A"]) if irr in by_note.index else None
    rows.append(count_check(s, f"{irr}, Part A", pt.PART_A_IRR_ANY_GRADE, run))
    return rows


def table3_rows(t: Callable[[str], pd.DataFrame]) -> list[Row]:
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
        return count_of(by_regimen[label]) if label in by_regimen.index else None

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
            "the paper gives 61% without a count: 23 of 38 (see notes)",
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
