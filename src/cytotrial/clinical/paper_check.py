"""The demo's paper check: every number of the paper the demo is calibrated to, beside
this run's value and a verdict.

The paper's numbers come from the project's own transcription (simulate/paper_targets.py),
never from the paper's text at run time; this run's numbers from the result tables the
workflow wrote. Verdicts, by kind of number:

* count (and a whole-number median or range of Table 1): "exact" or "miss";
* estimate (a Kaplan-Meier median, the median follow-up): "close" within
  paper_targets.KM_TOLERANCE of the paper's value (ratio shown), else "miss";
* CI half-width (upper limit - median; the paper's SPSS intervals are symmetric and cut
  at 0, so the upper side is the part the cut never touches): "close" within
  paper_targets.CI_WIDTH_TOLERANCE, else "miss";
* P value: "same significance" when this run's P and the paper's fall on the same side
  of the paper's significance level (alpha = .05), else "miss"; the star levels
  (* < .05, ** < .01, *** < .001, **** < .0001) are given beside it.

A result file that is missing or lacks a row gives "not available" and a "miss": the
check never passes by default. `PAPER_NOTES` lists where the paper contradicts itself
and which reading the demo follows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from cytotrial.clinical.figures.patient_flow import ENTRY_REASON_LABELS
from cytotrial.clinical.paper_check_rules import (
    COLUMNS,
    Row,
    count_check,
    count_of,
    estimate_check,
    p_check,
    words,
)
from cytotrial.clinical.paper_check_tables import table1_rows, table2_rows, table3_rows
from cytotrial.io.names import population_label
from cytotrial.io.results import read_tsv_or_empty
from cytotrial.simulate import paper_targets as pt

__all__ = [
    "COLUMNS",
    "PAPER_CHECK_INPUT_KEYS",
    "PAPER_NOTES",
    "demo_planted_extra",
    "paper_check_job",
    "paper_check_table",
    "count_check",
    "estimate_check",
    "p_check",
    "summary",
]

# The result files the check reads, by key (rules/paper_check.smk maps each key to a
# rule's output: the rules own the paths).
PAPER_CHECK_INPUT_KEYS: tuple[str, ...] = (
    "patient_flow",
    "dose_escalation",
    "response_categories",
    "response_rates",
    "table1",
    "table2",
    "table2_footnotes",
    "table3",
    "subsequent_outcome",
    "survival_medians",
    "survival_logrank",
    "survival_followup",
    "samples_per_timepoint",
    "cell_count_tests",
)
PAPER_NOTES = (
    "Patients not enrolled in part B (13): Figure 1's legend says 2 still on treatment and "
    "10 ineligible or withdrawn; the results text says 3 still in part A, 8 ineligible, 2 "
    "withdrew consent. The demo follows the text.",
    "Figure 4's legend gives n = 51 part B C1D1 samples, but part B has 50 patients; the "
    "demo has one C1D1 sample per part B patient (50).",
    "Phase 1 enrolled 8 patients at 45 mg/m2, where a 3+3 design needs 6 DLT-evaluable: "
    "the demo reads this as 2 replaced, non-evaluable patients (the supplement is not "
    "transcribed).",
    "The medians' 95% CIs are SPSS's symmetric Wald intervals (median +- 1.96 SE) with the "
    "lower limit cut at 0: the part A PD group's OS-B (17.9, 0-48.8) and OS-AB (19.5, "
    "0-48.5) intervals reach below 0 before the cut. PFS-B SD/MR (2.8, 1.1-4.6) is not "
    "symmetric to the printed digit (rounding).",
    "The subsequent-line ORR is given as 61% of 38 patients without a count: 23 "
    "responders (60.5%) is the only count that prints as 61%, and the demo has 23.",
    "The phase 2 high-risk count (18) exceeds the del(17p) and amp(1q) patients Table 1 "
    "lists (3 + 13): at least 2 more must carry gain(1q), which Table 1 does not list.",
    "The median follow-up (43 months) is given without its origin or method; this run's "
    "value is the reverse Kaplan-Meier median from the start of part A (RP2D population).",
    "'P < .0001' (NK cells under daratumumab) is a bound, not a value: the check asks only "
    "that this run's P is below .05 (and shows its stars).",
)


# --- sections -------------------------------------------------------------------------


def _flow_rows(t: Callable[[str], pd.DataFrame]) -> list[Row]:
    s = "Patient flow (Figure 1)"
    flow = t("patient_flow")
    n = dict(zip(flow["box"], flow["n"], strict=True)) if len(flow) else {}

    def box(key: str) -> int | None:
        return int(n[key]) if key in n else None

    rows = [
        count_check(s, "Part A, enrolled", pt.N_PATIENTS, box("part_a")),
        count_check(s, "Part B phase 1", pt.COLUMN_SIZES["B1"], box("phase1")),
        count_check(s, "Part B phase 2", pt.COLUMN_SIZES["B2"], box("phase2")),
        count_check(s, "Part B at the RP2D", pt.RP2D_N, box("rp2d")),
    ]
    rows += [
        count_check(s, f"Phase 1 at ATRA {dose} mg/m2", k, box(f"phase1:{dose}"))
        for dose, k in pt.PHASE1_DOSES.items()
    ]
    rows += [
        count_check(
            s,
            f"Not in part B: {words(why)}",
            k,
            box(f"not_part_b:{why}"),
            "the results text; Figure 1's legend differs (see notes)",
        )
        for why, k in pt.NOT_IN_PART_B.items()
    ]
    rows += [
        count_check(
            s,
            f"Part B entry: {ENTRY_REASON_LABELS.get(why, words(why))}",
            k,
            box(f"part_b_entry:{why}"),
        )
        for why, k in pt.PART_B_ENTRY_REASONS.items()
    ]
    rows += [
        count_check(
            s,
            "RP2D: on treatment at cut-off",
            pt.RP2D_ON_TREATMENT,
            box("rp2d_status:on_treatment"),
        ),
        count_check(s, "RP2D: discontinued", pt.RP2D_DISCONTINUED, box("rp2d_status:discontinued")),
        count_check(
            s,
            "RP2D: discontinued for progression",
            pt.RP2D_DISCONTINUED_FOR_PROGRESSION,
            box("discontinued:progression"),
        ),
    ]
    dose = t("dose_escalation")
    by_dose = dose.set_index("ATRA (mg/m2)") if len(dose) else dose
    for level, k in pt.PHASE1_DLT_EVALUABLE.items():
        run = int(by_dose.at[level, "DLT-evaluable"]) if level in by_dose.index else None
        rows.append(
            count_check(
                s,
                f"Phase 1 DLT-evaluable at {level} mg/m2",
                k,
                run,
                "our reading of the 3+3 design (see notes)",
            )
        )
    dlt = int(dose["with DLT"].sum()) if "with DLT" in dose else None
    rows.append(count_check(s, "Dose-limiting toxicities", 0, dlt))
    return rows


def _response_rows(t: Callable[[str], pd.DataFrame]) -> list[Row]:
    s = "Responses"
    cats = t("response_categories")
    n = cats.set_index(["population", "category"])["n"].astype(int).to_dict() if len(cats) else {}

    def get(pop: str, *categories: str) -> int | None:
        keys = [(pop, c) for c in categories]
        return sum(n[k] for k in keys) if all(k in n for k in keys) else None

    rows = [
        count_check(s, "Part A >= PR", pt.PART_A_AT_LEAST_PR, get("A", "sCR", "CR", "VGPR", "PR")),
        count_check(s, "Part A CR (incl. sCR)", pt.PART_A_CR, get("A", "sCR", "CR")),
        count_check(s, "Part A VGPR", pt.PART_A_VGPR, get("A", "VGPR")),
    ]
    for category, k in pt.PART_B_RP2D_RESPONSES.items():
        keys = ("PD", "NE") if category == "PD_or_NE" else (category,)
        label = "PD or not evaluable" if category == "PD_or_NE" else category
        rows.append(count_check(s, f"Part B at the RP2D: {label}", k, get("B_RP2D", *keys)))
    rates = t("response_rates")
    x = rates.set_index(["population", "rate"])["x"].astype(int).to_dict() if len(rates) else {}
    part_b = pt.PART_B_RP2D_RESPONSES
    for rate, k in (
        ("ORR", part_b["VGPR"]),
        ("CBR", part_b["VGPR"] + part_b["MR"]),
        ("DCR", part_b["VGPR"] + part_b["MR"] + part_b["SD"]),
    ):
        rows.append(
            count_check(
                s, f"Part B at the RP2D: {rate} (of {pt.RP2D_N})", k, x.get(("B_RP2D", rate))
            )
        )
    table1 = t("table1")
    rp2d = f"Part B at RP2D (n={pt.RP2D_N})"
    run = None
    if len(table1) and rp2d in table1:
        hit = table1["characteristic"].str.startswith("Triple-class refractory")
        run = count_of(table1.loc[hit, rp2d].iloc[0]) if hit.any() else None
    rows.append(
        count_check(
            s, "RP2D: triple-class refractory at part B entry", pt.RP2D_TRIPLE_CLASS_REFRACTORY, run
        )
    )
    return rows


def _survival_rows(t: Callable[[str], pd.DataFrame]) -> list[Row]:
    s = "Survival at the RP2D (Figures 2-3)"
    medians = t("survival_medians")
    by = medians.set_index(["endpoint", "group"]) if len(medians) else pd.DataFrame()
    rows = []
    for endpoint, groups in pt.KM_TARGETS.items():
        for group, target in groups.items():
            key = (endpoint, "All" if group == "all" else group)
            have = key in by.index
            run = float(by.at[key, "median"]) if have else None
            rows.append(
                estimate_check(
                    s,
                    f"{endpoint} {group}: median (months)",
                    "estimate",
                    target,
                    run,
                    pt.KM_TOLERANCE,
                )
            )
            lo, hi = pt.KM_CI[endpoint][group]
            half = float(by.at[key, "upper"]) - run if have else None
            cut = " (lower cut at 0)" if lo == 0 else ""
            rows.append(
                estimate_check(
                    s,
                    f"{endpoint} {group}: CI upper half-width (months)",
                    "CI half-width",
                    round(hi - target, 2),
                    half,
                    pt.CI_WIDTH_TOLERANCE,
                    f"paper CI {lo:g}-{hi:g}{cut}",
                )
            )
    logrank = t("survival_logrank")
    lr = logrank.set_index(["endpoint", "comparison"]) if len(logrank) else pd.DataFrame()
    for (endpoint, group), p in pt.LOGRANK_P.items():
        key = (endpoint, f"{group} vs PD")
        run = float(lr.at[key, "p_value"]) if key in lr.index else None
        rows.append(p_check(s, f"{endpoint}: {group} vs PD, log-rank P", p, run))
    follow = t("survival_followup")
    run = None
    if len(follow):
        hit = (follow["population"] == "RP2D") & (follow["from"] == "start of part A")
        run = float(follow.loc[hit, "median_followup_months"].iloc[0]) if hit.any() else None
    rows.append(
        estimate_check(
            s,
            "Median follow-up (months)",
            "estimate",
            pt.MEDIAN_FOLLOW_UP_MONTHS,
            run,
            pt.KM_TOLERANCE,
            "origin and method not stated in the paper (see notes)",
        )
    )
    return rows


# What each planted extra file is (simulate/flow/scenarios), for the samples' note. The
# simulator's "failed" acquisitions are faulty files: the pipeline analyses them and its QC
# decides whether they fail, so the note does not call them failed samples.
SCENARIO_WORDS = {
    "failed_clog": "clogged sample line",
    "failed_debris": "clotted sample",
    "too_small": "too few events",
}


def planted_note(scenarios: Sequence[str]) -> str:
    """The note of a sample count taken off the demo's planted extra files ('' if none)."""
    if not scenarios:
        return ""
    kinds = pd.Series([SCENARIO_WORDS.get(s, str(s).replace("_", " ")) for s in scenarios])
    listed = ", ".join(f"{kind}: {n}" for kind, n in kinds.value_counts(sort=False).items())
    return (
        f"this run's files minus the {len(scenarios)} faulty extra files the demo plants "
        f"({listed}); the pipeline analyses them and its QC flags "
        "or fails each (Gating QC)"
    )


