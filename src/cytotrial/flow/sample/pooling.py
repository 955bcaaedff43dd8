"""Pooled cuts (issue 16): a gate's cut placed once on the events of a group of samples.

A gate with `pool: patient|batch|timepoint` takes its cut from the pooled parent events
of every sample of its group (the sample sheet's patient_id, batch or timepoint), like
OpenCyto's groupBy: one patient's timepoints (one batch's samples) are then cut alike,
and a sample where the marker shows one peak is cut where its group's two peaks part.

The group job (rule flow_pool_group) takes each member's prepared events (read, QC,
compensation, transform as in the per-sample job): every k-th event, at most
`events_per_member` (template `pooling`), so a big group stays cheap and members weigh
alike. Members are gated with the engine up to the pooled gate (the sample's own cuts
above it, pooled cuts of earlier pooled gates), their parent events pooled, and the
engine places the cut on the pool as it would on one sample (same peaks, valley,
lone-peak rules, confidence). Members with QC flags stay out of the pool (listed).

Reruns: the job writes the `computed` cuts and the `applied` ones. The applied cuts are
the previous applied cuts unless some cut moved more than `tolerance` (transformed
units), or a cut appeared, vanished or changed its lone-peak class; the members' jobs
depend on the applied cuts only (a Snakemake param), so adding a sample reruns its
group's job and the new sample, and the other members only when the cut moved.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cytotrial.errors import InputError
from cytotrial.flow.gating.engine import cut_as_dict, gate_events, resolve, subsample
from cytotrial.flow.gating.template import GatingTemplate
from cytotrial.flow.prepare.qc import QCSettings
from cytotrial.flow.sample.analysis import PreparedEvents, SampleResult, prepare_events
from cytotrial.io.atomic import write_text_atomic
from cytotrial.io.panel import Panel

__all__ = [
    "pooled_cuts",
    "largest_move",
    "applied_cuts",
    "run_pool_job",
]

log = logging.getLogger(__name__)


def _member_events(
    sample_id: str,
    fcs: str | Path,
    panel: Panel,
    template: GatingTemplate,
    qc_settings: QCSettings | None,
    limit: int,
) -> tuple[PreparedEvents | None, str]:
    """One member's prepared events, every k-th of them (at most `limit`); or None and
    why the member stays out of the pool (unreadable, panel mismatch, QC flags)."""
    result = SampleResult(sample_id, "failed")
    try:
        prepared = prepare_events(result, fcs, panel, template, qc_settings)
    except InputError as exc:
        return None, f"not analysable: {result.reason or exc}"
    flags = [*(result.qc.flags if result.qc else ()), *result.flags]
    if flags:
        return None, f"flagged: {';'.join(flags)}"
    data = {
        marker: np.ascontiguousarray(subsample(v, limit)) for marker, v in prepared.data.items()
    }
    count = len(next(iter(data.values())))
    return PreparedEvents(data, None, count, prepared.display_ranges), ""


def pooled_cuts(
    members: Mapping[str, PreparedEvents], template: GatingTemplate, group: str
) -> dict[str, dict[str, dict]]:
    """gate -> marker -> the cut (cut_as_dict) placed on the members' pooled events, for
    every pooled gate of `template`, in template order."""
    if not members:
        return {}
    cuts: dict[str, dict[str, dict]] = {}
    names = [g.name for g in template.gates]
    display = _shared_display_ranges(members.values())
    for spec in (g for g in template.gates if g.pool):
        above = names.index(spec.name)
        prefix = GatingTemplate(template.name, template.gates[:above], {}, None, None)
        masks: dict[str, list[np.ndarray]] = {"root": []}
        for prepared in members.values():
            applied = gate_events(prepared.data, prefix, prepared.display_ranges, pooled=cuts)
            masks["root"].append(np.ones(prepared.events, dtype=bool))
            for name, gate in applied.items():
                masks.setdefault(name, []).append(gate.mask)
        data = {m: np.concatenate([p.data[m] for p in members.values()]) for m in spec.markers}
        data |= {  # the markers of gates a lone peak may take its negative level from
            m: np.concatenate([p.data[m] for p in members.values()])
            for m in template.markers
            if m not in data
        }
        pooled_masks = {name: np.concatenate(parts) for name, parts in masks.items()}
        cache: dict = {
            "masks": pooled_masks,
            "parents": {g.name: g.parent for g in template.gates},
            "display_ranges": display,
            "pooled": {},
        }
        parent = pooled_masks[spec.parent]
        resolve(spec, data, parent, cache)
        cuts[spec.name] = {}
        for marker in spec.markers:
            cut = cut_as_dict(cache["cut_of", spec.name, marker])
            cut["record"] = (cut["record"] or {}) | {
                "pool": spec.pool,
                "group": group,
                "pooled_members": len(members),
                "pooled_events": int(np.count_nonzero(parent)),
            }
            cuts[spec.name][marker] = cut
    return cuts


def _shared_display_ranges(members) -> dict[str, tuple[float, float]]:
    """The display ranges all members agree on (a lone peak's weakest evidence)."""
    ranges = [p.display_ranges for p in members]
    return {m: r for m, r in ranges[0].items() if all(o.get(m) == r for o in ranges[1:])}


def largest_move(
    computed: Mapping[str, Mapping[str, dict]], previous: Mapping[str, Mapping[str, dict]]
) -> float:
    """How far the computed cuts moved from the previous ones (transformed units); inf when
    a cut appeared, vanished, became none (an empty gate) or changed lone-peak class."""
    keys = {(g, m) for g, cuts in computed.items() for m in cuts}
    if keys != {(g, m) for g, cuts in previous.items() for m in cuts}:
        return float("inf")
    move = 0.0
    for gate, marker in keys:
        new, old = computed[gate][marker], previous[gate][marker]
        if new["lone"] != old["lone"] or (new["value"] is None) != (old["value"] is None):
            return float("inf")
        if new["value"] is not None:
            move = max(move, abs(new["value"] - old["value"]))
    return move


def applied_cuts(
    computed: dict[str, dict[str, dict]],
    previous: dict[str, dict[str, dict]] | None,
    tolerance: float,
) -> tuple[dict[str, dict[str, dict]], float]:
    """The cuts the members apply: the computed ones if any moved more than `tolerance`
    (or there were none before), else the previous ones; and the largest move."""
    if previous is None:
        return computed, float("inf")
    move = largest_move(computed, previous)
    return (computed if move > tolerance else previous), move


def run_pool_job(
    pool: str,
    group: str,
    members: Sequence[Mapping[str, str]],
    panel_path: str | Path,
    template_path: str | Path,
    qc: Mapping[str, Any],
    out: str | Path,
    state: str | Path,
) -> None:
    """The group job: pool the members' events, place the pooled cuts, write them (`out`),
    and keep the applied cuts in `state` for the next run's tolerance check."""
    from cytotrial.flow.gating.template import read_gating_template
    from cytotrial.io.panel import read_panel

    panel = read_panel(panel_path)
    template = read_gating_template(template_path, [c.marker for c in panel.channels])
    settings = QCSettings.from_config(qc)
    limit, tolerance = template.pooling
    prepared, left_out = {}, {}
    for member in members:
        events, why = _member_events(
            member["sample_id"], member["fcs"], panel, template, settings, limit
        )
        if events is None:
            left_out[member["sample_id"]] = why
        else:
            prepared[member["sample_id"]] = events
    computed = pooled_cuts(prepared, template, group)
    state = Path(state)
    previous = json.loads(state.read_text()) if state.exists() else None
    applied, move = applied_cuts(computed, previous, tolerance)
    write_text_atomic(state, json.dumps(applied, sort_keys=True))
    content = {
        "pool": pool,
        "group": group,
        "members": [m["sample_id"] for m in members],
        "pooled": list(prepared),
        "left_out": left_out,
        "events_per_member": limit,
        "tolerance": tolerance,
        "largest_move": None if not np.isfinite(move) else round(move, 6),
        "replaced": applied is computed,
        "computed": computed,
        "applied": applied,
    }
    write_text_atomic(out, json.dumps(content, indent=1, sort_keys=True))
    log.info(
        "%s %s: %d members pooled (%d left out), largest move %s, applied cuts %s",
        pool,
        group,
        len(prepared),
        len(left_out),
        content["largest_move"],
        "replaced" if content["replaced"] else "kept",
    )
