"""The optional lab_values.csv: serial M-protein, free light chain, IFE, bone marrow and
imaging values per patient and date, read and checked (config/schemas/lab_values.schema.yaml).

Only the IMWG response engine reads it; a trial without it runs as before.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cytotrial.errors import InputError
from cytotrial.io.table_reader import check_unique, parse_dates, read_table
from cytotrial.io.validation import load_schema, validate_rows

__all__ = [
    "NUMERIC_COLUMNS",
    "TEXT_COLUMNS",
    "LAB_COLUMNS",
    "read_lab_values",
    "labs_up_to",
    "empty_lab_values",
]

_LAB_VALUES_FILE = "lab_values.csv"
NUMERIC_COLUMNS = (
    "serum_m_protein_g_l",
    "urine_m_protein_mg_24h",
    "serum_kappa_mg_l",
    "serum_lambda_mg_l",
    "bm_plasma_cells_pct",
    "plasmacytoma_spd_cm2",
)
TEXT_COLUMNS = ("serum_ife", "urine_ife", "dira", "bm_clonal", "new_lesion")
LAB_COLUMNS = ("patient_id", "date", *NUMERIC_COLUMNS, *TEXT_COLUMNS)


def read_lab_values(
    path: str | Path, schema_dir: Path | None = None, patient_ids: set[str] | None = None
) -> pd.DataFrame:
    """lab_values.csv validated, dates parsed, every column present, sorted by patient and date.

    ``patient_ids`` (those of patients.csv) makes an unknown patient an error naming its line.
    """
    schema = load_schema("lab_values", schema_dir)
    table = read_table(path, ",", schema)  # header only: no lab values yet, an empty table
    validate_rows(table, schema, str(path), id_column="patient_id")
    table = parse_dates(table, ("date",), str(path))
    check_unique(table, ["patient_id", "date"], str(path))
    if patient_ids is not None:
        unknown = ~table["patient_id"].isin(patient_ids)
        if unknown.any():
            line = int(table.index[unknown][0]) + 2
            raise InputError(
                f"{path}, line {line}: patient_id {table.patient_id[unknown].iloc[0]!r} "
                "is not in patients.csv"
            )
    for column in NUMERIC_COLUMNS:
        table[column] = pd.to_numeric(table[column]) if column in table else float("nan")
    for column in TEXT_COLUMNS:
        if column not in table:
            table[column] = None
        table[column] = table[column].astype(object).where(table[column].notna(), None)
    table = table[list(LAB_COLUMNS)]
    return table.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)


def labs_up_to(labs: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """The lab rows dated on or before the data cut-off (nothing after it counts)."""
    return labs[labs["date"] <= pd.Timestamp(cutoff)]


def empty_lab_values() -> pd.DataFrame:
    """A lab table with no rows (a trial without lab_values.csv)."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in LAB_COLUMNS})