def _flow_sample_rows(
    t: Callable[[str], pd.DataFrame], planted: Mapping[tuple, Sequence[str]]
) -> list[Row]:
    s = "Flow cytometry (Figure 4, supplemental Figure 1)"
    counts = t("samples_per_timepoint")
    by = counts.set_index(["part", "timepoint"])["samples"].to_dict() if len(counts) else {}
    rows = []
    for (part, timepoint), k in pt.FLOW_SAMPLE_COUNTS.items():
        extra = list(planted.get((part, timepoint), ()))
        run = by.get((part, timepoint))
        run = None if run is None else int(run) - len(extra)
        note = planted_note(extra)
        if (part, timepoint) == ("B", "C1D1"):
            note = "the paper's legend says 51 (see notes)"
        rows.append(count_check(s, f"Samples, part {part} {timepoint}", k, run, note))
    tests = t("cell_count_tests")
    keyed = (
        tests.set_index(["part", "population", "before", "after"])["p_value"].to_dict()
        if len(tests)
        else {}
    )
    for (part, population, before, after), p in pt.FLOW_COUNT_P.items():
        run = keyed.get((part, population, before, after))
        item = f"Cell count: {population_label(population)}, part {part} {before} vs {after}"
        rows.append(p_check(s, item, p, None if run is None else float(run), bound=p == 0.0001))
    return rows


