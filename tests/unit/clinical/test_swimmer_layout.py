"""The swimmer plot as a reader sees it: onset labels inside their own rows, an end symbol
on every bar that stops without progression (and in the legend), the legend right under
the x axis."""

from __future__ import annotations

import pandas as pd

from cytotrial.clinical.figures.response import swimmer_plot
from cytotrial.clinical.population import response_groups
from cytotrial.clinical.settings import ClinicalSettings

N = 12
CUTOFF = "2020-10-01"


def _trial():
    t = pd.Timestamp
    ids = [f"p{k:02d}" for k in range(N)]
    start = t("2017-01-01")
    reg = [start + pd.Timedelta(days=60 + 5 * k) for k in range(N)]
    end = [r + pd.Timedelta(days=200 + 20 * k) for k, r in enumerate(reg)]
    # every third patient progresses at the end of part B, the others stop without it
    progression = [e if k % 3 == 0 else pd.NaT for k, e in enumerate(end)]
    dates = pd.DataFrame(
        {
            "patient_id": ids,
            "part_a_start": [start] * N,
            "part_b_registration": reg,
            "part_b_end_of_treatment": end,
            "part_b_progression": progression,
            "death": [pd.NaT] * N,
            "last_followup": [t("2019-06-01")] * N,
        }
    )
    responses = pd.DataFrame(
        {
            "patient_id": ids * 2,
            "part": ["A"] * N + ["B"] * N,
            "best_response": ["SD"] * N + ["VGPR", "MR"] * (N // 2),
        }
    )
    # an onset in every row, at the same time: labels of neighbouring rows are stacked
    onsets = responses[responses["part"] == "B"].assign(
        response_date=(reg[-1] + pd.Timedelta(days=30)).strftime("%Y-%m-%d")
    )
    settings = ClinicalSettings(cutoff=t(CUTOFF))
    groups = response_groups(responses, ids, settings)
    fig = swimmer_plot(
        dates, responses, ids, CUTOFF, groups=groups,
        group_labels=settings.group_labels, onsets=onsets,
    )  # fmt: skip
    fig.canvas.draw()
    return fig, ids, progression


def test_onset_labels_stay_inside_their_rows_and_apart():
    fig, _, _ = _trial()
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_text() in ("VGPR", "MR")]
    assert len(labels) == N
    boxes = []
    for text in labels:
        row = text.xy[1]
        box = text.get_window_extent(renderer)
        low, high = (ax.transData.transform((0, row + dy))[1] for dy in (-0.5, 0.5))
        assert low <= box.y0 and box.y1 <= high, (text.get_text(), row, box)
        boxes.append(box)
    for k, box in enumerate(boxes):
        assert not any(box.overlaps(other) for other in boxes[k + 1 :])


def test_a_bar_stopped_without_progression_has_an_end_symbol_in_the_legend():
    fig, ids, progression = _trial()
    ax = fig.axes[0]
    stopped = sum(pd.isna(p) for p in progression)
    squares = [c for c in ax.collections if len(c.get_offsets()) == stopped]
    assert squares, "no marker set with one symbol per bar stopped without progression"
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Part B stopped without progression" in legend


def test_legend_sits_right_under_the_x_axis_label():
    fig, _, _ = _trial()
    renderer = fig.canvas.get_renderer()
    label = fig.axes[0].xaxis.label.get_window_extent(renderer)
    legend = fig.legends[0].get_window_extent(renderer)
    gap_in = (label.y0 - legend.y1) / fig.dpi
    assert 0 <= gap_in < 0.15, gap_in


def test_smallest_text_is_8_pt():
    fig, _, _ = _trial()
    from cytotrial.io.figure_text import smallest_text_pt

    assert smallest_text_pt(fig) >= 8 - 1e-9
