"""Verdict rules of the demo's paper check (see cytotrial.clinical.paper_check).

count: "exact" or "miss"; estimate and CI half-width: "close" within a relative tolerance
(ratio shown); P value: "same significance" on the same side of the paper's alpha (.05),
with the paper's star levels beside. A value that is not available is always a "miss".
"""

from __future__ import annotations

import math
import re

from cytotrial.simulate import paper_targets as pt

__all__ = [
    "COLUMNS",
    "Row",
    "count_check",
    "count_of",
    "estimate_check",
    "p_as_printed",
    "p_check",
    "row",
    "stars",
    "words",
]

COLUMNS = ["section", "item", "kind", "paper", "this run", "ratio", "verdict", "note"]
Row = dict[str, object]


def words(key: str) -> str:
    """'still_in_part_a' -> 'still in part A' (a paper_targets key as words)."""
    return re.sub(r"\bpart ([ab])\b", lambda m: "part " + m.group(1).upper(), key.replace("_", " "))


def count_of(cell: object) -> int | None:
    """'20 (31.7)' -> 20; '–' or '0' -> 0; 'n = 16 (25%)' -> 16; None if unreadable."""
    text = str(cell).strip()
    if text in ("–", "-", "0"):
        return 0
    found = re.match(r"(?:n = )?(\d+)", text)
    return int(found.group(1)) if found else None


def row(section: str, item: str, kind: str, paper, run, ratio, verdict: str, note="") -> Row:
    values = (section, item, kind, paper, run, ratio, verdict, note)
    return dict(zip(COLUMNS, values, strict=True))


def count_check(section: str, item: str, paper: int, run: int | None, note: str = "") -> Row:
    """An exact comparison of two counts ('not available' when `run` is None)."""
    if run is None:
        return row(section, item, "count", paper, "not available", "", "miss", note)
    return row(section, item, "count", paper, run, "", "exact" if run == paper else "miss", note)


def estimate_check(
    section: str,
    item: str,
    kind: str,
    paper: float,
    run: float | None,
    tolerance: float,
    note: str = "",
) -> Row:
    """`run` against `paper` as a ratio: 'close' within `tolerance` (relative)."""
    if run is None or not math.isfinite(run):
        return row(section, item, kind, paper, "not available", "", "miss", note)
    ratio = run / paper
    verdict = "close" if abs(ratio - 1.0) <= tolerance + 1e-12 else "miss"
    tol = f"within {tolerance:.0%}" if verdict == "close" else f"outside {tolerance:.0%}"
    return row(
        section,
        item,
        kind,
        paper,
        round(run, 2),
        round(ratio, 2),
        verdict,
        (note + "; " if note else "") + tol,
    )


def stars(p: float) -> str:
    """The paper's star levels: * < .05, ** < .01, *** < .001, **** < .0001, else ns."""
    for level, mark in ((1e-4, "****"), (1e-3, "***"), (1e-2, "**"), (pt.ALPHA, "*")):
        if p < level:
            return mark
    return "ns"


def p_as_printed(p: float) -> str:
    """A P value as the paper prints its own: '0.035', '0.0004', '< 0.0001' (never 6.9e-09)."""
    if p < 1e-4:
        return "< 0.0001"
    return f"{p:.4f}" if p < 1e-3 else f"{p:.3f}"


def p_check(section: str, item: str, paper: float, run: float | None, bound: bool = False) -> Row:
    """Same side of alpha = .05 as the paper ('P < x' when `bound`)."""
    shown = f"< {paper:g}" if bound else f"{paper:g}"
    if run is None or not math.isfinite(run):
        return row(section, item, "P value", shown, "not available", "", "miss")
    same = (run < pt.ALPHA) == (paper < pt.ALPHA)
    note = f"stars: paper {'****' if bound else stars(paper)}, this run {stars(run)}"
    return row(
        section,
        item,
        "P value",
        shown,
        p_as_printed(run),
        "",
        "same significance" if same else "miss",
        note,
    )
