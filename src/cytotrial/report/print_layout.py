"""How big a figure prints: never so small that its smallest text falls below 8 pt.

A figure PNG is drawn at DPI (150) with text of at least 8 pt; printed at its own size
(1 image inch = 1 paper inch) every text keeps its size. Shrinking it to the page width
(what a browser does with `max-width: 100%`) would print 9-in wide figures with 6-pt text,
so the report prints each figure at the width computed here, and one too wide for a
portrait page on a landscape page of its own (the template's `@page landscape`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from cytotrial.io.figure_text import MIN_READABLE_PT, read_min_text_px
from cytotrial.io.results import DPI

__all__ = [
    "LANDSCAPE_HEIGHT_IN",
    "LANDSCAPE_WIDTH_IN",
    "PAGE_MARGIN",
    "PAIR_GAP",
    "PORTRAIT_HEIGHT_IN",
    "PORTRAIT_WIDTH_IN",
    "PrintBox",
    "css_string",
    "needs_landscape",
    "print_rows",
    "print_width_in",
    "side_by_side",
]

MM_PER_IN = 25.4
# The template's @page margins (render passes PAGE_MARGIN to it), and so the printable
# width of A4: 210 - 2 x 12 mm portrait, 297 - 2 x 12 mm landscape.
SIDE_MARGIN_MM, TOP_MARGIN_MM = 12, 14
PAGE_MARGIN = f"{TOP_MARGIN_MM}mm {SIDE_MARGIN_MM}mm"
PORTRAIT_WIDTH_IN = (210 - 2 * SIDE_MARGIN_MM) / MM_PER_IN
LANDSCAPE_WIDTH_IN = (297 - 2 * SIDE_MARGIN_MM) / MM_PER_IN
PORTRAIT_HEIGHT_IN = (297 - 2 * TOP_MARGIN_MM) / MM_PER_IN
LANDSCAPE_HEIGHT_IN = (210 - 2 * TOP_MARGIN_MM) / MM_PER_IN
# The space between two figures printed side by side (the template's .figure-pair gap).
PAIR_GAP_MM = 6
PAIR_GAP = f"{PAIR_GAP_MM}mm"
# A caption's height, estimated from its length (rounded up to whole lines): the
# template's figcaption is .85rem (10.2 pt) in a sans-serif face, ~0.55 em a character
# on average (bold included; the demo's 330-character captions take 5 lines 5.25 in
# wide), lines 1.25 apart; a figure's margins (1rem above and below) come on top.
CAPTION_PT = 10.2
CAPTION_CHARS_PER_IN = 72 / (0.55 * CAPTION_PT)
CAPTION_LINE_IN = 1.25 * CAPTION_PT / 72
FIGURE_MARGINS_IN = 2 * 12 / 72


def print_width_in(png: str | Path) -> float:
    """The width (in) to print `png` at: its own size at DPI, shrunk only where its
    recorded smallest text is above 8 pt (to 8 pt, no further); never enlarged."""
    from PIL import Image

    with Image.open(png) as image:
        natural_in = image.width / DPI
    px = read_min_text_px(png)
    if px is None or px != px:  # not recorded (the screen test fails it) or no text
        return natural_in
    smallest_pt = px * 72 / DPI
    return natural_in * min(1.0, MIN_READABLE_PT / smallest_pt)


def needs_landscape(width_in: float) -> bool:
    """True for a figure wider than a portrait page's printable width."""
    return width_in > PORTRAIT_WIDTH_IN + 1e-6


_CSS_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-_()/")


def css_string(text: object) -> str:
    """`text` as a quoted CSS string for the print header (@page margin boxes): any
    character but letters, digits and plain punctuation is a 6-digit CSS escape, so a
    trial ID can neither end the string nor the <style> element."""
    from markupsafe import Markup

    escaped = "".join(c if c in _CSS_PLAIN else f"\\{ord(c):06x}" for c in str(text))
    return Markup(f'"{escaped}"')


@dataclass(frozen=True)
class PrintBox:
    """What a printed figure takes: the picture's size (in) and its caption's length."""

    width_in: float
    height_in: float
    caption_chars: int

    def height_with_caption(self, caption_width_in: float) -> float:
        """The figure's height (in) with its caption set `caption_width_in` wide."""
        per_line = max(1, int(caption_width_in * CAPTION_CHARS_PER_IN))
        lines = math.ceil(self.caption_chars / per_line)
        return self.height_in + lines * CAPTION_LINE_IN + FIGURE_MARGINS_IN


def side_by_side(a: PrintBox, b: PrintBox) -> bool:
    """True when two figures print best side by side on a landscape page: one above the
    other they do not fit a portrait page (each then left its page a third or more
    blank), and beside each other, captions under their own figure, they fit a
    landscape page's width and height at their own print sizes (text stays 8 pt)."""
    if needs_landscape(a.width_in) or needs_landscape(b.width_in):
        return False
    stacked = a.height_with_caption(PORTRAIT_WIDTH_IN) + b.height_with_caption(PORTRAIT_WIDTH_IN)
    if stacked <= PORTRAIT_HEIGHT_IN:
        return False
    if a.width_in + b.width_in + PAIR_GAP_MM / MM_PER_IN > LANDSCAPE_WIDTH_IN:
        return False
    return max(a.height_with_caption(a.width_in), b.height_with_caption(b.width_in)) <= (
        LANDSCAPE_HEIGHT_IN
    )


class _Printed(Protocol):
    @property
    def print_box(self) -> PrintBox: ...


F = TypeVar("F", bound=_Printed)


def print_rows(figures: Sequence[F]) -> list[list[F]]:
    """`figures` in printed rows, in order: two consecutive ones that print best side by
    side (side_by_side) share a row, taken first come first; every other figure is a
    row of its own."""
    rows: list[list[F]] = []
    k = 0
    while k < len(figures):
        if k + 1 < len(figures) and side_by_side(figures[k].print_box, figures[k + 1].print_box):
            rows.append([figures[k], figures[k + 1]])
            k += 2
        else:
            rows.append([figures[k]])
            k += 1
    return rows
