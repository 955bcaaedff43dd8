"""Shared figure helpers: headless matplotlib, the colour-blind-safe palette with line
styles, and labels as printed (results.save_figure saves)."""

from __future__ import annotations

__all__ = [
    "LINE_STYLES",
    "OKABE_ITO",
    "SINGLE_CURVE",
    "line_styles",
    "palette",
    "printed",
    "pyplot",
]

# Okabe & Ito (2008), colour-blind safe; yellow (#F0E442) left out: too pale on white.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000")
# A second cue beside colour (grey print, colour vision): one dash pattern per curve.
LINE_STYLES = ("solid", "dashed", "dotted", "dashdot", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))
SINGLE_CURVE = "#0072B2"


def palette(n: int) -> list[str]:
    """n colours of the Okabe-Ito palette (repeating beyond 7: line styles tell them apart)."""
    return [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]


def line_styles(n: int) -> list:
    """n matplotlib line styles, solid first."""
    return [LINE_STYLES[i % len(LINE_STYLES)] for i in range(n)]


def printed(label: str) -> str:
    """A label as printed: '>=PR' -> '≥PR', '<=' -> '≤', 'uL' -> 'µL', 'm2' -> 'm²'."""
    for code, sign in ((">=", "\u2265"), ("<=", "\u2264"), ("uL", "\u00b5L"), ("/m2", "/m\u00b2")):
        label = label.replace(code, sign)
    return label


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed on a cluster)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
