"""Which samples pool their cuts, which use batch controls (issue 16): cheap, for the
workflow's parse.

rules/flow.smk reads the template's `pool` and `negative_control` and groups the sample
sheet with these functions at parse time (no numpy); cytotrial.flow.sample.pooling and
cytotrial.flow.sample.controls do the work in the jobs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cytotrial.errors import InputError
from cytotrial.io.document_checks import read_yaml

__all__ = [
    "GROUP_PATTERN",
    "template_pool",
    "template_control_gates",
    "sample_groups",
    "applied_of",
]

# template `pool` -> the sample sheet column whose value names the group
POOL_COLUMNS = {"patient": "patient_id", "batch": "batch", "timepoint": "timepoint"}
# a group's name becomes a file name (results/flow/pooled/<pool>/<group>.json)
GROUP_PATTERN = "[A-Za-z0-9][A-Za-z0-9_.-]*"


def template_pool(path: str | Path) -> str | None:
    """The pool of a YAML template's pooled gates (one per template, checked by
    template_checks), or None: no pooled gates, or an imported (.xml/.wsp/.json)
    template, whose gates are fixed."""
    if Path(path).suffix.lower() not in (".yaml", ".yml"):
        return None
    content = read_yaml(path) or {}
    pools = [g.get("pool") for g in content.get("gates") or [] if isinstance(g, dict)]
    return next((p for p in pools if p), None)


def template_control_gates(path: str | Path) -> list[str]:
    """The gates of a YAML template with a `negative_control` (on a threshold or a
    quadrant axis); [] for imported templates."""
    if Path(path).suffix.lower() not in (".yaml", ".yml"):
        return []
    content = read_yaml(path) or {}
    names = []
    for gate in content.get("gates") or []:
        if not isinstance(gate, dict):
            continue
        axes = [gate.get("threshold")] + [(gate.get("quadrant") or {}).get(a) for a in "xy"]
        if any(isinstance(a, dict) and a.get("negative_control") for a in axes):
            names.append(str(gate.get("name")))
    return names


def _group_of(record: Mapping[str, Any], pool: str) -> str:
    """The group a sample (a sheet row) belongs to under `pool`."""
    return str(record[POOL_COLUMNS[pool]])


def sample_groups(records: Iterable[Mapping[str, Any]], pool: str, sheet: str) -> dict[str, str]:
    """sample_id -> its group; a group name unfit for a file name is an error naming the
    sample, the sheet and the column."""
    groups = {}
    for record in records:
        group = _group_of(record, pool)
        if not re.fullmatch(GROUP_PATTERN, group):
            raise InputError(
                f"{sheet}: sample {record['sample_id']}: {POOL_COLUMNS[pool]} {group!r} names "
                f"a pooled group (template pool: {pool}); expected letters, digits, '_', '.', "
                "'-' (starting with a letter or digit)"
            )
        groups[str(record["sample_id"])] = group
    return groups


def applied_of(path: str | Path) -> str:
    """The applied cuts of a group file as compact JSON (the members' Snakemake param;
    "" before the group's job has run)."""
    path = Path(path)
    if not path.exists():
        return ""
    return json.dumps(json.loads(path.read_text())["applied"], sort_keys=True)
