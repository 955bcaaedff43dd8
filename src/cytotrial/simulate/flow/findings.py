"""The paper's flow-cytometry findings as checkable statements, and a checker.

`FLOW_FINDINGS` transcribes TARGETS.md ("Flow cytometry of peripheral blood"): Wilcoxon
matched-pairs signed-rank tests, two-sided, pairs = patients with both samples.
`evaluate_findings` runs them on any long table of per-sample values (simulator truth,
or the pipeline's own results), so the same statements can be tested at every level.

Why `expected_values` / `matching_seed`: under "no change" a Wilcoxon test is significant
by chance 5% of the time whatever the noise, so with 17 such comparisons only about half
of the seeds reproduce every "ns" of the paper. Sample-level draws cannot prevent that:
it needs the whole cohort. `matching_seed` finds, deterministically, the first seed from
a start seed whose cohort reproduces all findings with a margin. It never simulates whole
files (label counts and CD38 spread are recomputed exactly from their own streams), so
it costs 0.05-0.5 s per seed tried; typically a few seconds in all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cytotrial.simulate.flow.events import cd38_by_row, leukocyte_cd38
from cytotrial.simulate.flow.instrument import batch_drift
from cytotrial.simulate.flow.populations import (
    CD38_COL,
    LABEL,
    LEUKOCYTE_CODES,
    LEUKOCYTES,
    NK_CELLS,
    analyser_leukocytes,
    cd38_cell_rng,
    cd38_levels,
    counts_per_ul,
    event_probabilities,
    event_rng,
)

__all__ = [
    "FLOW_FINDINGS",
    "evaluate_findings",
    "truth_values",
    "expected_values",
    "matching_seed",
    "Finding",
]


@dataclass(frozen=True)
class Finding:
    """One paired comparison: `after` vs `before` within `part`."""

    kind: str  # "cd38" (median CD38 signal) or "count" (cells per uL)
    population: str  # truth-table population name
    part: str
    before: str
    after: str
    expect: str  # "down", "up" (significant, that direction) or "ns"
    paper_p: str = ""  # the P value the paper prints, where it gives one


SUBSETS = ("monocyte", "b_cell", "t_cell", "nk_cell", "nk_cd56dim_cd16pos")


def _cd38_findings() -> list[Finding]:
    found = []
    for pop in SUBSETS:
        found.append(Finding("cd38", pop, "A", "C1D1", "C2D1", "down"))  # daratumumab
        found.append(Finding("cd38", pop, "B", "C1D1", "C1D3", "up"))  # 3 days of ATRA
        found.append(Finding("cd38", pop, "B", "C1D1", "EOT", "ns"))  # back at progression
        if pop == "monocyte":  # C2D3 between C1D1 and C1D3
            found.append(Finding("cd38", pop, "B", "C1D1", "C2D3", "up"))
        else:  # back to the C1D1 level at C2D3
            found.append(Finding("cd38", pop, "B", "C1D1", "C2D3", "ns"))
        found.append(Finding("cd38", pop, "B", "C1D3", "C2D3", "down"))
    return found


FLOW_FINDINGS: tuple[Finding, ...] = (
    *_cd38_findings(),
    Finding("count", "nk_cell", "A", "C1D1", "C2D1", "down", "<.0001"),
    Finding("count", "nk_cell", "B", "C1D1", "C1D3", "down", ".0176"),
    Finding("count", "nk_cd56dim_cd16pos", "A", "C1D1", "C2D1", "down"),
    Finding("count", "t_cell", "A", "C1D1", "C2D1", "up"),
    # T cells stay up in part B; B cells never change; monocytes dip then recover.
    Finding("count", "t_cell", "B", "C1D1", "C1D3", "ns"),
    Finding("count", "t_cell", "B", "C1D1", "C2D3", "ns"),
    Finding("count", "t_cell", "B", "C1D1", "EOT", "ns"),
    Finding("count", "b_cell", "A", "C1D1", "C2D1", "ns"),
    Finding("count", "b_cell", "B", "C1D1", "C1D3", "ns"),
    Finding("count", "b_cell", "B", "C1D1", "C2D3", "ns"),
    Finding("count", "b_cell", "B", "C1D1", "EOT", "ns"),
    Finding("count", "monocyte", "B", "C1D1", "C1D3", "down", ".0002"),
    Finding("count", "monocyte", "B", "C1D1", "C2D3", "ns"),
)


def _wide(values: pd.DataFrame) -> dict[tuple[str, str, str], pd.DataFrame]:
    """Per (kind, population, part): a patient x timepoint table of values."""
    keys = ["kind", "population", "part", "patient_id", "timepoint"]
    wide = values.set_index(keys)["value"].unstack("timepoint").sort_index()
    return {key: block.droplevel([0, 1, 2]) for key, block in wide.groupby(level=[0, 1, 2])}


def _test(wide: dict, f: Finding, alpha: float, ns_above: float) -> dict:
    from scipy.stats import wilcoxon  # lazy: scipy.stats costs ~0.8 s to import

    block = wide.get((f.kind, f.population, f.part), pd.DataFrame())
    pairs = block.reindex(columns=[f.before, f.after]).dropna()
    if len(pairs):
        p = float(wilcoxon(pairs[f.before], pairs[f.after]).pvalue)
        ratio = float(np.median(pairs[f.after] / pairs[f.before]))
    else:
        p = ratio = float("nan")
    if f.expect == "ns":
        holds = p > ns_above
    else:
        holds = p < alpha and (ratio < 1.0) == (f.expect == "down")
        if f.paper_p.startswith("<"):  # "P < .0001" must stay that strong
            holds = holds and p < float(f.paper_p[1:])
    return {**f.__dict__, "pairs": len(pairs), "p": p, "median_ratio": ratio, "holds": holds}


def evaluate_findings(
    values: pd.DataFrame,
    findings: tuple[Finding, ...] = FLOW_FINDINGS,
    alpha: float = 0.05,
    ns_above: float | None = None,
) -> pd.DataFrame:
    """Test each finding on `values` (patient_id, part, timepoint, population, kind, value).

    A "down"/"up" finding holds if p < alpha and the median ratio after/before points
    that way; an "ns" finding holds if p > `ns_above` (default alpha).
    """
    wide = _wide(values)
    ns_above = alpha if ns_above is None else ns_above
    return pd.DataFrame([_test(wide, f, alpha, ns_above) for f in findings])


def truth_values(truth: pd.DataFrame, cd38_column: str = "cd38_median_true") -> pd.DataFrame:
    """Long values table from concatenated truth tables.

    `truth` needs the truth-table columns plus patient_id, part, timepoint and
    leukocytes_per_ul; counts = fraction_of_leukocytes x leukocytes_per_ul.
    """
    keys = ["patient_id", "part", "timepoint", "population"]
    cd38 = truth[keys].assign(kind="cd38", value=truth[cd38_column])
    count = truth[keys].assign(
        kind="count", value=truth["fraction_of_leukocytes"] * truth["leukocytes_per_ul"]
    )
    return pd.concat([cd38, count], ignore_index=True).dropna(subset=["value"])


def _sample_values(sample: dict, seed: int, events: int | None) -> tuple[list[float], list[float]]:
    """CD38 and count per population of EXPECTED_POPULATIONS for one sample."""
    cd38 = cd38_levels(sample, seed)
    if events is None:  # population-level expectations
        count = counts_per_ul(sample, seed)
        nk = [LEUKOCYTES.index(p) for p in NK_CELLS]
        nk_cd38 = float(np.exp(np.average(np.log(cd38[nk]), weights=count[nk])))
        return [*cd38, nk_cd38], [*count, count[nk].sum()]
    # Exactly the truth table's values: label counts are the first draw of the event
    # stream, per-cell CD38 spread has its own stream (see flow_events.synthesize).
    labels = event_rng(sample, seed).multinomial(events, event_probabilities(sample, seed))
    z = cd38_cell_rng(sample, seed).standard_normal(events, dtype=np.float32)
    cells = leukocyte_cd38(labels, z, cd38_by_row(cd38))
    cells["nk_cell"] = np.concatenate([cells[p] for p in NK_CELLS])
    medians = [
        float(np.median(cells[p])) if len(cells[p]) else np.nan for p in EXPECTED_POPULATIONS
    ]
    leuk = labels[LEUKOCYTE_CODES]
    nk_events = sum(labels[LABEL[p]] for p in NK_CELLS)
    count = np.append(leuk, nk_events) / max(leuk.sum(), 1) * analyser_leukocytes(sample, seed)
    return medians, list(count)


EXPECTED_POPULATIONS = (*LEUKOCYTES, "nk_cell")


def expected_values(
    samples: pd.DataFrame, seed: int, events: int | None = None, drift: bool = False
) -> pd.DataFrame:
    """Per-sample CD38 and counts per uL (long table), without simulating the files.

    With `events`, both equal the truth tables' cd38_median_true and fraction x
    leukocytes_per_ul exactly (drawing only labels and CD38 spread, not whole events);
    without, they are the sample's population-level CD38 levels and true counts.
    With `drift`, CD38 is multiplied by the batch's APC gain, approximating acquired values.
    """
    rows = []
    for sample in samples.to_dict("records"):
        cd38, count = _sample_values(sample, seed, events)
        base = {k: sample[k] for k in ("sample_id", "patient_id", "part", "timepoint")}
        for pop, level, n in zip(EXPECTED_POPULATIONS, cd38, count, strict=True):
            rows.append({**base, "population": pop, "kind": "cd38", "value": level})
            rows.append({**base, "population": pop, "kind": "count", "value": n})
    values = pd.DataFrame(rows)
    return _with_drift(values, samples, seed) if drift else values


def _with_drift(values: pd.DataFrame, samples: pd.DataFrame, seed: int) -> pd.DataFrame:
    """CD38 values times each sample's batch APC gain."""
    gains = {}
    for sample in samples.to_dict("records"):
        batch = sample.get("batch") or f"B{str(sample['acquisition_date'])[:7]}"
        gains[sample["sample_id"]] = batch_drift(str(batch), seed).gains[CD38_COL]
    factor = np.where(values.kind == "cd38", values.sample_id.map(gains), 1.0)
    return values.assign(value=values.value * factor)


