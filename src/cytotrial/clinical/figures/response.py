"""Response bar chart (part A vs part B at the RP2D) and swimmer plot of part B."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from cytotrial.clinical.figures.common import OKABE_ITO, palette, printed, pyplot
from cytotrial.clinical.settings import RESPONSE_ORDER
from cytotrial.clinical.survival.endpoints import DAYS_PER_MONTH

__all__ = [
    "response_bar_chart",
    "swimmer_plot",
]

_AT_LEAST_MR = ("sCR", "CR", "VGPR", "PR", "MR")
_POPULATION_COLORS = ("#BBBBBB", OKABE_ITO[0])  # grey vs blue: apart in grey print too
RATE_LINE_CHARS = 95  # 8-pt characters in ~6.5 in, the text's width under the axes
_SWIMMER_KEYS = 6  # legend entries besides the groups (part B, follow-up, 4 markers)
_X_AXIS_IN = 0.45  # tick labels and the x-axis label under the swimmer's axes


def response_bar_chart(categories: pd.DataFrame, rates: pd.DataFrame):
    """Percent of patients per best-response category, one bar per population.

    ``categories``/``rates``: ``response.response_categories`` / ``response_rates`` output.
    """
    plt = pyplot()
    pops = list(dict.fromkeys(categories["population"]))
    # Cropped (tight) to about 7.2 in: an A4 portrait page prints 7.32 in at 8-pt text.
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    width = 0.8 / max(1, len(pops))
    x = np.arange(len(RESPONSE_ORDER))
    for k, pop in enumerate(pops):
        here = categories[categories["population"] == pop].set_index("category")
        here = here.reindex(list(RESPONSE_ORDER))
        label = printed(f"{here['population_label'].iloc[0]} (n={int(here['N'].iloc[0])})")
        offset = (k - (len(pops) - 1) / 2) * width
        bars = ax.bar(
            x + offset,
            here["percent"].fillna(0),
            width * 0.95,
            label=label,
            color=_POPULATION_COLORS[k % 2],
            edgecolor="#333333",
            linewidth=0.5,
        )
        for bar, n in zip(bars, here["n"].fillna(0).astype(int), strict=True):
            ax.text(
                bar.get_x() + bar.get_width() / 2,
                bar.get_height() + 0.8,
                str(n),
                ha="center",
                va="bottom",
                fontsize=8,
            )
    ax.set_xticks(x, list(RESPONSE_ORDER))
    ax.set_ylabel("Patients (%)")
    ax.set_xlabel("Best overall response (IMWG; MR and SD per EBMT/IMWG)")
    top = float(categories["percent"].fillna(0).max()) if len(categories) else 0.0
    ax.set_ylim(0, max(10.0, top * 1.25))
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    lines = []
    for pop in pops:
        here = rates[rates["population"] == pop]
        name = here["population_label"].iloc[0] if len(here) else pop
        parts = [
            f"{r.rate} {r.x}/{r.N} = {100 * r.estimate:.1f}% "
            f"({100 * r.ci_lower:.1f}-{100 * r.ci_upper:.1f})"
            for r in here.itertuples()
            if r.N
        ]
        # Wrapped: one line per population ran wider than the page (7.6 in at 8 pt).
        line = printed(f"{name}: ") + "; ".join(parts)
        lines.append(textwrap.fill(line, RATE_LINE_CHARS, subsequent_indent="    "))
    lines.append(
        printed("ORR >=PR, CBR >=MR, DCR >=SD; 95% CI Clopper-Pearson; NE = non-responder.")
    )
    ax.text(
        0.0,
        -0.16,
        "\n".join(lines),
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=8,
        color="#333333",
    )
    ax.set_title("Best overall response (numbers on bars: patients)", fontsize=10, loc="left")
    return fig


def swimmer_plot(
    dates: pd.DataFrame,
    responses: pd.DataFrame,
    rp2d_ids: list[str],
    cutoff,
    *,
    groups: pd.Series,
    group_labels: list[str],
    onsets: pd.DataFrame | None = None,
):
    """One bar per RP2D patient from part A start, coloured by the patient's part A best
    response group (`groups`: population.response_groups; colours and order as in the KM
    plots): part A solid, part B hatched, off-treatment follow-up a thin line. Markers: the
    date the part B best response (>= MR) was first documented (`onsets`: IMWG
    best-response rows with response_date; None: not available, said in the title), its
    category written in the row beside it, progression in part B, part B stopped without
    progression (an open square at the bar's end), death; an arrow where treatment is
    ongoing at the cut-off.
    Grouped by part A response, then by time to end of part B. Nothing after the cut-off
    is drawn."""
    from matplotlib.patches import Patch

    plt = pyplot()
    cutoff = pd.Timestamp(cutoff)
    d = dates.set_index("patient_id").reindex(rp2d_ids)
    best_b = _best_response_of(responses, "B", rp2d_ids)

    def months(column: pd.Series) -> pd.Series:
        capped = column.where(column.isna() | (column <= cutoff))
        return (capped - d["part_a_start"]).dt.days / DAYS_PER_MONTH

    start_b = months(d["part_b_registration"])
    end_b = months(d["part_b_end_of_treatment"])
    last = (d["last_followup"].clip(upper=cutoff) - d["part_a_start"]).dt.days / DAYS_PER_MONTH
    ongoing = end_b.isna()
    end_b = end_b.fillna(last)
    death = months(d["death"])
    progression = months(d["part_b_progression"])
    onset = _onsets(onsets, rp2d_ids, d, cutoff)
    labels = [g for g in group_labels if (groups == g).any()]
    labels += sorted(set(groups) - set(labels))  # e.g. "not grouped"
    colours = dict(zip(group_labels, palette(len(group_labels)), strict=True))
    rank = {g: k for k, g in enumerate(labels)}
    frame = pd.DataFrame({"rank": groups.reindex(rp2d_ids).map(rank), "end": end_b})
    order = frame.sort_values(["rank", "end"], ascending=[False, True], kind="stable").index
    # 0.17 in (12 pt) a row for its 8-pt ID and onset label; below the axes the x ticks
    # and label, then the legend right under them (2 columns of 0.16-in rows); 44 patients
    # take about 9.5 in, which prints on one A4 page with its caption at its own size.
    n_groups = len(labels)
    legend_in = 0.16 * -(-(n_groups + _SWIMMER_KEYS) // 2)
    height = 0.3 + 0.17 * (len(order) + 1) + _X_AXIS_IN + legend_in + 0.1
    fig, ax = plt.subplots(figsize=(7.2, height))
    for y, pid in enumerate(order):
        colour = colours.get(groups[pid], "#999999")
        ax.plot([end_b[pid], last[pid]], [y, y], color="#777777", lw=0.8, zorder=1)
        ax.barh(y, start_b[pid], left=0, height=0.72, color=colour, edgecolor="none")
        ax.barh(
            y,
            end_b[pid] - start_b[pid],
            left=start_b[pid],
            height=0.72,
            color="white",
            edgecolor=colour,
            hatch="////",
            linewidth=0.8,
        )
        if ongoing[pid]:
            ax.annotate(
                "",
                xy=(end_b[pid] + 2.0, y),
                xytext=(end_b[pid], y),
                arrowprops=dict(arrowstyle="-|>", color="black", lw=0.9),
            )
    y_of = {pid: y for y, pid in enumerate(order)}
    shown = onset.dropna()
    ax.scatter(shown, [y_of[p] for p in shown.index], marker="v", s=36, color="black", zorder=4)
    for pid, when in shown.items():
        # in its own row, right of the marker: above it, 8-pt text ran into the next row
        ax.annotate(
            best_b[pid],
            (when, y_of[pid]),
            xytext=(5, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=8,
            bbox=dict(boxstyle="square,pad=0.1", facecolor="white", edgecolor="none", alpha=0.8),
            zorder=3.5,
        )
    prog = progression.dropna()
    ax.scatter(prog, [y_of[p] for p in prog.index], marker="|", s=70, color="black", zorder=3)
    stopped = end_b[~ongoing & progression.isna()].dropna()
    ax.scatter(
        stopped,
        [y_of[p] for p in stopped.index],
        marker="s",
        s=16,
        facecolor="white",
        edgecolor="black",
        linewidth=0.9,
        zorder=3,
    )
    dead = death.dropna()
    ax.scatter(dead, [y_of[p] for p in dead.index], marker="x", s=26, color="black", zorder=3)
    ax.set_yticks(range(len(order)), list(order), fontsize=8)
    ax.set_ylim(-0.8, len(order) + 0.2)
    ax.set_xlabel("Months since start of part A", fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    ax.set_xlim(left=0)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    from matplotlib.lines import Line2D

    handles = [
        Patch(
            color=colours.get(g, "#999999"),
            label=f"Part A best {printed(g)} (n={int((groups == g).sum())})",
        )
        for g in labels
    ] + [
        Patch(facecolor="white", edgecolor="#555555", hatch="////", label="Part B (dara + ATRA)"),
        Line2D([], [], color="#777777", lw=0.8, label="Follow-up off treatment"),
        Line2D(
            [],
            [],
            marker="v",
            color="black",
            ls="none",
            label="Part B response (\u2265MR) first documented",
        ),
        Line2D([], [], marker="|", color="black", ls="none", ms=9, label="Progression in part B"),
        Line2D(
            [],
            [],
            marker="s",
            markerfacecolor="white",
            markeredgecolor="black",
            ls="none",
            ms=4,
            label="Part B stopped without progression",
        ),
        Line2D([], [], marker="x", color="black", ls="none", label="Death"),
    ]
    bottom = _X_AXIS_IN + legend_in + 0.1
    fig.subplots_adjust(bottom=bottom / height, top=1 - 0.3 / height)
    # the legend's top just under the x label: no blank band between them
    fig.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, (bottom - _X_AXIS_IN) / height),
        ncol=2,
        fontsize=8,
        frameon=False,
        borderaxespad=0.0,
    )
    note = "" if onsets is not None else "; response onset not available (no lab values)"
    ax.set_title(
        f"Part B at the RP2D (n={len(order)}), by part A best response; arrow: on treatment "
        f"at the cut-off{note}",
        fontsize=9,
        loc="left",
    )
    return fig


def _best_response_of(responses: pd.DataFrame, part: str, ids: list[str]) -> pd.Series:
    """Best response per patient of one part, NE without a row."""
    rows = responses[responses["part"] == part].set_index("patient_id")["best_response"]
    return rows.reindex(ids).fillna("NE")


def _onsets(onsets: pd.DataFrame | None, ids: list[str], d: pd.DataFrame, cutoff) -> pd.Series:
    """Months from part A start to the first documentation of the part B best response
    when it is >= MR (IMWG response_date); NaN otherwise."""
    if onsets is None or onsets.empty:
        return pd.Series(float("nan"), index=ids)
    rows = onsets[(onsets["part"] == "B") & onsets["best_response"].isin(_AT_LEAST_MR)]
    when = pd.to_datetime(rows.set_index("patient_id")["response_date"]).reindex(ids)
    when = when.where(when <= cutoff)
    return (when - d["part_a_start"]).dt.days / DAYS_PER_MONTH
