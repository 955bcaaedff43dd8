"""Shared figure helpers: headless matplotlib and the palette (results.save_figure saves)."""

from __future__ import annotations

__all__ = [
    "SINGLE_CURVE",
    "palette",
    "pyplot",
]

# ggplot2's default hue palette (survminer's look) for 1-5 groups.
_GGPLOT_HUES = {
    1: ["#F8766D"],
    2: ["#F8766D", "#00BFC4"],
    3: ["#F8766D", "#00BA38", "#619CFF"],
    4: ["#F8766D", "#7CAE00", "#00BFC4", "#C77CFF"],
    5: ["#F8766D", "#A3A500", "#00BF7D", "#00B0F6", "#E76BF3"],
}
SINGLE_CURVE = "#1F4E79"


def palette(n: int) -> list[str]:
    """n distinct colours (ggplot hues up to 5, then matplotlib's tab10)."""
    if n in _GGPLOT_HUES:
        return list(_GGPLOT_HUES[n])
    import matplotlib

    return [matplotlib.colors.to_hex(matplotlib.colormaps["tab10"](i % 10)) for i in range(n)]


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed on a cluster)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
