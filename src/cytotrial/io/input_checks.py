"""Checks across rows and tables that a per-row JSON schema cannot express.

Schemas (cytotrial.io.validation) check each row alone. Here: dates that contradict each
other (progression before registration, death before progression), dates after the
cut-off or in the future, patients missing from patients.csv or dates.csv, sample-sheet
patients the clinical tables do not know, FCS files that do not exist. (Rows that would
fall out of an analysis population are domain checks: cytotrial.clinical.population_checks,
which also runs all of a trial's parse-time checks.) Every problem
names the file, the line (header = line 1) or the row's ID, the field(s) and what was
expected; all problems are reported at once (up to MAX_REPORTED). Messages quote no
patient dates (dates can identify a patient): the line and field say where to look.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

import pandas as pd

from cytotrial.errors import InputError
from cytotrial.io.problems import raise_problems
from cytotrial.io.validation import load_schema

__all__ = [
    "check_clinical_tables",
    "future_date_problems",
    "check_cutoff",
    "check_samples_against_clinical",
    "check_fcs_files",
    "check_distinct_fcs_content",
    "check_config_files",
    "normalise_config",
    "check_config",
    "past_date_problem",
]

# (earlier, later): the later date may not precede the earlier one.
DATE_ORDER = (
    ("part_a_start", "part_a_progression"),
    ("part_a_start", "part_b_registration"),
    ("part_a_start", "death"),
    ("part_a_start", "last_followup"),
    ("part_b_registration", "part_b_progression"),
    ("part_b_registration", "part_b_end_of_treatment"),
    ("part_a_progression", "death"),
    ("part_b_registration", "death"),
    ("part_b_progression", "death"),
    ("last_followup", "death"),  # last known alive; the death date for those who died
)
# Reading of each date in messages ("progression before registration").
DATE_MEANING = {
    "part_a_start": "part A registration",
    "part_a_progression": "part A progression",
    "part_b_registration": "part B registration",
    "part_b_progression": "part B progression",
    "part_b_end_of_treatment": "part B end of treatment",
    "death": "death",
    "last_followup": "last follow-up",
}
PART_B_DATES = ("part_b_progression", "part_b_end_of_treatment")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def check_clinical_tables(
    tables: Mapping[str, pd.DataFrame], sources: Mapping[str, str], today: dt.date | None = None
) -> None:
    """Cross-row and cross-table checks of the clinical tables (dates already parsed).

    `sources` maps table name -> file name for messages; `today` (default: the real date)
    is the limit for dates in the future.
    """
    problems = _date_order_problems(tables["dates"], sources["dates"])
    problems += future_date_problems(tables, sources, pd.Timestamp(today or dt.date.today()))
    problems += _unknown_patient_problems(tables, sources)
    problems += _subsequent_line_problems(tables, sources)
    raise_problems(problems, "the clinical tables")


def _subsequent_line_problems(
    tables: Mapping[str, pd.DataFrame], sources: Mapping[str, str]
) -> list[str]:
    """A subsequent line's progression_date needs its start_date, on or before it, and
    cannot come after the patient's death or last follow-up (dates.csv)."""
    lines = tables.get("subsequent_therapies")
    if lines is None or "progression_date" not in lines:
        return []
    dates = tables["dates"].drop_duplicates("patient_id").set_index("patient_id")
    problems = []
    for position, row in enumerate(lines.to_dict("records")):
        progression = row.get("progression_date")
        if pd.isna(progression):
            continue
        where = (
            f"{sources['subsequent_therapies']}, line {position + 2} "
            f"(patient_id {row['patient_id']!r}, line {row.get('line')})"
        )
        start = row.get("start_date")
        if pd.isna(start):
            problems.append(
                f"{where}: field 'progression_date' is given but 'start_date' is empty; "
                "expected the line's start date"
            )
        elif progression < start:
            problems.append(
                f"{where}: field 'progression_date' ({progression:%Y-%m-%d}) is before "
                f"'start_date' ({start:%Y-%m-%d}); expected progression on or after the start"
            )
        if row["patient_id"] not in dates.index:
            continue  # reported by _unknown_patient_problems
        for field in ("death", "last_followup"):
            limit = dates.at[row["patient_id"], field] if field in dates else pd.NaT
            if pd.notna(limit) and progression > limit:
                problems.append(
                    f"{where}: field 'progression_date' ({progression:%Y-%m-%d}) is after "
                    f"'{field}' ({limit:%Y-%m-%d}) in {sources['dates']}; expected progression "
                    f"on or before the {field.replace('_', ' ')}"
                )
    return problems


