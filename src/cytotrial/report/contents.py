"""The printed table of contents: the sections in order, each with the figures and
numbered tables it holds.

Paper cannot follow the screen's contents links. Chromium, which prints the report,
does not support CSS target-counter(), so a list cannot give each section's page
number; the list gives the order and what each section holds instead, and every page's
footer its number ('page N of M').
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ContentsEntry", "figure_refs", "printed_contents"]

# 'Figure 2B. PFS-B ...' -> '2B'; 'Figure S10.12. Gating audit plot, ...' -> 'S10.12'
_FIGURE = re.compile(r"^Figure (\S+?)\.(?:\s|$)")
_TABLE = re.compile(r"^Table (\d+)\.")
# A series numbered under one figure (S10.1 ... S10.271) is given as its range.
_SERIES = re.compile(r"^(?P<stem>[^.]+)\.(?P<part>\d+)$")
SERIES_SHOWN = 3  # up to this many parts are listed one by one


@dataclass
class ContentsEntry:
    """One section of the printed contents."""

    number: int
    title: str
    holds: str  # 'Figures 2B-2E, 3A; Table 2' ('' when it holds neither)


def figure_refs(titles: Iterable[str]) -> list[str]:
    """The figure numbers among `titles`, a long series as its first and last
    ('S10.1-S10.271')."""
    numbers = [m.group(1) for m in map(_FIGURE.match, titles) if m]
    out: list[str] = []
    at = 0
    while at < len(numbers):
        found = _SERIES.match(numbers[at])
        end = at
        while found and end + 1 < len(numbers):
            nxt = _SERIES.match(numbers[end + 1])
            if not nxt or nxt["stem"] != found["stem"]:
                break
            end += 1
        if end - at + 1 > SERIES_SHOWN:
            out.append(f"{numbers[at]}-{numbers[end]}")
        else:
            out.extend(numbers[at : end + 1])
        at = end + 1
    return out


def _holds(section) -> str:
    figures = figure_refs(f.title for f in section.figures)
    tables = [m.group(1) for m in (_TABLE.match(t.title) for t in section.tables) if m]
    parts = []
    if figures:
        parts.append(("Figure " if len(figures) == 1 else "Figures ") + ", ".join(figures))
    if tables:
        parts.append(("Table " if len(tables) == 1 else "Tables ") + ", ".join(tables))
    return "; ".join(parts)


def printed_contents(sections: Iterable, provenance: bool) -> list[ContentsEntry]:
    """The printed contents of a page: its sections in order (and Provenance when the
    page has it), numbered, each with the figures and numbered tables it holds."""
    entries = [
        ContentsEntry(number, section.title, _holds(section))
        for number, section in enumerate(sections, start=1)
    ]
    if provenance:
        entries.append(ContentsEntry(len(entries) + 1, "Provenance", ""))
    return entries
