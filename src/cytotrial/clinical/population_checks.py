"""Clinical rows that would fall out of an analysis population, and a trial's parse-time checks.

A row that silently drops out of (or changes) an analysis population is a wrong number in
the report: ``population_problems`` lists each, naming file, line, field and what was
expected. ``check_trial_inputs`` runs every parse-time check of a user's trial that needs
more than one input (the file checks of cytotrial.io.input_checks, and these).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from cytotrial.io.input_checks import (
    check_cutoff,
    check_fcs_files,
    check_samples_against_clinical,
)
from cytotrial.io.problems import raise_problems

__all__ = [
    "PART_B_COHORTS",
    "PART_TABLES",
    "population_problems",
    "check_analysis_populations",
    "check_trial_inputs",
]

PART_B_COHORTS = ("phase1", "phase2")
# Tables whose rows belong to a part: a part B row of a patient outside part B is read by
# no analysis (and says the patient was in part B after all).
PART_TABLES = ("baseline", "responses", "adverse_events", "supportive_care")


def population_problems(
    tables: Mapping[str, pd.DataFrame],
    sources: Mapping[str, str],
    cutoff: pd.Timestamp,
    derived: set[tuple[str, str]] = frozenset(),
) -> list[str]:
    """Rows that would drop out of (or silently change) an analysis population.

    patients.csv's part_b_cohort decides who is in part B (response rates, Table 1, Table 2
    count from it); dates.csv's registration and progression dates decide survival. They
    must agree, and every patient needs the rows each part's analyses read: a part A (and,
    in part B, a part B) baseline row and best response. `derived` holds the
    (patient_id, part) whose best response the IMWG engine derives from lab values: those
    need no reported row.
    """
    patients_csv = sources["patients"]
    cohort = dict(zip(tables["patients"]["patient_id"], tables["patients"]["part_b_cohort"],
                      strict=True))  # fmt: skip
    problems = []
    for position, row in enumerate(tables["dates"].to_dict("records")):
        pid = row["patient_id"]
        where = f"{sources['dates']}, line {position + 2} (patient_id {pid!r})"
        group = cohort.get(pid, "none")
        registered = row.get("part_b_registration")
        if row.get("part_b_end_reason") == "progression" and pd.isna(
            row.get("part_b_progression")
        ):  # the patient would be censored instead of counted as an event
            problems.append(
                f"{where}: field 'part_b_progression' is empty but 'part_b_end_reason' is "
                "'progression'; expected the date of progression (an empty date counts the "
                "patient as progression-free, censored, in PFS-B and PFS-AB)"
            )
        if group in PART_B_COHORTS and pd.isna(registered):
            problems.append(
                f"{where}: field 'part_b_registration' is empty but {patients_csv} has "
                f"part_b_cohort {group!r}; expected the part B registration date (without it "
                "the patient drops out of PFS-B, OS-B, PFS-AB and OS-AB but stays in part B's "
                "response rates)"
            )
        elif group in PART_B_COHORTS and registered > cutoff:
            problems.append(
                f"{where}: field 'part_b_registration' is after the data cut-off "
                f"({cutoff:%Y-%m-%d}) but {patients_csv} has part_b_cohort {group!r}; expected "
                "part B patients registered by the cut-off (or part_b_cohort 'none', "
                "not_in_part_b_reason 'still_in_part_a')"
            )
        elif group not in PART_B_COHORTS and pd.notna(registered):
            problems.append(
                f"{where}: field 'part_b_registration' is given but {patients_csv} has "
                f"part_b_cohort {group!r}; expected part_b_cohort 'phase1' or 'phase2' for a "
                "patient registered in part B, or no registration date"
            )
    for name in PART_TABLES:
        for position, row in enumerate(tables[name][["patient_id", "part"]].to_dict("records")):
            group = cohort.get(row["patient_id"], "none")
            if row["part"] == "B" and group not in PART_B_COHORTS:
                problems.append(
                    f"{sources[name]}, line {position + 2} (patient_id {row['patient_id']!r}): "
                    f"field 'part' is 'B' but {patients_csv} has part_b_cohort {group!r}; "
                    "expected part A rows only for a patient not enrolled in part B"
                )
    problems += _missing_part_rows(tables, sources, cohort, derived)
    return problems


def _missing_part_rows(
    tables: Mapping[str, pd.DataFrame],
    sources: Mapping[str, str],
    cohort: Mapping[str, str],
    derived: set[tuple[str, str]],
) -> list[str]:
    """Every patient's part A rows, every part B patient's part B rows (baseline, response)."""
    needed = [(pid, "A") for pid in cohort]
    needed += [(pid, "B") for pid, group in cohort.items() if group in PART_B_COHORTS]
    problems = []
    for name, field, consequence in (
        ("responses", "best_response", "it would count as not evaluable (NE)"),
        ("baseline", "age_years", "Table 1 cannot count the patient"),
    ):
        have = set(zip(tables[name]["patient_id"], tables[name]["part"], strict=True))
        for pid, part in needed:
            if (pid, part) in have or (name == "responses" and (pid, part) in derived):
                continue
            whose = "every patient" if part == "A" else f"every part B patient ({cohort[pid]})"
            labs = " (or lab values for the part in lab_values.csv)" if name == "responses" else ""
            problems.append(
                f"{sources[name]}: no row for patient_id {pid!r}, part {part!r}: field "
                f"{field!r} missing; expected a part {part} row for {whose}{labs}; without "
                f"it {consequence}"
            )
    return problems


def check_analysis_populations(
    tables: Mapping[str, pd.DataFrame], clinical_dir: str, cutoff_date: str
) -> None:
    """`population_problems` of a trial's tables as read (with lab_values when given), all
    listed at once. Lab rows after the cut-off derive nothing (as in the IMWG job)."""
    sources = {name: str(Path(clinical_dir) / f"{name}.csv") for name in tables}
    cutoff = pd.Timestamp(cutoff_date)
    derived: set[tuple[str, str]] = set()
    if "lab_values" in tables:  # lazy: the engine is only needed with lab values
        from cytotrial.clinical.imwg.engine import derived_windows
        from cytotrial.io.lab_values import labs_up_to

        labs = labs_up_to(tables["lab_values"], cutoff)
        windows = derived_windows(tables["dates"], tables["subsequent_therapies"], labs)
        derived = {(pid, window.part) for pid, _, window in windows}
    raise_problems(
        population_problems(tables, sources, cutoff, derived), "the clinical tables' populations"
    )


def check_trial_inputs(
    samples: pd.DataFrame,
    sheet: str,
    tables: Mapping[str, pd.DataFrame],
    clinical_dir: str,
    cutoff_date: str,
) -> None:
    """The parse-time checks of a user's trial that need more than one input."""
    patients_csv = str(Path(clinical_dir) / "patients.csv")
    check_fcs_files(samples, sheet)
    check_samples_against_clinical(samples, sheet, tables["patients"], patients_csv)
    check_cutoff(tables["dates"], str(Path(clinical_dir) / "dates.csv"), cutoff_date)
    check_analysis_populations(tables, clinical_dir, cutoff_date)
