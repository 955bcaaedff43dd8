"""Boolean gates: and / or / not over the masks of gates listed above.

The region is op(refs) over the referenced gates' full memberships (each with its own
parents applied); the engine then intersects it with the boolean gate's parent, so NOT
is relative to the parent, never the root (gating-methods guide §4). Gating-ML 2.0's
BooleanGate has the same semantics (FlowKit applies the parent_id too).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "BooleanGate",
    "contains",
]


@dataclass(frozen=True)
class BooleanGate:
    """op ('and', 'or', 'not') over references (gate name, use as complement)."""

    op: str
    refs: tuple[tuple[str, bool], ...]
    dims: tuple[str, ...] = ()

    def contains(
        self, data: Mapping[str, np.ndarray], masks: Mapping[str, np.ndarray]
    ) -> np.ndarray:
        parts = [~masks[ref] if complement else masks[ref] for ref, complement in self.refs]
        if self.op == "not":
            return ~parts[0]
        reduce = np.logical_and if self.op == "and" else np.logical_or
        return reduce.reduce(parts) if len(parts) > 1 else parts[0].copy()

    def describe(self) -> dict[str, Any]:
        return {
            "shape": "boolean",
            "dims": [],
            "op": self.op,
            "refs": [[ref, complement] for ref, complement in self.refs],
        }


def contains(shape, data: Mapping[str, np.ndarray], masks: Mapping[str, np.ndarray]) -> np.ndarray:
    """The shape's own region; a boolean gate reads the masks of the gates it names."""
    if isinstance(shape, BooleanGate):
        return shape.contains(data, masks)
    return shape.contains(data)