def _all_hold(values: pd.DataFrame, alpha: float, ns_above: float) -> bool:
    wide = _wide(values)
    return all(_test(wide, f, alpha, ns_above)["holds"] for f in FLOW_FINDINGS)


def matching_seed(
    samples: pd.DataFrame,
    seed: int,
    events: int | None = None,
    tries: int = 500,
    ns_above: float = 0.15,
    alpha: float = 0.02,
) -> int:
    """First seed in seed, seed+1, ... whose cohort reproduces every finding, with margins.

    Pass the files' `events` to check exactly the truth tables' counts and true CD38
    medians. CD38 is checked without and with batch drift (true and approximately
    acquired). Margins (significant at `alpha`, "ns" above `ns_above`) leave room for
    what gating and compensation add in the pipeline; with them about 1 seed in 20
    qualifies (0.1-0.5 s per seed tried). `samples` needs sample_id,
    patient_id, part, timepoint and batch or acquisition_date.
    """
    for candidate in range(seed, seed + tries):
        # Cheap pre-screen on population-level values (~0.05 s): most seeds fail here.
        if events is not None and not _all_hold(expected_values(samples, candidate), 0.05, 0.05):
            continue
        values = expected_values(samples, candidate, events)
        if _all_hold(values, alpha, ns_above) and _all_hold(
            _with_drift(values, samples, candidate), alpha, ns_above
        ):
            return candidate
    raise RuntimeError(f"no seed in [{seed}, {seed + tries}) reproduces all flow findings")
