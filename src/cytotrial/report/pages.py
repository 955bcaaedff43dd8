"""The report's second page: the gating gallery and the per-sample tables.

The audit plots (~25 kB each) and the one-row-per-sample tables made up most of the
single page (14 MB, 86% of its height in the demo); a reader of the results needs the
problems, not every sample. The main page keeps what needs a decision (populations to
review, reviewer decisions, failed or flagged samples) and links each sample to its plot
on the gating page; the gating page links back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

__all__ = [
    "PageLink",
    "gating_page_path",
    "relative_href",
    "split_pages",
]

# A report.ReportSection (this module is imported by cytotrial.report, so it must not
# import it back: sections are copied with dataclasses.replace).
Section = TypeVar("Section")


@dataclass
class PageLink:
    """A link to another page of the report (or a place on it)."""

    text: str
    href: str
    section: str = ""  # the title of the section the anchor is, as its heading reads

    @property
    def printed_target(self) -> str:
        """Where the link goes, for a printout that cannot follow it: 'file
        cytotrial_report_gating.html, section "Sample inventory"' (the heading a reader
        looks for, not the anchor's code name)."""
        file, _, anchor = self.href.partition("#")
        where = f"file {file}" if file else "this file"
        if not anchor:
            return where
        return f'{where}, section "{self.section or anchor.replace("-", " ")}"'


# Tables (by their CSV name) that list every sample, so move to the gating page.
PER_SAMPLE_TABLES = ("cohort_qc_flags.csv", "general_statistics.csv")
INVENTORY_TABLE = "sample_inventory.csv"
# The flow section's one row per sample and subset (1,355 rows in the demo: 90 printed
# pages); the section keeps its figures, tests and a link.
FLOW_PER_SAMPLE_TABLE = "flow_populations.csv"


# The gating page's own sections (the others keep their main-page titles).
GATING_QC_TITLE = "Gating QC per sample"
IMMUNE_SUBSETS_TITLE = "Immune subsets per sample"
INVENTORY_TITLE = "Sample inventory"


def gating_page_path(main: str | Path) -> Path:
    """The gating page's default path beside the main page (the rule names both)."""
    main = Path(main)
    return main.with_name(main.stem + "_gating.html")


def relative_href(target: str | Path, page: str | Path) -> str:
    """`target` as a link from `page` (both files of the report folder as a rule writes
    them; relative so the folder can be moved or zipped as a whole)."""
    return Path(os.path.relpath(Path(target).resolve(), Path(page).resolve().parent)).as_posix()


def _section(like: Section, title: str, anchor: str, **parts) -> Section:
    """A new section of `like`'s type holding only `parts` (tables, notes, figures,
    paragraphs, links)."""
    empty = {"tables": [], "notes": [], "figures": [], "paragraphs": [], "links": []}
    return replace(like, title=title, anchor=anchor, **(empty | parts))


def _link_to(table, page: str):
    if table.link_column:
        table.link_page = page
    return table


def split_pages(
    flow: Section,
    qc: Section,
    gallery: Section,
    samples: Section,
    main: Path,
    gating: Path,
) -> tuple[list[Section], list[Section]]:
    """(main-page sections, gating-page sections) from the gating QC, the gallery and the
    samples section: per-sample tables and the plots go to the gating page. The flow
    section (on the main page) gives its per-sample table to the gating page, in place."""
    to_gating, to_main = relative_href(gating, main), relative_href(main, gating)
    flow_per_sample = [t for t in flow.tables if t.csv_name == FLOW_PER_SAMPLE_TABLE]
    if flow_per_sample:
        flow.tables = [t for t in flow.tables if t.csv_name != FLOW_PER_SAMPLE_TABLE]
        flow.links.append(
            PageLink(
                "Immune subsets per patient and timepoint (one row per sample and subset): "
                "the gating page",
                f"{to_gating}#immune-subsets",
                IMMUNE_SUBSETS_TITLE,
            )
        )
    per_sample = [t for t in qc.tables if t.csv_name in PER_SAMPLE_TABLES]
    kept = [_link_to(t, to_gating) for t in qc.tables if t.csv_name not in PER_SAMPLE_TABLES]
    inventory = [t for t in samples.tables if t.csv_name == INVENTORY_TABLE]
    main_qc = _section(
        qc,
        qc.title,
        qc.anchor,
        tables=kept,
        notes=qc.notes,
        paragraphs=qc.paragraphs,
        links=[
            PageLink(
                "Every sample's gating QC (general statistics, cohort QC) and audit plot: "
                "the gating page",
                f"{to_gating}#gating-qc-samples",
                GATING_QC_TITLE,
            )
        ],
    )
    main_samples = _section(
        samples,
        samples.title,
        samples.anchor,
        tables=[t for t in samples.tables if t.csv_name != INVENTORY_TABLE],
        notes=samples.notes,
        links=[
            PageLink(
                "Sample inventory (one row per FCS file): the gating page",
                f"{to_gating}#sample-inventory",
                INVENTORY_TITLE,
            )
        ]
        if inventory
        else [],
    )
    back = [PageLink("Back to the main report", f"{to_main}#{qc.anchor}", qc.title)]
    gating_sections = [
        _section(
            qc,
            GATING_QC_TITLE,
            "gating-qc-samples",
            tables=per_sample,
            notes=qc.notes,
            links=back,
        ),
        _section(
            flow,
            IMMUNE_SUBSETS_TITLE,
            "immune-subsets",
            tables=flow_per_sample,
            links=[PageLink("Back to the main report", f"{to_main}#{flow.anchor}", flow.title)],
        ),
        _section(
            gallery,
            gallery.title,
            gallery.anchor,
            figures=gallery.figures,
            paragraphs=gallery.paragraphs,
            links=back,
        ),
        _section(
            samples,
            INVENTORY_TITLE,
            "sample-inventory",
            tables=inventory,
            notes=samples.notes,
            links=[
                PageLink("Back to the main report", f"{to_main}#{samples.anchor}", samples.title)
            ],
        ),
    ]
    return [main_qc, main_samples], gating_sections
