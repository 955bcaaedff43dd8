"""The report rendered to HTML (Jinja2 template, folding and printing of long tables)."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import platform
from pathlib import Path

import yaml
from jinja2 import Environment, PackageLoader, select_autoescape

from cytotrial.io.atomic import write_text_atomic
from cytotrial.report.contents import printed_contents
from cytotrial.report.header import ReportHeader
from cytotrial.report.labels import column_label, human_text, prose, shown_rows
from cytotrial.report.layout import (
    breakable,
    column_groups,
    fills_page,
    is_number_text,
    is_token_text,
    pick,
    print_widths,
    prints_short,
    squeeze_widths,
)
from cytotrial.report.model import Provenance, ReportSection
from cytotrial.report.pages import PageLink
from cytotrial.report.print_layout import PAGE_MARGIN, PAIR_GAP, css_string, print_rows

__all__ = [
    "package_versions",
    "FOLD_ABOVE_ROWS",
    "FOLD_ROWS",
    "render_report",
]

REPORTED_PACKAGES = (
    "cytotrial",
    "snakemake",
    "numpy",
    "pandas",
    "scipy",
    "flowio",
    "flowkit",
    "lifelines",
    "matplotlib",
    "jinja2",
)


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape the results."""
    versions = {"python": platform.python_version()}
    for name in REPORTED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


# A table longer than FOLD_ABOVE_ROWS (Table 1's 65 rows show in full) shows its first
# FOLD_ROWS rows and a 'show all N rows' control (printed in full); one with more columns
# than WIDE_COLUMNS gets a smaller font; a cell longer than LONG_CELL characters too.
FOLD_ABOVE_ROWS = 80


FOLD_ROWS = 30


WIDE_COLUMNS = 10


LONG_CELL = 300


PRINT_CELL = 240  # characters of such a cell in print, with where the rest is


# A table of at most this many printed lines (layout.prints_short: a one-line row is one)
# prints whole on one page (no heading left at a page bottom, no 3-row remainder alone on
# the next); a longer one breaks between rows.
SHORT_ROWS = 25


def render_report(
    sections: list[ReportSection],
    config: dict,
    out_path: str | Path,
    title: str = "cytotrial report",
    provenance: Provenance | None = None,
    header: ReportHeader | None = None,
    pages: list[PageLink] | None = None,
    show_provenance: bool = True,
) -> None:
    """Render the report to `out_path` (written atomically). `pages` link the other
    pages of the report from the contents; `show_provenance` adds the provenance section
    (the main page has it, the gating page links back to it)."""
    env = Environment(
        loader=PackageLoader("cytotrial", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        keep_trailing_newline=True,
    )
    env.filters["breakable"] = breakable
    env.filters["human"] = human_text
    env.filters["prose"] = prose
    env.filters["label"] = column_label
    env.filters["pick"] = pick
    env.filters["css_string"] = css_string
    env.tests["number_text"] = is_number_text
    env.tests["token_text"] = is_token_text
    html = env.get_template("report.html.j2").render(
        title=title,
        sections=sections,
        config_yaml=yaml.safe_dump(config, sort_keys=True),
        versions=package_versions(),
        provenance=provenance or Provenance(),
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        header=header or ReportHeader(),
        pages=pages or [],
        show_provenance=show_provenance,
        contents=printed_contents(sections, show_provenance),
        squeeze_widths=squeeze_widths,
        print_widths=print_widths,
        fills_page=fills_page,
        prints_short=prints_short,
        shown_rows=shown_rows,
        column_groups=column_groups,
        fold_above_rows=FOLD_ABOVE_ROWS,
        fold_rows=FOLD_ROWS,
        wide_columns=WIDE_COLUMNS,
        long_cell=LONG_CELL,
        print_cell=PRINT_CELL,
        short_rows=SHORT_ROWS,
        page_margin=PAGE_MARGIN,
        pair_gap=PAIR_GAP,
        print_rows=print_rows,
        page_name=Path(out_path).name,
    )
    write_text_atomic(out_path, html)