def _date_order_problems(dates: pd.DataFrame, source: str) -> list[str]:
    """Per patient: each later event on or after the earlier one; part B dates need part B."""
    problems = []
    for position, row in enumerate(dates.to_dict("records")):
        where = f"{source}, line {position + 2} (patient_id {row['patient_id']!r})"
        for earlier, later in DATE_ORDER:
            first, second = row.get(earlier), row.get(later)
            if pd.notna(first) and pd.notna(second) and second < first:
                problems.append(
                    f"{where}: field '{later}' is before '{earlier}': "
                    f"{DATE_MEANING[later]} before {DATE_MEANING[earlier]}; "
                    f"expected {later} on or after {earlier}"
                )
        if pd.isna(row.get("part_b_registration")):
            for field in PART_B_DATES:
                if pd.notna(row.get(field)):
                    problems.append(
                        f"{where}: field '{field}' is given but 'part_b_registration' is "
                        "empty; expected a part B registration date for part B events"
                    )
    return problems


def future_date_problems(
    tables: Mapping[str, pd.DataFrame], sources: Mapping[str, str], today: pd.Timestamp
) -> list[str]:
    """Dates after today cannot have been observed: a typing error (2061 for 2016)."""
    problems = []
    for name, table in tables.items():
        for column in table.columns:
            if not pd.api.types.is_datetime64_any_dtype(table[column]):
                continue
            for position in (table[column] > today).to_numpy().nonzero()[0]:
                row = table.iloc[position]
                problems.append(
                    f"{sources[name]}, line {position + 2} (patient_id {row['patient_id']!r}): "
                    f"field '{column}' is in the future; "
                    f"expected a date on or before {today:%Y-%m-%d}"
                )
    return problems


def _unknown_patient_problems(
    tables: Mapping[str, pd.DataFrame], sources: Mapping[str, str]
) -> list[str]:
    """Every table's patients must be in patients.csv; every patient needs a dates row."""
    known = set(tables["patients"]["patient_id"])
    problems = []
    for name, table in tables.items():
        if name == "patients" or "patient_id" not in table:
            continue
        for position, patient in enumerate(table["patient_id"]):
            if patient not in known:
                problems.append(
                    f"{sources[name]}, line {position + 2}: patient_id {patient!r} is not in "
                    f"{sources['patients']}; expected a patient listed there"
                )
    dated = set(tables["dates"]["patient_id"])
    for position, patient in enumerate(tables["patients"]["patient_id"]):
        if patient not in dated:
            problems.append(
                f"{sources['patients']}, line {position + 2}: patient_id {patient!r} has no row "
                f"in {sources['dates']}; expected registration and follow-up dates"
            )
    return problems


def check_cutoff(dates: pd.DataFrame, source: str, cutoff_date: str) -> None:
    """A patient registered after the data cut-off cannot be in the analysed data.

    Later events (progression, death) are fine: the analysis ignores them by design.
    """
    cutoff = pd.Timestamp(cutoff_date)
    problems = [
        f"{source}, line {position + 2} (patient_id {row['patient_id']!r}): field "
        f"'part_a_start' is after the data cut-off ({cutoff_date}, config cutoff_date); "
        "expected registration on or before the cut-off"
        for position, row in enumerate(dates.to_dict("records"))
        if pd.notna(row["part_a_start"]) and row["part_a_start"] > cutoff
    ]
    raise_problems(problems, source)


