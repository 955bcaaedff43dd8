"""What a report is made of: tables, figures, sections, provenance (no rendering)."""

from __future__ import annotations

import base64
import hashlib
import numbers
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cytotrial.report.pages import PageLink

if TYPE_CHECKING:
    from cytotrial.report.print_layout import PrintBox

__all__ = [
    "ReportTable",
    "ReportFigure",
    "FULL_COLOUR_MAX_BYTES",
    "ReportSection",
    "Provenance",
]


@dataclass
class ReportTable:
    """A table in the report, with the file name it downloads as."""

    title: str
    frame: pd.DataFrame
    csv_name: str
    caption: str = ""
    # Cells of this column link to the figure anchored `link_prefix + value` in the report.
    link_column: str | None = None
    link_prefix: str = ""
    # The page holding those figures ('' for this page; the gating page's file name else).
    link_page: str = ""
    # What the table counts, from its data ("n = 44 patients (why not the cohort)"),
    # shown first in its caption (report.counts builds it).
    n: str = ""
    # The leading columns that name a row: a table too wide for the page is shown in
    # parts (report.layout.column_groups), each repeating these.
    key_columns: int = 1
    # What the page shows when it differs from the download (readable columns of the
    # same rows, e.g. "HR (95% CI)" for hr, lower, upper); None: the frame itself.
    shown: pd.DataFrame | None = None
    # A column naming each row's group (Table 1's section): shown once, as a row of its
    # own above the group's rows, not as a column repeating it on every row.
    group_column: str | None = None

    @property
    def csv_bytes(self) -> bytes:
        """The CSV download's bytes, as a reader saves them."""
        frame = _neutralise_formulas(self.frame)
        # CRLF (RFC 4180): the csv writer then quotes a cell holding a lone carriage return,
        # which would otherwise end the row early in a spreadsheet.
        return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8")

    @property
    def csv_sha256(self) -> str:
        """SHA-256 of the CSV download: a printout that leaves the rows out still pins
        them (`sha256sum` of the saved download gives the same digest)."""
        return hashlib.sha256(self.csv_bytes).hexdigest()

    @property
    def csv_data_uri(self) -> str:
        return "data:text/csv;base64," + base64.b64encode(self.csv_bytes).decode("ascii")

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self._page_frame.columns]

    @property
    def rows(self) -> list[list[str]]:
        return [[_cell(v) for v in row] for row in self._page_frame.itertuples(index=False)]

    @property
    def group_labels(self) -> list[str]:
        """Per row: its group's label where a new group starts, else '' (all '' without
        a group column)."""
        frame = self.frame if self.shown is None else self.shown
        if self.group_column not in frame:
            return [""] * len(frame)
        labels = [_cell(v) for v in frame[self.group_column]]
        return [x if i == 0 or x != labels[i - 1] else "" for i, x in enumerate(labels)]

    @property
    def _page_frame(self) -> pd.DataFrame:
        frame = self.frame if self.shown is None else self.shown
        if self.group_column in frame:
            return frame.drop(columns=[self.group_column])
        return frame

    @property
    def link_index(self) -> int:
        """Position of the linked column, -1 when no column links."""
        return self.columns.index(self.link_column) if self.link_column in self.columns else -1


