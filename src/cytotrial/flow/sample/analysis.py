"""One FCS file from raw events to gated populations and CD38 MFI.

read -> QC -> compensate -> transform -> gate -> MFI. The result is plain data
(rows and a JSON-able record) so the Snakemake job, tests and benchmarks share
it. A sample that cannot be analysed gives a result with status "failed" or
"panel_mismatch" and the reason, never an exception: one bad file must not take
the other samples' results down.

Fast path (benchmarks/bench_flow_sample.py; ~0.15 s per 1M events read to MFI): the
events matrix is used as read (no copy of the panel's columns); QC streams it in row
blocks; one matrix product writes every channel the gates and MFI need as a
contiguous float32 row, compensated where $SPILLOVER covers it; each gating channel
is transformed in place in its row (logicle by lookup table); gates are applied to
whole rows; MFIs are exact medians by bracketed selection (density.median).
`exact_logicle=True` uses flowutils' logicle (float64) instead of the table, for
comparisons.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cytotrial.errors import InputError
from cytotrial.fcs.datasets import FcsFile
from cytotrial.fcs.errors import path_free_reason
from cytotrial.flow.gating.density import median
from cytotrial.flow.gating.engine import AppliedGate, gate_events, lineage_flags
from cytotrial.flow.gating.template import GatingTemplate
from cytotrial.flow.prepare.compensation import Spillover, channel_rows
from cytotrial.flow.prepare.qc import QCResult, QCSettings, all_values_finite, run_qc
from cytotrial.flow.prepare.spillover import choose_spillover
from cytotrial.flow.prepare.stains import check_stains
from cytotrial.flow.prepare.transforms import Logicle, transform_from_spec, width_note
from cytotrial.io.checksums import sha256_of_handle
from cytotrial.io.fingerprints import identity
from cytotrial.io.panel import Panel

__all__ = [
    "POPULATION_COLUMNS",
    "SampleResult",
    "analyse_sample",
    "PreparedEvents",
    "prepare_events",
    "population_rows",
]

log = logging.getLogger(__name__)

CHANGED_WHILE_READ = (
    "the FCS file changed while it was being read (written in place, e.g. a copy not yet "
    "finished); expected a complete file: run again when it is"
)
MFI_DEFINITION = "median of compensated, untransformed {marker} values of the population's events"
POPULATION_COLUMNS = (
    "sample_id",
    "gate",
    "parent",
    "population",
    "events",
    "pct_of_parent",
    "pct_of_leukocytes",
    "mfi_marker",
    "mfi",
    "flags",
)


@dataclass
class SampleResult:
    """Everything one sample's analysis produced."""

    sample_id: str
    status: str  # ok | failed | panel_mismatch
    reason: str = ""
    file_sha256: str = ""
    qc: QCResult | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    gates: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    plot_data: dict[str, np.ndarray] | None = None  # transformed events, for the audit plot
    applied: dict[str, AppliedGate] | None = None
    spillover: Spillover | None = None  # the matrix applied (exported with the gates)
    # Sample-level flags of the analysis (compensation, stains): they travel with the QC
    # flags (record, sample_qc.tsv, report) and with every population row.
    flags: list[str] = field(default_factory=list)

    def record(self, template: GatingTemplate | None = None) -> dict[str, Any]:
        """JSON-able summary: status, QC, notes, the gates as applied."""
        qc = self.qc.as_row() if self.qc else None
        if qc is not None and self.flags:
            qc["qc_flags"] = ";".join(f for f in (qc["qc_flags"], *self.flags) if f)
        return {
            "sample_id": self.sample_id,
            "status": self.status,
            "reason": self.reason,
            "file_sha256": self.file_sha256,
            "qc": qc,
            "notes": self.notes,
            "mfi_definition": (
                MFI_DEFINITION.format(marker=template.mfi_marker)
                if template and template.mfi_marker
                else None
            ),
            "gates": self.gates,
            "timings_s": {k: round(v, 4) for k, v in self.timings_s.items()},
        }


