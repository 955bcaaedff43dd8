"""Per-sample output files (written atomically, without pandas: per-sample jobs stay light)."""

from __future__ import annotations

import csv
from pathlib import Path

from cytotrial.flow.sample.analysis import POPULATION_COLUMNS, SampleResult
from cytotrial.flow.sample.status import population_status
from cytotrial.io.atomic import atomic_path

__all__ = [
    "write_populations",
]

# After the gate's values: its status (population_status: the row's flags and the
# sample's QC flags; sample_qc.tsv and populations.tsv say the same).
STATUS_COLUMNS = ("status", "status_reason")


def write_populations(result: SampleResult, path: str | Path) -> None:
    """One row per gate with its status; a failed sample writes the header only."""
    qc_flags = (result.record().get("qc") or {}).get("qc_flags", "")
    rows = []
    for row in result.rows:
        status = population_status(result.status, result.reason, row["flags"], qc_flags)
        rows.append(row | dict(zip(STATUS_COLUMNS, status, strict=True)))
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle,
            fieldnames=(*POPULATION_COLUMNS, *STATUS_COLUMNS),
            delimiter="\t",
            lineterminator="\n",
        )
        writer.writeheader()
        writer.writerows(rows)
