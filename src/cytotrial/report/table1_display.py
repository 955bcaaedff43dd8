"""Table 1 as the report shows it: section labels as group rows, one number format per
row, and a dash (with a note saying why) where a column has no value.

The result file keeps the paper's layout (a section column, 'NA', a half-way median such
as 176.5 beside whole ones); the download is that file. On the page the section label
repeated on each of its rows, 'NA' and '176.5' among '168' read as noise or as an error.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = [
    "MISSING",
    "NOT_AVAILABLE",
    "SECTION",
    "label_ungrouped",
    "missing_note",
    "same_decimals",
    "table1_shown",
]

SECTION = "section"
NOT_AVAILABLE = "NA"  # clinical/tables/baseline.Cell.text: no patient of the column has a value
MISSING = "\u2014"  # em dash
# 'median (range)' and an optional '[n=k]': the median's decimals are made alike per row.
_MEDIAN = re.compile(r"^(-?\d+)(?:\.(\d+))?(\s.*)?$")


def _decimals(cell: str) -> int | None:
    match = _MEDIAN.match(cell)
    if match is None or "(" not in (match.group(3) or ""):
        return None  # not a median (range) cell: counts 'n (%)' keep their own format
    return len(match.group(2) or "")


def same_decimals(cells: list[str]) -> list[str]:
    """The row's 'median (range)' cells with the median at the row's largest number of
    decimals ('168 (34-479)' beside '176.5 (32-600)' becomes '168.0 (34-479)')."""
    places = [_decimals(cell) for cell in cells]
    most = max((p for p in places if p is not None), default=0)
    out = []
    for cell, place in zip(cells, places, strict=True):
        if place is None or place == most:
            out.append(cell)
            continue
        match = _MEDIAN.match(cell)
        median = float(f"{match.group(1)}.{match.group(2) or 0}")
        out.append(f"{median:.{most}f}{match.group(3) or ''}")
    return out


def missing_note(frame: pd.DataFrame, label_column: str = "characteristic") -> str:
    """Which rows show a dash, and in which columns ('' when none does)."""
    values = [c for c in frame.columns if c not in (SECTION, label_column)]
    parts = []
    for _, row in frame.iterrows():
        empty = [str(c) for c in values if str(row[c]).strip() == NOT_AVAILABLE]
        if empty:
            parts.append(f"{row[label_column]}: {', '.join(empty)}")
    if not parts:
        return ""
    return f"{MISSING}: no patient of the column has this value in the data ({'; '.join(parts)})."


def label_ungrouped(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """`frame` with a blank section cell given `label`, for a table shown with group rows
    (Table 2: 'Infusion-related reaction' has no section). Without it such a row would sit
    under the group row above it, as if it belonged to that group."""
    if SECTION not in frame:
        return frame
    section = frame[SECTION].astype("string").fillna("").str.strip()
    return frame.assign(**{SECTION: section.mask(section == "", label)})


def table1_shown(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 1's page form: 'NA' as a dash, medians alike per row. The section column
    stays (the report shows it as group rows: ReportTable.group_column)."""
    if frame.empty:
        return frame
    values = [c for c in frame.columns if c not in (SECTION, "characteristic")]
    shown = frame.copy()
    for column in values:
        shown[column] = shown[column].astype("string").fillna("")
    cells = shown[values].astype(str).values.tolist()
    shown[values] = [
        [MISSING if cell.strip() == NOT_AVAILABLE else cell for cell in same_decimals(row)]
        for row in cells
    ]
    return shown