def analyse_sample(
    sample_id: str,
    fcs_path: str | Path,
    panel: Panel,
    template: GatingTemplate,
    qc_settings: QCSettings | None = None,
    keep_plot_data: bool = True,
    exact_logicle: bool = False,
    pooled: Mapping[str, Mapping[str, dict]] | None = None,
    controls: Mapping[str, Mapping[str, dict]] | None = None,
    corrected: Mapping[str, Mapping[str, float]] | None = None,
) -> SampleResult:
    """Analyse one FCS file; failures become a result with a reason.

    `pooled`: the cuts of the sample's group for its pooled gates (issue 16; see
    cytotrial.flow.sample.pooling), applied instead of the sample's own. `controls`: the negative
    levels of the sample's batch controls (cytotrial.flow.sample.controls). `corrected`: a
    reviewer's cuts for this sample (gate -> marker -> cut; cytotrial.flow.sample.review).
    """
    result = SampleResult(sample_id, "failed")
    try:
        # One open file for the hash and the events: the record's SHA-256 is of the bytes
        # analysed, even if the path is swapped or replaced while the job runs.
        with FcsFile(fcs_path, allow_empty=True) as fcs:
            before = identity(os.fstat(fcs.handle.fileno()))
            result.file_sha256 = sha256_of_handle(fcs.handle)
            if template.strategy is not None:  # imported fixed gates (Gating-ML / FlowJo)
                prepared = _prepare_static_events(result, fcs, panel, template, qc_settings)
            else:
                prepared = prepare_events(result, fcs, panel, template, qc_settings, exact_logicle)
            if identity(os.fstat(fcs.handle.fileno())) != before:
                raise InputError(CHANGED_WHILE_READ)
        _gate_and_measure(result, prepared, template, keep_plot_data, pooled, controls, corrected)
    except InputError as exc:  # bad input: the message already says what is wrong
        result.status = result.status if result.status == "panel_mismatch" else "failed"
        result.reason = result.reason or path_free_reason(exc)
        # Only the job's log names the file (its name may identify the patient).
        log.warning("%s (%s): %s", sample_id, fcs_path, exc)
    except Exception as exc:  # noqa: BLE001 - a bug or an unforeseen file: record, go on
        result.status, result.reason = "failed", path_free_reason(exc)
        log.exception("%s (%s): analysis failed", sample_id, fcs_path)
    return result


@dataclass
class PreparedEvents:
    """One sample's events ready for gating: transformed gating dimensions, MFI values."""

    data: dict[str, Any]  # marker -> transformed values (imported gates: see gatingml_strategy)
    mfi_values: np.ndarray | None  # compensated, untransformed MFI marker values (None: no MFI)
    events: int  # events gated (the root's count)
    # marker -> transformed (0, $PnR): where a lone peak sits on the display (weakest evidence)
    display_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)


