"""Per-batch control files (issue 16): a marker's negative level for a batch.

The controls sheet (config flow.controls_sheet; tab-separated) lists one control FCS
file per row: control_id, batch (the sample sheet's batch), kind (unstained, FMO,
isotype), markers (comma-separated panel markers the file is negative for, or `all`
for an unstained tube) and fcs. A template threshold (or quadrant axis) with
`negative_control: <gate>` takes the expected negative level of a lone peak from the
marker's lowest peak on that gate's events in the batch's control for the marker (a
control naming the marker beats one for `all`), gated with the same template; one job
per batch (rule flow_batch_controls) writes the batch's JSON file.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cytotrial.errors import InputError

__all__ = [
    "read_controls_sheet",
    "control_for",
    "run_controls_job",
]

log = logging.getLogger(__name__)

COLUMNS = ("control_id", "batch", "kind", "markers", "fcs")
KINDS = ("unstained", "FMO", "isotype")


def read_controls_sheet(
    path: str | Path, panel_markers: Sequence[str], batches: Sequence[str]
) -> list[dict[str, Any]]:
    """The sheet's rows (markers as a list); every problem named by file, line and column."""
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(
                f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}"
            )
        rows = list(reader)
    problems: list[str] = []
    seen: dict[str, int] = {}
    covered: dict[tuple[str, str], int] = {}
    out = []
    for line, row in enumerate(rows, start=2):
        where = f"{path}, line {line}"
        values = {c: (row.get(c) or "").strip() for c in COLUMNS}
        empty = [c for c in COLUMNS if not values[c]]
        if empty:
            problems.append(f"{where}: empty {', '.join(empty)}")
            continue
        if values["control_id"] in seen:
            problems.append(
                f"{where}, control_id: {values['control_id']!r} also on line "
                f"{seen[values['control_id']]}"
            )
        seen[values["control_id"]] = line
        if values["kind"] not in KINDS:
            problems.append(
                f"{where}, kind: {values['kind']!r}; expected one of {', '.join(KINDS)}"
            )
        if values["batch"] not in batches:
            problems.append(
                f"{where}, batch: {values['batch']!r} is no batch of the sample sheet "
                f"({', '.join(sorted(set(batches)))})"
            )
        markers = [m.strip() for m in values["markers"].split(",") if m.strip()]
        if markers != ["all"]:
            for marker in markers:
                if marker not in panel_markers:
                    problems.append(f"{where}, markers: {marker!r} is not a panel marker")
        for marker in markers:  # two controls for one marker and batch: which one?
            key = (values["batch"], marker)
            if key in covered:
                problems.append(
                    f"{where}, markers: batch {values['batch']} already has a control for "
                    f"{marker} (line {covered[key]}); expected one"
                )
            covered[key] = line
        fcs = Path(values["fcs"])
        if not fcs.is_absolute():
            fcs = path.parent / fcs if not fcs.exists() else fcs
        if not fcs.is_file():
            problems.append(f"{where}, fcs: {values['fcs']!r} not found")
        out.append(values | {"markers": markers, "fcs": str(fcs)})
    if problems:
        raise InputError("\n".join(problems))
    return out


def control_for(rows: Sequence[Mapping[str, Any]], marker: str) -> Mapping[str, Any] | None:
    """The control of one batch's rows for `marker`: one naming it, else one for `all`."""
    named = [r for r in rows if marker in r["markers"]]
    if named:
        return named[0]
    return next((r for r in rows if r["markers"] == ["all"]), None)


def _control_axes(template) -> list:
    """The threshold specs (of thresholds and quadrant axes) with negative_control."""
    axes = []
    for gate in template.gates:
        if gate.kind == "threshold":
            axes.append(gate.params["threshold"])
        elif gate.kind == "quadrant":
            axes += [gate.params["x"], gate.params["y"]]
    return [t for t in axes if t.negative_control is not None]


def _control_levels(
    rows: Sequence[Mapping[str, Any]], panel, template, qc_settings=None
) -> dict[str, dict[str, dict]]:
    """control gate -> marker -> the negative level one batch's controls show (or why
    none), for every negative_control of `template`."""
    from cytotrial.flow.gating.engine import gate_events, negative_level_of
    from cytotrial.flow.sample.analysis import SampleResult, prepare_events

    prepared: dict[str, Any] = {}
    levels: dict[str, dict[str, dict]] = {}
    for spec in _control_axes(template):
        row = control_for(rows, spec.marker)
        entry: dict[str, Any]
        if row is None:
            entry = {"mode": None, "why": f"no control for {spec.marker} in the batch"}
        else:
            control_id = row["control_id"]
            if control_id not in prepared:
                result = SampleResult(control_id, "failed")
                try:
                    events = prepare_events(result, row["fcs"], panel, template, qc_settings)
                    prepared[control_id] = (events, gate_events(events.data, template))
                except InputError as exc:
                    prepared[control_id] = f"not analysable: {result.reason or exc}"
            found = prepared[control_id]
            if isinstance(found, str):
                entry = {"mode": None, "why": found}
            else:
                events, applied = found
                mask = applied[spec.negative_control].mask
                level = negative_level_of(events.data[spec.marker][mask], spec)
                entry = level or {"mode": None, "why": f"too few events in {spec.negative_control}"}
            entry |= {"control_id": control_id, "kind": row["kind"]}
            entry["source"] = f"{row['kind']} control {control_id}"
        levels.setdefault(spec.negative_control, {})[spec.marker] = entry
    return levels


def run_controls_job(
    batch: str,
    rows: Sequence[Mapping[str, Any]],
    panel_path: str | Path,
    template_path: str | Path,
    qc: Mapping[str, Any],
    out: str | Path,
) -> None:
    """The batch job: the negative levels its control files show, as JSON (`out`)."""
    from cytotrial.flow.gating.template import read_gating_template
    from cytotrial.flow.prepare.qc import QCSettings
    from cytotrial.io.atomic import write_text_atomic
    from cytotrial.io.panel import read_panel

    panel = read_panel(panel_path)
    template = read_gating_template(template_path, [c.marker for c in panel.channels])
    settings = QCSettings.from_config(qc)
    levels = _control_levels(rows, panel, template, settings)
    content = {"batch": batch, "controls": [r["control_id"] for r in rows], "levels": levels}
    write_text_atomic(out, json.dumps(content, indent=1, sort_keys=True))
    log.info("batch %s: %d control file(s), levels %s", batch, len(rows), levels)
