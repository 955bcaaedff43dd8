"""Turn the bytes of a DATA segment into numbers, vectorised (no loop over events).

* F/D: one dtype ('<f4', '>f8' ...) over the whole buffer, byte-swapped in place if needed.
* I with one width of 1/2/4/8 bytes: one unsigned dtype, then a per-column AND-mask.
* I with mixed or odd widths (24-bit Cytek, 16+32-bit Stratedigm): the segment as an
  (n_events, event_bytes) uint8 matrix sliced per channel; 1/2/4/8-byte slices become a
  dtype view, other widths are combined with one shift-or per byte (not per event).
* A: fixed-width fields parsed by numpy, or free format split on whitespace/commas.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from cytotrial.fcs.errors import FcsError
from cytotrial.fcs.layout import Layout

__all__ = [
    "float_dtype",
    "to_native",
    "decode_integers",
    "decode_ascii_fixed",
    "decode_ascii_free",
]

_NUMPY_WIDTHS = (1, 2, 4, 8)


def float_dtype(layout: Layout) -> np.dtype:
    """File dtype of F/D data."""
    return np.dtype(
        ("<" if layout.little_endian else ">") + ("f4" if layout.datatype == "F" else "f8")
    )


def to_native(array: np.ndarray) -> np.ndarray:
    """Native byte order without a new allocation (in-place swap of a buffer we own)."""
    if array.dtype.isnative:
        return array
    array.byteswap(inplace=True)
    return array.view(array.dtype.newbyteorder("="))


def decode_integers(
    raw: np.ndarray, layout: Layout, n_events: int, columns: Sequence[int]
) -> tuple[np.ndarray, list[int]]:
    """Masked unsigned integers, shape (n_events, len(columns)), native byte order.

    `raw` is the DATA segment as a uint8 array of n_events x event_bytes. Also returns the
    output columns in which the mask cleared set bits (junk above the $PnR range).
    """
    widths = {layout.value_bytes[c] for c in range(layout.n_channels)}
    if len(widths) == 1 and (width := widths.pop()) in _NUMPY_WIDTHS:
        values = _uniform(raw, layout, n_events, width, columns)
    else:
        values = _mixed(raw, layout, n_events, columns)
    masks = [layout.masks[c] for c in columns]
    junk = [j for j, mask in enumerate(masks) if mask is not None and values[:, j].max() > mask]
    _apply_masks(values, masks)
    return values, junk


def _uniform(
    raw: np.ndarray, layout: Layout, n_events: int, width: int, columns: Sequence[int]
) -> np.ndarray:
    order = "<" if layout.little_endian else ">"
    matrix = raw.view(np.dtype(f"{order}u{width}")).reshape(n_events, layout.n_channels)
    if list(columns) != list(range(layout.n_channels)):
        matrix = matrix[:, list(columns)]  # fancy indexing copies: the swap below is safe
    return to_native(matrix)


def _mixed(raw: np.ndarray, layout: Layout, n_events: int, columns: Sequence[int]) -> np.ndarray:
    offsets = np.concatenate([[0], np.cumsum(layout.value_bytes)[:-1]]).tolist()
    widest = max(layout.value_bytes[c] for c in columns)
    out_dtype = np.dtype(f"u{min(w for w in _NUMPY_WIDTHS if w >= widest)}")
    records = raw.reshape(n_events, -1)
    out = np.empty((n_events, len(columns)), dtype=out_dtype)
    for j, c in enumerate(columns):
        out[:, j] = _combine_bytes(
            records[:, offsets[c] : offsets[c] + layout.value_bytes[c]],
            layout.little_endian,
            out_dtype,
        )
    return out


def _combine_bytes(field: np.ndarray, little_endian: bool, dtype: np.dtype) -> np.ndarray:
    """(n, k) uint8 -> n unsigned integers of k bytes, one shift-or per byte (not per event)."""
    width = field.shape[1]
    if width in _NUMPY_WIDTHS:
        order = "<" if little_endian else ">"
        contiguous = np.ascontiguousarray(field)
        return contiguous.view(np.dtype(f"{order}u{width}")).reshape(-1)
    byte_order = range(width - 1, -1, -1) if little_endian else range(width)
    value = np.zeros(field.shape[0], dtype=dtype)
    for index in byte_order:  # most significant byte first
        value <<= 8
        value |= field[:, index]
    return value


def _apply_masks(values: np.ndarray, masks: Sequence[int | None]) -> None:
    if all(mask is None for mask in masks):
        return
    full = np.iinfo(values.dtype).max
    vector = np.array([full if m is None else m for m in masks], dtype=values.dtype)
    np.bitwise_and(values, vector, out=values)


def decode_ascii_fixed(
    raw: np.ndarray, layout: Layout, n_events: int, columns: Sequence[int], where: str
) -> np.ndarray:
    """Fixed-width ASCII values ($PnB characters each) -> float64."""
    offsets = np.concatenate([[0], np.cumsum(layout.value_bytes)[:-1]]).tolist()
    records = raw.reshape(n_events, -1)
    out = np.empty((n_events, len(columns)), dtype=np.float64)
    for j, c in enumerate(columns):
        width = layout.value_bytes[c]
        field = np.ascontiguousarray(records[:, offsets[c] : offsets[c] + width])
        texts = field.view(f"S{width}").reshape(-1)
        out[:, j] = _parse_ascii(texts, where, c)
    return out


def decode_ascii_free(
    raw: bytes, layout: Layout, n_events: int | None, columns: Sequence[int], where: str
) -> np.ndarray:
    """Free-format ASCII ($PnB '*'): values separated by whitespace or commas -> float64."""
    tokens = [t for t in re.split(rb"[\s,]+", raw) if t]
    n_found, remainder = divmod(len(tokens), layout.n_channels)
    if remainder or (n_events is not None and n_found != n_events):
        raise FcsError(
            f"{where}: free-format ASCII DATA holds {len(tokens)} values; expected "
            f"$TOT x $PAR = {n_events} x {layout.n_channels}"
        )
    matrix = _parse_ascii(np.array(tokens), where, None).reshape(n_found, layout.n_channels)
    return np.ascontiguousarray(matrix[:, list(columns)])


def _parse_ascii(texts: np.ndarray, where: str, channel: int | None) -> np.ndarray:
    try:
        return np.char.strip(texts).astype(np.float64)
    except ValueError as error:
        which = f"channel {channel + 1}" if channel is not None else "the DATA segment"
        raise FcsError(f"{where}: ASCII DATA of {which} is not numeric ({error})") from None
