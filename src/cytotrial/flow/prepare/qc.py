"""Per-sample quality control: flags, never crashes.

Checks: enough events; a steady flow rate over acquisition time (clogs and
bubbles show as time bins with too few or too many events); events piled up at
the top of a channel's range (saturation); non-finite values. Each check gives
a metric and, past its threshold, a flag that travels with the sample's results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from cytotrial.flow.gating.gates import at_least
from cytotrial.io.config_schema import schema_default, section_values

__all__ = [
    "QCSettings",
    "QCResult",
    "all_values_finite",
    "time_histogram",
    "run_qc",
]


@dataclass(frozen=True)
class QCSettings:
    """The config's flow.qc section; meanings and defaults in config/schemas/config.schema.yaml."""

    min_events: int = schema_default("flow", "qc", "min_events")
    max_saturated_fraction: float = schema_default("flow", "qc", "max_saturated_fraction")
    max_unstable_fraction: float = schema_default("flow", "qc", "max_unstable_fraction")
    # The flow-rate check's method (not settings): time bins, and the robust z of a bin
    # whose event rate counts as unstable.
    flow_rate_bins: ClassVar[int] = 100
    flow_rate_z: ClassVar[float] = 5.0

    @classmethod
    def from_config(cls, qc: Mapping[str, Any] | None) -> QCSettings:
        """From the config's flow.qc section (a key it lacks: the schema's default)."""
        return cls(**section_values(qc, "flow", "qc"))


@dataclass(frozen=True)
class QCResult:
    """Metrics and flags of one sample."""

    events: int
    saturated_fraction: float
    nonfinite_events: int
    unstable_fraction: float | None  # None where the file has no time channel
    flags: tuple[str, ...] = field(default=())

    def as_row(self) -> dict[str, object]:
        return {
            "events": self.events,
            "saturated_fraction": round(self.saturated_fraction, 6),
            "nonfinite_events": self.nonfinite_events,
            "unstable_time_fraction": (
                None if self.unstable_fraction is None else round(self.unstable_fraction, 6)
            ),
            "qc_flags": ";".join(self.flags),
        }


def saturated_fraction(events: np.ndarray, ranges: Sequence[float]) -> float:
    """Share of events with any channel at or above the top of its range ($PnR - 1)."""
    if len(events) == 0:
        return 0.0
    return _saturated_count(events, range(events.shape[1]), ranges) / len(events)


