"""How small a figure's text is, recorded in the PNG so the report can check it as shown.

A figure's text is readable when its smallest letters are at least 8 pt as displayed.
The PNG carries its smallest text height in image pixels (``MIN_TEXT_KEY``, a PNG text
chunk, so no side file can go missing); the report writes it on the ``<img>`` as
``data-min-text-px`` and a browser converts it to what a reader sees:

    displayed pt = min_text_px x (displayed width / natural width of the PNG) x 0.75

(0.75: 1 CSS px = 0.75 pt). A matplotlib text of s pt saved at d dpi is s x d / 72 px.
"""

from __future__ import annotations

import math
from pathlib import Path

__all__ = [
    "MIN_READABLE_PT",
    "MIN_TEXT_KEY",
    "read_min_text_px",
    "smallest_text_pt",
]

MIN_TEXT_KEY = "cytotrial:min-text-px"
MIN_READABLE_PT = 8.0


def smallest_text_pt(fig) -> float:
    """The font size (pt) of the smallest visible, non-empty text of a matplotlib figure
    (titles, labels, tick labels, legends, annotations); NaN when it holds no text."""
    from matplotlib.text import Text

    fig.canvas.draw()  # tick labels get their text only when drawn
    sizes = [
        float(t.get_fontsize())
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and _drawn(t)
    ]
    return min(sizes) if sizes else math.nan


def _drawn(text) -> bool:
    """False for an artist whose parent (legend, axes, axis) is hidden."""
    parent = getattr(text, "axes", None)
    return parent is None or parent.get_visible()


def read_min_text_px(png: str | Path) -> float | None:
    """The smallest text height (image px) a PNG records, None when it records none."""
    from PIL import Image

    with Image.open(png) as image:
        value = getattr(image, "text", {}).get(MIN_TEXT_KEY)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
