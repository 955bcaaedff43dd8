"""Writing result tables: tab-separated, stable formatting, atomic."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cytotrial.atomic import atomic_path


def write_tsv(table: pd.DataFrame, path: str | Path) -> None:
    """Write `table` as TSV without index; never leaves a partial file."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, lineterminator="\n")
