"""How big a figure prints: never so small that its smallest text falls below 8 pt.

A figure PNG is drawn at DPI (150) with text of at least 8 pt; printed at its own size
(1 image inch = 1 paper inch) every text keeps its size. Shrinking it to the page width
(what a browser does with `max-width: 100%`) would print 9-in wide figures with 6-pt text,
so the report prints each figure at the width computed here, and one too wide for a
portrait page on a landscape page of its own (the template's `@page landscape`).
"""

from __future__ import annotations

from pathlib import Path

from cytotrial.io.figure_text import MIN_READABLE_PT, read_min_text_px
from cytotrial.io.results import DPI

__all__ = [
    "LANDSCAPE_WIDTH_IN",
    "PAGE_MARGIN",
    "PORTRAIT_WIDTH_IN",
    "css_string",
    "needs_landscape",
    "print_width_in",
]

MM_PER_IN = 25.4
# The template's @page margins (render passes PAGE_MARGIN to it), and so the printable
# width of A4: 210 - 2 x 12 mm portrait, 297 - 2 x 12 mm landscape.
SIDE_MARGIN_MM, TOP_MARGIN_MM = 12, 14
PAGE_MARGIN = f"{TOP_MARGIN_MM}mm {SIDE_MARGIN_MM}mm"
PORTRAIT_WIDTH_IN = (210 - 2 * SIDE_MARGIN_MM) / MM_PER_IN
LANDSCAPE_WIDTH_IN = (297 - 2 * SIDE_MARGIN_MM) / MM_PER_IN


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
