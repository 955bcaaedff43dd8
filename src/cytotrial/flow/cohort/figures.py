"""Figure 4 style dot plots: one dot per patient per timepoint, median and IQR,
the median printed per timepoint, grey lines joining a patient's samples, and
brackets with Wilcoxon stars for the configured comparisons. Each panel says how many
values the statistics left out (flagged or failed populations, population_status), and
each figure which populations it uses."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cytotrial.flow.sample.status import left_out_summary
from cytotrial.stats.paired import prism_quartiles

TIMEPOINTS = {"A": ["C1D1", "C2D1"], "B": ["C1D1", "C1D3", "C2D3", "EOT"]}
LABELS = {
    "monocytes": "Monocytes",
    "b_cells": "B cells",
    "t_cells": "T cells",
    "nk_cells": "NK cells",
    "activated_nk": "Activated NK (CD16+CD56dim)",
}


def dot_plot(
    tidy: pd.DataFrame,
    tests: pd.DataFrame,
    part: str,
    populations: Sequence[str],
    value: str,
    y_label: str,
    title: str,
    *,
    left_out: pd.DataFrame,
    used: str,
):
    """The figure for one part: a panel per population. `tidy` holds the values used;
    `left_out` (comparisons.left_out_values) those left out, counted under each panel's
    title; `used` says which populations the figure uses (population_status.used_label)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timepoints = TIMEPOINTS[part]
    fig, axes = plt.subplots(1, len(populations), figsize=(2.6 * len(populations), 3.6))
    axes = np.atleast_1d(axes)
    for ax, population in zip(axes, populations, strict=True):
        here = tidy[(tidy["part"] == part) & (tidy["population"] == population)]
        _panel(ax, here, timepoints, value)
        _brackets(ax, tests, part, population, timepoints)
        gone = left_out[
            (left_out["part"] == part)
            & (left_out["population"] == population)
            & left_out["timepoint"].isin(timepoints)
        ]
        ax.set_title(
            f"{LABELS.get(population, population)}\nleft out: {left_out_summary(gone)}",
            fontsize=8,
            pad=14,
        )
        ax.set_ylabel(y_label if ax is axes[0] else "", fontsize=8)
    fig.suptitle(f"{title}\npopulations: {used}", fontsize=10)
    fig.tight_layout()
    return fig


def paired_plot(
    tidy: pd.DataFrame,
    tests: pd.DataFrame,
    populations: Sequence[str],
    value: str,
    y_label: str,
    title: str,
    *,
    used: str,
):
    """Paired line plots: a row per comparison, a panel per population; one line per
    patient with both samples, red where the value rose, blue where it fell. Each panel
    says how many values of its two timepoints the test left out (from `tests`); `used`
    which populations the figure uses."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    comparisons = tests[["part", "before", "after"]].drop_duplicates().to_records(index=False)
    rows, cols = max(len(comparisons), 1), len(populations)
    fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 2.3 * rows), squeeze=False)
    for (part, before, after), row_axes in zip(comparisons, axes, strict=False):
        for ax, population in zip(row_axes, populations, strict=True):
            here = tidy[(tidy["part"] == part) & (tidy["population"] == population)]
            wide = (
                here.pivot_table(
                    index="patient_id", columns="timepoint", values=value, aggfunc="first"
                )
                .reindex(columns=[before, after])
                .dropna()
            )
            for first, second in wide.to_numpy():
                ax.plot(
                    [0, 1],
                    [first, second],
                    marker="o",
                    ms=2.5,
                    lw=0.7,
                    color="crimson" if second > first else "#1f5fa8",
                    alpha=0.7,
                )
            match = tests[
                (tests["part"] == part)
                & (tests["before"] == before)
                & (tests["after"] == after)
                & (tests["population"] == population)
            ]
            p = match["p_value"].iloc[0] if len(match) else float("nan")
            stars = match["stars"].iloc[0] if len(match) else ""
            label = f"n={len(wide)}, P={p:.2g} {stars}" if p == p else f"n={len(wide)}"
            gone = _left_out_of_test(match)
            ax.set_title(
                f"{LABELS.get(population, population)}\n{label}\nleft out: {gone}", fontsize=7
            )
            ax.set_xticks([0, 1], [f"{part} {before}", f"{part} {after}"], fontsize=6)
            ax.tick_params(axis="y", labelsize=6)
            ax.set_xlim(-0.3, 1.3)
        row_axes[0].set_ylabel(y_label, fontsize=7)
    fig.suptitle(f"{title}; populations: {used}", fontsize=10)
    fig.tight_layout()
    return fig


def _left_out_of_test(match: pd.DataFrame) -> str:
    """'2 flagged, 1 failed, 1 excluded' (or 'none') from a test row's left_out_* counts."""
    if match.empty:
        return "none"
    row = match.iloc[0]
    counts = [
        f"{int(row[f'left_out_{status}'])} {status}"
        for status in ("flagged", "failed", "excluded")
        if pd.notna(row.get(f"left_out_{status}")) and int(row[f"left_out_{status}"])
    ]
    return ", ".join(counts) or "none"


