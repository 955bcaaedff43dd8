"""Clinical part of the demo-trial simulator: the six clinical tables of a trial that
reproduces Frerichs et al., Blood Advances 2021 (daratumumab + ATRA, NCT02751255).

`simulate_clinical(seed)` returns 63 patients whose tables give, when analysed the
paper's way, every published count exactly (patient flow, responses, Table 1, Table 2,
Table 3, status at cut-off) and Kaplan-Meier medians within 15% of the published ones
(see paper_targets.py). `plan_flow_samples` says which peripheral-blood samples exist
(Figure 4's counts per part and timepoint). Both are deterministic in the seed and fast
(they run at Snakemake parse time): numpy and pandas only.

How the pieces fit:
- clinical_cohort: each patient's path (part B cohort, dose, entry reason, part A
  response, special roles) and the traits fixed per patient (patients.csv, drugs).
- clinical_survival: dates, calibrated to the KM medians.
- clinical_baseline: baseline.csv rows per part, exact Table 1 medians, ranges, counts.
- clinical_events: part B responses, adverse events (Table 2), subsequent therapy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cytotrial.io.atomic import atomic_path
from cytotrial.simulate import paper_targets as pt
from cytotrial.simulate.clinical.baseline import categorical_baseline, numeric_baseline
from cytotrial.simulate.clinical.cohort import (
    assign_drug_history,
    assign_fixed_traits,
    build_profiles,
)
from cytotrial.simulate.clinical.events import (
    TABLE2_ROWS,
    adverse_events,
    dlt_not_evaluable,
    part_b_responses,
    subsequent_therapies,
    supportive_care,
    to_dates,
)
from cytotrial.simulate.clinical.labs import LAB_STREAM, simulate_lab_values
from cytotrial.simulate.clinical.subsequent import line_outcomes
from cytotrial.simulate.clinical.survival import simulate_times, width_misses

__all__ = [
    "TABLE2_ROWS",
    "ClinicalTables",
    "plan_flow_samples",
    "simulate_clinical",
    "survival_width_misses",
]

# Independent random streams: np.random.default_rng([seed, stream]).
_STREAMS = {
    "profiles": 1,
    "traits": 2,
    "drugs": 3,
    "times": 4,
    "numeric": 5,
    "categorical": 6,
    "responses": 7,
    "adverse_events": 8,
    "therapies": 9,
    "flow": 10,
    "supportive_care": 11,
    "subsequent_outcome": 13,
    "lab_values": LAB_STREAM,  # drawn only when the tables are written (not at parse time)
}

PATIENT_COLUMNS = (
    "patient_id", "sex", "heavy_chain", "light_chain", "part_b_cohort", "atra_dose_mg_m2",
    "part_b_entry_reason", "not_in_part_b_reason", "dlt_evaluable", "dlt_description",
    "t_4_14", "t_14_16", "t_14_20", "del_17p", "amp_1q", "gain_1q", "del_1p", "del_13q",
    "cytogenetic_risk",
)  # fmt: skip
BASELINE_COLUMNS = (
    "patient_id", "part", "age_years", "who_performance", "plasmacytoma",
    "years_since_first_treatment", "prior_lines", "autologous_sct", "allogeneic_sct", "iss",
    *pt.DRUGS, *pt.LABS, "bm_plasma_cells_pct",
)  # fmt: skip
DATE_COLUMNS = (
    "part_a_start", "part_a_progression", "part_b_registration", "part_b_progression",
    "part_b_end_of_treatment", "death", "last_followup",
)  # fmt: skip
# Decimals written to the CSV files for float columns (others: integers or text).
FLOAT_DECIMALS = {
    "years_since_first_treatment": 2,
    **{lab: spec["A"].decimals for lab, spec in pt.LABS.items()},
}
TABLE_NAMES = (
    "patients", "baseline", "dates", "responses", "adverse_events", "subsequent_therapies",
    "supportive_care",
)  # fmt: skip
FLOW_COLUMNS = ("sample_id", "patient_id", "part", "timepoint", "acquisition_date")


@dataclass(frozen=True)
class ClinicalTables:
    """The clinical tables (config/schemas/*.schema.yaml); dates as Timestamps."""

    patients: pd.DataFrame
    baseline: pd.DataFrame
    dates: pd.DataFrame
    responses: pd.DataFrame
    adverse_events: pd.DataFrame
    subsequent_therapies: pd.DataFrame
    supportive_care: pd.DataFrame
    seed: int | None = None  # set by simulate_clinical: the lab values are drawn from it

    def lab_values(self) -> pd.DataFrame | None:
        """Serial lab values consistent with these tables (simulate/clinical_labs.py)."""
        if self.seed is None:
            return None
        return simulate_lab_values(
            self.patients, self.dates, self.responses, self.subsequent_therapies,
            self.baseline, self.seed,
        )  # fmt: skip

    def write(self, clinical_dir: Path) -> None:
        """Write patients.csv, baseline.csv, ... supportive_care.csv and, for simulated
        tables, lab_values.csv (comma-separated, YYYY-MM-DD, empty = missing, "\\n" line
        ends); each file replaced atomically."""
        clinical_dir = Path(clinical_dir)
        clinical_dir.mkdir(parents=True, exist_ok=True)
        tables = {name: getattr(self, name) for name in TABLE_NAMES}
        labs = self.lab_values()
        if labs is not None:
            tables["lab_values"] = labs
        for name, table in tables.items():
            with atomic_path(clinical_dir / f"{name}.csv") as tmp:
                _csv_ready(table).to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8")


def _csv_ready(table: pd.DataFrame) -> pd.DataFrame:
    """Dates as YYYY-MM-DD and floats with fixed decimals, as text ("" = missing)."""
    out = table.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            out[column] = values.dt.strftime("%Y-%m-%d").fillna("")
        elif pd.api.types.is_float_dtype(values):
            decimals = FLOAT_DECIMALS.get(column, 2)
            out[column] = [("" if np.isnan(v) else f"{v:.{decimals}f}") for v in values]
    return out


def simulate_clinical(seed: int) -> ClinicalTables:
    """The demo trial's clinical tables for this seed (same seed, same tables)."""

    def rng(stream: str) -> np.random.Generator:
        return np.random.default_rng([seed, _STREAMS[stream]])

    prof = build_profiles(rng("profiles"))
    traits = assign_fixed_traits(rng("traits"), prof)
    drugs = assign_drug_history(rng("drugs"), prof)
    trial = simulate_times(seed, _STREAMS["times"], prof)
    times, starts = trial.times, trial.starts
    numeric_a, numeric_b = numeric_baseline(rng("numeric"), prof, drugs, times.b_reg.dropna())
    categorical = categorical_baseline(rng("categorical"), prof)
    pfs_days = times.b_prog.fillna(times.death) - times.b_reg
    resp_b = part_b_responses(prof, pfs_days, trial.kind, rng("responses"))
    not_evaluable = dlt_not_evaluable(prof, times)
    ae = _sorted(
        adverse_events(rng("adverse_events"), prof, times, starts, chest_pain=not_evaluable[-1]),
        ["patient_id", "part", "onset_date", "term", "grade"],
    )
    dates = _dates_table(prof, times, starts, trial.end_reason)
    therapies = subsequent_therapies(rng("therapies"), prof, times, starts, trial.kind, drugs)
    therapies = line_outcomes(rng("subsequent_outcome"), therapies, dates)
    return ClinicalTables(
        patients=_patients_table(prof, traits, not_evaluable),
        baseline=_baseline_table(prof, drugs, numeric_a, numeric_b, categorical),
        dates=dates,
        responses=_responses_table(prof, resp_b),
        adverse_events=ae,
        subsequent_therapies=_sorted(therapies, ["patient_id", "line"]),
        supportive_care=_sorted(
            supportive_care(rng("supportive_care"), prof, times, starts, ae),
            ["patient_id", "part", "start_date", "support"],
        ),
        seed=seed,
    )


def survival_width_misses(seed: int) -> list[tuple[str, str]]:
    """The Kaplan-Meier median CIs of this seed's trial outside 25% of the paper's width
    (survival.width_misses; the same times as `simulate_clinical(seed)`)."""
    prof = build_profiles(np.random.default_rng([seed, _STREAMS["profiles"]]))
    return width_misses(simulate_times(seed, _STREAMS["times"], prof), prof)


def _sorted(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return table.sort_values(keys, kind="stable").reset_index(drop=True)


def _patients_table(
    prof: pd.DataFrame, traits: pd.DataFrame, not_evaluable: list[int]
) -> pd.DataFrame:
    table = pd.concat([prof[["patient_id"]], traits], axis=1)
    table["part_b_cohort"] = prof.group.map({"B1": "phase1", "B2": "phase2", "R": "none"})
    table["atra_dose_mg_m2"] = prof.dose.astype("Int64")
    table["part_b_entry_reason"] = prof.entry_reason
    table["not_in_part_b_reason"] = prof.not_in_b_reason
    # Phase 1: DLT-evaluable except two replaced patients at 45 mg/m2; no DLT anywhere.
    table["dlt_evaluable"] = np.where(prof.group.eq("B1"), "yes", None)
    table.loc[not_evaluable, "dlt_evaluable"] = "no"
    table["dlt_description"] = None
    return table[list(PATIENT_COLUMNS)]


def _baseline_table(
    prof: pd.DataFrame,
    drugs: pd.DataFrame,
    numeric_a: pd.DataFrame,
    numeric_b: pd.DataFrame,
    categorical: pd.DataFrame,
) -> pd.DataFrame:
    """Part A rows for all, part B rows for part-B patients (daratumumab refractory)."""
    part_a = pd.concat([prof[["patient_id"]], categorical, drugs, numeric_a], axis=1)
    part_a.insert(1, "part", "A")
    in_b = numeric_b.index
    part_b = pd.concat(
        [prof.loc[in_b, ["patient_id"]], categorical.loc[in_b], drugs.loc[in_b], numeric_b],
        axis=1,
    )
    part_b.insert(1, "part", "B")
    part_b["daratumumab"] = "refractory"
    part_b["bm_plasma_cells_pct"] = np.nan
    table = pd.concat([part_a, part_b], ignore_index=True)
    for lab, spec in pt.LABS.items():
        table[lab] = table[lab].round(spec["A"].decimals)
        if spec["A"].decimals == 0:
            table[lab] = table[lab].astype(int)
    table["years_since_first_treatment"] = table.years_since_first_treatment.round(2)
    table["who_performance"] = table.who_performance.astype("Int64")
    table["bm_plasma_cells_pct"] = table.bm_plasma_cells_pct.round().astype("Int64")
    return _sorted(table[list(BASELINE_COLUMNS)], ["patient_id", "part"])


def _dates_table(
    prof: pd.DataFrame, times: pd.DataFrame, starts: np.ndarray, end_reason: np.ndarray
) -> pd.DataFrame:
    def date(offset: pd.Series) -> np.ndarray:
        days = offset.to_numpy(dtype=float)
        out = np.full(days.size, np.datetime64("NaT"), dtype="datetime64[ns]")
        ok = ~np.isnan(days)
        out[ok] = to_dates(starts[ok] + days[ok].astype(np.int64))
        return out

    table = pd.DataFrame({"patient_id": prof.patient_id})
    table["part_a_start"] = to_dates(starts)
    table["part_a_progression"] = date(times.a_prog)
    table["part_b_registration"] = date(times.b_reg)
    table["part_b_progression"] = date(times.b_prog)
    table["part_b_end_of_treatment"] = date(times.b_end)
    table["part_b_end_reason"] = pd.Series(end_reason, dtype=object).replace("", None)
    table["death"] = date(times.death)
    table["last_followup"] = date(times.last_fu)
    return table[["patient_id", *DATE_COLUMNS[:5], "part_b_end_reason", *DATE_COLUMNS[5:]]]


def _responses_table(prof: pd.DataFrame, resp_b: pd.Series) -> pd.DataFrame:
    part_a = pd.DataFrame(
        {"patient_id": prof.patient_id, "part": "A", "best_response": prof.resp_a}
    )
    in_b = resp_b.notna()
    part_b = pd.DataFrame(
        {"patient_id": prof.patient_id[in_b], "part": "B", "best_response": resp_b[in_b]}
    )
    return _sorted(pd.concat([part_a, part_b], ignore_index=True), ["patient_id", "part"])


# --- flow cytometry samples -----------------------------------------------------------


def _choose(
    rng: np.random.Generator,
    eligible: list[str],
    k: int,
    preferred: set[str] | None = None,
    outside: int = 0,
) -> set[str]:
    """k of the eligible patients; at most `outside` of them not in `preferred`."""
    if len(eligible) < k:
        raise ValueError(f"only {len(eligible)} patients can give a sample, {k} needed")
    if preferred is None:
        return {str(p) for p in rng.choice(eligible, size=k, replace=False)}
    inside = [p for p in eligible if p in preferred]
    rest = [p for p in eligible if p not in preferred]
    n_out = min(outside, len(rest), k)
    n_in = min(k - n_out, len(inside))
    n_out = k - n_in
    chosen = set(rng.choice(inside, size=n_in, replace=False)) if n_in else set()
    if n_out:
        chosen |= set(rng.choice(rest, size=n_out, replace=False))
    return {str(p) for p in chosen}


def plan_flow_samples(tables: ClinicalTables, seed: int) -> pd.DataFrame:
    """The peripheral-blood flow samples of the demo trial (Figure 4's counts).

    Columns sample_id (PATIENT_PART_TIMEPOINT), patient_id, part, timepoint,
    acquisition_date (YYYY-MM-DD); sorted by sample_id. A sample exists only while
    the patient is on the part's treatment; most later samples have a baseline partner
    (the paper's paired tests).
    """
    rng = np.random.default_rng([seed, _STREAMS["flow"]])
    d = tables.dates.set_index("patient_id")
    resp_a = tables.responses.query("part == 'A'").set_index("patient_id").best_response
    day = pd.Timedelta(days=1)
    ids = list(d.index)
    in_b = [p for p in ids if pd.notna(d.part_b_registration[p])]

    def on_part_a(p: str, when: pd.Timestamp) -> bool:
        stops = [d.part_a_progression[p], d.part_b_registration[p], d.last_followup[p]]
        return resp_a[p] != "NE" and all(pd.isna(s) or s > when for s in stops)

    def on_part_b(p: str, when: pd.Timestamp) -> bool:
        end = d.part_b_end_of_treatment[p]
        return (pd.isna(end) or end >= when) and d.last_followup[p] >= when

    counts = pt.FLOW_SAMPLE_COUNTS
    a1 = _choose(rng, ids, counts[("A", "C1D1")])
    a2_when = {p: d.part_a_start[p] + 28 * day for p in ids}
    a2 = _choose(
        rng, [p for p in ids if on_part_a(p, a2_when[p])], counts[("A", "C2D1")], a1, outside=2
    )
    b3 = _choose(rng, [p for p in in_b if on_part_b(p, d.part_b_registration[p] + 2 * day)],
                 counts[("B", "C1D3")])  # fmt: skip
    c2d3_when = {p: d.part_b_registration[p] + 30 * day for p in in_b}
    b23 = _choose(
        rng, [p for p in in_b if on_part_b(p, c2d3_when[p])], counts[("B", "C2D3")], b3, outside=3
    )
    progressed = [p for p in in_b if pd.notna(d.part_b_progression[p])]
    eot = _choose(rng, progressed, counts[("B", "EOT")])
    plan = [
        ("A", "C1D1", a1, lambda p: d.part_a_start[p]),
        ("A", "C2D1", a2, lambda p: a2_when[p]),
        ("B", "C1D1", set(in_b), lambda p: d.part_b_registration[p]),
        ("B", "C1D3", b3, lambda p: d.part_b_registration[p] + 2 * day),
        ("B", "C2D3", b23, lambda p: c2d3_when[p]),
        ("B", "EOT", eot, lambda p: d.part_b_progression[p]),
    ]
    rows = [
        (f"{p}_{part}_{tp}", p, part, tp, when(p).strftime("%Y-%m-%d"))
        for part, tp, patients, when in plan
        for p in sorted(patients)
    ]
    table = pd.DataFrame(rows, columns=list(FLOW_COLUMNS))
    return table.sort_values("sample_id", kind="stable").reset_index(drop=True)
