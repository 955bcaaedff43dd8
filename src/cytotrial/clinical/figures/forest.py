"""Forest plot of the Cox hazard ratios: each part A response group against the reference
group, per endpoint, on a log axis with the Wald 95% CI, n and P beside each row.

A group without patients is not drawn (a row saying "not estimable" for a group nobody
is in is clutter; the report's notes name the empty groups and why). Rows of groups with
patients whose HR could not be estimated (no events) stay in the plot as text, so the
reader sees every comparison that has data. Colours: Okabe-Ito (colour-blind safe), one
marker shape per group.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cytotrial.clinical.figures.common import OKABE_ITO, pyplot
from cytotrial.stats.cox import format_hr

__all__ = ["forest_figure"]

# Okabe & Ito 2008 in the KM plots' order (>=PR blue, SD/MR orange); markers as a
# second cue when printed in grey
_COLOURS = OKABE_ITO[:6]
_MARKERS = ("o", "s", "D", "^", "v", "P")


def _pretty(label: str) -> str:
    """Group labels as printed: '>=PR' -> '≥PR'."""
    return label.replace(">=", "\u2265").replace("<=", "\u2264")


def _row_text(row: pd.Series) -> str:
    if math.isnan(row["hr"]):
        return f"not estimable: {row['note']}" if row["note"] else "not estimable"
    limits = f"{format_hr(row['lower'])}-{format_hr(row['upper'])}"
    return f"{format_hr(row['hr'])} ({limits}), P {row['p_text']}"


def forest_figure(hazard_ratios: pd.DataFrame):
    """One row per endpoint x group of survival_hazard_ratios.tsv (columns endpoint, group,
    reference, n_group, n_reference, hr, lower, upper, p_text, note)."""
    plt = pyplot()
    table = hazard_ratios[hazard_ratios["n_group"] > 0].reset_index(drop=True)
    groups = list(dict.fromkeys(table["group"]))
    style = {g: (_COLOURS[i % 6], _MARKERS[i % 6]) for i, g in enumerate(groups)}
    rows = len(table) + table["endpoint"].nunique()  # a heading row per endpoint
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * rows + 1.2))
    limits = table[["hr", "lower", "upper"]].to_numpy(float)
    finite = limits[np.isfinite(limits) & (limits > 0)]
    # the axis spans every finite limit (at least 0.1-10), at most 1e-3-1e3; a CI beyond
    # that (a group with few events) is drawn to the edge
    low = max(1e-3, min(0.1, finite.min() / 1.5)) if finite.size else 0.1
    high = min(1e3, max(10.0, finite.max() * 1.5)) if finite.size else 10.0
    y, labels, ticks = 0, [], []
    for endpoint, block in table.groupby("endpoint", sort=False):
        reference = block["reference"].iloc[0]
        n_reference = int(block["n_reference"].iloc[0])
        labels.append(f"{endpoint} (vs {_pretty(reference)}, n={n_reference})")
        ticks.append(y)
        y -= 1
        for _, row in block.iterrows():
            colour, marker = style[row["group"]]
            labels.append(f"   {_pretty(row['group'])} (n={int(row['n_group'])})")
            ticks.append(y)
            if np.isfinite(row["hr"]):
                ci = np.clip(np.nan_to_num([row["lower"], row["upper"]], nan=low), low, high)
                ax.plot(ci, [y, y], color=colour, lw=1.6)
                ax.plot(min(max(row["hr"], low), high), y, marker=marker, color=colour, ms=6)
            ax.annotate(
                _row_text(row),
                xy=(1.02, y),
                xycoords=("axes fraction", "data"),
                va="center",
                fontsize=8,
            )
            y -= 1
    ax.axvline(1.0, color="#555555", lw=0.8, linestyle="--")
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    ax.set_yticks(ticks, labels, fontsize=8)
    for tick, label in zip(ax.get_yticklabels(), labels, strict=True):
        if not label.startswith("   "):
            tick.set_fontweight("bold")
    ax.set_ylim(y + 0.5, 0.5)
    ax.set_xlabel("Hazard ratio (log scale), Cox PH, Wald 95% CI", fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    ticks_x = [t for t in (0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0) if low <= t <= high]
    ax.set_xticks(ticks_x, [f"{t:g}" for t in ticks_x])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    reference = _pretty(str(table["reference"].iloc[0])) if len(table) else "reference"
    # which side is which, at the top: HR < 1 = lower hazard in the group than the reference
    ax.text(0.9, 0.6, f"\u2190 lower hazard than {reference}", fontsize=8, ha="right")
    ax.text(1.1, 0.6, "higher hazard \u2192", fontsize=8, ha="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.subplots_adjust(left=0.3, right=0.62)
    return fig
