"""Waterfall plot of part B at the RP2D: each patient's best % change of the response
marker from the part B baseline (guide section 8), sorted descending, coloured by the
derived best response, bars above +100% cut there and marked.

One panel per marker type, each with its own IMWG cut-offs (the IMWG engine's, see
imwg/assessment.py): serum M-protein MR -25%, PR -50%, VGPR -90%; urine MR -50%, PR
-90% (or < 200 mg/24 h), VGPR < 100 mg/24 h (no % line); dFLC PR -50%, VGPR -90% (MR
-25% only with clinical.imwg.flc_minimal_response); PD +25% on every marker (with an
absolute rise, not drawn). A bar's colour can therefore disagree with the lines: an
absolute criterion, a missing confirmation or IFE decides the category, not the % alone.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from cytotrial.clinical.figures.common import pyplot
from cytotrial.errors import InputError

__all__ = [
    "CAP_PCT",
    "MARKER_TITLES",
    "reference_lines",
    "waterfall_data",
    "waterfall_figure",
]

CAP_PCT = 100.0
MARKER_TITLES = {
    "serum": "Serum M-protein",
    "urine": "Urine M-protein",
    "flc": "dFLC",
}
# Distinct hues in response order (Okabe-Ito and greys): no two categories look alike.
_RESPONSE_COLOURS = {
    "sCR": "#000000", "CR": "#CC79A7", "VGPR": "#0072B2", "PR": "#56B4E9", "MR": "#009E73",
    "SD": "#BBBBBB", "PD": "#D55E00", "NE": "#FFFFFF",
}  # fmt: skip
_RESPONSE_ORDER = tuple(_RESPONSE_COLOURS)


# A line that is the protocol's convention, not an IMWG 2016 criterion (a short mark: a
# long label ran into the narrow dFLC panel's bars), and the footnote saying so.
PROTOCOL_MARK = "*"
PROTOCOL_NOTE = "* the protocol's convention (IMWG 2016 has no dFLC-only VGPR or MR)"


def reference_lines(marker: str, flc_minimal_response: bool = False) -> list[tuple[int, str]]:
    """The IMWG % cut-offs drawn on a marker's panel: (percent change, category). The
    dFLC VGPR (-90%) and MR (-25%, an option) are the protocol's convention for FLC-only
    disease, which the IMWG engine applies: the IMWG 2016 table has no dFLC-only VGPR or
    MR, so their labels carry PROTOCOL_MARK, which the figure's footnote explains."""
    lines = {
        "serum": [(-25, "MR"), (-50, "PR"), (-90, "VGPR")],
        "urine": [(-50, "MR"), (-90, "PR")],
        "flc": [(-50, "PR"), (-90, "VGPR" + PROTOCOL_MARK)],
    }
    if marker not in lines:
        raise InputError(f"waterfall: unknown response marker {marker!r}")
    extra = [(-25, "MR" + PROTOCOL_MARK)] if marker == "flc" and flc_minimal_response else []
    return [*extra, *lines[marker], (25, "PD")]


def waterfall_data(best: pd.DataFrame, part: str, ids: Iterable[str] | None = None):
    """One part's patients (only `ids` when given) with a best change, sorted descending;
    display value capped."""
    rows = best[(best["part"] == part) & best["best_change_pct"].notna()].copy()
    if ids is not None:
        rows = rows[rows["patient_id"].isin(set(ids))]
    rows = rows.sort_values("best_change_pct", ascending=False, kind="stable")
    rows["shown_pct"] = rows["best_change_pct"].clip(upper=CAP_PCT)
    rows["capped"] = rows["best_change_pct"] > CAP_PCT
    return rows.reset_index(drop=True)


def waterfall_figure(
    best: pd.DataFrame,
    rp2d_ids: Iterable[str] | None = None,
    *,
    dose: str = "",
    flc_minimal_response: bool = False,
):
    """Part B at the RP2D (`rp2d_ids`; every part B patient when None), a panel per
    response marker; a note in place of the plot when there is nothing to draw."""
    plt = pyplot()
    ids = None if rp2d_ids is None else list(rp2d_ids)
    data = waterfall_data(best, "B", ids)
    in_part = best[best["part"] == "B"]
    population = in_part if ids is None else in_part[in_part["patient_id"].isin(set(ids))]
    markers = [m for m in MARKER_TITLES if (data["response_marker"] == m).any()]
    unknown = sorted(set(data["response_marker"]) - set(MARKER_TITLES))
    if unknown:
        raise InputError(f"waterfall: unknown response marker(s) {unknown}")
    if not markers:
        fig, ax = plt.subplots(figsize=(7.5, 2.0))
        ax.text(0.5, 0.5, "No lab values for part B: no waterfall plot", ha="center", va="center")
        ax.set_axis_off()
        return fig
    counts = [int((data["response_marker"] == m).sum()) for m in markers]
    fig, axes = plt.subplots(
        1,
        len(markers),
        figsize=(7.5, 4.4),
        sharey=True,
        squeeze=False,
        gridspec_kw={"width_ratios": [max(c, 6) + 4 for c in counts], "wspace": 0.06},
    )
    marked = False
    for ax, marker in zip(axes[0], markers, strict=True):
        here = data[data["response_marker"] == marker].reset_index(drop=True)
        lines = reference_lines(marker, flc_minimal_response)
        marked |= any(label.endswith(PROTOCOL_MARK) for _, label in lines)
        _panel(ax, here, MARKER_TITLES[marker], lines)
    if marked:
        fig.text(0.99, 0.005, PROTOCOL_NOTE, ha="right", va="bottom", fontsize=8)
    axes[0][0].set_ylabel("Best change from part B baseline (%)", fontsize=9)
    present = [r for r in _RESPONSE_ORDER if (data["best_response"] == r).any()]
    fig.legend(
        [_patch(_RESPONSE_COLOURS[r]) for r in present],
        present,
        title="Best response (IMWG, derived)",
        fontsize=8,
        title_fontsize=8,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.035 if marked else 0.0),
        ncol=len(present),
        frameon=False,
    )
    where = (
        f"Part B at the RP2D{f' (ATRA {dose})' if dose else ''}" if ids is not None else "Part B"
    )
    missing = len(population) - len(data)
    fig.suptitle(
        f"{where}: n = {len(data)} with a best change"
        + (f"\n{missing} without one (no measurable marker or no assessment)" if missing else ""),
        fontsize=10,
    )
    fig.subplots_adjust(bottom=0.2 if marked else 0.16, top=0.8)
    return fig


def _panel(ax, data: pd.DataFrame, title: str, lines: list[tuple[int, str]]) -> None:
    x = range(len(data))
    colours = [_RESPONSE_COLOURS.get(r, "#FFFFFF") for r in data["best_response"]]
    ax.bar(x, data["shown_pct"], color=colours, edgecolor="#404040", linewidth=0.5, width=0.8)
    for i, capped in enumerate(data["capped"]):
        if capped:
            ax.plot(i, CAP_PCT + 5, marker="^", color="#404040", markersize=5)
    for y, label in lines:
        ax.axhline(y, color="#707070", linewidth=0.7, linestyle="--")
        ax.text(max(len(data), 6) + 3.4, y + 1, label, ha="right", va="bottom", fontsize=8)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlim(-0.8, max(len(data), 6) + 3.4)
    ax.set_ylim(-105, CAP_PCT + 12)
    ax.set_xticks([])
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title(f"{title}\nn = {len(data)}", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)


def _patch(colour: str):
    from matplotlib.patches import Patch

    return Patch(facecolor=colour, edgecolor="#404040", linewidth=0.5)
