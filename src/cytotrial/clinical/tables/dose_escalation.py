"""Phase 1 dose escalation (3+3) of part B: one row per planned ATRA dose level.

3+3 (Storer 1989; Le Tourneau et al., JNCI 2009) on the DLT-evaluable patients of a level
(e = evaluable, d = with a DLT):
  e < 3              -> cohort incomplete
  d = 0, e = 3       -> escalate (at the top level: expand to 6 to confirm)
  d = 1, e = 3       -> expand the level to 6
  d <= 1, e >= 6     -> escalate (at the top level: MTD not reached)
  d >= 2             -> MTD exceeded, de-escalate
MTD = the highest level with d <= 1 among >= 6 evaluable, below the first level with d >= 2;
"not reached" when no level was exceeded. A DLT is a non-empty ``dlt_description``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = [
    "three_plus_three",
    "dose_escalation_table",
    "mtd_text",
]


def three_plus_three(evaluable: int, dlts: int, top: bool) -> str:
    """The 3+3 decision for one level (see the module docstring)."""
    if dlts >= 2:
        return "MTD exceeded: de-escalate"
    if evaluable < 3:
        return "cohort incomplete" if evaluable else "not opened"
    if evaluable < 6:
        if dlts == 1:
            return "1 DLT in 3: expand to 6"
        return "top level: expand to 6 to confirm" if top else "0 DLT in 3: escalate"
    if top:
        return f"{dlts} DLT in {evaluable}: highest level tolerated, MTD not reached"
    return f"{dlts} DLT in {evaluable}: escalate"


def dose_escalation_table(
    patients: pd.DataFrame, dose_levels: Sequence[float], rp2d: float
) -> pd.DataFrame:
    """Dose level, dose, enrolled, DLT-evaluable, DLTs, their description, decision, RP2D."""
    phase1 = patients[patients["part_b_cohort"] == "phase1"]
    levels = sorted(set(float(d) for d in dose_levels))
    rows = []
    for k, dose in enumerate(levels, start=1):
        here = phase1[phase1["atra_dose_mg_m2"] == dose]
        evaluable = here[here["dlt_evaluable"] == "yes"] if "dlt_evaluable" in here else here
        description = here["dlt_description"] if "dlt_description" in here else pd.Series()
        with_dlt = description.dropna().astype(str).str.strip()
        with_dlt = with_dlt[with_dlt != ""]
        d = len(with_dlt)
        decision = three_plus_three(len(evaluable), d, top=(k == len(levels)))
        rows.append(
            {
                "dose level": k,
                "ATRA (mg/m2)": f"{dose:g}",
                "enrolled": len(here),
                "DLT-evaluable": len(evaluable),
                "with DLT": d,
                "DLT description": "; ".join(with_dlt) if d else "none",
                "decision": decision,
                "RP2D": "yes" if dose == float(rp2d) else "",
            }
        )
    return pd.DataFrame(rows)


def mtd_text(table: pd.DataFrame) -> str:
    """The MTD in words, from a ``dose_escalation_table``."""
    if table.empty:
        return "no dose levels"
    exceeded = table[table["with DLT"] >= 2]
    if exceeded.empty:
        opened = table[table["enrolled"] > 0]
        top = opened["ATRA (mg/m2)"].iloc[-1] if len(opened) else "-"
        return f"MTD not reached (no level with >= 2 DLTs; highest level treated {top} mg/m2)"
    exceeded_at = int(exceeded["dose level"].iloc[0])
    ok = table[
        (table["dose level"] < exceeded_at)
        & (table["DLT-evaluable"] >= 6)
        & (table["with DLT"] <= 1)
    ]
    if ok.empty:
        return "MTD below the lowest level tested or not established (no level with 6 evaluable)"
    return f"MTD = ATRA {ok['ATRA (mg/m2)'].iloc[-1]} mg/m2"
