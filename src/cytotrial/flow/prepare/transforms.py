"""Channel transforms for display and gating: linear, logicle, asinh.

Logicle (Parks et al. 2006; Gating-ML 2.0) has no closed form, and flowutils'
exact C implementation costs ~130 ns per value (1.3 s for 1M events x 10
channels). `Logicle.apply` instead reads a table indexed by the float32 bit
pattern of each value: the top 10 mantissa bits and the exponent and sign pick
one of 1024 segments per binade (exact flowutils values at the segment ends for
|x| from 2^-6 to 8T, both signs; a straight line below), the low 13 bits give the
position within the segment, where the value is interpolated linearly. No arcsinh,
no search, no float64: about 3 ms per 1M values, max error ~1.3e-7 in logicle
units (scale 0..1; the float32 result's own rounding is up to 6e-8). Values
beyond 8T, inf and NaN are computed exactly. `exact=True` uses flowutils
(float64). MFIs are never computed on transformed values.

Every `apply` takes an optional `out` (a float32 array of the same length) so that
a caller can transform in place or into a buffer it reuses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from cytotrial.errors import InputError

__all__ = [
    "Transform",
    "Linear",
    "Asinh",
    "Logicle",
    "logicle_lut",
    "transform_parameters",
    "transform_from_spec",
    "parks_width",
    "width_note",
]

_SEGMENT_BITS = 10  # 1024 linear segments per binade: interpolation error ~1e-8
_LOW_BITS = 23 - _SEGMENT_BITS  # mantissa bits below the segment index
_LOW_MASK = (1 << _LOW_BITS) - 1
_ONE_BITS = 0x3F800000  # float32 1.0: exponent bits that turn the low bits into 1 + fraction
_TABLE_SIZE = 1 << (32 - _LOW_BITS)  # every sign/exponent/segment combination
_LOW_DECADES_BELOW_T = 24  # table starts at 2^(floor(log2 T) - 24): 2^-6 for T = 2^18
_HIGH_FACTOR = 8.0  # ... and ends beyond 8T


class Transform(Protocol):
    """A per-channel transform: raw (compensated) values <-> display/gating units."""

    def apply(self, values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray: ...

    def inverse(self, values: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Linear:
    """x / scale (scatter channels: 0..1 over the instrument range)."""

    scale: float = 1.0

    def apply(self, values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        values = np.asarray(values)
        if values.dtype != np.float32:
            values = values.astype(np.float32)
        return np.divide(values, np.float32(self.scale), out=out)

    def inverse(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=np.float64) * self.scale


@dataclass(frozen=True)
class Asinh:
    """arcsinh(x / cofactor), the common cytometry 'asinh with cofactor'."""

    cofactor: float  # no default: 150 suits fluorescence, 5 mass cytometry

    def apply(self, values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        values = np.asarray(values)
        if values.dtype != np.float32:
            values = values.astype(np.float32)
        result = np.divide(values, np.float32(self.cofactor), out=out)
        return np.arcsinh(result, out=result)

    def inverse(self, values: np.ndarray) -> np.ndarray:
        return np.sinh(np.asarray(values, dtype=np.float64)) * self.cofactor


@dataclass(frozen=True)
class Logicle:
    """Logicle with Gating-ML parameters T (top), W (linear width), M (decades), A."""

    T: float = 262144.0
    W: float = 0.5
    M: float = 4.5
    A: float = 0.0
    exact: bool = field(default=False, compare=False)

    def apply(self, values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        values = np.asarray(values)
        if self.exact:
            from flowutils import transforms as fu

            result = fu.logicle(values.astype(np.float64), None, self.T, self.M, self.W, self.A)
            if out is None:
                return result
            out[...] = result
            return out
        return logicle_lut(values, self.T, self.W, self.M, self.A, out=out)

    def inverse(self, values: np.ndarray) -> np.ndarray:
        from flowutils import transforms as fu

        values = np.asarray(values, dtype=np.float64)
        return fu.logicle_inverse(values, None, self.T, self.M, self.W, self.A)


@lru_cache(maxsize=16)
def _logicle_table(t: float, w: float, m: float, a: float) -> tuple[np.ndarray, np.ndarray]:
    """Per segment: the value at its start minus its rise (E), and its rise (D).

    y = E[i] + D[i] * (1 + f) with f in [0, 1) the position within segment i.
    Knots from 2^low to 2^high (both signs) are exact flowutils values; below 2^low
    logicle is a straight line to within ~1e-11 (|x| < 2^-6 for T = 2^18, where the
    scale is linear over hundreds of units), so those segments (down to 0) come from
    the line through the two knots nearest zero. Segments beyond 2^high and of
    inf/NaN hold NaN in both tables, which sends their values to the exact computation.
    """
    from flowutils import transforms as fu

    low_exp = math.floor(math.log2(t)) - _LOW_DECADES_BELOW_T
    high_exp = math.ceil(math.log2(_HIGH_FACTOR * t))
    stop = (high_exp + 127) << _SEGMENT_BITS  # segment index of 2^high_exp (not covered)
    start = (low_exp + 127) << _SEGMENT_BITS  # ... of 2^low_exp (first exact knot)
    sign = 1 << (31 - _LOW_BITS)
    per_sign = np.arange(stop + 1, dtype=np.uint32)  # knots from +0 up to 2^high_exp
    x = (per_sign << np.uint32(_LOW_BITS)).view(np.float32).astype(np.float64)
    exact = per_sign >= start
    y_pos, y_neg = np.empty(len(x)), np.empty(len(x))
    y_pos[exact] = fu.logicle(x[exact], None, t, m, w, a)
    y_neg[exact] = fu.logicle(-x[exact], None, t, m, w, a)
    smallest = x[start]  # 2^low_exp: the line through its two knots (+ and -)
    middle = (y_pos[start] + y_neg[start]) / 2
    slope = (y_pos[start] - y_neg[start]) / (2 * smallest)
    y_pos[~exact] = middle + slope * x[~exact]
    y_neg[~exact] = middle - slope * x[~exact]
    e_table = np.full(_TABLE_SIZE, np.nan, dtype=np.float32)
    d_table = np.full(_TABLE_SIZE, np.nan, dtype=np.float32)
    for offset, y in ((0, y_pos), (sign, y_neg)):
        rise = np.diff(y)
        e_table[offset : offset + stop] = y[:-1] - rise
        d_table[offset : offset + stop] = rise
    e_table.flags.writeable = False
    d_table.flags.writeable = False
    return e_table, d_table


_CHUNK = 1 << 15  # values per block: the block's temporaries stay in L2


def logicle_lut(
    values: np.ndarray,
    t: float,
    w: float,
    m: float,
    a: float,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Table logicle of float32 values (other dtypes are converted); float32 result.

    `out` may be `values` itself (a float32 array): the transform is then in place.
    Works through the values in blocks of 32768 with reused scratch buffers, so the
    eight array operations per block run in cache and nothing large is allocated.
    """
    e_table, d_table = _logicle_table(float(t), float(w), float(m), float(a))
    x = np.ascontiguousarray(values, dtype=np.float32).reshape(-1)
    if out is None:
        out = np.empty(x.shape, dtype=np.float32)
    result = out.reshape(-1)
    size = min(_CHUNK, len(x))
    # intp segment numbers: np.take converts any other index type on every call
    segment = np.empty(size, dtype=np.intp)
    position = np.empty(size, dtype=np.uint32)
    rise = np.empty(size, dtype=np.float32)
    outside: list[tuple[np.ndarray, np.ndarray]] = []
    for start in range(0, len(x), _CHUNK):
        bits = x[start : start + _CHUNK].view(np.uint32)
        k = len(bits)
        seg, pos, up = segment[:k], position[:k], rise[:k]
        np.right_shift(bits, _LOW_BITS, out=seg, casting="unsafe")  # < 2^19: exact
        np.bitwise_and(bits, _LOW_MASK, out=pos)
        np.left_shift(pos, _SEGMENT_BITS, out=pos)  # low bits to the top of the mantissa
        np.bitwise_or(pos, _ONE_BITS, out=pos)  # ... of a float32 1 + f, f in [0, 1)
        np.take(d_table, seg, out=up, mode="wrap")  # in range: no checks
        if np.isnan(up.min()):  # outside the table (or NaN input): exact, rare
            where = np.flatnonzero(np.isnan(up))
            outside.append((start + where, bits[where].view(np.float32).astype(np.float64)))
        np.multiply(up, pos.view(np.float32), out=up)
        block = result[start : start + k]
        np.take(e_table, seg, out=block, mode="wrap")
        np.add(block, up, out=block)
    if outside:
        from flowutils import transforms as fu

        for where, originals in outside:
            result[where] = fu.logicle(originals, None, t, m, w, a)
    return out