def prepare_events(
    result: SampleResult,
    fcs_path: str | Path,
    panel: Panel,
    template: GatingTemplate,
    qc_settings: QCSettings | None = None,
    exact_logicle: bool = False,
) -> PreparedEvents:
    """Read, QC, compensate and transform one file (timings and notes go to `result`)."""
    from cytotrial.fcs import parse_spillover, read_fcs

    clock = time.perf_counter()
    data_set = read_fcs(fcs_path)  # float data: the file's bytes in one array, no copy
    result.notes += list(data_set.notes)
    events = data_set.events  # the panel's channels are used in place (column views)
    present = [c for c in panel.channel_names if c in data_set.channels]
    columns = [data_set.channels.index(c) for c in present]
    ranges = [_range(data_set.keywords, index) for index in columns]
    result.timings_s["read"] = time.perf_counter() - clock

    events, all_finite = _qc_and_panel_check(
        result,
        events,
        data_set.channels,
        columns,
        ranges,
        panel,
        qc_settings,
        data_set.keywords,
        data_set.all_finite,  # the reader's own pass over the values, when it made one
    )

    clock = time.perf_counter()
    spillover = _spillover(parse_spillover(data_set.keywords), panel, data_set.channels, result)
    events = _finite_spillover_channels(result, events, spillover, data_set.channels, all_finite)
    # One pass over the matrix: every channel the gates and the MFI need becomes a
    # contiguous float32 row, compensated where the spillover matrix covers it.
    needed = set(template.markers)
    # no MFI marker in the template: nothing to measure, only counts
    mfi_channel = panel.channel_for(template.mfi_marker) if template.mfi_marker else None
    used = [
        index
        for index, channel in enumerate(panel.channels)
        if channel.marker in needed or channel.channel == mfi_channel
    ]
    spilled = [] if spillover is None else [data_set.channels.index(c) for c in spillover.channels]
    rows = channel_rows(
        events, [columns[i] for i in used], spillover, spilled, all_finite=all_finite
    )
    row_of = {panel.channels[i].channel: row for i, row in zip(used, rows, strict=True)}
    result.timings_s["compensate"] = time.perf_counter() - clock

    clock = time.perf_counter()
    data, display_ranges = {}, {}
    top_of = dict(zip(present, ranges, strict=True))
    for index in used:
        channel = panel.channels[index]
        if channel.marker not in needed:
            continue
        transform = transform_from_spec(channel.transform, f"panel, {channel.channel}")
        top = top_of.get(channel.channel, float("inf"))
        if np.isfinite(top) and top > 0:
            ends = transform.apply(np.array([0.0, top], dtype=np.float32))
            display_ranges[channel.marker] = (float(ends[0]), float(ends[1]))
        if exact_logicle and isinstance(transform, Logicle):
            transform = Logicle(transform.T, transform.W, transform.M, transform.A, exact=True)
        row = row_of[channel.channel]
        if isinstance(transform, Logicle):
            note = width_note(channel.channel, transform, row)
            if note is not None:
                result.notes.append(note)
        if channel.channel == mfi_channel or (exact_logicle and isinstance(transform, Logicle)):
            data[channel.marker] = transform.apply(row)
        else:
            data[channel.marker] = transform.apply(row, out=row)  # in place
    result.timings_s["transform"] = time.perf_counter() - clock
    mfi_values = row_of[mfi_channel] if mfi_channel is not None else None
    return PreparedEvents(data, mfi_values, len(events), display_ranges)


def _check_channels_and_events(
    result: SampleResult, keywords: Mapping[str, str], panel: Panel, n_events: int
) -> None:
    """Two panel channels of one name (which to gate cannot be guessed); no events."""
    from cytotrial.fcs import channel_numbers

    ambiguous = [
        f"{c} ({', '.join(f'$P{n}N' for n in channel_numbers(keywords, c))})"
        for c in panel.channel_names
        if len(channel_numbers(keywords, c)) > 1
    ]
    if ambiguous:
        result.status = "panel_mismatch"
        result.reason = (
            f"panel channel(s) named more than once in the file: {'; '.join(ambiguous)}; "
            "expected each panel channel exactly once"
        )
        raise InputError(result.reason)
    if not n_events:
        raise InputError("the file holds no events ($TOT 0); expected events to gate")


def _qc_and_panel_check(
    result: SampleResult,
    events: np.ndarray,
    channels: tuple[str, ...],
    columns: list[int],
    ranges: list[float],
    panel: Panel,
    qc_settings: QCSettings | None,
    keywords: Mapping[str, str],
    all_finite: bool | None = None,
) -> tuple[np.ndarray, bool]:
    """QC (on every readable file, on the panel channels it has), then the panel check;
    events with a NaN/inf panel value are dropped. Returns the events, and whether all
    values were finite (`all_finite`: all_values_finite(events) if already known)."""
    clock = time.perf_counter()
    present = [channels[c] for c in columns]
    time_channel = next((c.channel for c in panel.channels if c.role == "time"), None)
    if all_finite is None:
        all_finite = all_values_finite(events)
    settings = qc_settings or QCSettings()
    result.qc = run_qc(events, present, ranges, time_channel, settings, columns, all_finite)
    result.timings_s["qc"] = time.perf_counter() - clock
    missing = [c for c in panel.channel_names if c not in channels]
    if missing:
        result.status = "panel_mismatch"
        result.reason = (
            f"panel channel(s) missing from the file: {', '.join(missing)} "
            f"(file has: {', '.join(channels)})"
        )
        raise InputError(result.reason)
    _check_channels_and_events(result, keywords, panel, len(events))
    stains = check_stains(panel, channels, keywords)
    if stains.mismatches:
        result.status, result.reason = "panel_mismatch", stains.reason
        raise InputError(result.reason)
    result.flags += stains.flags
    if result.qc.nonfinite_events:  # rare: drop events with a NaN/inf panel value
        finite = np.ones(len(events), dtype=bool)
        for column in columns:
            finite &= np.isfinite(events[:, column])
        events = events[finite]
    return events, all_finite


