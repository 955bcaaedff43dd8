"""Per-event agreement of one engine population with one expert population.

Both are boolean masks over the same events (guide §7.1): TP = both, FP = engine
only, FN = expert only. precision = TP/(TP+FP), recall = TP/(TP+FN), F1 = 2PR/(P+R).
Where a ratio has a zero denominator it is NaN ("both empty" is not a perfect score:
F1 is NaN when neither the engine nor the expert has an event).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Agreement:
    expert_events: int
    engine_events: int
    true_positives: int
    precision: float
    recall: float
    f1: float


def _ratio(a: int, b: int) -> float:
    return a / b if b else math.nan


def agreement(engine: np.ndarray, expert: np.ndarray) -> Agreement:
    """Precision, recall and F1 of `engine` against `expert` (boolean masks, same length)."""
    engine = np.asarray(engine, dtype=bool)
    expert = np.asarray(expert, dtype=bool)
    if engine.shape != expert.shape:
        raise ValueError(f"masks differ in length: {engine.shape} vs {expert.shape}")
    tp = int(np.count_nonzero(engine & expert))
    n_engine, n_expert = int(engine.sum()), int(expert.sum())
    precision, recall = _ratio(tp, n_engine), _ratio(tp, n_expert)
    f1 = _ratio(2 * tp, n_engine + n_expert)  # = 2PR/(P+R); NaN when both are empty
    return Agreement(n_expert, n_engine, tp, precision, recall, f1)


def mfi_rel_diff(values: np.ndarray, engine: np.ndarray, expert: np.ndarray) -> float:
    """(median over the engine's events - median over the expert's) / |expert's median|.

    NaN where either population is empty or the expert's median is 0.
    """
    if not engine.any() or not expert.any():
        return math.nan
    ours, theirs = float(np.median(values[engine])), float(np.median(values[expert]))
    return (ours - theirs) / abs(theirs) if theirs else math.nan