# A spreadsheet opening a CSV runs a cell starting with one of these as a formula
# (OWASP, "CSV Injection"); tab and carriage return can hide such a start.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells cannot start a formula: "'" is put before any
    that starts with = + - @ tab or carriage return (OWASP's advice for CSV downloads).

    Free text reaches the downloads verbatim (adverse-event details, regimens, DLT
    descriptions, batch names). Numbers are left as they are, in a numeric column or
    written as text ("-0.5", "-1e-3"): a spreadsheet reads them as numbers, and a quote
    would turn them into text. A text cell such as "-1.2 (-3.4 to 0.5)" is quoted: it
    could as well be "-2+3+cmd|..." and only a plain number is safe to leave.
    """
    text = frame.select_dtypes(include=["object", "string"]).columns
    if not len(text):
        return frame
    frame = frame.copy()
    for column in text:
        frame[column] = frame[column].map(_neutralise_cell)
    return frame


def _neutralise_cell(value: object) -> object:
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value  # a number written as text


# A whole number from here up is shown with thousands separators (20,000 events); a
# four-digit one is not (style guides' rule; no year or ID in a table is >= 10,000).
THOUSANDS_FROM = 10_000


def _whole(value: int) -> str:
    return f"{value:,}" if abs(value) >= THOUSANDS_FROM else str(value)


def _cell(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool | np.bool_):
        return str(value)
    if isinstance(value, numbers.Integral):
        return _whole(int(value))
    if isinstance(value, float):
        # Counts stored as float (a column with gaps) still read as counts.
        return _whole(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.4g}"
    return str(value)


@dataclass
class ReportFigure:
    """A PNG embedded in the report as a data: URI."""

    title: str
    png: str | Path
    caption: str = ""
    anchor: str = ""
    # Re-encode with a small palette: audit plots shrink ~3x, so hundreds fit in one file.
    compact: bool = False
    # What the figure draws, from the data it is drawn from ("n = 44 patients ..."),
    # shown first in its caption (report.counts builds it).
    n: str = ""

    @property
    def min_text_px(self) -> str:
        """The PNG's smallest text height in image px (figure_text), for the <img>'s
        data-min-text-px: "no-text" for a figure without text, "unknown" when the PNG
        does not record it (the browser test then fails: every figure must be checked)."""
        from cytotrial.io.figure_text import read_min_text_px

        value = read_min_text_px(self.png)
        if value is None:
            return "unknown"
        return "no-text" if value != value else f"{value:.2f}"

    @cached_property
    def print_width_in(self) -> float:
        """The width (in) the figure prints at: its own size at the figures' dpi, smaller
        only as far as its smallest text stays >= 8 pt (print_layout.print_width_in).
        Read once: the template and print_rows ask for it several times per figure, and
        reading a PNG's text chunk decodes the image."""
        from cytotrial.report.print_layout import print_width_in

        return print_width_in(self.png)

    @property
    def print_box(self) -> PrintBox:
        """The printed picture's size and the caption's length (print_layout.print_rows
        sets two tall figures side by side from it)."""
        from PIL import Image

        from cytotrial.report.print_layout import PrintBox

        with Image.open(self.png) as image:
            aspect = image.height / image.width
        width = self.print_width_in
        caption = len(self.title) + len(self.n) + len(self.caption) + 3  # '. ' and ' '
        return PrintBox(width, width * aspect, caption)

    @property
    def print_landscape(self) -> bool:
        """True when the figure is too wide for a portrait page: it prints on its own
        landscape page rather than shrunk below 8-pt text."""
        from cytotrial.report.print_layout import needs_landscape

        return needs_landscape(self.print_width_in)

    @property
    def data_uri(self) -> str:
        png = Path(self.png).read_bytes()
        if self.compact:
            png = _compact_png(self.png)
        elif len(png) > FULL_COLOUR_MAX_BYTES:  # a plot needs no more than 256 colours
            png = min(png, _compact_png(self.png, colours=256), key=len)
        return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# A figure file above this size is embedded as a 256-colour palette PNG (a third of the
# size for a matplotlib plot, no visible change): the main page stays under 5 MB.
FULL_COLOUR_MAX_BYTES = 200_000


def _compact_png(path: str | Path, colours: int = 32) -> bytes:
    """The image as an optimised palette PNG (flat-colour plots lose nothing visible)."""
    import io

    from PIL import Image

    with Image.open(path) as image:
        if image.mode == "P":  # already a palette PNG (the audit plots): embed it as written
            return Path(path).read_bytes()
        palette = image.convert("RGB").quantize(colours)
    buffer = io.BytesIO()
    palette.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


@dataclass
class ReportSection:
    """A titled section holding figures, tables and short notes."""

    title: str
    anchor: str
    tables: list[ReportTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figures: list[ReportFigure] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    links: list[PageLink] = field(default_factory=list)


@dataclass
class Provenance:
    """What the report says about its own making besides versions and config."""

    commit: str = "not recorded"
    checksums: ReportTable | None = None
