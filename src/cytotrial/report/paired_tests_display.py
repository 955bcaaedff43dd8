"""What the report shows of the flow tests tables: journal-style numbers, one column each.

The CSV downloads keep every column with full precision (each quartile, W, P as a number,
the left-out counts); the page shows "median (IQR)" per timepoint, P as text beside its
stars, and leaves out a column whose value is the same on every row when the caption or
the section's notes already say it (the test's name, which populations were used).
"""

from __future__ import annotations

import math

import pandas as pd

from cytotrial.report.labels import VALUE_LABELS
from cytotrial.stats.logrank import format_p

__all__ = ["paired_tests_display", "sensitivity_display", "readable_number", "value_caption"]

# Said once in the caption or notes when the same on every row (the value: the caption
# names it, value_caption).
_CONSTANT_COLUMNS = ("test", "populations_used", "value")
# Counted in the Left out text and the Pairs left out column; the download keeps them.
_COUNT_COLUMNS = ("left_out_flagged", "left_out_failed", "left_out_excluded")


def readable_number(value: object) -> str:
    """A measured value to the digits a reader can use: 1,797 / 99.1 / 3.86 / 0.39."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return ""
    number = float(value)
    size = abs(number)
    if size >= 100:
        return f"{number:,.0f}"
    if size >= 10:
        return f"{number:.1f}"
    return f"{number:.2f}"


def _median_iqr(median: object, q1: object, q3: object) -> str:
    if pd.isna(median):
        return ""
    return f"{readable_number(median)} ({readable_number(q1)}-{readable_number(q3)})"


def _p_text(p: object) -> str:
    return "" if pd.isna(p) else format_p(float(p))


# Left out when empty on every row (no test had a note): an empty column costs print width.
_OPTIONAL_COLUMNS = ("note",)


def _drop_constant(frame: pd.DataFrame) -> pd.DataFrame:
    constant = [c for c in _CONSTANT_COLUMNS if c in frame and frame[c].nunique() <= 1]
    empty = [
        c
        for c in _OPTIONAL_COLUMNS
        if c in frame and frame[c].fillna("").astype(str).str.strip().eq("").all()
    ]
    return frame.drop(columns=constant + empty)


def value_caption(frame: pd.DataFrame, label) -> str:
    """' Values: CD38 MFI (...).' when every row tests the same value (the page then
    leaves the column out); '' else. `label` maps the value's code name to its words."""
    if "value" not in frame or frame.empty or frame["value"].nunique() != 1:
        return ""
    return f" Values: {label(frame['value'].iloc[0])}."


def paired_tests_display(frame: pd.DataFrame) -> pd.DataFrame:
    """The paired-tests table as read: median (IQR) before and after, P as text."""
    if frame.empty:
        return frame
    shown = _drop_constant(frame).copy()
    for when in ("before", "after"):
        at = shown.columns.get_loc(f"median_{when}")
        text = [
            _median_iqr(m, a, b)
            for m, a, b in zip(
                shown[f"median_{when}"], shown[f"q1_{when}"], shown[f"q3_{when}"], strict=True
            )
        ]
        shown = shown.drop(columns=[f"median_{when}", f"q1_{when}", f"q3_{when}"])
        shown.insert(at, f"Median {when} (IQR)", text)
    shown["median_difference"] = [readable_number(v) for v in shown["median_difference"]]
    shown["W"] = ["" if pd.isna(v) else f"{float(v):g}" for v in shown["W"]]
    shown["p_value"] = [_p_text(v) for v in shown["p_value"]]
    return shown.drop(columns=[c for c in _COUNT_COLUMNS if c in shown])


def _short_value(code: object) -> str:
    """The value a sensitivity row tests in its label's first words ('CD38 MFI', not
    'CD38 MFI (median, compensated, linear)': the table repeats it on every row)."""
    return VALUE_LABELS.get(str(code), str(code)).split(" (")[0]


def sensitivity_display(frame: pd.DataFrame) -> pd.DataFrame:
    """The sensitivity table as read: the value tested in two words, numbers rounded,
    each P as text with its stars in one cell, 'yes' where adding the flagged
    populations changes the P <= .05 conclusion (blank where it does not); the W
    statistics only in the download (the tests table shows W), so the table fits the
    page in one."""
    if frame.empty:
        return frame
    shown = frame.drop(columns=[c for c in frame.columns if c.startswith("W_")])
    if "value" in shown:
        shown["value"] = [_short_value(v) for v in shown["value"]]
    for column in shown.columns:
        if column.startswith("p_value"):
            stars = shown.get(column.replace("p_value", "stars"))
            texts = [_p_text(v) for v in shown[column]]
            if stars is not None:
                texts = [
                    f"{t} {s}".strip() if t and isinstance(s, str) and s != "ns" else t
                    for t, s in zip(texts, stars, strict=True)
                ]
            shown[column] = texts
        elif column.startswith("median_difference"):
            shown[column] = [readable_number(v) for v in shown[column]]
    shown = shown.drop(columns=[c for c in shown.columns if c.startswith("stars")])
    if "significance_changes" in shown:
        changes = shown["significance_changes"].astype(str).str.lower() == "true"
        shown["significance_changes"] = ["yes" if c else "" for c in changes]
    return shown
