"""The flow sections of the report: immune subsets, paired tests, QC, review, gating."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from cytotrial.flow.sample.status import split_flags
from cytotrial.io.results import read_tsv
from cytotrial.report.counts import count_range, n_text, plural
from cytotrial.report.figure_numbers import figure_title
from cytotrial.report.labels import VALUE_LABELS, population_label
from cytotrial.report.model import ReportFigure, ReportSection, ReportTable
from cytotrial.report.paired_tests_display import (
    paired_tests_display,
    sensitivity_display,
    value_caption,
)
from cytotrial.report.qc_outcome import with_outcome
from cytotrial.report.qc_statistics_display import statistics_shown

__all__ = [
    "FIGURES",
    "FLOW_TABLES",
    "untested_comparisons_note",
    "left_out_note",
    "population_status_note",
    "AUTO_ALL_PLOTS_MAX",
    "plots_to_embed",
    "review_tables",
]

# Flow figures the report embeds, by input name of the report rule.
FIGURES = ("mfi_A", "mfi_B", "counts_A", "counts_B", "counts_t", "mfi_paired", "counts_paired")


PAIRED_CAPTION = (
    "One line per patient with both samples (orange: rose, blue: fell); n pairs and the "
    "Wilcoxon matched-pairs P per panel, and the values of its two timepoints left out."
)


USED_CAPTION = (
    " Populations used: see each figure's title (the section's notes say how to add the "
    "flagged ones); each panel counts the values left out "
    "(flagged: a flag on the population's gates or sample; failed: the sample could not be "
    "analysed; excluded: by a reviewer in the review file)."
)


FIGURE4_CAPTION = (
    "A dot per patient; red: median and IQR (Prism quartiles), median printed under each "
    "timepoint; grey lines join a patient's samples; stars: Wilcoxon matched-pairs, two-sided "
    "(* ≤ .05, ** ≤ .01, *** ≤ .001, **** ≤ .0001, ns). MFI = median of compensated, "
    "untransformed CD38 values. n differs by design: the printed medians use every sample of "
    "the timepoint (as the paper's figure), the stars only the patients with both samples "
    "(n pairs, fewer), so a star need not follow the difference of the printed medians; the "
    "paired medians are in the tests table (Median before, Median after)."
)


COUNTS_CAPTION = (
    "Cells per µL, log axis (counts span orders of magnitude); a dot per patient, median and "
    "IQR as in Figure 4. T cells have their own figure over both parts (Figure S2), as in "
    "the paper." + USED_CAPTION
)


T_COUNTS_CAPTION = (
    "T cells per µL in part A and part B, log axis, drawn and tested as Figure S1 (the "
    "paper's supplemental Figure 2)." + USED_CAPTION
)


TESTS_CAPTION = (
    "Wilcoxon matched-pairs signed-rank test, two-sided, on patients with both samples; zero "
    "differences dropped; exact P below 200 pairs (ties included), as GraphPad Prism. "
    "Median (IQR) of the paired patients' values at each timepoint; Pairs left out: the "
    "pairs lost to values left out, which Left out lists with their reasons (the download "
    "also counts them by reason: flagged, failed, excluded, and holds every number "
    "unrounded)."
)


SENSITIVITY_CAPTION = (
    "Each paired test on ok populations only beside the same test with the flagged "
    "populations added; Significance changes: yes where P ≤ 0.05 in one and not the other "
    "(a test not run counts as not significant), blank where both agree. Stars: * P ≤ .05, "
    "** ≤ .01, *** ≤ .001, **** ≤ .0001."
)


# A test is named by its part, population, before and after (the leading columns of the
# tests tables): a part of such a table too wide for the page repeats them.
TEST_KEY_COLUMNS = 4


FLOW_TABLES = (
    "samples_per_timepoint",
    "sample_inventory",
    "flow_populations",
    "sample_qc",
    "cohort_qc",
    "mfi_tests",
    "count_tests",
    "sensitivity_tests",
    "review_decisions",
)


def untested_comparisons_note(tests: pd.DataFrame, what: str) -> list[str]:
    """A note listing comparisons that could not be tested (no pairs, all ties)."""
    untested = tests[tests["p_value"].isna()]
    if untested.empty:
        return []
    items = sorted(
        {f"part {r.part} {r.before} vs {r.after} ({r.note})" for r in untested.itertuples()}
    )
    return [
        f"{what}: {plural(len(untested), 'comparison')} without a test: " + "; ".join(items) + "."
    ]


def left_out_note(tests: pd.DataFrame, sensitivity: pd.DataFrame, what: str) -> list[str]:
    """How many values the tests left out and why, and which conclusions the flagged
    populations would change (from the sensitivity table)."""
    if tests.empty or "left_out_flagged" not in tests or tests["p_value"].isna().all():
        return []
    used = tests["populations_used"].dropna()
    flagged = int(tests["left_out_flagged"].fillna(0).sum())
    failed = int(tests["left_out_failed"].fillna(0).sum())
    excluded = int(tests.get("left_out_excluded", pd.Series(dtype=float)).fillna(0).sum())
    pairs = int(tests["pairs_left_out"].fillna(0).sum())
    note = (
        f"{what}: populations used: {used.iloc[0] if len(used) else 'none'}; the {len(tests)} "
        f"tests left out {flagged} flagged, {failed} failed and {excluded} excluded "
        f"{'value' if flagged + failed + excluded == 1 else 'values'} and {plural(pairs, 'pair')} "
        "(summed over the tests: a value counts in each test that would use it), each "
        "listed in the table's Left out column."
    )
    here = sensitivity[sensitivity["value"].isin(tests["value"])]
    changed = here[here["significance_changes"].astype(str).str.lower() == "true"]
    if len(changed):
        items = "; ".join(
            f"part {r.part} {population_label(r.population)} {r.before} vs {r.after} "
            f"(P {r.p_value_ok:.2g} "
            f"ok only, {r.p_value_with_flagged:.2g} with flagged)"
            for r in changed.itertuples()
        )
        note += f" Adding the flagged populations changes P <= 0.05 for: {items}."
    else:
        note += " Adding the flagged populations changes no test's P <= 0.05 conclusion."
    return [note]


def population_status_note(tidy: pd.DataFrame, qc: pd.DataFrame, populations: int) -> str:
    """How many populations are ok, flagged (by subset) and failed ('' without any)."""
    failed = int((qc["status"] != "ok").sum()) * populations
    if tidy.empty and not failed:
        return ""
    counts = tidy["status"].value_counts()
    by_subset = tidy[tidy["status"] == "flagged"].groupby("population", sort=False).size()
    detail = ", ".join(f"{population_label(name)} {n}" for name, n in by_subset.items())
    return (
        f"Population status: {counts.get('ok', 0)} ok, {counts.get('flagged', 0)} flagged"
        + (f" ({detail})" if detail else "")
        + f", {failed} failed (every subset of a sample that could not be analysed)"
        + (f", {counts['excluded']} excluded by a reviewer" if counts.get("excluded") else "")
        + "; Status and Status reason per row in the populations table. Flagged "
        "populations are left out of the tests and figures unless the configuration "
        "includes them (the statistics' include-flagged setting)."
    )


def _flow_status_note(qc: pd.DataFrame) -> str:
    """What the flow section must say first about its samples ('' when all were analysed):
    none in the sheet, all failed (each with its reason), or how many are left out."""
    failed = qc[qc["status"] != "ok"]
    if qc.empty:
        return (
            "No FCS samples in the sample sheet: there are no flow cytometry results, and "
            "the tables and figures of this section are empty."
        )
    if len(failed) == len(qc):
        reasons = "; ".join(f"{r.sample_id} ({r.status}: {r.reason})" for r in failed.itertuples())
        return (
            f"All {len(qc)} samples failed: {reasons}. There are no flow cytometry results, "
            "and the tables and figures of this section are empty."
        )
    if len(failed):
        verb = "is" if len(failed) == 1 else "are"
        return f"{plural(len(failed), 'sample')} could not be analysed and {verb} left out here."
    return ""


def _samples_n(qc: pd.DataFrame, part: str | None = None) -> str:
    """'58 samples of 30 patients': the analysed samples (of one part), as the figures
    and tests use them, and the patients they come from."""
    used = qc[qc["status"] == "ok"]
    if part is not None:
        used = used[used["part"].astype(str) == part]
    return f"{plural(len(used), 'sample')} of {plural(used['patient_id'].nunique(), 'patient')}"


def _figure_n(qc: pd.DataFrame, tests: pd.DataFrame, part: str) -> str:
    """A cohort figure's n: the part's analysed samples and patients, the pairs per test."""
    here = tests[tests["part"].astype(str) == part] if len(tests) else tests
    return (
        f"n = {_samples_n(qc, part)} (part {part}: the analysed samples of the patients "
        f"with a flow sample); {count_range(here.get('n_pairs', []))} pairs per test "
        "(patients with both samples, values left out not counted)"
    )


def _value_label(code: object) -> str:
    return VALUE_LABELS.get(str(code), str(code))


def _t_cells_n(qc: pd.DataFrame, tests: pd.DataFrame) -> str:
    """The T-cell figure's n: both parts' analysed samples, the pairs per T-cell test."""
    here = tests[tests["population"] == "t_cells"] if len(tests) else tests
    return (
        f"n = {_samples_n(qc)} (parts A and B: the analysed samples of the patients with a "
        f"flow sample); {count_range(here.get('n_pairs', []))} pairs per test (patients "
        "with both samples, values left out not counted)"
    )


def _tests_n(tests: pd.DataFrame) -> str:
    return (
        f"n = {plural(len(tests), 'test')}, {count_range(tests.get('n_pairs', []))} pairs "
        "each (patients with both samples of a comparison; see n pairs)"
    )


def _flow_section(
    flow: Mapping, figures: Mapping[str, str | Path], qc: pd.DataFrame
) -> ReportSection:
    mfi_tests, count_tests = read_tsv(flow["mfi_tests"]), read_tsv(flow["count_tests"])
    sensitivity = read_tsv(flow["sensitivity_tests"])
    tidy_all = read_tsv(flow["flow_populations"])
    status = _flow_status_note(qc)
    notes = [status] if status else []
    if len(qc) and (qc["status"] == "ok").any():  # untested comparisons only mean something then
        notes += untested_comparisons_note(mfi_tests, "CD38 MFI")
        notes += untested_comparisons_note(count_tests, "Counts")
        tidy = read_tsv(flow["flow_populations"])
        status_note = population_status_note(tidy, qc, tidy["population"].nunique())
        notes += [status_note] if status_note else []
        notes += left_out_note(mfi_tests, sensitivity, "CD38 MFI")
        notes += left_out_note(count_tests, sensitivity, "Counts")
    return ReportSection(
        "Flow cytometry",
        "flow",
        notes=notes,
        figures=[
            ReportFigure(
                figure_title(f"mfi_{part}"),
                figures[f"mfi_{part}"],
                FIGURE4_CAPTION + USED_CAPTION,
                n=_figure_n(qc, mfi_tests, part),
            )
            for part in ("A", "B")
        ]
        + [
            ReportFigure(
                figure_title(f"counts_{part}"),
                figures[f"counts_{part}"],
                COUNTS_CAPTION,
                n=_figure_n(qc, count_tests, part),
            )
            for part in ("A", "B")
        ]
        + [
            ReportFigure(
                figure_title("counts_t"),
                figures["counts_t"],
                T_COUNTS_CAPTION,
                n=_t_cells_n(qc, count_tests),
            ),
            ReportFigure(
                figure_title("mfi_paired"),
                figures["mfi_paired"],
                PAIRED_CAPTION,
                n=_tests_n(mfi_tests).replace("each", "per panel"),
            ),
            ReportFigure(
                figure_title("counts_paired"),
                figures["counts_paired"],
                PAIRED_CAPTION,
                n=_tests_n(count_tests).replace("each", "per panel"),
            ),
        ],
        tables=[
            ReportTable(
                "CD38 MFI: paired comparisons",
                mfi_tests,
                "cd38_mfi_tests.csv",
                TESTS_CAPTION + value_caption(mfi_tests, _value_label),
                n=_tests_n(mfi_tests),
                key_columns=TEST_KEY_COLUMNS,
                shown=paired_tests_display(mfi_tests),
            ),
            ReportTable(
                "Absolute counts: paired comparisons",
                count_tests,
                "cell_count_tests.csv",
                TESTS_CAPTION + value_caption(count_tests, _value_label),
                n=_tests_n(count_tests),
                key_columns=TEST_KEY_COLUMNS,
                shown=paired_tests_display(count_tests),
            ),
            ReportTable(
                "Sensitivity: paired tests with and without flagged populations",
                sensitivity,
                "sensitivity_tests.csv",
                SENSITIVITY_CAPTION,
                n=f"n = {plural(len(sensitivity), 'test')}, "
                f"{count_range(sensitivity.get('n_pairs_ok', []))} pairs each on ok "
                f"populations, {count_range(sensitivity.get('n_pairs_with_flagged', []))} "
                "with the flagged added",
                key_columns=TEST_KEY_COLUMNS + 1,  # value, then as the tests
                shown=sensitivity_display(sensitivity),
            ),
            ReportTable(
                "Immune subsets per patient and timepoint",
                tidy_all,
                "flow_populations.csv",
                "Events, % of parent, % of leukocytes, cells per µL and CD38 MFI per subset. "
                "MFI = median of compensated, untransformed CD38 values of the subset's events. "
                "Status: flagged when the subset's gates or its sample carry a flag (listed "
                "in Status reason), excluded by a reviewer, else ok; Review: the reviewer's "
                "decisions bearing on the row (from the review file).",
                n=f"n = {plural(len(tidy_all), 'row')}: "
                f"{plural(tidy_all['sample_id'].nunique(), 'sample')} of "
                f"{plural(tidy_all['patient_id'].nunique(), 'patient')} × "
                f"{plural(tidy_all['population'].nunique(), 'subset')} (analysed samples)",
            ),
        ],
    )


def _is_flagged(qc: pd.DataFrame) -> pd.Series:
    flags = ("qc_flags", "gate_flags", "cohort_flags")
    flagged = qc["status"] != "ok"
    for column in (c for c in flags if c in qc):
        flagged |= qc[column].fillna("") != ""
    return flagged


# What the report shows of each cohort-QC flag (cohort_qc.tsv has every row).
COHORT_QC_SHOWN = [
    "sample_id",
    "batch",
    "kind",
    "gate",
    "marker",
    "group",
    "group_id",
    "group_n",
    "value",
    "group_median",
    "group_min",
    "group_max",
    "z",
    "flag",
    "note",
]


def _cohort_qc_table(cohort_qc: pd.DataFrame, link: bool) -> tuple[ReportTable, list[str]]:
    """The cohort-QC outliers and jumps (shown first in the gating QC), and a note
    counting them and the values not assessed."""
    flags = cohort_qc[cohort_qc["flag"].isin(["outlier", "jump", "batch_shift"])]
    table = ReportTable(
        "Cohort QC: outliers, timepoint jumps and batch shifts",
        flags.reindex(columns=COHORT_QC_SHOWN),
        "cohort_qc_flags.csv",
        "Each data-driven cut and % of parent against its patient, batch and cohort (robust "
        "z, |z| above the configured limit (Methods): outlier; % of parent on "
        "the logit scale), and "
        "a patient's % of parent between consecutive timepoints (jump); a batch's median cut "
        "against the other batches' (batch shift: an instrument change; no sample ID, it "
        "flags no population: look at the batch's plots). Value, Group median "
        "and the group's range are in the value's units; each flag makes the population and "
        "those below it flagged (their Status reason). Every row, flagged or not: "
        "cohort_qc.tsv, an output of the cohort-QC step.",
        link_column="sample_id" if link else None,
        link_prefix="plot-",
        n=f"n = {plural(len(flags), 'flag')} in {plural(flags['sample_id'].nunique(), 'sample')}"
        f" of {cohort_qc['sample_id'].nunique()} with a cohort-QC comparison",
    )
    unassessed = cohort_qc[cohort_qc["flag"] == "not_assessed"]
    note = (
        f"Cohort QC: {plural(len(flags), 'flag')} in "
        f"{plural(flags['sample_id'].nunique(), 'sample')} and "
        f"{plural(flags['batch'].where(flags['sample_id'].isna()).nunique(), 'batch', 'batches')}; "
        f"{len(unassessed)} of {len(cohort_qc)} comparisons not assessed "
        "(groups smaller than the configured minimum group size given in Methods, or no "
        "spread)."
    )
    return table, [note]


# `report.gating_plots: auto` embeds every audit plot up to this many samples (~25 kB
# each: ~12 MB), and only failed or flagged samples' plots above: a report with
# thousands of plots is too large for a browser to open comfortably.
AUTO_ALL_PLOTS_MAX = 500


def plots_to_embed(setting: str, samples: int) -> str:
    """`all`, `problems` or `none`: the config setting, with `auto` decided by cohort size."""
    if setting == "auto":
        return "all" if samples <= AUTO_ALL_PLOTS_MAX else "problems"
    return setting


# Statuses in the order the review table lists them: what a reviewer must look at first.
REVIEW_ORDER = {"flagged": 0, "excluded": 1, "failed": 2}


REVIEW_COLUMNS = ["sample_id", "population", "gate", "status", "status_reason", "review"]


def review_tables(
    tidy: pd.DataFrame, qc: pd.DataFrame, decisions: pd.DataFrame | None, link: bool
) -> list[ReportTable]:
    """The populations to review (flagged, then excluded, then failed: each with its
    reason and a link to its sample's audit plot), and the reviewer's decisions."""
    rows = tidy[tidy["status"].isin(list(REVIEW_ORDER))].reindex(columns=REVIEW_COLUMNS)
    failed = qc[qc["status"] != "ok"]
    failed_rows = pd.DataFrame(
        {
            "sample_id": failed["sample_id"],
            "population": "(every population)",
            "status": "failed",
            "status_reason": failed["status"] + ": " + failed["reason"].fillna(""),
        }
    ).reindex(columns=REVIEW_COLUMNS)
    frames = [f for f in (rows, failed_rows) if not f.empty]
    shown = pd.concat(frames, ignore_index=True) if frames else rows
    shown = shown.sort_values("status", key=lambda c: c.map(REVIEW_ORDER), kind="stable")
    tables = [
        ReportTable(
            "Populations to review: flagged, excluded, failed",
            shown.fillna(""),
            "populations_to_review.csv",
            "Each flagged population with its flags (Status reason), then those a reviewer "
            "excluded and those of samples that could not be analysed. A sample ID links to "
            "its audit plot. Decide in the review file named in the configuration (README "
            "'Reviewing flagged gates'): accept, exclude, or correct the gate's cut.",
            link_column="sample_id" if link else None,
            link_prefix="plot-",
            n=f"n = {plural(len(shown), 'population')} of "
            f"{plural(shown['sample_id'].nunique(), 'sample')} (of {len(qc)} in the sheet)",
        )
    ]
    if decisions is not None and not decisions.empty:  # none without a review file
        tables.append(
            ReportTable(
                "Reviewer decisions",
                decisions.fillna(""),
                "review_decisions.csv",
                "One row per decision of the review file: accept (the "
                "gate's own flags no longer count), exclude (left out of the statistics), "
                "correct (the sample gated again with the cut given, transformed units); "
                "applied: the reported populations it bears on.",
                link_column="sample_id" if link else None,
                link_prefix="plot-",
                n=n_text(len(decisions), "decision"),
            )
        )
    return tables


def _plot_n(events: object) -> str:
    """An audit plot's n: the events of its sample (the FCS file's, before gating)."""
    if events is None or pd.isna(events):
        return "n = 1 sample (events not recorded)"
    return n_text(int(events), "event", "the sample's FCS file, before gating")


# The cohort QC's flags that bear on a sample's populations (a batch shift names no sample).
COHORT_SAMPLE_FLAGS = {"outlier": "outlier", "jump": "timepoint jump"}


def cohort_qc_captions(
    cohort_qc: pd.DataFrame | None, batches: Mapping[str, str]
) -> dict[str, str]:
    """Per sample of `batches` (sample -> its batch, '' when unknown): what the cohort QC
    found for it, for its audit plot's caption (the plot is drawn per sample before the
    cohort QC compares samples, so its header cannot say). A batch shift of the sample's
    batch flags no population but is said too. {} without a cohort QC. The table is split
    by sample and by batch once (hundreds of plots, thousands of comparisons)."""
    if cohort_qc is None:
        return {}
    flags = cohort_qc[cohort_qc["flag"].isin(list(COHORT_SAMPLE_FLAGS))]
    by_sample = dict(iter(flags.groupby("sample_id", sort=False)))
    shifts = cohort_qc[cohort_qc["flag"] == "batch_shift"]
    by_batch = dict(iter(shifts.groupby("batch", sort=False)))
    return {
        sample: _cohort_qc_caption(
            by_sample.get(sample), by_batch.get(batch) if batch else None, batch
        )
        for sample, batch in batches.items()
    }


def _cohort_qc_caption(rows: pd.DataFrame | None, shifts: pd.DataFrame | None, batch: str) -> str:
    """One sample's caption from its own flag rows and its batch's shift rows."""
    head = "Cohort QC (run on all samples after this plot was drawn): "
    if rows is None or rows.empty:
        text = head + "no flags"
    else:
        gates = ", ".join(population_label(g) for g in dict.fromkeys(rows["gate"].fillna("")) if g)
        kinds = " and ".join(dict.fromkeys(COHORT_SAMPLE_FLAGS[f] for f in rows["flag"]))
        text = (
            f"{head}{plural(len(rows), 'flag')} ({kinds}) on {gates}; each is listed in Cohort "
            "QC on this page, and the populations below a flagged one are flagged too"
        )
    if shifts is not None and len(shifts):
        cuts = ", ".join(
            dict.fromkeys(
                f"{r.marker} cut of {population_label(r.gate)}" for r in shifts.itertuples()
            )
        )
        text += (
            f"; its batch {batch} has a batch shift ({cuts}: the batch's median cut against "
            "the other batches'), which flags no population: compare the batch's plots"
        )
    return text + "."


def _gating_sections(
    qc: pd.DataFrame,
    plots: Mapping[str, str | Path],
    which_plots: str,
    cohort_qc: pd.DataFrame | None = None,
    tidy: pd.DataFrame | None = None,
    decisions: pd.DataFrame | None = None,
    parents: Mapping[str, str] | None = None,
) -> list[ReportSection]:
    """The populations to review and the reviewer's decisions first, then cohort-QC
    outliers, general statistics (one row per sample), problem samples (those with
    cohort-QC flags first), and the audit plots."""
    failed = qc[qc["status"] != "ok"]
    flagged = qc[_is_flagged(qc)]
    if "cohort_flags" in flagged:  # the cohort QC's samples first, in sheet order
        first = flagged["cohort_flags"].fillna("") != ""
        flagged = pd.concat([flagged[first], flagged[~first]])
    embedded = {"all": qc, "problems": flagged, "none": qc.iloc[:0]}[which_plots]
    events = qc.set_index("sample_id")["events"] if "events" in qc else pd.Series(dtype=float)
    shown = [sample for sample in embedded["sample_id"] if sample in plots]
    batches = qc.set_index("sample_id")["batch"].fillna("") if "batch" in qc else {}
    captions = cohort_qc_captions(cohort_qc, {s: batches.get(s, "") for s in shown})
    gallery = [
        ReportFigure(
            figure_title("gating", sample, part=number),
            plots[sample],
            caption=captions.get(sample, ""),
            anchor=f"plot-{sample}",
            compact=True,
            n=_plot_n(events.get(sample)),
        )
        for number, sample in enumerate(shown, start=1)
    ]
    # Flag texts are long: the overview counts them, the problem table spells them out.
    overview = qc.assign(
        gate_flags=qc["gate_flags"].fillna("").map(lambda text: text.count(";") + bool(text))
    )
    if "cohort_flags" in qc:
        overview["cohort_flags"] = qc["cohort_flags"].map(lambda text: len(split_flags(text)))
    statistics = ReportTable(
        "General statistics",
        overview,
        "general_statistics.csv",
        "One row per sample: status, events, QC metrics and flags, number of gate flags, % of "
        "parent per gate (each heading names the parent). A sample ID links to its gating "
        "plot.",
        link_column="sample_id" if which_plots == "all" else None,
        link_prefix="plot-",
        n=n_text(len(qc), "sample", "every sample of the sheet"),
        shown=statistics_shown(overview, parents or {}),
    )
    problem_columns = ["sample_id", "status", "reason", "qc_flags", "gate_flags"]
    problem_columns += [c for c in ("cohort_flags",) if c in flagged]
    problems = ReportTable(
        "Failed or flagged samples",
        flagged[problem_columns],
        "flagged_samples.csv",
        "Failed samples are left out of every flow table; flagged samples are kept, with "
        "their flags. The download has each sample's analysis status and reason as written.",
        link_column="sample_id" if which_plots != "none" else None,
        link_prefix="plot-",
        n=f"n = {len(flagged)} of {plural(len(qc), 'sample')} ({len(failed)} failed, "
        f"{len(flagged) - len(failed)} flagged)",
        # failed / flagged in words: the status column said 'ok' beside every flag
        shown=with_outcome(flagged[problem_columns]),
    )
    notes = (
        [
            f"{plural(len(failed), 'sample')} not analysed: "
            + "; ".join(f"{r.sample_id} ({r.status}: {r.reason})" for r in failed.itertuples())
        ]
        if len(failed)
        else []
    )
    plot_note = {
        "all": "Every sample's audit plot, in sample-sheet order.",
        "problems": "Audit plots of failed or flagged samples only (the configuration asks "
        f"for these only, or for all up to {AUTO_ALL_PLOTS_MAX} samples and there are more).",
        "none": "Audit plots are not embedded (the configuration asks for none).",
    }[which_plots] + (
        " Full-resolution plots: {sample}.gating.png, one per sample beside its results."
    )
    tables = [statistics, problems]
    if cohort_qc is not None:
        outliers, cohort_note = _cohort_qc_table(cohort_qc, link=which_plots != "none")
        tables.insert(0, outliers)
        notes = cohort_note + notes
    if tidy is not None:
        tables = review_tables(tidy, qc, decisions, link=which_plots != "none") + tables
    return [
        ReportSection("Gating QC", "gating-qc", tables=tables, notes=notes),
        ReportSection("Gating plots", "gating-plots", figures=gallery, paragraphs=[plot_note]),
    ]