def paper_check_table(
    inputs: Mapping[str, str | Path],
    planted_extra: Mapping[tuple[str, str], Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Every checked number (COLUMNS). `inputs`: PAPER_CHECK_INPUT_KEYS -> result files;
    `planted_extra`: (part, timepoint) -> the scenarios of the faulty files the demo adds
    beyond the paper's samples (simulate/flow/scenarios), taken off this run's counts."""
    cache: dict[str, pd.DataFrame] = {}

    def table(key: str) -> pd.DataFrame:
        if key not in cache:
            cache[key] = read_tsv_or_empty(inputs.get(key))
        return cache[key]

    rows = [
        *_flow_rows(table),
        *_response_rows(table),
        *table1_rows(table),
        *table2_rows(table),
        *table3_rows(table),
        *_survival_rows(table),
        *_flow_sample_rows(table, planted_extra or {}),
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def summary(check: pd.DataFrame) -> str:
    """'312 numbers: 290 exact, 16 close, 4 same significance, 2 miss (...)'."""
    if check.empty:
        return "No number checked."
    parts = []
    for kind, verdicts in check.groupby("kind", sort=False)["verdict"]:
        counted = verdicts.value_counts()
        text = ", ".join(f"{n} {v}" for v, n in counted.items())
        parts.append(f"{kind}: {text}")
    misses = int((check["verdict"] == "miss").sum())
    missed = "1 miss" if misses == 1 else f"{misses} misses"
    head = f"{len(check)} numbers of the paper checked, {missed}"
    return f"{head} ({'; '.join(parts)})."


def demo_planted_extra(seed: int) -> dict[tuple[str, str], list[str]]:
    """(part, timepoint) -> the scenario of each faulty file the demo with this seed adds
    beyond the paper's samples (its sample plan, simulate/flow/scenarios.EXTRA_FILES)."""
    from cytotrial.simulate.flow.scenarios import EXTRA_FILES
    from cytotrial.simulate.trial import plan_demo_trial

    plan = plan_demo_trial(seed, "demo")
    extra = plan[plan["scenario"].isin(EXTRA_FILES)]
    return {key: list(block["scenario"]) for key, block in extra.groupby(["part", "timepoint"])}


def paper_check_job(
    inputs: Mapping[str, str | Path], seed: int, out_tsv: str | Path, notes_tsv: str | Path
) -> pd.DataFrame:
    """Write the paper check (COLUMNS) and the paper's own inconsistencies (one per row)."""
    from cytotrial.io.results import write_tsv

    check = paper_check_table(inputs, demo_planted_extra(seed))
    write_tsv(check, out_tsv)
    write_tsv(pd.DataFrame({"note": list(PAPER_NOTES)}), notes_tsv)
    return check
