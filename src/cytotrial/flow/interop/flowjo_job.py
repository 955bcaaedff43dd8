"""One batch's FlowJo workspace from its samples' per-sample outputs (Snakemake job).

Reads each sample's record (status), its Gating-ML export (the final gates, transforms
and spillover: cytotrial.flow.interop.gatingml_export) and its populations table (the counts
FlowJo shows until it recalculates), and writes cytotrial.flow.interop.flowjo_export's
workspace. Samples that failed, or whose gates FlowJo cannot hold, are left out and
listed in the log with the reason; every conversion is logged too.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from cytotrial.errors import InputError
from cytotrial.flow.interop.flowjo_export import WorkspaceSample, write_workspace
from cytotrial.flow.interop.gatingml_read import export_comment, read_exported_gatingml
from cytotrial.io.records import read_record

__all__ = [
    "flowjo_workspace_job",
]

log = logging.getLogger(__name__)


def _read_counts(path: str | Path) -> dict[str, int]:
    """Gate -> events from a sample's populations table."""
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["gate"]: int(row["events"]) for row in csv.DictReader(handle, delimiter="\t")}


def flowjo_workspace_job(
    samples: Sequence[Mapping[str, object]],
    gatingml: Sequence[str | Path],
    populations: Sequence[str | Path],
    records: Sequence[str | Path],
    batch: str,
    output: str | Path,
) -> list[str]:
    """Write the batch's workspace; samples, gatingml, populations and records are in
    the same order. Returns the notes (also logged)."""
    if not len(samples) == len(gatingml) == len(populations) == len(records):
        raise InputError(f"batch {batch}: sample list and per-sample files differ in length")
    members, notes = [], []
    for row, xml, table, record in zip(samples, gatingml, populations, records, strict=True):
        sample_id = str(row["sample_id"])
        status = read_record(record)
        if status.get("status") != "ok":
            notes.append(
                f"{sample_id}: left out of the workspace: sample status {status.get('status')}"
                + (f" ({status['reason']})" if status.get("reason") else "")
            )
            continue
        counts = _read_counts(table)
        events = status.get("qc", {}).get("events")
        if events is not None:
            counts["root"] = int(events)
        keywords = {k: "" if v is None else str(v) for k, v in row.items() if k != "fcs"}
        try:
            strategy = read_exported_gatingml(xml)
        except InputError as exc:
            notes.append(f"{sample_id}: left out of the workspace: {exc}")
            continue
        if not strategy.gates:  # e.g. an imported gating with no Gating-ML form
            reason = export_comment(xml) or "no gates"
            notes.append(f"{sample_id}: left out of the workspace: {reason}")
            continue
        members.append(WorkspaceSample(sample_id, strategy, counts, keywords))
    notes += write_workspace(members, output, f"batch {batch}")
    left_out = sum(": left out of the workspace: " in n for n in notes)
    log.info(
        "batch %s: FlowJo workspace with %d samples, %d left out (listed below)",
        batch,
        len(samples) - left_out,
        left_out,
    )
    for note in notes:
        log.info("%s", note)
    return notes
