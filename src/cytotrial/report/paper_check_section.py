"""The report's paper-check section (demo only; anchor "paper-check").

Reads the paper check's two result files (rules/paper_check.smk): the table of every
checked number and the paper's own inconsistencies. The misses come first, in a table of
their own, so a reader sees at once what the demo does not reproduce.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cytotrial.clinical.paper_check import summary
from cytotrial.io.results import read_tsv_or_empty
from cytotrial.report.counts import plural
from cytotrial.report.model import ReportSection, ReportTable
from cytotrial.simulate import paper_targets as pt
from cytotrial.simulate.settings import DemoSettings

__all__ = ["ANCHOR", "GROUP", "paper_check_section", "with_group_counts"]

ANCHOR = "paper-check"


GROUP = "section"


def with_group_counts(check: pd.DataFrame) -> pd.DataFrame:
    """`check` with each section named with its count of numbers and verdicts ('Responses:
    11 numbers, 11 exact'): the report shows the section once, as a group row (one column
    fewer, so the rest fills the page), and a reader sees each group's result at its top."""
    if GROUP not in check or "verdict" not in check:
        return check
    labels = {}
    for section, verdicts in check.groupby(GROUP, sort=False)["verdict"]:
        counted = ", ".join(f"{n} {v}" for v, n in verdicts.value_counts().items())
        labels[section] = f"{section}: {plural(len(verdicts), 'number')}, {counted}"
    return check.assign(**{GROUP: check[GROUP].map(labels)})


def _seed_paragraph(seed: int) -> str:
    """How far this run's agreement is the calibration's and how far the seed's choice."""
    default = DemoSettings().seed
    rule = (
        "the first seed from 2021 up whose simulated trial meets all 16 Kaplan-Meier median "
        f"CI widths of the paper within {pt.CI_WIDTH_TOLERANCE:.0%}, shows every flow "
        "cytometry finding and plants every QC scenario. The calibration steers each part A "
        "response group's median and CI width; the pooled CIs follow from the groups' and "
        "come out narrower than the paper's with most seeds (the pooled OS-AB in about three "
        "seeds of four, the pooled OS-B in about one of two), so other seeds show misses there."
    )
    if seed == default:
        return f"This run's seed, {seed}, is the demo's default, chosen as {rule}"
    return f"This run's seed is {seed}; the demo's default, {default}, was chosen as {rule}"


def paper_check_section(
    table_path: str | Path, notes_path: str | Path, seed: int | None = None
) -> ReportSection:
    """The section: verdict rules, the seed (when given), a summary, the misses, every
    number, the paper's notes."""
    check = read_tsv_or_empty(table_path)
    paper_notes = read_tsv_or_empty(notes_path)
    paragraphs = [
        "The demo's data are simulated to reproduce Frerichs et al., Blood Advances 2021 "
        "(NCT02751255). Each number of the paper the simulation is calibrated to (as the "
        "project transcribed it from the paper) is shown beside this run's "
        "value. Verdicts: counts 'exact' or 'miss'; Kaplan-Meier medians and the median "
        f"follow-up 'close' within {pt.KM_TOLERANCE:.0%} of the paper (ratio = this run / "
        "paper); CI widths as the upper half-width (upper limit - median, the side SPSS's cut "
        f"at 0 never touches), 'close' within {pt.CI_WIDTH_TOLERANCE:.0%}; P values 'same "
        f"significance' when on the same side of the paper's level (P < {pt.ALPHA:g}), with "
        "the star levels beside them.",
    ]
    if seed is not None:
        paragraphs.append(_seed_paragraph(seed))
    notes: list[str] = []
    tables: list[ReportTable] = []
    if check.empty:
        notes.append("Paper check: nothing to show (the result table is missing or empty).")
    else:
        notes.append(summary(check))
        misses = check[check["verdict"] == "miss"]
        if len(misses):
            tables.append(
                ReportTable(
                    f"Paper check: the {plural(len(misses), 'number')} this run misses",
                    misses,
                    "paper_check_misses.csv",
                    "The rows of the full table below whose verdict is 'miss'.",
                    n=f"n = {len(misses)} of {len(check)} numbers",
                )
            )
        else:
            notes.append("Every checked number matches the paper at its verdict's rule.")
        tables.append(
            ReportTable(
                "Paper check: every number",
                check,
                "paper_check.csv",
                "One row per number of the paper, grouped by where the paper gives it (each "
                "group's verdicts counted in its heading).",
                n=f"n = {len(check)} numbers of the paper",
                shown=with_group_counts(check),
                group_column=GROUP if GROUP in check else None,
            )
        )
    if len(paper_notes):
        paragraphs.append("Where the paper contradicts itself, and what the demo follows:")
        paragraphs += [str(note) for note in paper_notes["note"]]
    return ReportSection("Paper check (demo)", ANCHOR, tables, notes, paragraphs=paragraphs)
