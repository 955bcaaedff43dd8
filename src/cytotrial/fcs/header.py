"""The 58-byte FCS HEADER: version and segment offsets.

Layout: "FCS3.1", 4 spaces, then six right-aligned 8-byte ASCII offsets (TEXT start/end,
DATA start/end, ANALYSIS start/end). End offsets are inclusive. Offsets are relative to
the first byte of the data set's HEADER. Files over 99,999,999 bytes write 0 (or blanks)
for DATA and keep the real offsets in $BEGINDATA/$ENDDATA.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cytotrial.fcs.errors import FcsError

__all__ = [
    "HEADER_SIZE",
    "Header",
    "parse_header",
]

HEADER_SIZE = 58
KNOWN_VERSIONS = ("2.0", "3.0", "3.1", "3.2")
_VERSION = re.compile(rb"FCS(\d\.\d)")


@dataclass(frozen=True)
class Header:
    """Offsets as written; data_start/data_end are None when blank or 0."""

    version: str
    text_start: int
    text_end: int
    data_start: int | None
    data_end: int | None


def parse_header(raw: bytes, where: str) -> tuple[Header, list[str]]:
    """Parse the HEADER bytes of one data set; `where` names the file (and data set)."""
    if not raw.startswith(b"FCS"):
        raise FcsError(
            f"{where}: not an FCS file: it starts with {raw[:10]!r}, "
            "expected 'FCS' and a version such as 'FCS3.1'"
        )
    if len(raw) < HEADER_SIZE:
        raise FcsError(
            f"{where}: the FCS HEADER is cut off: {len(raw)} bytes, expected {HEADER_SIZE}"
        )
    match = _VERSION.match(raw)
    if match is None:
        raise FcsError(f"{where}: HEADER version {raw[:6]!r} is not of the form 'FCS3.1'")
    version = match.group(1).decode("ascii")
    notes = []
    if version not in KNOWN_VERSIONS:
        notes.append(f"FCS version {version} is not one of {', '.join(KNOWN_VERSIONS)}")
    fields = [_field(raw, i) for i in range(4)]
    text_start, text_end = _text_offsets(fields, where)
    data_start, data_end = fields[2], fields[3]
    if data_start in (None, 0) and data_end in (None, 0):
        data_start = data_end = None
    elif data_start is None or data_end is None:
        notes.append("HEADER DATA offsets are not both numbers; ignored them")
        data_start = data_end = None
    header = Header(version, text_start, text_end, data_start, data_end)
    return header, notes


def _field(raw: bytes, index: int) -> int | None:
    """One 8-byte offset; None when blank or not a number (leading zeros are fine)."""
    text = raw[10 + 8 * index : 18 + 8 * index].strip()
    return int(text) if text.isdigit() else None


def _text_offsets(fields: list[int | None], where: str) -> tuple[int, int]:
    start, end = fields[0], fields[1]
    if start is None or end is None or start == 0 or end < start:
        raise FcsError(
            f"{where}: HEADER TEXT offsets are missing or invalid (start {start}, end {end}); "
            f"expected two byte offsets with start >= {HEADER_SIZE} and end > start"
        )
    return start, end
