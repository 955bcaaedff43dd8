"""Channel scaling applied by read_fcs(scale=True): the standard FCS transforms.

Same formulas and order as flowio's preprocessing (which FlowKit's Sample uses), so
integer files and float files give exactly flowio's values cast to float32. Two deliberate
differences, both following FCS 3.1 and both noted:
* $PnE log decoding only for integer data: 10 ** (f1 * x / $PnR) * f2 (f2 = 0 means 1).
  Float data must have $PnE 0,0; Guava Muse writes 4.0,1.0 on columns that already
  hold decades, and decoding them again would be wrong.
* $PnG (value / gain) only on linear channels; a gain on a log channel is ignored.
The time channel ($PnN 'Time', any case) is multiplied by $TIMESTEP and never divided by
its gain, as in flowio. Computation is float64, cast to the output dtype at the end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ChannelScale",
    "channel_scales",
    "apply_scales",
]

MAX_DECADES = 38  # float32 ends near 3.4e38; real instruments write 4 or 5 decades


@dataclass(frozen=True)
class ChannelScale:
    """What scale=True does to one output column; all identity means nothing to do."""

    decades: float = 0.0  # $PnE f1 (applied only to integer data)
    log_zero: float = 1.0  # $PnE f2, 0 replaced by 1
    value_range: float = 1.0  # $PnR for the log formula
    gain: float = 1.0  # divisor for linear channels
    timestep: float = 1.0  # multiplier for the time channel

    @property
    def identity(self) -> bool:
        return self.decades == 0 and self.gain == 1.0 and self.timestep == 1.0


def channel_scales(
    keywords: Mapping[str, str],
    channel_numbers: Sequence[int],
    names: Sequence[str],
    integer_data: bool,
    notes: list[str],
) -> list[ChannelScale]:
    """One ChannelScale per selected channel (1-based FCS numbers)."""
    time_index = _time_index(names)
    timestep = _timestep(keywords, notes) if time_index is not None else 1.0
    problems: list[str] = []
    float_log: list[str] = []
    log_gain: list[str] = []
    scales = []
    for j, n in enumerate(channel_numbers):
        decades, log_zero = _amplification(keywords, n, problems)
        gain = 1.0 if j == time_index else _gain(keywords, n, problems)
        if decades and gain != 1.0:
            log_gain.append(names[j])
            gain = 1.0
        if decades and not integer_data:
            float_log.append(names[j])
            decades = 0.0
        value_range = _float(keywords.get(f"$P{n}R", "")) or 1.0
        step = timestep if j == time_index else 1.0
        scales.append(ChannelScale(decades, log_zero, value_range, gain, step))
    if float_log:
        notes.append(
            f"$PnE is not 0,0 on floating-point channel(s) {', '.join(float_log)} (FCS 3.1 "
            "requires 0,0 for float data); kept their values as stored"
        )
    if log_gain:
        notes.append(f"$PnG ignored on log-amplified channel(s) {', '.join(log_gain)}")
    if problems:
        notes.append(f"unreadable {', '.join(problems[:10])}; treated as linear, gain 1")
    return scales


_BLOCK = 1 << 16  # rows per block of apply_scales: one float64 buffer, reused


def apply_scales(out: np.ndarray, source: np.ndarray, scales: Sequence[ChannelScale]) -> None:
    """Write scaled columns of `source` (raw values) into `out` (float32/float64).

    In float64, in blocks of rows through one reused buffer: the same operations in the
    same order as on a whole column (so the same values), without allocating and
    page-faulting two float64 copies of it."""
    buffer = np.empty(min(_BLOCK, len(source)), dtype=np.float64)
    for j, scale in enumerate(scales):
        if scale.identity:
            continue
        # Absurd but finite keywords (gain 1e-300, a log range of 1) overflow to inf, as
        # any reader would; the caller notes non-finite results.
        with np.errstate(over="ignore", invalid="ignore"):
            for start in range(0, len(source), _BLOCK):
                rows = slice(start, start + _BLOCK)
                values = buffer[: len(source[rows])]
                np.copyto(values, source[rows, j], casting="unsafe")  # = astype(np.float64)
                if scale.timestep != 1.0:
                    np.multiply(values, scale.timestep, out=values)
                if scale.decades > 0:
                    # (10 ** (decades * values / value_range)) * log_zero
                    np.multiply(scale.decades, values, out=values)
                    np.divide(values, scale.value_range, out=values)
                    np.power(10, values, out=values)
                    np.multiply(values, scale.log_zero, out=values)
                if scale.gain != 1.0:
                    np.divide(values, scale.gain, out=values)
                out[rows, j] = values


def _time_index(names: Sequence[str]) -> int | None:
    for j, name in enumerate(names):
        if name.strip().lower() == "time":
            return j
    return None


def _timestep(keywords: Mapping[str, str], notes: list[str]) -> float:
    text = keywords.get("$TIMESTEP", "").strip()
    if not text:
        return 1.0
    value = _float(text)
    if value is None or value <= 0:
        notes.append("$TIMESTEP is not a positive number; left the time channel unscaled")
        return 1.0
    return value


def _amplification(keywords: Mapping[str, str], n: int, problems: list[str]) -> tuple[float, float]:
    text = keywords.get(f"$P{n}E", "").strip()
    if not text:
        return 0.0, 1.0
    parts = [_float(part) for part in text.split(",")]
    if len(parts) != 2 or parts[0] is None or parts[1] is None or parts[0] < 0:
        problems.append(f"$P{n}E")
        return 0.0, 1.0
    decades, log_zero = parts
    if decades > MAX_DECADES:  # 10**decades would not fit a float32: a broken keyword
        problems.append(f"$P{n}E")
        return 0.0, 1.0
    return decades, (log_zero if log_zero > 0 else 1.0)


def _gain(keywords: Mapping[str, str], n: int, problems: list[str]) -> float:
    text = keywords.get(f"$P{n}G", "").strip()
    if not text:
        return 1.0
    value = _float(text)
    if value is None or value < 0:
        problems.append(f"$P{n}G")
        return 1.0
    return 1.0 if value == 0 else value


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None
