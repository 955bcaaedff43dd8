"""Read the sample sheet and the clinical tables with the right types.

Every table is read by cytotrial.io.table_reader (IDs as text, only empty cells
missing, errors naming the line) and checked against its schema before it is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from cytotrial.io.input_checks import check_clinical_tables
from cytotrial.io.table_reader import check_unique, parse_dates, read_table
from cytotrial.io.validation import complete_columns, fill_defaults, load_schema, validate_rows

__all__ = [
    "CLINICAL_TABLES",
    "OPTIONAL_CLINICAL_TABLES",
    "SAMPLE_COLUMNS",
    "TIMEPOINTS",
    "read_sample_sheet",
    "check_sample_sheet",
    "read_clinical_tables",
    "read_clinical_files",
]

CLINICAL_TABLES = (
    "patients",
    "baseline",
    "dates",
    "responses",
    "adverse_events",
    "subsequent_therapies",
    "supportive_care",
)
# Read when present (clinical/lab_values.py); a trial without them runs as before.
OPTIONAL_CLINICAL_TABLES = ("lab_values",)
SAMPLE_COLUMNS = (
    "sample_id",
    "patient_id",
    "part",
    "timepoint",
    "fcs",
    "batch",
    "leukocytes_per_ul",
    "acquisition_date",
)
# Canonical order of the trial's sampling timepoints (used for sorting and tables).
TIMEPOINTS = (
    ("A", "C1D1"),
    ("A", "C2D1"),
    ("B", "C1D1"),
    ("B", "C1D3"),
    ("B", "C2D3"),
    ("B", "EOT"),
)
# Tables that cannot be empty (header only), and what they hold; the others (adverse
# events, therapies, supportive care, lab values, the sample sheet) may have no rows yet.
ROWS_EXPECTED = {
    "patients": "one row per patient",
    "dates": "one row per patient",
    "baseline": "one row per patient and part",
    "responses": "one row per patient and part",
}
_UNIQUE_KEYS = {
    "patients": ["patient_id"],
    "dates": ["patient_id"],
    "baseline": ["patient_id", "part"],
    "responses": ["patient_id", "part"],
    # a second 'line 1' of a patient would be dropped from Table 3 without a word
    "subsequent_therapies": ["patient_id", "line"],
}
_DATE_COLUMNS = {
    "dates": (
        "part_a_start",
        "part_a_progression",
        "part_b_registration",
        "part_b_progression",
        "part_b_end_of_treatment",
        "death",
        "last_followup",
    ),
    "adverse_events": ("onset_date",),
    "subsequent_therapies": ("start_date", "progression_date"),
    "supportive_care": ("start_date",),
}


def read_sample_sheet(path: str | Path, schema_dir: Path | None = None) -> pd.DataFrame:
    """The sample sheet, validated, indexed by sample_id and sorted (header only: no samples)."""
    schema = load_schema("samples", schema_dir)
    return check_sample_sheet(read_table(path, "\t", schema), str(path), schema_dir)


def check_sample_sheet(
    table: pd.DataFrame, source: str, schema_dir: Path | None = None
) -> pd.DataFrame:
    """`table` validated against the samples schema (defaults filled in), each sample and
    each patient + part + timepoint once; indexed by sample_id and sorted.

    `source` names the sheet in messages.
    """
    schema = load_schema("samples", schema_dir)
    validate_rows(table, schema, source, id_column="sample_id")
    check_unique(table, ["sample_id"], source)
    check_unique(table, ["patient_id", "part", "timepoint"], source)
    return _sort_samples(fill_defaults(table, schema))


def _sort_samples(samples: pd.DataFrame) -> pd.DataFrame:
    """Index by sample_id (kept as a column) in a stable order."""
    return samples.set_index("sample_id", drop=False).sort_index()


def read_clinical_tables(
    clinical_dir: str | Path, schema_dir: Path | None = None
) -> dict[str, pd.DataFrame]:
    """All the clinical tables from one folder (see `read_clinical_files`), plus the optional
    lab_values.csv when the folder has one."""
    clinical_dir = Path(clinical_dir)
    tables = read_clinical_files(
        {name: clinical_dir / f"{name}.csv" for name in CLINICAL_TABLES}, schema_dir
    )
    labs = clinical_dir / f"{OPTIONAL_CLINICAL_TABLES[0]}.csv"
    if labs.is_file():  # optional: serial lab values for the IMWG response engine
        from cytotrial.io.lab_values import read_lab_values

        ids = set(tables["patients"]["patient_id"])
        tables["lab_values"] = read_lab_values(labs, schema_dir, patient_ids=ids)
    return tables


def read_clinical_files(
    paths: Mapping[str, str | Path], schema_dir: Path | None = None
) -> dict[str, pd.DataFrame]:
    """The clinical tables named in `paths`, validated; date columns parsed to Timestamps."""
    tables = {}
    for name in CLINICAL_TABLES:
        path = Path(paths[name])
        schema = load_schema(name, schema_dir)
        table = read_table(path, ",", schema, rows_expected=ROWS_EXPECTED.get(name))
        validate_rows(table, schema, str(path), id_column="patient_id")
        # the one place absent optional columns and empty cells get their documented meaning
        table = complete_columns(table, schema)
        tables[name] = parse_dates(table, _DATE_COLUMNS.get(name, ()), str(path))
    for name, key in _UNIQUE_KEYS.items():
        check_unique(tables[name], key, str(paths[name]))
    # dates against each other, patients against patients.csv (cytotrial.io.input_checks)
    check_clinical_tables(tables, {name: str(paths[name]) for name in CLINICAL_TABLES})
    return tables
