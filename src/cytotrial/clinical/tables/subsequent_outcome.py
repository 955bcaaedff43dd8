"""Outcome of the first subsequent line after part B: ORR and PFS (RP2D population).

The paper's text: "The ORR and median PFS on the subsequent line of therapy were 61% and
6.2 months (95% CI, 2.2-10.3 months)". Population: RP2D patients with a first subsequent
line (line 1) started on or before the cut-off -- Table 3's n, not the 44 of the cohort.

* ORR: best_response >= PR among the lines whose best_response is recorded, with the exact
  Clopper-Pearson 95% CI; lines without one are counted and named in the table, never
  silently read as non-responders.
* PFS: start_date to progression_date or death, whichever comes first; otherwise censored
  at the last follow-up (dates.csv), both cut at the cut-off. Median and CI by the
  configured method (clinical.median_ci, as for the trial's own PFS).

When no first line has a best_response (or a progression_date) the rate (or PFS) is not
computed and the row says so: an empty optional column means "not recorded" then, not
"no response" or "no progression".
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cytotrial.clinical.survival.analysis import median_row
from cytotrial.stats.proportions import clopper_pearson

__all__ = ["RESPONDERS", "subsequent_outcome_table"]

RESPONDERS = ("sCR", "CR", "VGPR", "PR")
_MPD = 365.25 / 12  # days per month, as the survival endpoints
COLUMNS = ["measure", "n", "x", "estimate", "lower", "upper", "text", "note"]


def _first_lines(
    therapies: pd.DataFrame, rp2d_ids: list[str], cutoff: pd.Timestamp
) -> pd.DataFrame:
    st = therapies[therapies["patient_id"].isin(rp2d_ids) & (therapies["line"] == 1)]
    if "start_date" in st:
        st = st[st["start_date"].isna() | (st["start_date"] <= cutoff)]
    return st.drop_duplicates("patient_id")


def _orr_row(first: pd.DataFrame) -> dict:
    n_lines = len(first)
    response = first.get("best_response", pd.Series(np.nan, index=first.index))
    known = response.dropna()
    missing = n_lines - len(known)
    if known.empty:
        note = "no best_response recorded for any first subsequent line: ORR not computed"
        return _row("ORR (>= PR) on the first subsequent line", n_lines, note=note)
    ci = clopper_pearson(int(known.isin(RESPONDERS).sum()), len(known))
    note = f"n = first lines with a recorded best response, of {n_lines} first lines"
    if missing:
        note += f"; {missing} without one left out"
    return _row(
        "ORR (>= PR) on the first subsequent line",
        ci.n,
        ci.x,
        ci.estimate,
        ci.lower,
        ci.upper,
        f"{ci.x}/{ci.n}: {ci.format(0)}",
        note,
    )


def _pfs_row(first: pd.DataFrame, dates: pd.DataFrame, cutoff: pd.Timestamp, method: str) -> dict:
    label = "PFS on the first subsequent line, median (95% CI), months"
    progression = first.get("progression_date", pd.Series(pd.NaT, index=first.index))
    if progression.isna().all():
        note = "no progression_date recorded for any first subsequent line: PFS not computed"
        return _row(label, len(first), note=note)
    dated = first.dropna(subset=["start_date"])
    no_start = len(first) - len(dated)
    d = dates.drop_duplicates("patient_id").set_index("patient_id").reindex(dated["patient_id"])
    start = dated["start_date"].to_numpy(dtype="datetime64[ns]")
    prog = pd.to_datetime(dated["progression_date"]).to_numpy(dtype="datetime64[ns]")
    death = d["death"].to_numpy(dtype="datetime64[ns]")
    last = d["last_followup"].to_numpy(dtype="datetime64[ns]")
    cut = np.datetime64(cutoff, "ns")
    end = np.fmin(prog, death)  # NaT-aware: the earlier of the two given
    event = ~np.isnat(end) & (end <= cut)
    censor = np.fmin(np.where(np.isnat(last), cut, last), cut)
    stop = np.where(event, end, censor)
    months = (stop - start).astype("timedelta64[D]").astype(float) / _MPD
    row = median_row(months, event, method, "PFS-subsequent", "first line")
    note = (
        f"start of the first subsequent line to progression or death; {row['censored']} "
        f"censored at the last follow-up"
    )
    if row["lower_cut_at_0"]:
        note += "; lower limit below 0 shown as 0"
    if no_start:
        note += f"; {no_start} first line(s) without start_date left out"
    median = row["median"]
    text = "NR" if math.isnan(median) else row["median_ci"]
    return _row(label, row["n"], row["events"], median, row["lower"], row["upper"], text, note)


def _row(
    measure: str,
    n: int,
    x: int | float = math.nan,
    estimate: float = math.nan,
    lower: float = math.nan,
    upper: float = math.nan,
    text: str = "not computed",
    note: str = "",
) -> dict:
    return dict(zip(COLUMNS, (measure, n, x, estimate, lower, upper, text, note), strict=True))


def subsequent_outcome_table(
    therapies: pd.DataFrame,
    dates: pd.DataFrame,
    rp2d_ids: list[str],
    cutoff,
    method: str = "spss",
) -> pd.DataFrame:
    """One row for the ORR and one for the PFS of the first subsequent line (COLUMNS;
    'x' = responders for the ORR, events for the PFS)."""
    cutoff = pd.Timestamp(cutoff)
    first = _first_lines(therapies, rp2d_ids, cutoff)
    if first.empty:
        note = "no RP2D patient started a subsequent line by the cut-off"
        rows = [_row("ORR (>= PR) on the first subsequent line", 0, note=note)]
        rows.append(_row("PFS on the first subsequent line, median (95% CI), months", 0, note=note))
    else:
        rows = [_orr_row(first), _pfs_row(first, dates, cutoff, method)]
    return pd.DataFrame(rows, columns=COLUMNS)
