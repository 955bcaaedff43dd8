"""Kaplan-Meier figures in survminer's ggsurvplot look.

Step curves in percent with "+" censor marks, dotted lines at the medians, a legend giving
n, events and the median (95% CI, configured method) per curve, the log-rank P (overall and
each group against the reference) and a number-at-risk table whose columns sit exactly under
the x ticks (number with time >= tick).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cytotrial.clinical.figures.common import SINGLE_CURVE, line_styles, palette, printed, pyplot
from cytotrial.clinical.population import NOT_GROUPED
from cytotrial.clinical.settings import MEDIAN_CI_WORDS, ClinicalSettings
from cytotrial.clinical.survival.analysis import ALL, median_row
from cytotrial.clinical.survival.endpoints import ENDPOINT_LABELS
from cytotrial.stats.kaplan_meier import kaplan_meier
from cytotrial.stats.logrank import format_p, logrank, pairwise_logrank

__all__ = [
    "km_ticks",
    "number_at_risk",
    "p_words",
    "km_figure",
]


# Sizes (in) of a by-group figure: see _figsize.
WIDTH_BY_GROUP_IN, HEIGHT_BY_GROUP_IN = 5.8, 3.5


def km_ticks(max_time: float, step: float) -> np.ndarray:
    """0, step, 2 step, ... up to the first multiple of step at or beyond max_time."""
    top = step * max(1, math.ceil(max_time / step)) if max_time > 0 else step
    return np.arange(0.0, top + step / 2, step)


def number_at_risk(months: np.ndarray, ticks: np.ndarray) -> list[int]:
    """Patients still at risk (time >= tick) at each tick."""
    return [int((months >= t).sum()) for t in ticks]


def _curve(ax, months: np.ndarray, event: np.ndarray, style: tuple, label: str) -> None:
    color, dashes = style
    km = kaplan_meier(months, event)
    x = np.concatenate(([0.0], km.time))
    y = 100 * np.concatenate(([1.0], km.surv))
    ax.step(x, y, where="post", color=color, linestyle=dashes, lw=1.8, label=label)
    censored = km.n_censor > 0
    ax.plot(
        km.time[censored],
        100 * km.surv[censored],
        linestyle="none",
        marker="+",
        markersize=8,
        markeredgewidth=1.3,
        color=color,
    )


def _legend_label(name: str, row: dict) -> str:
    return f"{printed(name)} (n={row['n']}, {row['events']} events): median {row['median_ci']}"


def p_words(p: float) -> str:
    """'P = .027', 'P < .001', 'P = NA'."""
    text = format_p(p)
    return f"P {text[0]} {text[1:]}" if text.startswith("<") else f"P = {text}"


def _pvalue_lines(frame: pd.DataFrame, present: list[str], settings: ClinicalSettings) -> list[str]:
    t, e = frame["months"].to_numpy(float), frame["event"].to_numpy(int)
    g = frame["group"].to_numpy(object)
    if len(present) < 2:
        return ["Log-rank: fewer than two groups with patients"]
    overall = logrank(t, e, g, levels=present)
    lines = [f"Log-rank {p_words(overall.p_value)} (overall, {overall.df} df)"]
    if settings.reference_group in present:
        for pair in pairwise_logrank(t, e, g, reference=settings.reference_group, levels=present):
            lines.append(
                f"{printed(pair.group1)} vs {printed(pair.group2)}: {p_words(pair.p_value)}"
            )
    return lines


def km_figure(endpoints: pd.DataFrame, endpoint: str, by_group: bool, settings: ClinicalSettings):
    """KM plot of one endpoint for the RP2D population, overall or by part A response group."""
    plt = pyplot()
    frame = endpoints[(endpoints["population"] == "RP2D") & (endpoints["endpoint"] == endpoint)]
    if by_group:
        grouped = frame[frame["group"] != NOT_GROUPED]
        labels = settings.group_labels
        present = [g for g in labels if (grouped["group"] == g).any()]
        styles = dict(
            zip(
                labels,
                zip(palette(len(labels)), line_styles(len(labels)), strict=True),
                strict=True,
            )
        )
        curves = [(g, grouped[grouped["group"] == g], styles[g]) for g in present]
    else:
        grouped, present = frame, []
        curves = [(ALL, frame, (SINGLE_CURVE, "solid"))]
    n_rows = max(1, len(curves))
    fig, (ax, risk) = plt.subplots(
        2,
        1,
        figsize=_figsize(by_group, n_rows),
        sharex=True,
        gridspec_kw={"height_ratios": [3.0, 0.5 + 0.3 * n_rows], "hspace": 0.34},
    )
    max_time = float(frame["months"].max()) if len(frame) else 0.0
    ticks = km_ticks(max_time, settings.km_tick_months)
    cut = False
    for name, sub, style in curves:
        t, e = sub["months"].to_numpy(float), sub["event"].to_numpy(int)
        row = median_row(t, e, settings.median_ci, endpoint, name)
        cut = cut or row["lower_cut_at_0"]
        _curve(ax, t, e, style, _legend_label(name, row))
        color = style[0]
        if not math.isnan(row["median"]):
            ax.plot(
                [0, row["median"], row["median"]], [50, 50, 0], color=color, lw=0.7, linestyle=":"
            )
    method = MEDIAN_CI_WORDS[settings.median_ci].short
    title_lines = [f"Median in months (95% CI, {method})"]
    if by_group:
        # a group without patients gets no curve and no line here: the report's
        # notes name it and say why
        title_lines += _pvalue_lines(grouped, present, settings)
    if cut:
        title_lines.append("0* = symmetric lower limit below 0, shown as 0")
    if not len(frame):
        ax.text(0.5, 0.5, "no patients", transform=ax.transAxes, ha="center", va="center")
    ax.set_ylim(-2, 104)
    ax.set_yticks([0, 25, 50, 75, 100])
    ax.set_ylabel(
        "Survival probability (%)" if endpoint.startswith("OS") else "Progression-free (%)"
    )
    # Legend above the panel (as ggsurvplot), so it never hides a curve; the title above it.
    legend = ax.legend(
        loc="lower left",
        bbox_to_anchor=(0.0, 1.01),
        fontsize=8,
        title="\n".join(title_lines),
        title_fontsize=8,
        frameon=False,
        alignment="left",
        borderaxespad=0.0,
    )
    fig.canvas.draw()
    pad = legend.get_window_extent().height * 72 / fig.dpi + 8
    ax.set_title(
        # by group: two lines, the figure being half a landscape page wide
        ENDPOINT_LABELS[endpoint] + (",\nby part A best response" if by_group else ""),
        fontsize=10,
        pad=pad,
        loc="left",
    )
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    _risk_table(risk, curves, ticks)
    risk.set_xlim(ticks[0] - 0.02 * ticks[-1], ticks[-1] * 1.02)
    risk.set_xticks(ticks)
    risk.set_xticklabels([f"{t:g}" for t in ticks])
    risk.set_xlabel(
        "Months"
        + (" since part B registration" if endpoint.endswith("-B") else " since start of part A")
    )
    ax.tick_params(labelbottom=True)  # the curve panel keeps its own tick labels
    return fig


def _figsize(by_group: bool, n_rows: int) -> tuple[float, float]:
    """Figure size (in) before the legend above the panel is added (saved tight).

    Sizes for print at 8-pt text: two single-curve figures and their captions share a
    portrait A4 page; a by-group one (legend and P lines above, a risk row per group)
    is too tall for that, so it is narrow enough that two stand side by side on a
    landscape page (report.print_layout.print_rows), and short enough for its height.
    """
    if by_group:
        return (WIDTH_BY_GROUP_IN, HEIGHT_BY_GROUP_IN + 0.28 * n_rows)
    return (7.5, 3.9 + 0.28 * n_rows)


def _risk_table(risk, curves, ticks: np.ndarray) -> None:
    """One row per curve: the number at risk under each x tick, in the curve's colour."""
    risk.set_ylim(-0.5, len(curves) - 0.5)
    names = []
    for k, (name, sub, (color, _)) in enumerate(curves):
        y = len(curves) - 1 - k
        for tick, n in zip(
            ticks, number_at_risk(sub["months"].to_numpy(float), ticks), strict=True
        ):
            risk.text(tick, y, str(n), ha="center", va="center", fontsize=8, color=color)
        names.append((y, name))
    risk.set_yticks([y for y, _ in names], [printed(name) for _, name in names], fontsize=8)
    for (_, _name), label, (_, _, (color, _)) in zip(
        names, risk.get_yticklabels(), curves, strict=True
    ):
        label.set_color(color)
    risk.set_title("Number at risk", fontsize=8, loc="left")
    for spine in ("top", "right", "left"):
        risk.spines[spine].set_visible(False)
    risk.tick_params(axis="y", length=0)