def check_samples_against_clinical(
    samples: pd.DataFrame, sheet: str, patients: pd.DataFrame, patients_source: str
) -> None:
    """Each sample's patient is in patients.csv; part B samples only for part B patients."""
    cohort = dict(zip(patients["patient_id"], patients.get("part_b_cohort", ""), strict=True))
    problems = []
    for row in samples.to_dict("records"):
        where = f"{sheet}: sample_id {row['sample_id']!r}"
        patient = row["patient_id"]
        if patient not in cohort:
            problems.append(
                f"{where}: patient_id {patient!r} is not in {patients_source}; expected "
                "every sampled patient in the clinical tables"
            )
        elif row["part"] == "B" and not _in_part_b(cohort[patient]):
            problems.append(
                f"{where}: part 'B' but patient {patient!r} has part_b_cohort 'none' in "
                f"{patients_source}; expected part A, or the patient enrolled in part B"
            )
    raise_problems(problems, sheet)


def _in_part_b(cohort: object) -> bool:
    """An empty part_b_cohort means 'none' (the schema's default)."""
    return isinstance(cohort, str) and cohort not in ("", "none")


def check_fcs_files(samples: pd.DataFrame, sheet: str) -> None:
    """Every sample's FCS file exists (relative paths from the working directory)."""
    problems = [
        f"{sheet}: sample_id {row['sample_id']!r}: field 'fcs': file {row['fcs']!r} not "
        "found; expected the path of an existing FCS file (relative to the working "
        "directory, or absolute)"
        for row in samples.to_dict("records")
        if not Path(row["fcs"]).is_file()
    ]
    raise_problems(problems, sheet)


def check_distinct_fcs_content(
    samples: pd.DataFrame, sheet: str, sha256: Mapping[str, str]
) -> None:
    """No two samples share one FCS content (`sha256`: sample_id -> the file's SHA-256).

    A file listed for two samples, or copied under a second name, would pair a sample
    with itself: a paired test would count a zero difference that was never measured.
    """
    groups: dict[str, list[str]] = {}
    for sample in samples["sample_id"]:
        # Empty files are left to the job: each fails its own sample ("file is empty"),
        # so they cannot turn into a measured zero difference.
        if sha256[sample] != EMPTY_SHA256:
            groups.setdefault(sha256[sample], []).append(sample)
    shared = [ids for ids in groups.values() if len(ids) > 1]
    if not shared:
        return
    lines = _sheet_lines(sheet)
    fcs_of = dict(zip(samples["sample_id"], samples["fcs"], strict=True))
    problems = []
    for ids in shared:
        ids = sorted(ids, key=lambda sample: (lines.get(sample, 0), sample))
        named = [
            f"sample_id {sample!r}" + (f" (line {lines[sample]})" if sample in lines else "")
            for sample in ids
        ]
        same = len({str(Path(fcs_of[sample]).resolve()) for sample in ids}) == 1
        problems.append(
            f"{', '.join(named[:-1])} and {named[-1]}: field 'fcs': identical content "
            + ("(the same file listed twice" if same else "(copies of one file")
            + f", SHA-256 {sha256[ids[0]][:12]}...); expected each sample's own FCS file "
            "(one file for two samples would compare a sample with itself)"
        )
    raise_problems([f"{sheet}: {problem}" for problem in problems], sheet)


def _sheet_lines(sheet: str) -> dict[str, int]:
    """sample_id -> its line in the sheet (header = line 1); empty if the sheet is unreadable."""
    from cytotrial.io.table_reader import read_table

    try:
        ids = read_table(sheet, sep="\t")["sample_id"]
    except (InputError, KeyError, ValueError):
        return {}
    return {sample: position + 2 for position, sample in enumerate(ids)}


# Config keys that name files or folders (empty = not used), and what each must be.
CONFIG_PATHS = (
    (("sample_sheet",), "file", "a tab-separated sample sheet"),
    (("clinical_dir",), "folder", "the folder of the clinical CSV tables"),
    (("panel",), "file", "the panel file (YAML)"),
    (("gating_template",), "file", "the gating template (YAML)"),
    (("clinical", "ae_table_rows"), "file", "the adverse-event table layout (YAML)"),
    (("flow", "controls_sheet"), "file", "the tab-separated controls sheet"),
    (("flow", "review"), "file", "the review file of gating decisions (YAML)"),
)


