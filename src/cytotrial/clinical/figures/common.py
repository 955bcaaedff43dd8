"""Shared figure helpers: headless matplotlib, the colour-blind-safe palette with line
styles, and labels as printed (results.save_figure saves)."""

from __future__ import annotations

import re

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


# Symbols as a person writes them; result files and CSV downloads keep the ASCII forms
# (scripts and spreadsheets read them). uL and m2 as whole words only: 'mg_m2' (a code
# name) and 'uLtra' stay. The report's text uses the same (report.labels.human_text).
_SYMBOLS = (
    (re.compile(r">="), "\u2265"),
    (re.compile(r"<="), "\u2264"),
    (re.compile(r"\buL\b"), "\u00b5L"),
    (re.compile(r"\bm2\b"), "m\u00b2"),
)


def printed(label: object) -> str:
    """A label as printed: '>=PR' -> '≥PR', '<=' -> '≤', 'uL' -> 'µL', 'mg/m2' -> 'mg/m²'."""
    text = str(label)
    for pattern, sign in _SYMBOLS:
        text = pattern.sub(sign, text)
    return text


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed on a cluster)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