def _prepare_static_events(
    result: SampleResult,
    fcs_path: str | Path,
    panel: Panel,
    template: GatingTemplate,
    qc_settings: QCSettings | None = None,
) -> PreparedEvents:
    """Read, QC, compensate and transform for imported fixed gates.

    Each gate dimension gets the compensation and transform the imported file names,
    computed in float64 like FlowKit (cytotrial.flow.interop.gatingml_strategy), so membership is
    Gating-ML's event by event. The MFI is, as always, the median of the panel's
    compensated, untransformed values.
    """
    from cytotrial.fcs import parse_spillover
    from cytotrial.flow.interop.gatingml_strategy import dimension_values, read_events_float64

    clock = time.perf_counter()
    source = read_events_float64(fcs_path)
    result.notes += list(source.notes)
    present = [c for c in panel.channel_names if c in source.channels]
    columns = [source.channels.index(c) for c in present]
    ranges = [_range(source.keywords, index) for index in columns]
    result.timings_s["read"] = time.perf_counter() - clock

    source.events, all_finite = _qc_and_panel_check(
        result,
        source.events,
        source.channels,
        columns,
        ranges,
        panel,
        qc_settings,
        source.keywords,
    )

    clock = time.perf_counter()
    spillover = _spillover(parse_spillover(source.keywords), panel, source.channels, result)
    source.events = _finite_spillover_channels(
        result, source.events, spillover, source.channels, all_finite
    )
    mfi_values = None
    if template.mfi_marker:
        mfi_column = source.channels.index(panel.channel_for(template.mfi_marker))
        spilled = (
            [] if spillover is None else [source.channels.index(c) for c in spillover.channels]
        )
        mfi_values = channel_rows(source.events, [mfi_column], spillover, spilled)[0]
    result.timings_s["compensate"] = time.perf_counter() - clock

    clock = time.perf_counter()
    data = dimension_values(template.strategy, source)
    result.timings_s["transform"] = time.perf_counter() - clock
    return PreparedEvents(data, mfi_values, len(source.events))


def _gate_and_measure(
    result: SampleResult,
    prepared: PreparedEvents,
    template: GatingTemplate,
    keep_plot_data: bool,
    pooled: Mapping[str, Mapping[str, dict]] | None = None,
    controls: Mapping[str, Mapping[str, dict]] | None = None,
    corrected: Mapping[str, Mapping[str, float]] | None = None,
) -> None:
    clock = time.perf_counter()
    if template.strategy is not None:
        applied = _gate_static(prepared.data, template)
    else:
        applied = gate_events(
            prepared.data,
            template,
            prepared.display_ranges,
            pooled=pooled,
            controls=controls,
            corrected=corrected,
        )
    result.timings_s["gate"] = time.perf_counter() - clock

    clock = time.perf_counter()
    result.rows = population_rows(
        result.sample_id, applied, template, prepared.mfi_values, result.flags, prepared.events
    )
    result.timings_s["mfi"] = time.perf_counter() - clock
    result.gates = {name: _gate_record(name, applied) for name in applied}
    result.status = "ok"
    if keep_plot_data:
        data = prepared.data
        if template.strategy is not None:  # deferred logicle dimensions, by table
            from cytotrial.flow.interop.gatingml_strategy import display_values

            data = display_values(data)
        result.plot_data, result.applied = data, applied


def _gate_record(name: str, applied: dict[str, AppliedGate]) -> dict[str, Any]:
    """A gate as applied: shape, own flags, the flags of the gates above it, and each
    data-driven cut with its confidence."""
    gate = applied[name]
    own = list(gate.flags)
    record = {"parent": gate.spec.parent, **gate.shape.describe(), "flags": own}
    record["inherited_flags"] = [f for f in lineage_flags(applied, name) if f not in own]
    if gate.cuts:
        record["cuts"] = list(gate.cuts)
    return record