# Each transform's parameters and their defaults (None: required). No default depends on
# the instrument: logicle's T (the top of the range) and asinh's cofactor (150 suits
# fluorescence, 5 mass cytometry) must be given; W, M, A are Gating-ML's usual values.
PARAMETERS: dict[str, dict[str, float | None]] = {
    "linear": {"scale": 1.0},
    "logicle": {"T": None, "W": 0.5, "M": 4.5, "A": 0.0},
    "asinh": {"cofactor": None},
}
MISSING = {
    ("logicle", "T"): "logicle needs T, the top of the instrument's range ($PnR, e.g. 262144)",
    ("asinh", "cofactor"): (
        "asinh needs a cofactor: 150 is usual for fluorescence, 5 for mass cytometry"
    ),
}


def transform_parameters(spec: dict[str, Any] | None, where: str = "panel") -> tuple[str, dict]:
    """(type, every parameter with its default filled in) of a panel transform entry;
    unknown types or parameters and missing required ones raise InputError naming `where`."""
    from cytotrial.io.document_checks import did_you_mean

    spec = dict(spec or {"type": "linear"})
    kind = spec.pop("type", "linear")
    if kind not in PARAMETERS:
        raise InputError(
            f"{where}: unknown transform type {kind!r} (expected {', '.join(PARAMETERS)})"
        )
    allowed = PARAMETERS[kind]
    for key in spec:
        if key not in allowed:
            raise InputError(
                f"{where}: unknown key {key!r} for the {kind} transform"
                + (did_you_mean(key, allowed) or f" (allowed: {', '.join(allowed)})")
            )
    values = {}
    for key, default in allowed.items():
        value = spec.get(key, default)
        if value is None:
            raise InputError(f"{where}: {MISSING[(kind, key)]}")
        values[key] = float(value)
    return kind, values


