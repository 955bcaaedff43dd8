"""Axis ticks of the audit plot in data units (compensated values a cytometrist reads),
placed on the transformed display axis the gates are drawn on.

Logicle and arcsinh axes get 0 and the powers of ten (+-100, 1k, 10k, ...), linear axes
(scatter) a few round values; each tick is placed by the channel's own forward
transform, so no inverse (and no extra library) is needed in the per-sample job.
"""

from __future__ import annotations

import math

import numpy as np

from cytotrial.flow.prepare.transforms import Asinh, Linear, Logicle, Transform, transform_from_spec

__all__ = [
    "data_label",
    "marker_transforms",
    "ticks",
]

MAX_TICKS = 5


def marker_transforms(panel) -> dict[str, Transform]:
    """Marker -> its channel's transform (cytotrial.io.panel.Panel)."""
    return {
        c.marker: transform_from_spec(c.transform, f"panel, {c.channel}") for c in panel.channels
    }


def data_label(value: float) -> str:
    """100 -> '100', 1000 -> '1k', 25000 -> '25k', 1.5e6 -> '1.5M', -1000 -> '-1k'."""
    size = abs(value)
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:g}{suffix}"
    return f"{value:g}"


def ticks(transform: Transform | None, low: float, high: float) -> list[tuple[float, str]]:
    """(position in display units, label in data units) of the ticks inside [low, high];
    [] when the transform is unknown (the caller then labels the display range)."""
    if transform is None:
        return []
    if isinstance(transform, Linear):
        values = _round_values(low * transform.scale, high * transform.scale)
    elif isinstance(transform, Logicle | Asinh):
        top = transform.T if isinstance(transform, Logicle) else 1e7
        powers = [10.0**k for k in range(2, int(math.log10(top)) + 1)]
        values = np.array([*(-p for p in reversed(powers)), 0.0, *powers])
    else:
        return []
    positions = np.asarray(transform.apply(np.asarray(values, dtype=np.float64)), dtype=float)
    inside = (positions >= low) & (positions <= high)
    chosen = [
        (float(p), data_label(float(v)))
        for p, v, keep in zip(positions, values, inside, strict=True)
        if keep
    ]
    return _thin(chosen, low, high)


def _round_values(low: float, high: float) -> np.ndarray:
    """Round values (1, 2 or 5 x 10^k apart) between low and high, at most MAX_TICKS."""
    span = high - low
    if not span > 0:
        return np.array([low])
    raw = span / (MAX_TICKS - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return np.arange(math.ceil(low / step) * step, high + step / 2, step)


def _thin(chosen: list[tuple[float, str]], low: float, high: float) -> list[tuple[float, str]]:
    """Labels closer than 15% of the axis overlap: keep 0 first, then the largest
    values, each only if it is clear of those kept."""
    gap = 0.15 * (high - low)

    def priority(tick: tuple[float, str]) -> tuple[bool, float]:
        return (tick[1] != "0", -abs(_value(tick[1])))

    kept: list[tuple[float, str]] = []
    for tick in sorted(chosen, key=priority):
        if all(abs(tick[0] - other[0]) >= gap for other in kept):
            kept.append(tick)
    return sorted(kept)


def _value(label: str) -> float:
    scale = {"k": 1e3, "M": 1e6}.get(label[-1], 1.0)
    return float(label[:-1] if scale != 1.0 else label) * scale
