"""Figure 4 style dot plots: one dot per patient per timepoint, median and IQR,
the median printed per timepoint, grey lines joining a patient's samples, and
brackets with Wilcoxon stars for the configured comparisons. Each panel says how many
values the statistics left out (flagged or failed populations, population_status), and
each figure which populations it uses.

Sizes: at most 7.2 in wide (A4 portrait prints 7.32 in; the report prints a figure at its
own size, report.print_layout) and no text below 8 pt, so every label stays >= 8 pt as
displayed and printed (figure_text); part B's five panels of four timepoints take two
rows. Counts span orders of magnitude (a few activated NK cells, thousands of T cells
per µL): a log axis, a zero drawn at the axis floor as an open circle and counted in the
panel title."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cytotrial.flow.sample.status import left_out_summary
from cytotrial.stats.logrank import format_p
from cytotrial.stats.paired import prism_quartiles

__all__ = [
    "dot_plot",
    "dot_plot_across_parts",
    "paired_plot",
    "p_label",
    "message_figure",
]

TIMEPOINTS = {"A": ["C1D1", "C2D1"], "B": ["C1D1", "C1D3", "C2D3", "EOT"]}
LABELS = {
    "monocytes": "Monocytes",
    "b_cells": "B cells",
    "t_cells": "T cells",
    "nk_cells": "NK cells",
    "activated_nk": "Activated NK\n(CD16+CD56dim)",
}
SHORT_LABELS = {**LABELS, "activated_nk": "Activated NK"}
WIDTH_IN = 7.2
SMALL_PT, TITLE_PT = 8, 9


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
    log: bool = False,
):
    """The figure for one part: a panel per population. `tidy` holds the values used;
    `left_out` (comparisons.left_out_values) those left out, counted under each panel's
    title; `used` says which populations the figure uses (population_status.used_label);
    `log`: a log y axis (counts)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timepoints = TIMEPOINTS[part]
    most = min(len(populations), 5 if len(timepoints) <= 2 else 3)
    rows = -(-len(populations) // most)
    columns = -(-len(populations) // rows)  # 4 panels: 2 x 2, not 3 + 1
    fig, axes = plt.subplots(rows, columns, figsize=(WIDTH_IN, 3.3 * rows + 0.5), squeeze=False)
    panels = [(part, population, "") for population in populations]
    axis = (value, y_label, log)
    return _dot_figure(
        fig, list(axes.flat), columns, panels, tidy, tests, left_out, axis, title, used
    )


def dot_plot_across_parts(
    tidy: pd.DataFrame,
    tests: pd.DataFrame,
    population: str,
    value: str,
    y_label: str,
    title: str,
    *,
    left_out: pd.DataFrame,
    used: str,
    log: bool = False,
):
    """One population in part A and part B side by side (the paper's supplemental
    Figure 2: T cells over the whole study); panels as in `dot_plot`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parts = list(TIMEPOINTS)
    widths = [len(TIMEPOINTS[p]) for p in parts]
    fig, axes = plt.subplots(
        1, len(parts), figsize=(WIDTH_IN * 0.8, 3.8), gridspec_kw={"width_ratios": widths}
    )
    panels = [(part, population, f"Part {part}: ") for part in parts]
    axis = (value, y_label, log)
    return _dot_figure(
        fig, list(axes), len(parts), panels, tidy, tests, left_out, axis, title, used
    )


def _dot_figure(
    fig,
    axes: list,
    columns: int,
    panels: list[tuple[str, str, str]],
    tidy: pd.DataFrame,
    tests: pd.DataFrame,
    left_out: pd.DataFrame,
    axis: tuple[str, str, bool],
    title: str,
    used: str,
):
    """Draw each (part, population, title prefix) panel on its axes, hide the spare axes,
    label the y axis of each row's first panel; `axis` = (value column, y label, log)."""
    value, y_label, log = axis
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    for k, (ax, (part, population, prefix)) in enumerate(zip(axes, panels, strict=False)):
        _dot_panel(ax, tidy, tests, left_out, part, population, value, log, prefix)
        shown_label = f"{y_label}, log scale" if log else y_label
        ax.set_ylabel(shown_label if k % columns == 0 else "", fontsize=SMALL_PT)
    fig.suptitle(f"{title}\npopulations: {used}", fontsize=TITLE_PT + 1)
    fig.tight_layout()
    return fig


def _dot_panel(
    ax,
    tidy: pd.DataFrame,
    tests: pd.DataFrame,
    left_out: pd.DataFrame,
    part: str,
    population: str,
    value: str,
    log: bool,
    prefix: str,
) -> None:
    """One population of one part: dots, medians, brackets and what was left out."""
    timepoints = TIMEPOINTS[part]
    here = tidy[(tidy["part"] == part) & (tidy["population"] == population)]
    zeros = _panel(ax, here, timepoints, value, log)
    _brackets(ax, tests, part, population, timepoints, log)
    gone = left_out[
        (left_out["part"] == part)
        & (left_out["population"] == population)
        & left_out["timepoint"].isin(timepoints)
    ]
    lines = [prefix + LABELS.get(population, population), f"left out: {left_out_summary(gone)}"]
    if zeros:
        lines.append(f"{zeros} zero value(s) at the floor (o)")
    ax.set_title("\n".join(lines), fontsize=SMALL_PT, pad=14)


def paired_plot(
    tidy: pd.DataFrame,
    tests: pd.DataFrame,
    populations: Sequence[str],
    value: str,
    y_label: str,
    title: str,
    *,
    used: str,
    log: bool = False,
):
    """Paired line plots: a row per comparison, a panel per population; one line per
    patient with both samples, orange (Okabe-Ito vermilion) where the value rose, blue
    where it fell. Each panel says how many values of its two timepoints the test left
    out (from `tests`); `used` which populations the figure uses; `log`: a log y axis
    (counts), zeros at its floor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    comparisons = tests[["part", "before", "after"]].drop_duplicates().to_records(index=False)
    rows, cols = max(len(comparisons), 1), len(populations)
    # At most a portrait page wide (five subsets: 1.44 in a panel, titles on three short
    # lines) and 1.8 in a row: five comparisons fit one printed page at 8-pt text.
    width = min(WIDTH_IN, 1.8 * cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width, 1.8 * rows + 0.4), squeeze=False)
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
            shown, zeros = wide, 0
            if log:
                positive = wide.to_numpy()[wide.to_numpy() > 0]
                floor = float(positive.min()) / 2 if positive.size else 1.0
                zeros = int((wide.to_numpy() <= 0).sum())
                shown = wide.mask(wide <= 0, floor)
                _log_axis(ax)
            for first, second in shown.to_numpy():
                ax.plot(
                    [0, 1],
                    [first, second],
                    marker="o",
                    ms=2.5,
                    lw=0.7,
                    color="#D55E00" if second > first else "#0072B2",  # Okabe-Ito
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
            label = f"n={len(wide)}\n{p_label(p)} {stars}" if p == p else f"n={len(wide)}"
            gone = _left_out_of_test(match)
            name = SHORT_LABELS.get(population, population)
            zero_note = f"\n{zeros} zero(s) at floor" if zeros else ""
            # Short lines: a panel is 1.44 in wide (five subsets on a portrait page), and
            # tight_layout leaves a title wider than its axes running into the next one.
            ax.set_title(f"{name}\n{label}\nleft out: {gone}{zero_note}", fontsize=SMALL_PT)
            ax.set_xticks([0, 1], [before, after], fontsize=SMALL_PT)
            ax.tick_params(axis="y", labelsize=SMALL_PT)
            ax.set_xlim(-0.3, 1.3)
        # Wrapped: a row is 1.8 in high, the label's one line would run into the next.
        wrapped = textwrap.fill(y_label, 22)
        row_axes[0].set_ylabel(f"part {part}\n{wrapped}", fontsize=SMALL_PT)
    fig.suptitle(f"{title}; populations: {used}", fontsize=TITLE_PT + 1)
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


def p_label(p: float) -> str:
    """'P=.0176' / 'P<.0001': the paper's style (four decimals, no leading zero)."""
    text = format_p(p, 4)
    return "P" + ("" if text.startswith("<") else "=") + text


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


def _panel(ax, here: pd.DataFrame, timepoints: list[str], value: str, log: bool) -> int:
    """Dots, median and IQR per timepoint; returns how many zeros sit at a log floor."""
    wide = here.pivot_table(index="patient_id", columns="timepoint", values=value, aggfunc="first")
    wide = wide.reindex(columns=timepoints)
    shown, floor, zeros = wide, None, 0
    if log:
        positive = wide.to_numpy()[wide.to_numpy() > 0]
        floor = float(positive.min()) / 2 if positive.size else 1.0
        zeros = int((wide.to_numpy() <= 0).sum())
        shown = wide.mask(wide <= 0, floor)  # NaN (no sample) stays NaN
    for _, row in shown.iterrows():  # a patient's samples joined, faintly
        ax.plot(range(len(timepoints)), row.to_numpy(), color="0.8", lw=0.5, zorder=1)
    rng = np.random.default_rng(0)  # fixed jitter: the same figure every run
    top = np.nanmax(wide.to_numpy()) if wide.notna().any().any() else 1.0
    for x, timepoint in enumerate(timepoints):
        values = wide[timepoint].dropna().to_numpy()
        jitter = x + rng.uniform(-0.12, 0.12, len(values))
        at_floor = values <= 0 if log else np.zeros(len(values), dtype=bool)
        ax.scatter(jitter[~at_floor], values[~at_floor], s=9, color="#1f3b57", zorder=2, alpha=0.8)
        if at_floor.any():
            ax.scatter(
                jitter[at_floor],
                np.full(int(at_floor.sum()), floor),
                s=14,
                facecolors="none",
                edgecolors="#1f3b57",
                zorder=2,
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
                -0.035,
                f"{q.median:,.0f}",
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="top",
                fontsize=SMALL_PT,
            )
        ax.text(
            x,
            1.0,
            f"n={len(values)}",
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=SMALL_PT,
            color="0.35",
        )
    ax.set_xticks(range(len(timepoints)), timepoints, fontsize=SMALL_PT)
    ax.tick_params(axis="x", pad=17)  # room for the medians above the labels
    ax.tick_params(axis="y", labelsize=SMALL_PT)
    ax.set_xlim(-0.6, len(timepoints) - 0.4)
    if log:
        _log_axis(ax)
        high = top * 1.3 if np.isfinite(top) and top > 0 else 10.0
        ax.set_ylim(bottom=floor / 1.3, top=high)
    else:
        ax.set_ylim(bottom=0, top=top * 1.05 if np.isfinite(top) and top > 0 else 1)
    return zeros


def _log_axis(ax) -> None:
    """A log y axis labelled 10, 20, 50, 100, ... in plain units (a few ticks per decade)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _brackets(
    ax, tests: pd.DataFrame, part: str, population: str, timepoints: list[str], log: bool = False
) -> None:
    """Brackets stacked above the data, evenly spaced in the axis' own scale."""
    rows = tests[(tests["part"] == part) & (tests["population"] == population)]
    forward, back = (np.log10, lambda v: 10**v) if log else (lambda v: v, lambda v: v)
    low, high = (forward(v) for v in ax.get_ylim())
    step = 0.09 * (high - low)
    level = high
    for row in rows.itertuples():
        if row.before not in timepoints or row.after not in timepoints or pd.isna(row.p_value):
            continue
        x1, x2 = timepoints.index(row.before), timepoints.index(row.after)
        level += step
        ax.plot(
            [x1, x1, x2, x2],
            [back(level - step * 0.3), back(level), back(level), back(level - step * 0.3)],
            color="black",
            lw=0.7,
        )
        ax.text((x1 + x2) / 2, back(level), row.stars, ha="center", va="bottom", fontsize=SMALL_PT)
    ax.set_ylim(back(low), back(level + step))
