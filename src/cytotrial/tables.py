"""Read the sample sheet and the clinical tables with the right types.

IDs are always strings ("007" stays "007"); only empty cells count as missing
(so a value such as "NA" is kept and then rejected by the schema, not silently
dropped); every table is checked against its schema before it is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from cytotrial.errors import InputError
from cytotrial.input_checks import check_clinical_tables
from cytotrial.validation import complete_columns, fill_defaults, load_schema, validate_rows

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
_STRING_COLUMNS = {"sample_id": str, "patient_id": str, "batch": str, "fcs": str}
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
    "subsequent_therapies": ("start_date",),
    "supportive_care": ("start_date",),
}


def read_table(path: str | Path, sep: str = ",") -> pd.DataFrame:
    """Read a CSV/TSV input table: IDs as strings, only empty cells missing."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    try:
        return pd.read_csv(
            path,
            sep=sep,
            dtype=_STRING_COLUMNS,
            keep_default_na=False,
            na_values=[""],
            comment="#",
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read as a {_sep_name(sep)} table: {exc}") from exc


def _sep_name(sep: str) -> str:
    return "tab-separated" if sep == "\t" else "comma-separated"


def check_unique(table: pd.DataFrame, columns: list[str], source: str) -> None:
    """Raise InputError naming the duplicated key(s) and their lines."""
    duplicated = table.duplicated(columns, keep=False)
    if duplicated.any():
        lines = [str(i + 2) for i in table.index[duplicated]]
        keys = table.loc[duplicated, columns].drop_duplicates().astype(str)
        shown = "; ".join(", ".join(row) for row in keys.itertuples(index=False))
        raise InputError(
            f"{source}: duplicated {' + '.join(columns)} ({shown}) on lines {', '.join(lines)}; "
            "each must appear once"
        )


def read_sample_sheet(path: str | Path, schema_dir: Path | None = None) -> pd.DataFrame:
    """The sample sheet, validated, indexed by sample_id and sorted."""
    return check_sample_sheet(read_table(path, sep="\t"), str(path), schema_dir)


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
    return sort_samples(fill_defaults(table, schema))


def sort_samples(samples: pd.DataFrame) -> pd.DataFrame:
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
        from cytotrial.clinical.lab_values import read_lab_values

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
        table = read_table(path)
        schema = load_schema(name, schema_dir)
        validate_rows(table, schema, str(path), id_column="patient_id")
        # the one place absent optional columns and empty cells get their documented meaning
        table = complete_columns(table, schema)
        tables[name] = parse_dates(table, _DATE_COLUMNS.get(name, ()), str(path))
    for name, key in _UNIQUE_KEYS.items():
        check_unique(tables[name], key, str(paths[name]))
    # dates against each other, patients against patients.csv (cytotrial.input_checks)
    check_clinical_tables(tables, {name: str(paths[name]) for name in CLINICAL_TABLES})
    return tables


def parse_dates(table: pd.DataFrame, columns: tuple[str, ...], source: str) -> pd.DataFrame:
    """Parse YYYY-MM-DD columns; an impossible date (2020-02-30) names its line."""
    table = table.copy()
    for column in columns:
        if column not in table:
            continue
        parsed = pd.to_datetime(table[column], format="%Y-%m-%d", errors="coerce")
        bad = parsed.isna() & table[column].notna()
        if bad.any():
            line = int(table.index[bad][0]) + 2
            raise InputError(
                f"{source}, line {line}: field '{column}': {table[column][bad].iloc[0]!r} "
                "is not a real date (expected YYYY-MM-DD)"
            )
        table[column] = parsed
    return table
