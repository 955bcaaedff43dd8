"""Per-sample quality control: flags, never crashes.

Checks: enough events; a steady flow rate over acquisition time (clogs and
bubbles show as time bins with too few or too many events); events piled up at
the top of a channel's range (saturation); non-finite values. Each check gives
a metric and, past its threshold, a flag that travels with the sample's results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class QCSettings:
    """Thresholds; see config/schemas/config.schema.yaml (flow.qc) for their meaning."""

    min_events: int = 1000
    max_saturated_fraction: float = 0.05
    flow_rate_bins: int = 100
    flow_rate_z: float = 5.0
    max_unstable_fraction: float = 0.05


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
    tops = np.asarray(ranges, dtype=np.float64) - 1
    return float(np.mean(np.any(events >= tops, axis=1)))


def unstable_time_fraction(time: np.ndarray, bins: int, z: float) -> float:
    """Share of events acquired in time bins whose event count is anomalous.

    The expected count per bin is the median; the spread is the larger of the
    robust (MAD) spread and the Poisson spread, so that small files are not
    flagged for counting noise.
    """
    time = time[np.isfinite(time)]
    if len(time) < bins * 5 or np.ptp(time) <= 0:
        return 0.0
    counts, edges = np.histogram(time, bins=bins)
    median = np.median(counts)
    mad_sd = 1.4826 * np.median(np.abs(counts - median))
    spread = max(mad_sd, np.sqrt(max(median, 1.0)))
    anomalous = np.abs(counts - median) > z * spread
    return float(counts[anomalous].sum() / max(counts.sum(), 1))


def run_qc(
    events: np.ndarray,
    channels: Sequence[str],
    ranges: Sequence[float],
    time_channel: str | None,
    settings: QCSettings = QCSettings(),
) -> QCResult:
    """All checks for one sample's raw events."""
    flags = []
    n = len(events)
    if n < settings.min_events:
        flags.append(f"low_event_count({n}<{settings.min_events})")
    finite = np.isfinite(events).all(axis=1)
    nonfinite = int(n - finite.sum())
    if nonfinite:
        flags.append(f"nonfinite_values({nonfinite} events)")
    measured = [i for i, c in enumerate(channels) if c != time_channel]
    saturated = saturated_fraction(events[finite][:, measured], [ranges[i] for i in measured])
    if saturated > settings.max_saturated_fraction:
        flags.append(f"saturation({saturated:.1%} of events)")
    unstable = None
    if time_channel is not None and time_channel in channels:
        time = events[:, list(channels).index(time_channel)]
        unstable = unstable_time_fraction(time, settings.flow_rate_bins, settings.flow_rate_z)
        if unstable > settings.max_unstable_fraction:
            flags.append(f"unstable_flow_rate({unstable:.1%} of events)")
    return QCResult(n, saturated, nonfinite, unstable, tuple(flags))
