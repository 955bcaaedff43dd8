"""The clinical figures as a reader needs them: the waterfall per marker type at the RP2D,
the swimmer by part A best response, labels as printed."""

from __future__ import annotations

import pandas as pd
import pytest

from cytotrial.clinical.figures.common import line_styles, palette, printed
from cytotrial.clinical.figures.waterfall import reference_lines, waterfall_figure
from cytotrial.errors import InputError


def test_labels_as_printed_and_palette_styles_distinct():
    assert printed(">=PR") == "\u2265PR" and printed("cells per uL") == "cells per \u00b5L"
    assert printed("45 mg/m2") == "45 mg/m\u00b2"
    assert len(set(palette(5))) == 5 and len(set(map(str, line_styles(5)))) == 5


def test_each_marker_has_its_own_imwg_cutoffs():
    assert reference_lines("serum") == [(-25, "MR"), (-50, "PR"), (-90, "VGPR"), (25, "PD")]
    assert reference_lines("urine") == [(-50, "MR"), (-90, "PR"), (25, "PD")]
    # IMWG 2016 has no dFLC-only VGPR or MR: the engine's (the protocol's) lines say so
    assert reference_lines("flc") == [(-50, "PR"), (-90, "VGPR*"), (25, "PD")]
    assert reference_lines("flc", flc_minimal_response=True)[0] == (-25, "MR*")
    with pytest.raises(InputError, match="bone_marrow"):
        reference_lines("bone_marrow")


def _best() -> pd.DataFrame:
    rows = [
        ("a", "B", "serum", -60.0, "PR"),
        ("b", "B", "urine", -95.0, "VGPR"),
        ("c", "B", "flc", 40.0, "PD"),
        ("d", "B", "serum", -10.0, "SD"),  # not at the RP2D
        ("e", "B", "serum", float("nan"), "NE"),
        ("a", "A", "serum", -80.0, "VGPR"),  # part A: not in this figure
    ]
    return pd.DataFrame(
        rows, columns=["patient_id", "part", "response_marker", "best_change_pct", "best_response"]
    )


def test_waterfall_draws_the_rp2d_patients_a_panel_per_marker_with_its_lines():
    fig = waterfall_figure(_best(), ["a", "b", "c", "e"], dose="45 mg/m\u00b2")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title().split("\n")[0] for ax in axes] == [
        "Serum M-protein",
        "Urine M-protein",
        "dFLC",
    ]
    bars = [len(ax.patches) for ax in axes]
    assert bars == [1, 1, 1]  # d is not at the RP2D, e has no change, part A not drawn
    dashed = [
        sorted(
            round(line.get_ydata()[0]) for line in ax.get_lines() if line.get_linestyle() == "--"
        )
        for ax in axes
    ]
    assert dashed == [[-90, -50, -25, 25], [-90, -50, 25], [-90, -50, 25]]
    title = fig._suptitle.get_text()
    assert "n = 3 with a best change" in title and "1 without one" in title
    colours = {ax.patches[0].get_facecolor() for ax in axes}
    assert len(colours) == 3  # PR, VGPR and PD told apart
    # the dFLC VGPR line is marked and the figure says what the mark means
    from cytotrial.clinical.figures.waterfall import PROTOCOL_NOTE

    assert "VGPR*" in [t.get_text() for t in axes[2].texts]
    assert PROTOCOL_NOTE in [t.get_text() for t in fig.texts]
    no_flc = waterfall_figure(_best(), ["a", "b"], dose="45 mg/m\u00b2")
    assert PROTOCOL_NOTE not in [t.get_text() for t in no_flc.texts]


def test_waterfall_unknown_marker_is_an_error():
    best = _best().assign(response_marker="plasma")
    with pytest.raises(InputError, match="plasma"):
        waterfall_figure(best, ["a"])


def test_swimmer_colours_part_a_groups_and_marks_response_onset():
    from cytotrial.clinical.figures.response import swimmer_plot
    from cytotrial.clinical.population import response_groups
    from cytotrial.clinical.settings import ClinicalSettings

    t = pd.Timestamp
    dates = pd.DataFrame(
        {
            "patient_id": ["p1", "p2", "p3"],
            "part_a_start": [t("2017-01-01")] * 3,
            "part_b_registration": [t("2017-07-01"), t("2017-02-01"), t("2017-03-01")],
            "part_b_end_of_treatment": [t("2018-01-01"), t("2017-04-01"), pd.NaT],
            "part_b_progression": [t("2018-01-01"), t("2017-04-01"), pd.NaT],
            "death": [pd.NaT, t("2017-09-01"), pd.NaT],
            "last_followup": [t("2019-01-01"), t("2017-09-01"), t("2019-01-01")],
        }
    )
    responses = pd.DataFrame(
        {"patient_id": ["p1", "p2", "p3", "p1"], "part": ["A", "A", "A", "B"],
         "best_response": ["VGPR", "PD", "SD", "MR"]}
    )  # fmt: skip
    onsets = pd.DataFrame(
        {"patient_id": ["p1", "p3"], "part": ["B", "B"], "best_response": ["MR", "SD"],
         "response_date": ["2017-09-01", ""]}
    )  # fmt: skip
    settings = ClinicalSettings(cutoff=t("2020-10-01"))
    ids = ["p1", "p2", "p3"]
    groups = response_groups(responses, ids, settings)
    fig = swimmer_plot(
        dates, responses, ids, "2020-10-01", groups=groups,
        group_labels=settings.group_labels, onsets=onsets,
    )  # fmt: skip
    ax = fig.axes[0]
    part_a = {bar.get_y() + bar.get_height() / 2: bar.get_facecolor() for bar in ax.patches[::2]}
    assert len(set(part_a.values())) == 3  # >=PR, SD/MR, PD told apart
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Part A best \u2265PR (n=1)" in labels and "Part A best PD (n=1)" in labels
    assert [t.get_text() for t in ax.texts if t.get_text()] == ["MR"]  # p1 only: >= MR
    onset = ax.collections[0].get_offsets()
    assert len(onset) == 1 and onset[0][0] == pytest.approx(8.0, abs=0.1)  # Sept = month 8
    fig = swimmer_plot(
        dates, responses, ids, "2020-10-01", groups=groups, group_labels=settings.group_labels
    )
    assert "response onset not available" in fig.axes[0].get_title(loc="left")
