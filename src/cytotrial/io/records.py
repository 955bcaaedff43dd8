"""A sample's JSON record (status, reason, QC, notes, gates as applied): one writer, one reader.

Written by the per-sample job; read by the cohort jobs, the FlowJo export and the report's
provenance. No pandas: the per-sample job stays light.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cytotrial.io.atomic import atomic_path

__all__ = ["read_record", "write_record"]


def write_record(record: dict[str, Any], path: str | Path) -> None:
    """The sample's JSON record, written atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=1, sort_keys=False) + "\n", encoding="utf-8")


def read_record(path: str | Path) -> dict[str, Any]:
    """A record as `write_record` wrote it."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
