"""Waterfall plot: best % change of each patient's response marker from the part baseline
(guide section 8): sorted descending, coloured by best response, reference lines at -25%
(MR), -50% (PR), -90% (VGPR) and +25% (PD), bars above +100% cut there and marked."""

from __future__ import annotations

import pandas as pd

from cytotrial.clinical.figures.common import pyplot

__all__ = [
    "CAP_PCT",
    "waterfall_data",
    "waterfall_figure",
]

CAP_PCT = 100.0
_REFERENCE_LINES = ((-25, "MR"), (-50, "PR"), (-90, "VGPR"), (25, "PD"))
_RESPONSE_COLOURS = {
    "sCR": "#084594", "CR": "#2171B5", "VGPR": "#4292C6", "PR": "#6BAED6", "MR": "#9ECAE1",
    "SD": "#BDBDBD", "PD": "#D7301F", "NE": "#FFFFFF",
}  # fmt: skip
_PART_TITLES = {"A": "Part A (daratumumab)", "B": "Part B (daratumumab + ATRA)"}


def waterfall_data(best: pd.DataFrame, part: str) -> pd.DataFrame:
    """One part's patients with a best change, sorted descending; display value capped."""
    rows = best[(best["part"] == part) & best["best_change_pct"].notna()].copy()
    rows = rows.sort_values("best_change_pct", ascending=False, kind="stable")
    rows["shown_pct"] = rows["best_change_pct"].clip(upper=CAP_PCT)
    rows["capped"] = rows["best_change_pct"] > CAP_PCT
    return rows.reset_index(drop=True)


def waterfall_figure(best: pd.DataFrame):
    """A panel per part with data; a note in place of the plot when there is none."""
    plt = pyplot()
    parts = [p for p in ("A", "B") if len(waterfall_data(best, p))]
    fig, axes = plt.subplots(max(1, len(parts)), 1, figsize=(9, 3.6 * max(1, len(parts))),
                             squeeze=False)  # fmt: skip
    if not parts:
        ax = axes[0][0]
        ax.text(0.5, 0.5, "No lab values: no waterfall plot", ha="center", va="center")
        ax.set_axis_off()
        return fig
    for ax, part in zip(axes[:, 0], parts, strict=True):
        _panel(ax, waterfall_data(best, part), _PART_TITLES[part])
    fig.tight_layout()
    return fig


def _panel(ax, data: pd.DataFrame, title: str) -> None:
    x = range(len(data))
    colours = [_RESPONSE_COLOURS.get(r, "#FFFFFF") for r in data["best_response"]]
    ax.bar(x, data["shown_pct"], color=colours, edgecolor="#404040", linewidth=0.5, width=0.8)
    for i, capped in enumerate(data["capped"]):
        if capped:
            ax.plot(i, CAP_PCT + 4, marker="^", color="#404040", markersize=5)
    for y, label in _REFERENCE_LINES:
        ax.axhline(y, color="#707070", linewidth=0.7, linestyle="--")
        ax.text(len(data) - 0.4, y + 1, f" {label} ({y:+d}%)", va="bottom", fontsize=7)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlim(-0.8, len(data) + 2.5)
    ax.set_ylim(-105, CAP_PCT + 12)
    ax.set_xticks([])
    ax.set_ylabel("Best change from baseline (%)")
    ax.set_title(f"{title}: n = {len(data)}", fontsize=10)
    present = [r for r in _RESPONSE_COLOURS if r in set(data["best_response"])]
    handles = [_plt_patch(_RESPONSE_COLOURS[r]) for r in present]
    ax.legend(handles, present, title="Best response", fontsize=7, title_fontsize=7,
              loc="upper right", ncol=1 if len(present) < 5 else 2, frameon=False)  # fmt: skip
    ax.spines[["top", "right"]].set_visible(False)


def _plt_patch(colour: str):
    from matplotlib.patches import Patch

    return Patch(facecolor=colour, edgecolor="#404040", linewidth=0.5)
