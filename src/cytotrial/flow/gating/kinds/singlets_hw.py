"""Singlets on height x width (FSC-H x FSC-W), as FlowJo users draw them (guide §3.3).

A doublet has a single cell's pulse height but a longer pulse (width). On the height
band of the bulk of the parent (its 5th to 95th height percentiles) the width's median
and MAD are measured; singlets are the events whose width lies within median +- width_mad
robust SDs: a rectangle polygon on (height, width), open in height (it reaches below
and beyond every event), exported as a Gating-ML polygon.
"""

from __future__ import annotations

import numpy as np

from cytotrial.flow.gating.density import median, percentiles
from cytotrial.flow.gating.gates import PolygonGate

__all__ = [
    "singlet_band",
]

MIN_EVENTS = 30


def singlet_band(
    height: np.ndarray, width: np.ndarray, p: dict, height_max: float | None = None
) -> tuple[PolygonGate, list[str]]:
    """`height`, `width`: the parent's events (or a subsample); `height_max`: the largest
    height among all of them (default from `height`)."""
    dims = (p["height"], p["width"])
    usable = np.isfinite(height) & np.isfinite(width) & (height > 0)
    if np.count_nonzero(usable) < MIN_EVENTS:
        return PolygonGate(dims, ((0, 0), (0, 0), (0, 0))), ["too_few_events(singlets)"]
    h, w = height[usable], width[usable]
    low, high = percentiles(h, [5, 95])
    band = w[(h >= low) & (h <= high)]
    centre = float(median(band))
    spread = 1.4826 * float(median(np.abs(band - centre), overwrite=True))
    w_low, w_high = centre - p["width_mad"] * spread, centre + p["width_mad"] * spread
    if height_max is None or not np.isfinite(height_max):
        height_max = float(np.max(h))
    left, right = min(-1.0, float(np.min(h)) - 1.0), max(1.5, height_max * 1.1)
    vertices = ((left, w_low), (right, w_low), (right, w_high), (left, w_high))
    return PolygonGate(dims, vertices), []