def transform_from_spec(spec: dict[str, Any] | None, where: str = "panel") -> Transform:
    """Build a transform from a panel entry such as {type: logicle, T: 262144, W: 0.5, ...}."""
    kind, values = transform_parameters(spec, where)
    if kind == "logicle":
        return Logicle(**values)
    if kind == "asinh":
        return Asinh(**values)
    return Linear(**values)


# A logicle width this much below the data's (Parks et al. 2006, section "Choosing
# W") stretches the negatives so far that an unstained population splits in two.
WIDTH_SHORTFALL = 0.25
_WIDTH_SAMPLE = 20_000  # values looked at per channel (a strided subsample)


def parks_width(values: np.ndarray, top: float, decades: float) -> float | None:
    """The logicle W the data's negatives call for: (M - log10(T / |r|)) / 2 (T `top`,
    M `decades`) with r the 5th percentile of the negative values (Parks et al. 2006);
    None without negatives."""
    values = np.asarray(values)
    if len(values) > _WIDTH_SAMPLE:
        values = values[:: len(values) // _WIDTH_SAMPLE]
    negative = values[values < 0]
    if len(negative) < 20:  # too few negatives to say how far they reach
        return None
    r = float(np.percentile(negative, 5))
    return max(0.0, (decades - math.log10(top / abs(r))) / 2)


def width_note(channel: str, transform: Logicle, values: np.ndarray) -> str | None:
    """A note for the sample record when the panel's logicle W is well below the width the
    channel's negatives need (the unstained population would show as two humps)."""
    wanted = parks_width(values, transform.T, transform.M)
    if wanted is None or wanted - WIDTH_SHORTFALL <= transform.W:
        return None
    return (
        f"logicle W {transform.W:g} on {channel} is below the {wanted:.2f} its negatives "
        f"call for (Parks et al. 2006: (M - log10(T/|r|))/2, r their 5th percentile): "
        f"negative populations may split into two humps; raise W in the panel"
    )