def check_config_files(config: Mapping[str, object]) -> None:
    """Every file or folder the config names exists (relative to the working directory)."""
    problems = []
    for keys, kind, what in CONFIG_PATHS:
        value: object = config
        for key in keys:
            value = value.get(key, "") if isinstance(value, Mapping) else ""
        if not isinstance(value, str) or not value:
            continue
        path = Path(value)
        if not (path.is_dir() if kind == "folder" else path.is_file()):
            problems.append(
                f"config {'.'.join(keys)}: {kind} {value!r} not found (working directory "
                f"{Path.cwd()}); expected {what}"
            )
    raise_problems(problems, "the config")


def normalise_config(config: MutableMapping[str, Any]) -> None:
    """Before the schema sees it: YAML reads an unquoted `cutoff_date: 2020-10-01` as a
    date; from here on it is the ISO text everything downstream expects."""
    value = config.get("cutoff_date")
    if isinstance(value, dt.datetime):  # a subclass of date: test it first
        raise InputError(
            f"config cutoff_date: {value} has a time of day; expected a date (YYYY-MM-DD)"
        )
    if isinstance(value, dt.date):
        config["cutoff_date"] = value.isoformat()


def check_config(
    config: Mapping[str, Any], schema_dir: Path | None = None, today: dt.date | None = None
) -> None:
    """What the config schema cannot say: the cut-off is a real date and not in the future
    (`today`, default the real date); each comparison is of two different timepoints of its
    part, earlier first, and listed once. Run after the schema (defaults filled in)."""
    problems = _cutoff_problems(str(config["cutoff_date"]), today or dt.date.today())
    problems += _comparison_problems(config["flow"]["comparisons"], _part_timepoints(schema_dir))
    raise_problems(problems, "the config")


def past_date_problem(value: str, today: dt.date, expected: str) -> str | None:
    """A YYYY-MM-DD text that is no real date (2020-02-30) or lies after `today` (a typing
    error: nothing recorded can be dated later than now); `expected` says what was meant."""
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        return f"{value!r} is not a real date (expected YYYY-MM-DD)"
    if date > today:
        return f"{value} is after today ({today.isoformat()}); expected {expected}"
    return None


def _cutoff_problems(cutoff_date: str, today: dt.date) -> list[str]:
    """The schema checks the YYYY-MM-DD form; here 2020-02-30 and a future date."""
    found = past_date_problem(
        cutoff_date, today, "the date the data were frozen, on or before today"
    )
    return [f"config cutoff_date: {found}"] if found else []


def _part_timepoints(schema_dir: Path | None = None) -> dict[str, list[str]]:
    """Each part's sampling timepoints in time order, from the sample-sheet schema
    (config/schemas/samples.schema.yaml, its allOf: if part then timepoint enum)."""
    found = {}
    for rule in load_schema("samples", schema_dir).get("allOf", []):
        part = rule["if"]["properties"]["part"]["const"]
        found[part] = list(rule["then"]["properties"]["timepoint"]["enum"])
    return found


def _comparison_problems(
    comparisons: list[Mapping[str, str]], timepoints: Mapping[str, list[str]]
) -> list[str]:
    """A comparison of a timepoint with itself, with a timepoint its part does not have,
    later before earlier (the differences' sign would flip), or listed twice."""
    problems = []
    seen: dict[tuple[str, str, str], int] = {}
    for item, comparison in enumerate(comparisons, start=1):
        part, before, after = comparison["part"], comparison["before"], comparison["after"]
        where = f"config flow.comparisons item {item} (part {part}, {before} -> {after})"
        allowed = timepoints.get(part, [])
        missing = [tp for tp in dict.fromkeys((before, after)) if tp not in allowed]
        key = (part, before, after)
        if before == after:
            problems.append(f"{where}: compares {before} with itself; expected two timepoints")
        elif missing:
            problems += [
                f"{where}: part {part} has no timepoint {tp!r} (part {part}: "
                f"{', '.join(allowed)}); expected timepoints of that part"
                for tp in missing
            ]
        elif allowed.index(before) > allowed.index(after):
            problems.append(
                f"{where}: 'before' {before} comes after 'after' {after}; expected the "
                "earlier timepoint first"
            )
        elif key in seen:
            problems.append(f"{where}: the same as item {seen[key]}; expected each once")
        seen.setdefault(key, item)
    return problems
