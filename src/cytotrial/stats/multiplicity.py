"""Adjusted P values for a family of comparisons, as R's ``p.adjust`` computes them.

* Holm (1979), step-down: with the m P values sorted ascending, the i-th adjusted value is
  ``max_{j <= i} min(1, (m - j + 1) p_(j))``. Controls the family-wise error rate.
* Benjamini-Hochberg (1995), step-up: ``min_{j >= i} min(1, m / j * p_(j))``. Controls the
  false discovery rate.

NaN (a comparison that could not be made) stays NaN and is not counted in m, as in R
(``p.adjust``'s ``n`` defaults to the number of non-missing P values).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["benjamini_hochberg", "holm"]


def _ordered(p_values: Iterable[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(output filled with NaN, the valid P values' positions sorted by P, all P values)."""
    p = np.asarray(list(p_values), dtype=float)
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"P values must lie in [0, 1]: {p.tolist()}")
    valid = np.flatnonzero(~np.isnan(p))
    return np.full(p.shape, np.nan), valid[np.argsort(p[valid], kind="stable")], p


def holm(p_values: Iterable[float]) -> np.ndarray:
    """Holm-adjusted P values, in the input's order (R: ``p.adjust(p, "holm")``)."""
    out, order, p = _ordered(p_values)
    m = order.size
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled) if m else scaled
    return out


def benjamini_hochberg(p_values: Iterable[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted P values, in the input's order (R: ``p.adjust(p, "BH")``)."""
    out, order, p = _ordered(p_values)
    m = order.size
    scaled = np.minimum(1.0, m / np.arange(1, m + 1) * p[order])
    out[order] = np.minimum.accumulate(scaled[::-1])[::-1] if m else scaled
    return out
