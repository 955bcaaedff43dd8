"""Paired timepoint comparisons of a per-subset value (CD38 MFI, cells per uL).

Pairs are patients with a value at both timepoints of the same part; the others
are counted (and listed) as unpaired. Test: Wilcoxon matched-pairs signed-rank,
two-sided, GraphPad Prism conventions (zero differences dropped, exact P below
200 pairs with ties included), as in the paper.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cytotrial.stats.paired import prism_quartiles, wilcoxon_matched_pairs

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
]


def paired_values(
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


def compare_timepoints(
    tidy: pd.DataFrame,
    comparisons: Sequence[dict],
    populations: Sequence[str],
    value: str,
) -> pd.DataFrame:
    """One row per comparison x population: n pairs, medians, IQRs, difference, W, P, stars."""
    rows = []
    for comparison in comparisons:
        part, before, after = comparison["part"], comparison["before"], comparison["after"]
        for population in populations:
            pairs, unpaired = paired_values(tidy, part, population, before, after, value)
            row = {
                "part": part,
                "population": population,
                "before": before,
                "after": after,
                "value": value,
                "n_pairs": len(pairs),
                "unpaired_patients": len(unpaired),
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