def all_values_finite(events: np.ndarray) -> bool:
    """True if no value is NaN or infinite: one sum in the array's dtype (it is NaN/inf
    if any value is; an overflowing sum only costs a false alarm)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return len(events) == 0 or bool(np.isfinite(events.sum()))


_BLOCK_ROWS = 4096  # rows per block: block, tiled thresholds and result stay in L2


def _saturated_count(
    events: np.ndarray,
    columns: Sequence[int],
    ranges: Sequence[float],
    keep: np.ndarray | None = None,
) -> int:
    """Events (among `keep`) with a value >= $PnR - 1 in any of `columns`.

    The matrix is compared in blocks of rows against a tiled row of thresholds
    (infinite for the other columns): one flat, vectorised comparison per block, and
    the matrix is streamed from memory once. Saturated values are rare, so the events
    they belong to are then counted from their flat positions.
    """
    if len(events) == 0 or not len(columns):
        return 0
    if not events.flags.c_contiguous:
        events = np.ascontiguousarray(events)
    width = events.shape[1]
    kind = events.dtype if events.dtype.kind == "f" else np.dtype(np.float64)
    tops = np.full(width, np.inf, dtype=kind)
    for column, top in zip(columns, ranges, strict=True):
        tops[column] = min(tops[column], at_least(float(top) - 1, kind))
    rows = min(_BLOCK_ROWS, len(events))
    tiled = np.tile(tops, rows)
    flat = events.reshape(-1)
    hits = np.empty(rows * width, dtype=bool)
    count = 0
    for start in range(0, len(flat), rows * width):
        block = flat[start : start + rows * width]
        found = np.greater_equal(block, tiled[: len(block)], out=hits[: len(block)])
        if not found.any():
            continue
        event = (start + np.flatnonzero(found)) // width
        event = event[np.concatenate(([True], event[1:] != event[:-1]))]  # once per event
        if keep is not None:
            event = event[keep[event]]
        count += len(event)
    return count


def unstable_time_fraction(time: np.ndarray, bins: int, z: float) -> float:
    """Share of events acquired in time bins whose event count is anomalous.

    The expected count per bin is the median; the spread is the larger of the
    robust (MAD) spread and the Poisson spread, so that small files are not
    flagged for counting noise.
    """
    time = np.ascontiguousarray(time)
    if not all_values_finite(time):
        time = time[np.isfinite(time)]
    if len(time) < bins * 5 or np.ptp(time) <= 0:
        return 0.0
    counts = time_histogram(time, bins)
    median = np.median(counts)
    mad_sd = 1.4826 * np.median(np.abs(counts - median))
    spread = max(mad_sd, np.sqrt(max(median, 1.0)))
    anomalous = np.abs(counts - median) > z * spread
    return float(counts[anomalous].sum() / max(counts.sum(), 1))


def time_histogram(time: np.ndarray, bins: int) -> np.ndarray:
    """np.histogram(time, bins)[0]; by binary search when time is sorted (acquisition order)."""
    if len(time) > 1 and not np.any(time[1:] < time[:-1]):
        edges = np.histogram_bin_edges(time, bins)  # the edges np.histogram uses
        starts = np.searchsorted(time, edges[:-1], side="left")
        end = np.searchsorted(time, edges[-1], side="right")  # the last bin is closed
        return np.diff(np.append(starts, end))
    return np.histogram(time, bins=bins)[0]


def run_qc(
    events: np.ndarray,
    channels: Sequence[str],
    ranges: Sequence[float],
    time_channel: str | None,
    settings: QCSettings = QCSettings(),
    columns: Sequence[int] | None = None,
    all_finite: bool | None = None,
) -> QCResult:
    """All checks for one sample's raw events.

    `channels[i]` (with `ranges[i]`) is column `columns[i]` of `events` (default: column
    i), so a caller can pass the file's matrix without selecting columns first.
    `all_finite`: whether every value of `events` is finite, if the caller knows.
    """
    columns = list(range(len(channels))) if columns is None else list(columns)
    flags = []
    n = len(events)
    if n < settings.min_events:
        flags.append(f"low_event_count({n}<{settings.min_events})")
    finite = None  # None: every value is finite (checked by one sum)
    quick = all_finite if all_finite is not None else all_values_finite(events)
    if not quick:
        finite = np.ones(n, dtype=bool)
        for column in columns:
            finite &= np.isfinite(events[:, column])
    nonfinite = 0 if finite is None else int(n - np.count_nonzero(finite))
    if nonfinite:
        flags.append(f"nonfinite_values({nonfinite} events)")
    measured = [i for i, c in enumerate(channels) if c != time_channel]
    kept = n - nonfinite
    measured_columns = [columns[i] for i in measured]
    measured_ranges = [ranges[i] for i in measured]
    saturated = (
        _saturated_count(events, measured_columns, measured_ranges, finite) / kept if kept else 0.0
    )
    if saturated > settings.max_saturated_fraction:
        flags.append(f"saturation({saturated:.1%} of events)")
    unstable = None
    if time_channel is not None and time_channel in channels:
        time = events[:, columns[list(channels).index(time_channel)]]
        unstable = unstable_time_fraction(time, settings.flow_rate_bins, settings.flow_rate_z)
        if unstable > settings.max_unstable_fraction:
            flags.append(f"unstable_flow_rate({unstable:.1%} of events)")
    return QCResult(n, saturated, nonfinite, unstable, tuple(flags))
