"""Per-sample resolution of the new gate kinds (dispatched from gating.resolve).

`values_of(key, mask, marker) -> (subsample values, event count)` is the engine's cached
subsample of a population (gating._sample_values): statistics come from at most
MAX_SAMPLE events, widths follow the full count, as for the other kinds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cytotrial.flow.gating.kinds.boolean import BooleanGate
from cytotrial.flow.gating.kinds.cluster import cluster_gate
from cytotrial.flow.gating.kinds.fixed import fixed_ellipse, fixed_polygon
from cytotrial.flow.gating.kinds.singlets_hw import singlet_band
from cytotrial.flow.gating.kinds.tail import tail_gate

__all__ = [
    "resolve_kind",
]

ValuesOf = Callable[[tuple, np.ndarray, str], tuple[np.ndarray, int]]


def resolve_kind(spec, data: dict, parent: np.ndarray, masks: dict, values_of: ValuesOf):
    """(shape, flags) of one new-kind gate on this sample."""
    p, key = spec.params, (spec.parent,)
    if spec.kind == "boolean":
        return BooleanGate(p["op"], tuple(p["refs"])), []
    if spec.kind == "polygon":
        return fixed_polygon(p), []
    if spec.kind == "ellipse":
        return fixed_ellipse(p), []
    if spec.kind == "cluster":
        x, count = values_of(key, parent, p["dims"][0])
        y, _ = values_of(key, parent, p["dims"][1])
        return cluster_gate(spec.name, x, y, count, p)
    if spec.kind == "tail":
        values, count = values_of(key, parent, p["marker"])
        if p["control"] is not None:
            control = p["control"]
            source, source_count = values_of((control,), masks[control], p["marker"])
        else:
            source, source_count = values, count
        return tail_gate(spec.name, source, source_count, p, values, count)
    if spec.kind == "singlets":  # the height x width variant
        height, _ = values_of(key, parent, p["height"])
        width, _ = values_of(key, parent, p["width"])
        usable = parent & np.isfinite(data[p["height"]])
        reach = float(np.max(data[p["height"]], where=usable, initial=-np.inf))
        return singlet_band(height, width, p, reach)
    raise ValueError(f"not a new gate kind: {spec.kind}")
