"""Where the DATA segment is: the offset that is consistent, not the one that is written.

Candidates are the HEADER offsets and $BEGINDATA/$ENDDATA. A candidate is consistent when
  * its length is $TOT x bytes per event, or one more (the common end-exclusive writer bug:
    MACSQuant 3.1, Partec PAS, Coulter LMD, Accuri C6);
  * it lies after the HEADER and outside the TEXT segment (Accuri C6's $BEGINDATA points
    into TEXT; data_start_offset_discrepancy_example.fcs's HEADER start does too);
  * the file holds all of it.
When both are consistent and disagree, the HEADER wins: on the Beckman CyAn file only the
HEADER offset gives the 'Event Count' column 2, 3, 4, ...; $BEGINDATA is one value off.
Every deviation from the plain HEADER reading is a note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cytotrial.fcs.errors import FcsError
from cytotrial.fcs.header import HEADER_SIZE, Header

__all__ = [
    "Candidate",
    "Segment",
    "candidates",
    "choose",
    "free_format_start",
]


@dataclass(frozen=True)
class Candidate:
    label: str  # "HEADER" or "$BEGINDATA/$ENDDATA"
    start: int
    end: int

    @property
    def span(self) -> str:
        return f"{self.start}..{self.end}"

    @property
    def length(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class Segment:
    """The layout facts needed to judge candidates (offsets relative to the data set)."""

    expected: int  # bytes the DATA must hold
    available: int  # bytes from the data set start to the end of the file
    text_start: int
    text_end: int
    file_size: int
    describe: str  # "$TOT 100 x 28 bytes per event ($PAR 7, $PnB 32)" for messages


def candidates(header: Header, keywords: Mapping[str, str], notes: list[str]) -> list[Candidate]:
    """HEADER first, then the TEXT keywords when present, numeric and not both 0."""
    found = []
    if header.data_start is not None and header.data_end is not None:
        found.append(Candidate("HEADER", header.data_start, header.data_end))
    begin, end = (keywords.get(k, "").strip() for k in ("$BEGINDATA", "$ENDDATA"))
    if begin or end:
        if begin.isdigit() and end.isdigit():
            if int(begin) or int(end):
                found.append(Candidate("$BEGINDATA/$ENDDATA", int(begin), int(end)))
        else:
            notes.append("$BEGINDATA/$ENDDATA are not whole numbers; ignored them")
    return found


def choose(found: list[Candidate], segment: Segment, where: str, notes: list[str]) -> int:
    """The start offset of DATA (relative to the data set); FcsError when none fits."""
    usable = [c for c in found if _problem(c, segment) is None]
    if not usable:
        raise FcsError(_no_fit_message(found, segment, where))
    chosen = usable[0]
    notes.extend(_decision_notes(chosen, found, segment))
    return chosen.start


def free_format_start(found: list[Candidate], segment: Segment, where: str) -> tuple[int, int]:
    """Free-format ASCII has no fixed length: take the first candidate inside the file."""
    for candidate in found:
        if _outside_text(candidate.start, candidate.end, segment) and (
            candidate.end < segment.available
        ):
            return candidate.start, candidate.end
    raise FcsError(
        f"{where}: no usable DATA offsets for free-format ASCII data "
        f"(tried {_tried(found)}; file has {segment.file_size} bytes)"
    )


def _length_fits(candidate: Candidate, expected: int) -> bool:
    return candidate.length in (expected, expected + 1)


def _outside_text(start: int, end: int, segment: Segment) -> bool:
    return start >= HEADER_SIZE and (end < segment.text_start or start > segment.text_end)


def _problem(candidate: Candidate, segment: Segment) -> str | None:
    """Why a candidate cannot be the DATA segment, None when it can."""
    if not _length_fits(candidate, segment.expected):
        return f"its length {candidate.length} is not {segment.expected}"
    if not _outside_text(candidate.start, candidate.start + segment.expected - 1, segment):
        return f"it overlaps the HEADER or TEXT (bytes {segment.text_start}..{segment.text_end})"
    if candidate.start + segment.expected > segment.available:
        return "it ends past the end of the file"
    return None


def _decision_notes(chosen: Candidate, found: list[Candidate], segment: Segment) -> list[str]:
    notes = []
    others = [c for c in found if c is not chosen and c.span != chosen.span]
    header = next((c for c in found if c.label == "HEADER"), None)
    if header is None:
        notes.append(
            f"HEADER DATA offsets are 0 or blank (as in files over 99,999,999 bytes); "
            f"used $BEGINDATA/$ENDDATA ({chosen.span})"
        )
    for other in others:
        why = _problem(other, segment)
        if why is None:
            notes.append(
                f"{chosen.label} and {other.label} disagree ({chosen.span} vs {other.span}); "
                f"both fit $TOT and the file size; used {chosen.label} ({chosen.start})"
            )
        else:
            notes.append(
                f"{chosen.label} and {other.label} disagree ({chosen.span} vs {other.span}); "
                f"used {chosen.start}, the only offset consistent with $TOT, $PAR, $PnB "
                f"and the file size ({other.label}: {why})"
            )
    if chosen.length == segment.expected + 1:
        notes.append(
            f"DATA end offset {chosen.end} is one byte past the data "
            f"({segment.expected} bytes end at {chosen.start + segment.expected - 1})"
        )
    return notes


def _no_fit_message(found: list[Candidate], segment: Segment, where: str) -> str:
    fits = [c for c in found if _length_fits(c, segment.expected)]
    outside = [c for c in fits if _outside_text(c.start, c.end, segment)]
    if outside:
        candidate = outside[0]
        if candidate.start >= segment.available:
            return (
                f"{where}: DATA segment (bytes {candidate.span}, {candidate.label}) points "
                f"past the end of the file (file has {segment.file_size} bytes) — the file "
                "holds only HEADER and TEXT"
            )
        missing = candidate.start + segment.expected - segment.available
        return (
            f"{where}: file is truncated: DATA segment (bytes {candidate.span}, "
            f"{candidate.label}) needs {segment.expected} bytes for {segment.describe} "
            f"but the file has {segment.file_size} bytes: {missing} bytes are missing"
        )
    if segment.expected > segment.available:
        return (
            f"{where}: {segment.describe} = {segment.expected} bytes, but the file has only "
            f"{segment.file_size} bytes (DATA offsets tried: {_tried(found)})"
        )
    return (
        f"{where}: cannot locate the DATA segment: no offset is consistent with "
        f"{segment.describe} = {segment.expected} bytes and the file size "
        f"({segment.file_size} bytes); tried {_tried(found)}; "
        f"TEXT is bytes {segment.text_start}..{segment.text_end}"
    )


def _tried(found: list[Candidate]) -> str:
    if not found:
        return "none (HEADER DATA offsets are 0/blank and there is no $BEGINDATA/$ENDDATA)"
    return ", ".join(f"{c.label} {c.span} (length {c.length})" for c in found)
