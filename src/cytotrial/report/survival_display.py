"""What the report shows of the survival tables: one readable column per quantity.

The CSV downloads keep every column of the result tables (each P as a number and as
text, every CI method, the standard errors); the page shows P as text, hazard ratios
and survival as "estimate (95% CI)", and leaves out the rows of groups without
patients (the section's notes name those groups).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from cytotrial.stats.cox import format_hr

__all__ = [
    "empty_groups",
    "logrank_display",
    "hazard_ratio_display",
    "at_times_display",
    "followup_display",
]

# A numeric column the page leaves out where its text twin (same P, as printed) exists.
_TEXT_TWINS = {"p_value": "p_text", "p_holm": "p_holm_text", "p_bh": "p_bh_text"}


def empty_groups(medians: pd.DataFrame) -> set[tuple[str, str]]:
    """(endpoint, group) pairs with no patients, from the medians table."""
    if medians.empty:
        return set()
    rows = medians[(medians["group"] != "All") & (medians["n"] == 0)]
    return {(str(r.endpoint), str(r.group)) for r in rows.itertuples()}


def _without_empty(frame: pd.DataFrame, empty: set[tuple[str, str]]) -> pd.DataFrame:
    if frame.empty or not empty:
        return frame
    keep = [
        (str(e), str(g)) not in empty
        for e, g in zip(frame["endpoint"], frame["group"], strict=True)
    ]
    return frame[keep].reset_index(drop=True)


def _without_blank(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """`frame` without `column` when no row has anything in it."""
    if column in frame and frame[column].fillna("").astype(str).str.strip().eq("").all():
        return frame.drop(columns=column)
    return frame


def _without_numeric_twins(frame: pd.DataFrame) -> pd.DataFrame:
    dropped = [c for c, twin in _TEXT_TWINS.items() if c in frame and twin in frame]
    return frame.drop(columns=dropped)


def _estimate_ci(
    estimate: object, lower: object, upper: object, shown: Callable[[float], str]
) -> str:
    """'estimate (lower-upper)', each written by `shown`; '' without an estimate."""
    if pd.isna(estimate):
        return ""
    if pd.isna(lower) or pd.isna(upper):
        return shown(float(estimate))
    return f"{shown(float(estimate))} ({shown(float(lower))}-{shown(float(upper))})"


def _percent(value: float) -> str:
    return f"{value * 100:.1f}"


def logrank_display(frame: pd.DataFrame, empty: set[tuple[str, str]]) -> pd.DataFrame:
    """Log-rank rows of groups with patients; chi-square to 2 decimals; P as text."""
    if frame.empty:
        return frame
    shown = _without_numeric_twins(_without_empty(frame, empty)).copy()
    shown["chisq"] = [f"{v:.2f}" if pd.notna(v) else "" for v in shown["chisq"]]
    # 'Comparison' (">=PR vs PD") already names the group and its reference
    shown = shown.drop(columns=[c for c in ("group", "reference") if "comparison" in shown])
    return _without_blank(shown, "note")


def hazard_ratio_display(frame: pd.DataFrame, empty: set[tuple[str, str]]) -> pd.DataFrame:
    """One 'HR (95% CI)' column and P as text, for groups with patients."""
    if frame.empty:
        return frame
    shown = _without_numeric_twins(_without_empty(frame, empty)).copy()
    at = shown.columns.get_loc("hr")
    text = [
        _estimate_ci(*r, format_hr)
        for r in zip(shown["hr"], shown["lower"], shown["upper"], strict=True)
    ]
    shown = shown.drop(columns=["hr", "lower", "upper"])
    shown.insert(at, "HR (95% CI)", text)
    if "method" in shown and shown["method"].nunique() == 1:  # the caption names it
        shown = shown.drop(columns="method")
    shown = _without_blank(shown, "note")
    return shown


def at_times_display(frame: pd.DataFrame, empty: set[tuple[str, str]]) -> pd.DataFrame:
    """S(t) in % with its 95% CI, the number at risk, and why a value is missing."""
    if frame.empty:
        return frame
    shown = _without_empty(frame, empty)
    rows = []
    for r in shown.itertuples():
        estimable = str(r.estimable) == "True"
        rows.append(
            {
                "endpoint": r.endpoint,
                "group": r.group,
                "months": f"{float(r.months):g}",
                "n at risk": "" if pd.isna(r.n_risk) else f"{float(r.n_risk):.0f}",
                "S(t), % (95% CI)": _survival_text(estimable, r.surv, r.lower, r.upper),
            }
        )
    return pd.DataFrame(rows)


def _survival_text(estimable: bool, surv: object, lower: object, upper: object) -> str:
    """S(t) in % with its CI, or why it has none."""
    if not estimable:
        return "not estimable (after the group's last observation, censored)"
    if float(surv) == 0.0:
        return "0.0 (every patient had the event by then)"
    return _estimate_ci(surv, lower, upper, _percent)


def followup_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Median follow-up as 'months (95% CI)', NR for a limit not reached; the method and
    the limits as numbers stay in the download."""
    if frame.empty:
        return frame
    text = []
    for r in frame.itertuples():
        if pd.isna(r.median_followup_months):
            text.append("NR")
            continue
        limits = ["NR" if pd.isna(v) else f"{float(v):.1f}" for v in (r.lower, r.upper)]
        text.append(f"{float(r.median_followup_months):.1f} ({limits[0]}-{limits[1]})")
    return pd.DataFrame(
        {
            "population": frame["population"],
            "from": frame["from"],
            "n": frame["n"],
            "deaths": frame["deaths"],
            "Median follow-up, months (95% CI)": text,
        }
    )