def _gate_static(data: dict[str, np.ndarray], template: GatingTemplate) -> dict[str, AppliedGate]:
    from cytotrial.flow.interop.gatingml_strategy import display_shape, gate_static

    masks = gate_static(template.strategy, data)
    return {
        spec.name: AppliedGate(spec, display_shape(spec.params["gate"]), masks[spec.name], ())
        for spec in template.gates
    }


def _range(keywords: dict[str, str], index: int) -> float:
    value = keywords.get(f"$P{index + 1}R", "")
    try:
        return float(value)
    except ValueError:
        return float("inf")  # unknown range: nothing counts as saturated


def _spillover(
    found: tuple[tuple[str, ...], np.ndarray] | None,
    panel: Panel,
    file_channels: tuple[str, ...],
    result: SampleResult,
) -> Spillover | None:
    """The matrix to apply, whole (see sample_spillover); its flags and notes go to
    `result`."""
    choice = choose_spillover(found, panel, file_channels)
    result.flags += choice.flags
    result.notes += choice.notes
    result.spillover = choice.spillover
    return choice.spillover


def _finite_spillover_channels(
    result: SampleResult,
    events: np.ndarray,
    spillover: Spillover | None,
    channels: tuple[str, ...],
    all_finite: bool,
) -> np.ndarray:
    """Drop events with NaN/inf in a spillover channel the panel does not list (the
    panel's own channels were cleaned with QC): compensation mixes them in."""
    if all_finite or spillover is None:
        return events
    finite = np.ones(len(events), dtype=bool)
    for channel in spillover.channels:
        finite &= np.isfinite(events[:, channels.index(channel)])
    if finite.all():
        return events
    result.notes.append(
        f"{int(len(events) - finite.sum())} event(s) dropped: NaN/inf in a spillover channel"
    )
    return events[finite]


def population_rows(
    sample_id: str,
    applied: dict[str, AppliedGate],
    template: GatingTemplate,
    mfi_values: np.ndarray | None,
    sample_flags: Sequence[str] = (),
    total: int | None = None,
) -> list[dict[str, Any]]:
    """One row per gate: counts, percentages and the MFI (median, untransformed).
    A row's flags are its gate's own, then those of the gates above it (a population is
    flagged when any gate on its path is); `sample_flags` (e.g. an uncompensated file)
    concern every row and come last. `total`: the events gated (default len(mfi_values)).
    Without an MFI marker (mfi_values None) the MFI cells are empty; without a leukocyte
    gate the "% of leukocytes" cells are."""
    reported = {gate: subset for subset, gate in template.populations.items()}
    if total is None:
        total = len(mfi_values) if mfi_values is not None else 0
    counts = {name: gate.events for name, gate in applied.items()}
    leukocytes = (
        total if template.leukocyte_gate == "root" else counts.get(template.leukocyte_gate or "", 0)
    )
    rows = []
    for name, gate in applied.items():
        parent = total if gate.spec.parent == "root" else counts[gate.spec.parent]
        events = counts[name]
        mfi: float | str = ""
        if events and mfi_values is not None:
            mfi = round(float(median(np.compress(gate.mask, mfi_values), overwrite=True)), 3)
        rows.append(
            {
                "sample_id": sample_id,
                "gate": name,
                "parent": gate.spec.parent,
                "population": reported.get(name, ""),
                "events": events,
                "pct_of_parent": _pct(events, parent),
                "pct_of_leukocytes": _pct(events, leukocytes) if _below(name, template) else "",
                "mfi_marker": template.mfi_marker or "",
                "mfi": mfi,
                "flags": ";".join((*lineage_flags(applied, name), *sample_flags)),
            }
        )
    return rows


def _pct(part: int, whole: int) -> float | str:
    return round(100.0 * part / whole, 4) if whole else ""


def _below(name: str, template: GatingTemplate) -> bool:
    """True for the leukocyte gate and its descendants (a % of leukocytes makes sense)."""
    if template.leukocyte_gate is None:
        return False
    if template.leukocyte_gate == "root":
        return True
    while name != "root":
        if name == template.leukocyte_gate:
            return True
        name = template.gate(name).parent
    return False
