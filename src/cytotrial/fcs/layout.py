"""What the TEXT keywords say about the DATA segment: type, byte order, widths, masks.

Decisions:
* $MODE must be L (list mode) or absent (FCS 3.2 dropped it); C/U histograms are refused.
* $DATATYPE I: unsigned integers of $PnB bits, stored in whole bytes (FC500 10-bit values
  sit in 16-bit words), masked to the bits that $PnR needs (next power of two of $PnR,
  never more than $PnB), so junk in unused high bits (Coulter LMD) is dropped.
* $DATATYPE F/D: 4/8-byte IEEE floats whatever $PnB says (a disagreement is noted).
* $DATATYPE A: fixed-width ASCII ($PnB characters) or free format ($PnB = '*').
* $BYTEORD: ascending ("1,2,3,4", "1,2") is little-endian, descending is big-endian;
  anything else is refused. It may be absent only when every value is one byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cytotrial.fcs.errors import FcsError

__all__ = [
    "Layout",
    "read_layout",
]

_FLOAT_BYTES = {"F": 4, "D": 8}


@dataclass(frozen=True)
class Layout:
    """How to cut the DATA segment of one data set into events x channels."""

    datatype: str  # I, F, D or A
    little_endian: bool
    n_events: int | None  # None: $TOT absent (inferred later from the DATA length)
    n_channels: int
    value_bytes: tuple[int, ...]  # storage per value and channel (0: free-format ASCII)
    bits: tuple[int, ...]  # $PnB as written (0 for free-format ASCII)
    masks: tuple[int | None, ...]  # AND-mask per integer channel, None when not needed

    @property
    def event_bytes(self) -> int | None:
        """Bytes per event, None for free-format ASCII."""
        return None if 0 in self.value_bytes else sum(self.value_bytes)


def _int_keyword(keywords: Mapping[str, str], key: str, where: str) -> int | None:
    """A whole-number keyword (None when absent); a precise FcsError when not a number."""
    if key not in keywords:
        return None
    text = keywords[key].strip()
    if not text.isdigit():
        raise FcsError(f"{where}: keyword {key} is {text[:20]!r}, expected a whole number")
    return int(text)


def read_layout(keywords: Mapping[str, str], where: str, notes: list[str]) -> Layout:
    """Check the keywords that define the DATA segment and derive its layout."""
    n_channels = _int_keyword(keywords, "$PAR", where)
    if n_channels is None or n_channels < 1:
        raise FcsError(f"{where}: keyword $PAR is missing or 0; expected the number of channels")
    if n_channels > len(keywords):  # every channel needs its own $PnB, $PnR (and $PnN)
        raise FcsError(
            f"{where}: keyword $PAR claims {n_channels} channels but TEXT holds only "
            f"{len(keywords)} keywords; expected $PnB and $PnR for each channel"
        )
    n_events = _int_keyword(keywords, "$TOT", where)
    _check_mode(keywords, where)
    datatype = keywords.get("$DATATYPE", "").strip().upper()
    if datatype not in ("I", "F", "D", "A"):
        raise FcsError(
            f"{where}: unsupported $DATATYPE {datatype or '(missing)'!r}; "
            "expected I (integer), F (float32), D (float64) or A (ASCII)"
        )
    bits = tuple(_bits(keywords, n, datatype, where) for n in range(1, n_channels + 1))
    value_bytes = _value_bytes(datatype, bits, notes)
    little = _byte_order(keywords, value_bytes, datatype, where)
    masks = _masks(keywords, bits, value_bytes, notes) if datatype == "I" else (None,) * len(bits)
    return Layout(datatype, little, n_events, n_channels, value_bytes, bits, masks)


def _check_mode(keywords: Mapping[str, str], where: str) -> None:
    mode = keywords.get("$MODE", "L").strip().upper()
    if mode != "L":
        raise FcsError(
            f"{where}: unsupported $MODE {mode!r}; only list mode (L) is supported "
            "(C and U histograms are deprecated since FCS 3.1)"
        )


def _bits(keywords: Mapping[str, str], n: int, datatype: str, where: str) -> int:
    key = f"$P{n}B"
    text = keywords.get(key, "").strip()
    valid = text.isdigit() and int(text) > 0
    if datatype in _FLOAT_BYTES:
        return int(text) if valid else 0  # the width is fixed by $DATATYPE (noted if odd)
    if datatype == "A" and text == "*":
        return 0
    if not valid:
        raise FcsError(
            f"{where}: keyword {key} is {text[:20] or '(missing)'!r}; "
            f"expected the number of bits of channel {n}"
        )
    if datatype == "I" and int(text) > 64:
        raise FcsError(
            f"{where}: keyword {key} is {text}: integers wider than 64 bits are not supported"
        )
    return int(text)


def _value_bytes(datatype: str, bits: tuple[int, ...], notes: list[str]) -> tuple[int, ...]:
    if datatype in _FLOAT_BYTES:
        size = _FLOAT_BYTES[datatype]
        odd = sorted({b for b in bits if b != 8 * size})
        if odd:
            notes.append(
                f"$DATATYPE {datatype} with $PnB {odd} (expected {8 * size}); "
                f"read {size}-byte floats"
            )
        return (size,) * len(bits)
    if datatype == "A":
        return bits  # characters per value; 0 means free format
    unusual = sorted({b for b in bits if b % 8})
    if unusual:
        notes.append(
            f"integer channels of {unusual} bits are stored in whole bytes "
            f"({[(b + 7) // 8 * 8 for b in unusual]}-bit words) and masked"
        )
    return tuple((b + 7) // 8 for b in bits)


def _byte_order(
    keywords: Mapping[str, str], value_bytes: tuple[int, ...], datatype: str, where: str
) -> bool:
    """True for little-endian."""
    text = keywords.get("$BYTEORD", "").replace(" ", "")
    try:
        order = [int(part) for part in text.split(",")]
    except ValueError:
        order = []
    if order and order == sorted(order) and order[0] == 1:
        return True
    if order and order == sorted(order, reverse=True) and order[-1] == 1:
        return False
    if datatype == "A" or max(value_bytes) <= 1:
        return True  # byte order does not matter for single bytes or text
    raise FcsError(
        f"{where}: unsupported $BYTEORD {text[:40] or '(missing)'!r}; "
        "expected little-endian (1,2,3,4) or big-endian (4,3,2,1)"
    )


def _masks(
    keywords: Mapping[str, str],
    bits: tuple[int, ...],
    value_bytes: tuple[int, ...],
    notes: list[str],
) -> tuple[int | None, ...]:
    masks: list[int | None] = []
    bad_range: list[int] = []
    for n, (nbits, nbytes) in enumerate(zip(bits, value_bytes, strict=True), start=1):
        limit = 1 << nbits
        value_range = _range(keywords.get(f"$P{n}R", ""))
        if value_range is None:
            bad_range.append(n)
        else:
            limit = min(limit, _next_power_of_two(value_range))
        masks.append(limit - 1 if limit < 1 << (8 * nbytes) else None)
    if bad_range:
        notes.append(f"$PnR missing or not a number for channel(s) {bad_range}; masked to $PnB")
    return tuple(masks)


def _range(text: str) -> int | None:
    try:
        value = int(float(text.strip()))
    except ValueError:
        return None
    return value if value > 0 else None


def _next_power_of_two(value: int) -> int:
    return 1 << (value - 1).bit_length()
