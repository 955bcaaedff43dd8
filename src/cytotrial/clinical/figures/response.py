"""Response bar chart (part A vs part B at the RP2D) and swimmer plot of part B."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cytotrial.clinical.figures.common import OKABE_ITO, printed, pyplot
from cytotrial.clinical.settings import RESPONSE_ORDER
from cytotrial.clinical.survival.endpoints import DAYS_PER_MONTH

__all__ = [
    "response_bar_chart",
    "swimmer_plot",
]

_RESPONSE_COLORS = {
    "sCR": "#08306B",
    "CR": "#2171B5",
    "VGPR": "#4292C6",
    "PR": "#6BAED6",
    "MR": "#9ECAE1",
    "SD": "#BDBDBD",
    "PD": "#CB181D",
    "NE": "#FFFFFF",
}
_POPULATION_COLORS = ("#BBBBBB", OKABE_ITO[0])  # grey vs blue: apart in grey print too


def response_bar_chart(categories: pd.DataFrame, rates: pd.DataFrame):
    """Percent of patients per best-response category, one bar per population.

    ``categories``/``rates``: ``response.response_categories`` / ``response_rates`` output.
    """
    plt = pyplot()
    pops = list(dict.fromkeys(categories["population"]))
    fig, ax = plt.subplots(figsize=(8, 4.6))
    width = 0.8 / max(1, len(pops))
    x = np.arange(len(RESPONSE_ORDER))
    for k, pop in enumerate(pops):
        here = categories[categories["population"] == pop].set_index("category")
        here = here.reindex(list(RESPONSE_ORDER))
        label = f"{here['population_label'].iloc[0]} (n={int(here['N'].iloc[0])})"
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
        lines.append(f"{name}: " + "; ".join(parts))
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


def swimmer_plot(dates: pd.DataFrame, responses: pd.DataFrame, rp2d_ids: list[str], cutoff):
    """One bar per RP2D patient from part A start: part A (grey), part B (coloured by part B
    best response), off-treatment follow-up (thin line); markers for part B progression and
    death; an arrow where treatment is ongoing at the cut-off. Sorted by time to end of
    part B treatment. Nothing after the cut-off is drawn."""
    plt = pyplot()
    cutoff = pd.Timestamp(cutoff)
    d = dates.set_index("patient_id").reindex(rp2d_ids)
    best_b = responses[responses["part"] == "B"].set_index("patient_id")["best_response"]
    best_b = best_b.reindex(rp2d_ids).fillna("NE")

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
    order = end_b.sort_values(kind="stable").index
    fig, ax = plt.subplots(figsize=(8.5, 1.6 + 0.17 * len(order)))
    for y, pid in enumerate(order):
        ax.plot([end_b[pid], last[pid]], [y, y], color="#9E9E9E", lw=0.8, zorder=1)
        ax.barh(y, start_b[pid], left=0, height=0.7, color="#D9D9D9", edgecolor="none")
        ax.barh(
            y,
            end_b[pid] - start_b[pid],
            left=start_b[pid],
            height=0.7,
            color=_RESPONSE_COLORS.get(best_b[pid], "#FFFFFF"),
            edgecolor="#555555",
            linewidth=0.4,
        )
        if ongoing[pid]:
            ax.annotate(
                "",
                xy=(end_b[pid] + 2.0, y),
                xytext=(end_b[pid], y),
                arrowprops=dict(arrowstyle="-|>", color="black", lw=0.9),
            )
    y_of = {pid: y for y, pid in enumerate(order)}
    prog = progression.dropna()
    ax.scatter(
        prog,
        [y_of[p] for p in prog.index],
        marker="|",
        s=60,
        color="black",
        zorder=3,
        label="Progression in part B",
    )
    dead = death.dropna()
    ax.scatter(
        dead,
        [y_of[p] for p in dead.index],
        marker="X",
        s=22,
        color="#CB181D",
        zorder=3,
        label="Death",
    )
    ax.set_yticks(range(len(order)), list(order), fontsize=6)
    ax.set_ylim(-0.8, len(order) - 0.2)
    ax.set_xlabel("Months since start of part A")
    ax.set_xlim(left=0)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    handles, _ = ax.get_legend_handles_labels()
    from matplotlib.patches import Patch

    present = [r for r in RESPONSE_ORDER if (best_b == r).any()]
    handles = (
        [Patch(color="#D9D9D9", label="Part A (daratumumab)")]
        + [
            Patch(facecolor=_RESPONSE_COLORS[r], edgecolor="#555555", label=f"Part B: {r}")
            for r in present
        ]
        + handles
    )
    ax.legend(
        handles=handles, loc="lower left", bbox_to_anchor=(1.01, 0.0), fontsize=7, frameon=False
    )
    ax.set_title(
        f"Part B at the RP2D (n={len(order)}): time on treatment; arrow = on treatment "
        "at cut-off; thin line = follow-up off treatment",
        fontsize=9,
        loc="left",
    )
    return fig