def message_figure(message: str, title: str):
    """A figure that only says why it holds no data (no samples, none analysed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 2.4))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11, wrap=True)
    fig.suptitle(title, fontsize=10)
    return fig


def _panel(ax, here: pd.DataFrame, timepoints: list[str], value: str) -> None:
    wide = here.pivot_table(index="patient_id", columns="timepoint", values=value, aggfunc="first")
    wide = wide.reindex(columns=timepoints)
    for _, row in wide.iterrows():  # a patient's samples joined, faintly
        ax.plot(range(len(timepoints)), row.to_numpy(), color="0.8", lw=0.5, zorder=1)
    rng = np.random.default_rng(0)  # fixed jitter: the same figure every run
    top = np.nanmax(wide.to_numpy()) if wide.notna().any().any() else 1.0
    for x, timepoint in enumerate(timepoints):
        values = wide[timepoint].dropna().to_numpy()
        ax.scatter(
            x + rng.uniform(-0.12, 0.12, len(values)),
            values,
            s=9,
            color="#1f3b57",
            zorder=2,
            alpha=0.8,
        )
        if len(values):
            q = prism_quartiles(values)
            ax.errorbar(
                x,
                q.median,
                yerr=[[q.median - q.q1], [q.q3 - q.median]],
                color="crimson",
                capsize=6,
                lw=1.4,
                zorder=3,
            )
            ax.hlines(q.median, x - 0.25, x + 0.25, color="crimson", lw=2, zorder=3)
            ax.text(
                x,
                -0.06,
                f"{q.median:,.0f}",
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="top",
                fontsize=6,
            )
        ax.text(
            x,
            1.0,
            f"n={len(values)}",
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=6,
            color="0.4",
        )
    ax.set_xticks(range(len(timepoints)), timepoints, fontsize=7)
    ax.tick_params(axis="x", pad=12)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlim(-0.6, len(timepoints) - 0.4)
    ax.set_ylim(bottom=0, top=top * 1.05 if np.isfinite(top) and top > 0 else 1)


def _brackets(ax, tests: pd.DataFrame, part: str, population: str, timepoints: list[str]) -> None:
    rows = tests[(tests["part"] == part) & (tests["population"] == population)]
    low, high = ax.get_ylim()
    step = 0.09 * (high - low)
    level = high
    for row in rows.itertuples():
        if row.before not in timepoints or row.after not in timepoints or pd.isna(row.p_value):
            continue
        x1, x2 = timepoints.index(row.before), timepoints.index(row.after)
        level += step
        ax.plot(
            [x1, x1, x2, x2],
            [level - step * 0.3, level, level, level - step * 0.3],
            color="black",
            lw=0.7,
        )
        ax.text((x1 + x2) / 2, level, row.stars, ha="center", va="bottom", fontsize=7)
    ax.set_ylim(low, level + step)
