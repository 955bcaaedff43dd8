"""Table 1: baseline characteristics per part A / part B phase 1 / part B phase 2.

Columns: part A = every enrolled patient at the part A baseline; part B phase 1 / phase 2 =
the part B baseline rows of the patients in that cohort (patient-level traits such as sex and
cytogenetics come from patients.csv). Rows follow the paper; a row of "Unknown" (or any other
category beyond the paper's) appears only when some column has a patient in it, so the counts
of every shown section add up to the column's n. Exposed includes refractory.

Empty cells arrive with their documented meaning (cytotrial.io.inputs fills the schema defaults:
cytogenetic_risk empty = not_available, a finding or a transplant empty = unknown), so no
patient drops out of a row silently. A cytogenetic abnormality's "unknown" row appears when
some patient's status is unknown although their cytogenetic risk is available; patients
without any cytogenetics are the risk profile's "Not available" row (as in the paper).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from cytotrial.clinical.formatting import count_percent
from cytotrial.clinical.population import rp2d_patients
from cytotrial.errors import InputError

__all__ = [
    "baseline_cells",
    "baseline_table",
    "Cell",
]

_COLUMNS = (
    ("A", "Part A"),
    ("B1", "Part B phase 1"),
    ("B2", "Part B phase 2"),
    # the efficacy population (phase 1 at the RP2D + phase 2), at part B entry: the paper's
    # text quotes it (32/44 triple-class refractory) though its Table 1 has no such column
    ("RP2D", "Part B at RP2D"),
)
_IMIDS = ("thalidomide", "lenalidomide", "pomalidomide")
_PIS = ("bortezomib", "carfilzomib", "ixazomib")
_ANTIBODIES = ("daratumumab", "elotuzumab", "durvalumab")
_CD38_ANTIBODIES = ("daratumumab",)
_CYTOGENETICS = (
    ("t(4;14)", "t_4_14"),
    ("t(14;16)", "t_14_16"),
    ("t(14;20)", "t_14_20"),
    ("del(17p)", "del_17p"),
    ("amp(1q)", "amp_1q"),
    ("del(1p)", "del_1p"),
    ("del(13q)", "del_13q"),
)
# label, column, decimals
_LABS = (
    ("Absolute neutrophil count, ×10⁹/L", "neutrophils_1e9_per_l", 2),
    ("Hemoglobin level, mmol/L", "hemoglobin_mmol_per_l", 1),
    ("Platelet count, ×10⁹/L", "platelets_1e9_per_l", 0),
    ("Creatinine, µmol/L", "creatinine_umol_per_l", 0),
    ("Calcium (corrected for albumin), mmol/L", "calcium_corrected_mmol_per_l", 2),
    ("LDH, U/L", "ldh_u_per_l", 0),
    ("Bone marrow plasma cells in biopsy, %", "bm_plasma_cells_pct", 0),
)


@dataclass(frozen=True)
class Cell:
    """One cell: a count (n of N) or a median (range) of the non-missing values."""

    n: int | None = None
    denominator: int = 0
    median: float = math.nan
    low: float = math.nan
    high: float = math.nan
    available: int = 0
    decimals: int = 0

    def text(self) -> str:
        if self.n is not None:
            if self.n == 0 or self.denominator == 0:
                return str(self.n)
            if self.n == self.denominator:
                return f"{self.n} (100)"
            return count_percent(self.n, self.denominator, digits=1)
        if self.available == 0:
            return "NA"
        d = self.decimals
        med = self.median
        med_d = d if float(med).is_integer() or d > 0 else 1  # a half-way median keeps its .5
        body = f"{med:.{med_d}f} ({self.low:.{d}f}-{self.high:.{d}f})"
        if self.available < self.denominator:
            body += f" [n={self.available}]"
        return body


def _table1_columns(
    patients: pd.DataFrame, baseline: pd.DataFrame, rp2d_mg_m2: float
) -> dict[str, pd.DataFrame]:
    """Baseline rows of each Table 1 column, with patients.csv joined."""
    base = baseline.merge(patients, on="patient_id", how="left", validate="many_to_one")
    cohorts = patients.set_index("patient_id")["part_b_cohort"]
    out = {"A": base[base["part"] == "A"]}
    missing_a = sorted(set(patients["patient_id"]) - set(out["A"]["patient_id"]))
    if missing_a:
        raise InputError(f"baseline.csv: no part A row for patient(s) {', '.join(missing_a[:5])}")
    for key, cohort in (("B1", "phase1"), ("B2", "phase2")):
        rows = base[(base["part"] == "B") & (base["part_b_cohort"] == cohort)]
        expected = set(cohorts.index[cohorts == cohort])
        missing = sorted(expected - set(rows["patient_id"]))
        if missing:
            raise InputError(
                f"baseline.csv: no part B row for {cohort} patient(s) {', '.join(missing[:5])}"
            )
        out[key] = rows
    part_b = base[base["part"] == "B"]
    out["RP2D"] = part_b[part_b["patient_id"].isin(rp2d_patients(patients, rp2d_mg_m2))]
    return out


def _count(rows: pd.DataFrame, mask: pd.Series) -> Cell:
    return Cell(n=int(mask.sum()), denominator=len(rows))


def _summary(rows: pd.DataFrame, column: str, decimals: int) -> Cell:
    values = pd.to_numeric(rows[column], errors="coerce").dropna()
    if values.empty:
        return Cell(denominator=len(rows), decimals=decimals)
    return Cell(
        median=float(values.median()),
        low=float(values.min()),
        high=float(values.max()),
        available=len(values),
        denominator=len(rows),
        decimals=decimals,
    )


def _refractory(rows: pd.DataFrame, drugs: tuple[str, ...]) -> pd.Series:
    return rows[list(drugs)].eq("refractory").any(axis=1)


def _unknown(values: pd.Series) -> pd.Series:
    """Neither yes nor no (the schema's 'unknown', or anything else that is not an answer)."""
    return ~values.isin(["yes", "no"])


def _unknown_beyond_not_available(column: str):
    """Shown when a patient with an available risk profile has `column` unknown: the
    'Not available' risk row does not account for them."""

    def shown(rows: pd.DataFrame) -> bool:
        return bool((_unknown(rows[column]) & (rows["cytogenetic_risk"] != "not_available")).any())

    return shown


def _row_specs() -> list[tuple[str, str, object, object]]:
    """(section, label, function rows -> Cell, shown: True = always, False = when some
    column counts a patient, or a function of a column's rows)."""
    specs: list[tuple[str, str, object, object]] = []

    def count(section: str, label: str, test, always: bool = True) -> None:
        specs.append((section, label, lambda r, t=test: _count(r, t(r)), always))

    def summary(section: str, label: str, column: str, decimals: int) -> None:
        specs.append((section, label, lambda r: _summary(r, column, decimals), True))

    age = "Age"
    summary(age, "Median age, y (range)", "age_years", 0)
    count(age, "<65, n (%)", lambda r: r["age_years"] < 65)
    count(age, "65 to <75, n (%)", lambda r: r["age_years"].between(65, 75, inclusive="left"))
    count(age, "≥75, n (%)", lambda r: r["age_years"] >= 75)
    sex = "Sex, n (%)"
    count(sex, "Female", lambda r: r["sex"] == "female")
    count(sex, "Male", lambda r: r["sex"] == "male")
    who = "WHO performance score, n (%)"
    for score in range(5):
        count(who, str(score), lambda r, s=score: r["who_performance"] == s, always=score <= 2)
    count(who, "Unknown", lambda r: r["who_performance"].isna(), always=False)
    pc = "Extramedullary plasmacytomas, n (%)"
    count(pc, "No", lambda r: r["plasmacytoma"] == "no")
    count(pc, "Yes", lambda r: r["plasmacytoma"] == "yes")
    count(pc, "Unknown", lambda r: ~r["plasmacytoma"].isin(["no", "yes"]), always=False)
    hc = "Type of monoclonal heavy chain, n (%)"
    for label, value, always in (
        ("IgG", "IgG", True),
        ("IgA", "IgA", True),
        ("IgD", "IgD", False),
        ("IgM", "IgM", False),
        ("Light chain only", "light_chain_only", True),
        ("Bence-Jones", "bence_jones", True),
    ):
        count(hc, label, lambda r, v=value: r["heavy_chain"] == v, always=always)
    lc = "Type of light chain, n (%)"
    count(lc, "Kappa", lambda r: r["light_chain"] == "kappa")
    count(lc, "Lambda", lambda r: r["light_chain"] == "lambda")
    tx = "Prior treatment"
    summary(
        tx,
        "Time since start first treatment, median years (range)",
        "years_since_first_treatment",
        1,
    )
    summary(tx, "Prior lines of treatment, median (range)", "prior_lines", 0)
    count(tx, ">3 prior lines, n (%)", lambda r: r["prior_lines"] > 3)
    for label, column in (("Autologous", "autologous_sct"), ("Allogeneic", "allogeneic_sct")):
        count(tx, f"{label} SCT, n (%)", lambda r, c=column: r[c] == "yes")
        count(tx, f"{label} SCT, unknown", lambda r, c=column: _unknown(r[c]), always=False)
    count(
        tx,
        "Double-class refractory (IMiD + PI), n (%)",
        lambda r: _refractory(r, _IMIDS) & _refractory(r, _PIS),
    )
    count(
        tx,
        "Triple-class refractory (IMiD + PI + CD38 antibody), n (%)",
        lambda r: _refractory(r, _IMIDS) & _refractory(r, _PIS) & _refractory(r, _CD38_ANTIBODIES),
    )
    for section, drugs in (
        ("Prior IMiD, n (%)", _IMIDS),
        ("Prior PI, n (%)", _PIS),
        ("Prior monoclonal antibody, n (%)", _ANTIBODIES),
    ):
        for drug in drugs:
            name = drug.capitalize()
            count(section, f"{name}, exposed", lambda r, d=drug: r[d] != "not_exposed")
            count(section, f"{name}, refractory", lambda r, d=drug: r[d] == "refractory")
    iss = "ISS at registration, n (%)"
    for stage in ("I", "II", "III"):
        count(iss, stage, lambda r, s=stage: r["iss"] == s)
    count(iss, "Unknown", lambda r: ~r["iss"].isin(["I", "II", "III"]))
    cg = "Cytogenetic abnormalities, n (%)"
    for label, column in _CYTOGENETICS:
        count(cg, label, lambda r, c=column: r[c] == "yes")
        specs.append((cg, f"{label}, unknown", lambda r, c=column: _count(r, _unknown(r[c])),
                      _unknown_beyond_not_available(column)))  # fmt: skip
    risk = "Cytogenetic risk profile, n (%)"
    count(risk, "High-risk", lambda r: r["cytogenetic_risk"] == "high")
    count(risk, "Standard-risk", lambda r: r["cytogenetic_risk"] == "standard")
    count(risk, "Not available", lambda r: r["cytogenetic_risk"] == "not_available")
    labs = "Laboratory values at baseline, median (range)"
    for label, column, decimals in _LABS:
        summary(labs, label, column, decimals)
    return specs


def baseline_cells(
    patients: pd.DataFrame, baseline: pd.DataFrame, rp2d_mg_m2: float
) -> list[tuple[str, str, dict[str, Cell]]]:
    """Every shown row of Table 1 as (section, label, {column key: Cell})."""
    columns = _table1_columns(patients, baseline, rp2d_mg_m2)
    out = []
    for section, label, make, shown in _row_specs():
        cells = {key: make(columns[key]) for key, _ in _COLUMNS}
        if callable(shown):
            show = any(shown(columns[key]) for key, _ in _COLUMNS)
        else:
            show = shown or any((c.n or 0) > 0 for c in cells.values())
        if show:
            out.append((section, label, cells))
    return out


def baseline_table(
    patients: pd.DataFrame, baseline: pd.DataFrame, rp2d_mg_m2: float
) -> pd.DataFrame:
    """Table 1 as text: section, characteristic, one column per part and one for the RP2D
    population ("n (%)", "median (range)")."""
    columns = _table1_columns(patients, baseline, rp2d_mg_m2)
    headers = {key: f"{label} (n={len(columns[key])})" for key, label in _COLUMNS}
    rows = []
    for section, label, cells in baseline_cells(patients, baseline, rp2d_mg_m2):
        row = {"section": section, "characteristic": label}
        row.update({headers[key]: cells[key].text() for key, _ in _COLUMNS})
        rows.append(row)
    return pd.DataFrame(rows, columns=["section", "characteristic", *headers.values()])
