"""Derived (IMWG engine) versus reported best responses, progression dates and part B entry
reasons; and the "effective" responses/dates the clinical analyses use when labs are given.

Derived values win wherever the engine could derive them (a part with lab rows); elsewhere
the reported values stay. Every comparison is a row, so each disagreement can be listed.
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "concordance",
    "concordance_summary",
    "effective_tables",
]

_CONCORDANCE_COLUMNS = ["patient_id", "part", "item", "reported", "derived", "agree"]
_SUMMARY_COLUMNS = ["item", "compared", "agree", "disagree", "agreement_pct"]
_ITEMS = ("best_response", "progression_date", "part_b_entry_reason")
_PROGRESSION = {"A": "part_a_progression", "B": "part_b_progression"}


def _text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def concordance(
    responses: pd.DataFrame, dates: pd.DataFrame, patients: pd.DataFrame, best: pd.DataFrame
) -> pd.DataFrame:
    """One row per derived patient/part and item (columns _CONCORDANCE_COLUMNS).

    Empty on both sides (no progression, no part B) agrees; part B entry reasons are compared
    for patients registered in part B only.
    """
    reported = responses.set_index(["patient_id", "part"])["best_response"]
    d = dates.set_index("patient_id")
    reasons = patients.set_index("patient_id")["part_b_entry_reason"]
    rows = []
    for r in best.itertuples(index=False):
        key = (r.patient_id, r.part)
        rows.append([*key, "best_response", _text(reported.get(key)), r.best_response])
        rows.append([*key, "progression_date", _text(d.at[r.patient_id, _PROGRESSION[r.part]]),
                     _text(r.progression_date)])  # fmt: skip
        if r.part == "A" and pd.notna(d.at[r.patient_id, "part_b_registration"]):
            rows.append([*key, "part_b_entry_reason", _text(reasons.get(r.patient_id)),
                         _text(r.part_b_eligibility)])  # fmt: skip
    table = pd.DataFrame(rows, columns=_CONCORDANCE_COLUMNS[:-1])
    table["agree"] = table["reported"] == table["derived"]
    return table


def concordance_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per item: compared, agreeing, disagreeing and % agreement."""
    rows = []
    for item in _ITEMS:
        part = table[table["item"] == item]
        n, agree = len(part), int(part["agree"].sum())
        pct = round(100.0 * agree / n, 1) if n else float("nan")
        rows.append([item, n, agree, n - agree, pct])
    return pd.DataFrame(rows, columns=_SUMMARY_COLUMNS)


def effective_tables(
    responses: pd.DataFrame, dates: pd.DataFrame, best: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """responses and dates with the derived best responses and progression dates put in
    (a derived part missing from responses.csv is added)."""
    derived = best.set_index(["patient_id", "part"])
    keyed = responses.set_index(["patient_id", "part"])
    merged = derived["best_response"].combine_first(keyed["best_response"])
    out = keyed.reindex(merged.index)
    out["best_response"] = merged
    out = out.sort_index(kind="stable").reset_index()[list(responses.columns)]
    dates = dates.copy()
    for (pid, part), value in derived["progression_date"].items():
        found = dates["patient_id"] == pid
        dates.loc[found, _PROGRESSION[part]] = pd.Timestamp(value) if pd.notna(value) else pd.NaT
    return out, dates
