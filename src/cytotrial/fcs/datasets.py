"""Find the data sets of a file: HEADER + TEXT of each, following $NEXTDATA.

$NEXTDATA is the offset of the next data set's HEADER relative to the current one (FCS 2.0
wording; Guava Muse and Coulter LMD files agree). If that position holds no HEADER but the
absolute reading does, the absolute one is used (noted). Loops, offsets past the end of
the file and non-numeric values end the chain with a note instead of an error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import BinaryIO

from cytotrial.fcs.errors import FcsError
from cytotrial.fcs.header import HEADER_SIZE, Header, parse_header
from cytotrial.fcs.text import parse_text

__all__ = [
    "DataSetText",
    "Chain",
    "FcsFile",
    "read_chain",
]

MAX_DATA_SETS = 1000  # a guard; real files hold 1 to 4


@dataclass
class DataSetText:
    """HEADER and TEXT of one data set. Offsets in `header` are relative to `base`."""

    index: int
    base: int
    where: str
    header: Header
    text_end: int  # after clipping (TEXT end on the first DATA byte, or past EOF)
    keywords: dict[str, str]
    notes: list[str] = field(default_factory=list)


@dataclass
class Chain:
    """All data sets that could be found, plus what ended the chain."""

    data_sets: list[DataSetText]
    notes: list[str]
    broken: FcsError | None = None  # error of the data set after the last one, if any

    @property
    def count(self) -> int:
        """Data sets in the file, an unreadable last one included."""
        return len(self.data_sets) + (self.broken is not None)


class FcsFile:
    """An open FCS file and its size; use as a context manager."""

    def __init__(self, path: str | os.PathLike[str], *, allow_empty: bool = False) -> None:
        """`allow_empty`: open an empty file too (to hash it); reading it raises."""
        self.path = os.fspath(path)
        try:
            self.handle: BinaryIO = open(self.path, "rb")  # noqa: SIM115 (closed in __exit__)
        except OSError as error:
            raise FcsError(
                f"{self.path}: cannot open the file: {error.strerror}", self.path
            ) from error
        self.size = os.fstat(self.handle.fileno()).st_size
        if self.size == 0 and not allow_empty:
            self.handle.close()
            raise self.empty_error()

    def empty_error(self) -> FcsError:
        return FcsError(
            f"{self.path}: file is empty (0 bytes); expected an FCS file starting with 'FCS'",
            self.path,
        )

    def __enter__(self) -> FcsFile:
        return self

    def __fspath__(self) -> str:
        """The path, so an open file can stand where a path is expected (read_fcs, names)."""
        return self.path

    def __exit__(self, exc_type: object, error: BaseException | None, traceback: object) -> None:
        self.handle.close()
        # Every reader error is raised while the file is open: it learns its path here, so
        # that callers can quote what is wrong without the path (FcsError.detail).
        if isinstance(error, FcsError) and error.path is None:
            error.path = self.path

    def read_at(self, position: int, count: int) -> bytes:
        self.handle.seek(position)
        return self.handle.read(count)


def _where_of(path: str, index: int, base: int) -> str:
    return path if index == 0 else f"{path} (data set {index} at byte {base})"


def read_chain(fcs: FcsFile, last_index: int | None = None) -> Chain:
    """Data sets 0.. (up to last_index when given); data set 0 must be readable."""
    chain = Chain([_read_data_set_text(fcs, 0, 0)], [])
    seen = {0}
    while len(chain.data_sets) < MAX_DATA_SETS:
        if last_index is not None and len(chain.data_sets) > last_index:
            break
        base = _next_base(fcs, chain.data_sets[-1], seen, chain.notes)
        if base is None:
            break
        seen.add(base)
        try:
            chain.data_sets.append(_read_data_set_text(fcs, len(chain.data_sets), base))
        except FcsError as error:
            chain.broken = error
            chain.notes.append(
                f"data set {len(chain.data_sets)} (at byte {base}) has an unreadable HEADER "
                "or TEXT; reading it raises an error"
            )
            break
    return chain


def _read_data_set_text(fcs: FcsFile, index: int, base: int) -> DataSetText:
    """HEADER and TEXT (plus supplemental TEXT) of the data set whose HEADER is at `base`."""
    where = _where_of(fcs.path, index, base)
    header, notes = parse_header(fcs.read_at(base, HEADER_SIZE), where)
    available = fcs.size - base
    start, end = header.text_start, header.text_end
    if header.data_start is not None and header.data_start == end:
        end -= 1  # TEXT end written one past (Spidlen's note): it is the first DATA byte
        notes.append(f"HEADER TEXT end {end + 1} is the DATA start; read TEXT up to {end}")
    if start >= available:
        raise FcsError(
            f"{where}: TEXT segment (bytes {start}..{end}) starts past the end of the file "
            f"(file has {fcs.size} bytes)"
        )
    if end >= available:
        notes.append(f"TEXT end {end} is past the end of the file; read TEXT up to the end")
        end = available - 1
    parsed = parse_text(fcs.read_at(base + start, end - start + 1))
    if not parsed.keywords:
        raise FcsError(
            f"{where}: TEXT segment (bytes {start}..{end}) holds no keyword/value pairs; "
            "expected delimiter-separated keywords such as $PAR and $TOT"
        )
    notes.extend(parsed.notes)
    data_set = DataSetText(index, base, where, header, end, dict(parsed.keywords), notes)
    _merge_supplemental(fcs, data_set)
    return data_set


def _merge_supplemental(fcs: FcsFile, data_set: DataSetText) -> None:
    """Add $BEGINSTEXT..$ENDSTEXT keywords that the primary TEXT does not already hold."""
    keywords, header = data_set.keywords, data_set.header
    texts = [keywords.get(k, "").strip() for k in ("$BEGINSTEXT", "$ENDSTEXT")]
    if not all(t.isdigit() for t in texts) or not any(int(t) for t in texts):
        return
    start, end = (int(t) for t in texts)
    if header.text_start <= start and end <= data_set.text_end:
        return  # Accuri writes the primary TEXT (or part of it) here: nothing new
    spans = [(header.text_start, data_set.text_end)]
    if header.data_start is not None and header.data_end is not None:
        spans.append((header.data_start, header.data_end))
    overlaps = any(start <= span_end and end >= span_start for span_start, span_end in spans)
    if start < HEADER_SIZE or end < start or end >= fcs.size - data_set.base or overlaps:
        data_set.notes.append(
            f"supplemental TEXT offsets ({start}..{end}) overlap the HEADER, TEXT or DATA "
            "or the end of the file; ignored them"
        )
        return
    raw = fcs.read_at(data_set.base + start, end - start + 1)
    if chr(raw[0]).isalnum() or raw[:1] in (b" ", b"\x00"):
        data_set.notes.append(
            f"supplemental TEXT (bytes {start}..{end}) does not start with a delimiter "
            "(binary content?); ignored it"
        )
        return
    parsed = parse_text(raw, "supplemental TEXT")
    added = {k: v for k, v in parsed.keywords.items() if k not in keywords}
    keywords.update(added)
    kept = len(parsed.keywords) - len(added)
    data_set.notes.append(
        f"read {len(added)} keyword(s) from the supplemental TEXT (bytes {start}..{end})"
        + (f"; {kept} already in the primary TEXT kept their primary value" if kept else "")
    )
    data_set.notes.extend(parsed.notes)


def _next_base(fcs: FcsFile, current: DataSetText, seen: set[int], notes: list[str]) -> int | None:
    text = current.keywords.get("$NEXTDATA", "").strip()
    if not text.isdigit():
        if text:
            notes.append(f"$NEXTDATA of data set {current.index} is not a whole number; ignored")
        return None
    offset = int(text)
    if offset == 0:
        return None
    for base, reading in ((current.base + offset, "relative"), (offset, "absolute")):
        if base in seen or base + HEADER_SIZE > fcs.size:
            continue
        if fcs.read_at(base, 3) == b"FCS":
            if reading == "absolute" and base != current.base + offset:
                notes.append(
                    f"$NEXTDATA of data set {current.index} ({offset}) is an absolute offset; "
                    "followed it as such"
                )
            return base
    notes.append(
        f"$NEXTDATA of data set {current.index} ({offset}) does not point to another FCS "
        f"HEADER (file has {fcs.size} bytes, or a loop); ignored it"
    )
    return None
