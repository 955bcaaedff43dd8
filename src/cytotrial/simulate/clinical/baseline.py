"""baseline.csv: one row per patient and part, matching every Table 1 column exactly.

Part B rows are drawn first (their columns are subsets: phase 1 and phase 2); the part A
rows of part-B patients follow from them (nothing but daratumumab was given in between):
prior lines - 1, years since first treatment - elapsed time, age - completed years
elapsed, and the same WHO score, plasmacytoma, ISS, transplants and drug history. The
13 patients who never entered part B then get the values that complete the part A
column (clinical_design.complete_values). Laboratory values are measured anew at each
baseline; part B values are rank-correlated with the patient's part A values.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cytotrial.simulate import paper_targets as pt
from cytotrial.simulate.clinical.cohort import column_counts
from cytotrial.simulate.clinical.design import (
    DesignError,
    complete_values,
    design_values,
)

__all__ = [
    "numeric_baseline",
    "categorical_baseline",
]

B_COLUMNS = ("B1", "B2")
DAYS_PER_YEAR = 365.25
MIN_AGE_AT_FIRST_TREATMENT = 28  # age - years since first treatment
RETRIES = 200


def _assign_by_rank(
    rng: np.random.Generator, values: np.ndarray, key: np.ndarray | None, noise: float
) -> np.ndarray:
    """Values permuted so that their ranks follow key (+ noise x key's spread);
    a random permutation when key is None."""
    if key is None:
        return rng.permutation(values)
    key = np.asarray(key, dtype=float)
    spread = key.std() if key.size > 1 and key.std() > 0 else 1.0
    jittered = key + rng.normal(0.0, noise * spread, key.size)
    out = np.empty(values.size)
    out[np.argsort(jittered, kind="stable")] = np.sort(values)
    return out


def _retry(what: str, build: Callable[[], dict]) -> dict:
    for _ in range(RETRIES):
        try:
            return build()
        except DesignError:
            continue
    raise DesignError(f"{what}: no arrangement meets Table 1 after {RETRIES} tries")


def _paired_column(
    name: str,
    rng: np.random.Generator,
    prof: pd.DataFrame,
    specs: dict[str, pt.NumericSpec],
    to_part_a: Callable[[np.ndarray, np.ndarray], np.ndarray],
    key: pd.Series | None,
    noise: float,
    check: Callable[[pd.Series, pd.Series], bool] | None = None,
) -> tuple[pd.Series, pd.Series]:
    """(part A values for all, part B values for part-B patients) of one characteristic.

    to_part_a(b_values, idx) turns part B values into part A values; key orders
    the values within each column (rank correlation); check(a, b) may veto a draw.
    """
    in_b = prof.group.isin(B_COLUMNS)

    def build() -> dict:
        b = pd.Series(np.nan, index=prof.index[in_b])
        for col in B_COLUMNS:
            idx = prof.index[prof.group.eq(col)]
            values = design_values(rng, specs[col], idx.size)
            b[idx] = _assign_by_rank(rng, values, None if key is None else key[idx], noise)
        a = pd.Series(np.nan, index=prof.index)
        a[b.index] = to_part_a(b.to_numpy(), b.index.to_numpy())
        rest = prof.index[~in_b]
        filled = complete_values(rng, specs["A"], a[b.index].to_numpy(), rest.size)
        a[rest] = _assign_by_rank(rng, filled, None if key is None else key[rest], noise)
        if check is not None and not check(a, b):
            raise DesignError("implausible combination")
        return {"a": a, "b": b}

    result = _retry(name, build)
    return result["a"], result["b"]


def numeric_baseline(
    rng: np.random.Generator,
    prof: pd.DataFrame,
    drugs: pd.DataFrame,
    elapsed_days: pd.Series,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(part A rows, part B rows) of the continuous Table 1 characteristics."""
    elapsed_years = elapsed_days / DAYS_PER_YEAR
    exposures = drugs.drop(columns="daratumumab").ne("not_exposed").sum(axis=1).astype(float)
    lines_a, lines_b = _paired_column(
        "prior lines", rng, prof, pt.PRIOR_LINES, lambda b, idx: b - 1, exposures, noise=0.8
    )
    years_a, years_b = _paired_column(
        "years since first treatment",
        rng,
        prof,
        pt.YEARS_SINCE_FIRST_TREATMENT,
        lambda b, idx: np.round(b - elapsed_years[idx].to_numpy(), 2),
        # longer history with more lines; a long part A adds directly to part B's value
        lines_a / lines_a.std() + elapsed_years.reindex(prof.index, fill_value=0.0),
        noise=0.7,
    )

    def plausible_age(a: pd.Series, b: pd.Series) -> bool:
        return bool(
            (a - years_a).min() >= MIN_AGE_AT_FIRST_TREATMENT
            and (b - years_b[b.index]).min() >= MIN_AGE_AT_FIRST_TREATMENT
        )

    age_a, age_b = _paired_column(
        "age",
        rng,
        prof,
        pt.AGE,
        lambda b, idx: b - np.floor(elapsed_years[idx].to_numpy()),
        None,
        noise=0.0,
        check=plausible_age,
    )
    part_a = pd.DataFrame(
        {
            "age_years": age_a.astype(int),
            "years_since_first_treatment": years_a,
            "prior_lines": lines_a.astype(int),
        }
    )
    part_b = pd.DataFrame(
        {
            "age_years": age_b.astype(int),
            "years_since_first_treatment": years_b,
            "prior_lines": lines_b.astype(int),
        }
    )
    labs_a, labs_b = _labs(rng, prof)
    part_a = part_a.join(labs_a)
    part_b = part_b.join(labs_b)
    part_a["bm_plasma_cells_pct"] = _bone_marrow(rng, prof)
    return part_a, part_b


def _labs(rng: np.random.Generator, prof: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    in_b = prof.index[prof.group.isin(B_COLUMNS)]
    labs_a, labs_b = {}, {}
    for lab, specs in pt.LABS.items():
        values_a = design_values(rng, specs["A"], len(prof))
        values_b = pd.Series(np.nan, index=in_b)
        for col in B_COLUMNS:
            idx = prof.index[prof.group.eq(col)]
            values = design_values(rng, specs[col], idx.size)
            values_b[idx] = _assign_by_rank(rng, values, values_a[idx], noise=0.6)
        labs_a[lab], labs_b[lab] = values_a, values_b
    return pd.DataFrame(labs_a, index=prof.index), pd.DataFrame(labs_b, index=in_b)


def _bone_marrow(rng: np.random.Generator, prof: pd.DataFrame) -> pd.Series:
    """Bone marrow plasma cells in biopsy: 39 part-A patients only."""
    out = pd.Series(np.nan, index=prof.index)
    chosen = np.sort(rng.choice(prof.index.to_numpy(), size=pt.BM_PLASMA_CELLS_N, replace=False))
    out[chosen] = design_values(rng, pt.BM_PLASMA_CELLS, pt.BM_PLASMA_CELLS_N)
    return out


# --- categorical rows -------------------------------------------------------------------


def _lists(rng: np.random.Generator, prof: pd.DataFrame, counts: dict) -> pd.Series:
    """One value per patient: part B columns from their counts, the rest from A - B."""
    out = pd.Series(None, index=prof.index, dtype=object)
    for group in ("B1", "B2", "R"):
        idx = prof.index[prof.group.eq(group)]
        pool = column_counts(counts, group)
        values = [key for key, n in pool.items() for _ in range(n)]
        out[idx] = [values[j] for j in rng.permutation(len(values))]
    return out


def categorical_baseline(rng: np.random.Generator, prof: pd.DataFrame) -> pd.DataFrame:
    """WHO score, plasmacytoma, ISS and transplants; the same at both baselines.

    Keeping part A = part B for part-B patients is what the Table 1 counts allow for
    every one of these rows (A - B1 - B2 is never negative).
    """

    def yes_no(counts: dict[str, int]) -> dict[str, dict[str, int]]:
        return {c: {"yes": k, "no": pt.COLUMN_SIZES[c] - k} for c, k in counts.items()}

    return pd.DataFrame(
        {
            "who_performance": _lists(rng, prof, pt.WHO),
            "plasmacytoma": _lists(rng, prof, pt.PLASMACYTOMA),
            "autologous_sct": _lists(rng, prof, yes_no(pt.AUTOLOGOUS_SCT)),
            "allogeneic_sct": _lists(rng, prof, yes_no(pt.ALLOGENEIC_SCT)),
            "iss": _lists(rng, prof, pt.ISS),
        }
    )
