"""Draw sets of numbers whose median, range and class counts are exactly the published ones.

Table 1 reports each continuous characteristic as median (range), sometimes with class
counts (age < 65 / 65-75 / >= 75; > 3 prior lines). Instead of sampling and hoping, we
decide how many values fall below, at and above the median in every class and then
draw each value inside the interval that keeps those counts; the statistics therefore
hold by construction and the randomness only shapes the values in between.

`design_values` builds a whole column; `complete_values` adds k values to values that
are already fixed (part A rows of part-B patients are derived from their part B rows,
the 13 other patients fill the rest of the part A column).
"""

from __future__ import annotations

import itertools

import numpy as np

from cytotrial.simulate.paper_targets import NumericSpec

__all__ = [
    "DesignError",
    "complete_values",
    "design_values",
]


class DesignError(ValueError):
    """The requested statistics cannot be met with the values already fixed."""


def _unit(spec: NumericSpec) -> float:
    return 10.0 ** (-spec.decimals)


def _bins(spec: NumericSpec, n: int) -> list[tuple[float, float, int]]:
    """Classes as inclusive [low, high] intervals clipped to the range."""
    if not spec.bins:
        return [(spec.lo, spec.hi, n)]
    unit = _unit(spec)
    out = []
    for low, high, count in spec.bins:
        b_lo = spec.lo if low is None else max(spec.lo, low)
        b_hi = spec.hi if high is None else min(spec.hi, high - unit)
        out.append((b_lo, b_hi, count))
    if sum(c for _, _, c in out) != n:
        raise DesignError(f"class counts {out} do not add up to n={n}")
    return out


def _draw(
    rng: np.random.Generator, spec: NumericSpec, low: float, high: float, k: int
) -> np.ndarray:
    """k values in [low, high], denser near the median (skew > 1)."""
    if k == 0:
        return np.empty(0)
    if high < low:
        raise DesignError(f"empty interval [{low}, {high}]")
    m = spec.median
    if high <= m:  # below the median: distance from the median is skewed towards 0
        span, p = m - spec.lo, spec.skew_low
        d_lo, d_hi = m - high, m - low
        sign = -1.0
    else:  # at or above
        span, p = spec.hi - m, spec.skew_high
        d_lo, d_hi = max(0.0, low - m), high - m
        sign = 1.0
    if span <= 0:
        return np.full(k, float(m))
    q_lo, q_hi = (d_lo / span) ** (1 / p), (d_hi / span) ** (1 / p)
    d = span * (q_lo + (q_hi - q_lo) * rng.uniform(size=k)) ** p
    values = np.round(m + sign * d, spec.decimals)
    return np.clip(values, low, high)


def _draw_side(
    rng: np.random.Generator,
    spec: NumericSpec,
    counts: list[tuple[float, float, int]],
    include: float | None,
) -> np.ndarray:
    """Draw per-interval counts; force one value to `include` (a range end) if asked."""
    parts = [_draw(rng, spec, lo, hi, k) for lo, hi, k in counts]
    if include is not None:
        for (lo, hi, k), part in zip(counts, parts, strict=True):
            if k and lo <= include <= hi:
                part[0] = include
                break
        else:
            raise DesignError(f"no free value can take the range end {include}")
    return np.concatenate(parts) if parts else np.empty(0)


def complete_values(
    rng: np.random.Generator, spec: NumericSpec, fixed: np.ndarray, k: int
) -> np.ndarray:
    """k new values such that fixed + new has exactly the spec's median, range and classes.

    The total must be odd (part A has 63 patients). Raises DesignError if impossible.
    """
    fixed = np.asarray(fixed, dtype=float)
    n = fixed.size + k
    if n % 2 == 0:
        raise DesignError("complete_values needs an odd total")
    pos = n // 2
    m = spec.median
    if fixed.size and (fixed.min() < spec.lo or fixed.max() > spec.hi):
        raise DesignError("fixed values outside the range")
    bins = _bins(spec, n)
    needs = []
    for lo, hi, count in bins:
        need = count - int(np.sum((fixed >= lo) & (fixed <= hi)))
        if need < 0:
            raise DesignError(f"class [{lo}, {hi}] already over-full")
        needs.append((lo, hi, need))
    need_lo = not np.any(fixed == spec.lo)
    need_hi = not np.any(fixed == spec.hi)
    below = [(lo, hi, c) for lo, hi, c in needs if hi < m]
    above = [(lo, hi, c) for lo, hi, c in needs if lo > m]
    mid = [(lo, hi, c) for lo, hi, c in needs if lo <= m <= hi]
    mid_lo, mid_hi, r_mid = mid[0] if mid else (m, m, 0)
    n_below = sum(c for *_, c in below)
    f_lt, f_le = int(np.sum(fixed < m)), int(np.sum(fixed <= m))
    # Split the median class into x below, y exactly at, z above the median.
    feasible = []
    for x, y in itertools.product(range(r_mid + 1), repeat=2):
        z = r_mid - x - y
        if z < 0 or f_lt + n_below + x > pos or f_le + n_below + x + y < pos + 1:
            continue
        if need_lo and spec.lo < m and not below and x == 0:
            continue  # the range's low end has to be one of the x values
        if need_hi and spec.hi > m and not above and z == 0:
            continue
        feasible.append((y, x, z))
    if not feasible:
        raise DesignError("median cannot be reached with the values already fixed")
    # Fewest ties at the median; otherwise any split.
    y_min = min(f[0] for f in feasible)
    candidates = [f for f in feasible if f[0] == y_min]
    y, x, z = candidates[int(rng.integers(len(candidates)))]
    low_side = [*below, (mid_lo, m, x)] if r_mid else below
    high_side = [(m, mid_hi, z), *above] if r_mid else above
    lows = _draw_side(rng, spec, low_side, spec.lo if need_lo and spec.lo < m else None)
    highs = _draw_side(rng, spec, high_side, spec.hi if need_hi and spec.hi > m else None)
    values = np.concatenate([lows, np.full(y, float(m)), highs])
    return rng.permutation(values)


def design_values(rng: np.random.Generator, spec: NumericSpec, n: int) -> np.ndarray:
    """n values (shuffled) with exactly the spec's median, range and class counts.

    For even n the two middle values are m - d and m + d (d = 0 or one rounding unit),
    so the median (their mean) is exactly m.
    """
    if n % 2:
        return complete_values(rng, spec, np.empty(0), n)
    m, unit, half = spec.median, _unit(spec), n // 2
    bins = _bins(spec, n)
    mid = [b for b in bins if b[0] <= m <= b[1]]
    if not mid:
        raise DesignError("median outside every class")
    mid_lo, mid_hi, c_mid = mid[0]
    d = unit * int(rng.integers(0, 2))
    if m - d < mid_lo or m + d > mid_hi:
        d = 0.0
    below = [(lo, hi, c) for lo, hi, c in bins if hi < m]
    above = [(lo, hi, c) for lo, hi, c in bins if lo > m]
    x = half - 1 - sum(c for *_, c in below)
    z = half - 1 - sum(c for *_, c in above)
    if x < 0 or z < 0 or x + z + 2 != c_mid:
        raise DesignError("classes inconsistent with the median")
    a, b = round(m - d, spec.decimals), round(m + d, spec.decimals)
    lows = _draw_side(rng, spec, [*below, (mid_lo, a, x)], spec.lo if spec.lo < a else None)
    highs = _draw_side(rng, spec, [(b, mid_hi, z), *above], spec.hi if spec.hi > b else None)
    return rng.permutation(np.concatenate([lows, [a, b], highs]))
