"""Per-sample output files (written atomically, without pandas: per-sample jobs stay light)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from cytotrial.atomic import atomic_path
from cytotrial.flow.sample_analysis import POPULATION_COLUMNS, SampleResult


def write_populations(result: SampleResult, path: str | Path) -> None:
    """One row per gate; a failed sample writes the header only."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=POPULATION_COLUMNS, delimiter="\t", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(result.rows)


def write_record(record: dict[str, Any], path: str | Path) -> None:
    """The sample's JSON record (status, reason, QC, notes, gates as applied)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=1, sort_keys=False) + "\n", encoding="utf-8")


def read_record(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))
