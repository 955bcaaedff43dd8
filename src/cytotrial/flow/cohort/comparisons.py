"""Paired timepoint comparisons of a per-subset value (CD38 MFI, cells per uL).

Pairs are patients with a value at both timepoints of the same part; the others
are counted (and listed) as unpaired. Test: Wilcoxon matched-pairs signed-rank,
two-sided, GraphPad Prism conventions (zero differences dropped, exact P below
200 pairs with ties included), as in the paper.

Pairs are built from the populations the statistics use (population_status: ok, and
flagged ones when include_flagged); each row says which, how many values of the two
timepoints were left out (flagged, failed), which, and how many pairs that cost.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cytotrial.flow.sample.status import (
    EXCLUDED,
    FAILED,
    FLAGGED,
    included_statuses,
    used_label,
)
from cytotrial.stats.paired import prism_quartiles, wilcoxon_matched_pairs

__all__ = [
    "left_out_values",
    "compare_timepoints",
    "untested",
    "sensitivity_table",
]

COLUMNS = [
    "part",
    "population",
    "before",
    "after",
    "value",
    "n_pairs",
    "unpaired_patients",
    "median_before",
    "q1_before",
    "q3_before",
    "median_after",
    "q1_after",
    "q3_after",
    "median_difference",
    "W",
    "p_value",
    "stars",
    "test",
    "note",
    "populations_used",
    "left_out_flagged",
    "left_out_failed",
    "left_out_excluded",
    "pairs_left_out",
    "left_out",
]
# Columns of a left-out table (left_out_values): one row per sample x population.
LEFT_OUT_COLUMNS = ["sample_id", "patient_id", "part", "timepoint", "population", "status", "why"]


def _paired_values(
    tidy: pd.DataFrame, part: str, population: str, before: str, after: str, value: str
) -> tuple[pd.DataFrame, list[str]]:
    """Patients with `value` at both timepoints, and those with only one."""
    here = tidy[(tidy["part"] == part) & (tidy["population"] == population)]
    wide = here.pivot_table(index="patient_id", columns="timepoint", values=value, aggfunc="first")
    for timepoint in (before, after):
        if timepoint not in wide:
            wide[timepoint] = np.nan
    both = wide[[before, after]].dropna()
    either = wide[[before, after]].notna().any(axis=1)
    unpaired = sorted(set(wide.index[either]) - set(both.index))
    return both, unpaired


def left_out_values(
    tidy: pd.DataFrame, failed: pd.DataFrame, populations: Sequence[str], include_flagged: bool
) -> pd.DataFrame:
    """The values the statistics leave out, one row per sample x population (LEFT_OUT_COLUMNS):
    flagged ones unless `include_flagged`, and every population of each failed sample.

    `tidy`: populations.tsv (with its status and status_reason columns); `failed`: the
    sample_qc.tsv rows of samples whose analysis failed."""
    flagged = tidy[~tidy["status"].isin(included_statuses(include_flagged))]
    flagged = flagged.assign(why=flagged["status_reason"])
    failed_rows = pd.DataFrame(
        [
            {
                **{key: row.get(key) for key in LEFT_OUT_COLUMNS[:4]},
                "population": population,
                "status": FAILED,
                "why": row.get("reason", ""),
            }
            for row in failed.to_dict("records")
            for population in populations
        ],
        columns=LEFT_OUT_COLUMNS,
    )
    frames = [f.reindex(columns=LEFT_OUT_COLUMNS) for f in (flagged, failed_rows) if not f.empty]
    if not frames:
        return pd.DataFrame(columns=LEFT_OUT_COLUMNS)
    return pd.concat(frames, ignore_index=True).astype({"patient_id": str})


def compare_timepoints(
    tidy: pd.DataFrame,
    comparisons: Sequence[dict],
    populations: Sequence[str],
    value: str,
    *,
    include_flagged: bool,
    failed: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per comparison x population: n pairs, medians, IQRs, difference, W, P, stars,
    and what was left out (population_status; `failed`: sample_qc.tsv rows of failed samples).
    """
    failed = pd.DataFrame(columns=["sample_id"]) if failed is None else failed
    left_out = left_out_values(tidy, failed, populations, include_flagged)
    used = tidy[tidy["status"].isin(included_statuses(include_flagged))]
    rows = []
    for comparison in comparisons:
        part, before, after = comparison["part"], comparison["before"], comparison["after"]
        for population in populations:
            pairs, unpaired = _paired_values(used, part, population, before, after, value)
            row = {
                "part": part,
                "population": population,
                "before": before,
                "after": after,
                "value": value,
                "n_pairs": len(pairs),
                "unpaired_patients": len(unpaired),
                **_left_out_columns(
                    left_out, tidy, part, population, (before, after), value, len(pairs)
                ),
                "populations_used": used_label(include_flagged),
            }
            if len(pairs) == 0:
                rows.append(row | {"note": "no patient has both timepoints"})
                continue
            first, second = prism_quartiles(pairs[before]), prism_quartiles(pairs[after])
            test = wilcoxon_matched_pairs(pairs[before].to_numpy(), pairs[after].to_numpy())
            rows.append(
                row
                | {
                    "median_before": first.median,
                    "q1_before": first.q1,
                    "q3_before": first.q3,
                    "median_after": second.median,
                    "q1_after": second.q1,
                    "q3_after": second.q3,
                    "median_difference": test.median_difference,
                    "W": test.w,
                    "p_value": test.p_value,
                    "stars": test.stars,
                    "test": test.method,
                    "note": test.reason,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def _left_out_columns(
    left_out: pd.DataFrame,
    tidy: pd.DataFrame,
    part: str,
    population: str,
    timepoints: tuple[str, str],
    value: str,
    n_pairs: int,
) -> dict:
    """How many populations of the two timepoints were left out, and why; the pairs that
    cost (patients with a value of any status, or a failed sample, at both timepoints,
    minus the pairs tested)."""
    here = left_out[
        (left_out["part"] == part)
        & (left_out["population"] == population)
        & left_out["timepoint"].isin(timepoints)
    ]
    valued = tidy[
        (tidy["part"] == part)
        & (tidy["population"] == population)
        & tidy["timepoint"].isin(timepoints)
        & tidy[value].notna()
    ]
    failed = here[here["status"] == FAILED]
    seen = pd.concat([valued[["patient_id", "timepoint"]], failed[["patient_id", "timepoint"]]])
    possible = int((seen.drop_duplicates().groupby("patient_id").size() == 2).sum())
    listed = "; ".join(
        f"{r.sample_id} ({r.status}: {r.why})"
        for r in here.sort_values(["status", "sample_id"]).itertuples()
    )
    return {
        "left_out_flagged": int((here["status"] == FLAGGED).sum()),
        "left_out_failed": int((here["status"] == FAILED).sum()),
        "left_out_excluded": int((here["status"] == EXCLUDED).sum()),
        "pairs_left_out": possible - n_pairs,
        "left_out": listed,
    }


def untested(
    comparisons: Sequence[dict], populations: Sequence[str], value: str, note: str
) -> pd.DataFrame:
    """Every comparison x population listed, untested, with the reason (`note`)."""
    rows = [
        {
            "part": c["part"],
            "population": population,
            "before": c["before"],
            "after": c["after"],
            "value": value,
            "n_pairs": 0,
            "unpaired_patients": 0,
            "note": note,
        }
        for c in comparisons
        for population in populations
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


SENSITIVITY_COLUMNS = [
    "value",
    "part",
    "population",
    "before",
    "after",
    "n_pairs_ok",
    "median_difference_ok",
    "W_ok",
    "p_value_ok",
    "stars_ok",
    "n_pairs_with_flagged",
    "median_difference_with_flagged",
    "W_with_flagged",
    "p_value_with_flagged",
    "stars_with_flagged",
    "left_out_flagged",
    "significance_changes",
]


def sensitivity_table(ok_only: pd.DataFrame, with_flagged: pd.DataFrame) -> pd.DataFrame:
    """Each Wilcoxon test on ok populations beside the same test with the flagged ones
    added (compare_timepoints with include_flagged False, then True); significance_changes
    says whether P <= 0.05 differs between the two (a test not run counts as not
    significant)."""
    keys = ["value", "part", "population", "before", "after"]
    kept = ["n_pairs", "median_difference", "W", "p_value", "stars"]
    both = ok_only[[*keys, *kept, "left_out_flagged"]].merge(
        with_flagged[[*keys, *kept]], on=keys, suffixes=("_ok", "_with_flagged"), validate="1:1"
    )
    significant = [both[f"p_value_{s}"].astype(float) <= 0.05 for s in ("ok", "with_flagged")]
    both["significance_changes"] = significant[0] != significant[1]
    return both[SENSITIVITY_COLUMNS]
