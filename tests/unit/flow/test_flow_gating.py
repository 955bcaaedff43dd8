"""Automated gating against the simulator's ground truth (per-event labels)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.paths import REPO

from cytotrial.errors import InputError
from cytotrial.flow.gating.engine import clip_polygon_y, gate_events
from cytotrial.flow.gating.template import read_gating_template
from cytotrial.flow.prepare.compensation import Spillover, compensate
from cytotrial.flow.prepare.transforms import transform_from_spec
from cytotrial.io.panel import read_panel

# Gate -> the ground-truth populations it should hold.
EXPECTED = {
    "leukocytes": (
        "granulocyte",
        "monocyte",
        "t_cell",
        "b_cell",
        "nk_cd56bright",
        "nk_cd56dim_cd16pos",
        "other_lymphocyte",
    ),
    "lymphocytes": ("t_cell", "b_cell", "nk_cd56bright", "nk_cd56dim_cd16pos", "other_lymphocyte"),
    "monocytes": ("monocyte",),
    "t_cells": ("t_cell",),
    "b_cells": ("b_cell",),
    "nk_cells": ("nk_cd56bright", "nk_cd56dim_cd16pos"),
    "activated_nk": ("nk_cd56dim_cd16pos",),
}
SAMPLES = [
    ("PT001_A_C1D1", "A", "C1D1", "2016-07-14"),
    ("PT001_A_C2D1", "A", "C2D1", "2016-08-11"),
    ("PT002_B_C1D3", "B", "C1D3", "2017-03-02"),
    ("PT003_B_EOT", "B", "EOT", "2018-01-20"),
]


def gate_simulated(sample, events=20_000):
    from cytotrial.simulate.flow.populations import POPULATIONS
    from cytotrial.simulate.flow.sample import CHANNELS, simulate_sample

    sample_id, part, timepoint, date = sample
    sim = simulate_sample(
        {
            "sample_id": sample_id,
            "patient_id": sample_id[:5],
            "part": part,
            "timepoint": timepoint,
            "acquisition_date": date,
        },
        2021,
        events,
    )
    panel = read_panel(REPO / "resources/panel.yaml")
    template = read_gating_template(
        REPO / "resources/gating/pbmc_cd38.yaml", [c.marker for c in panel.channels]
    )
    comp = compensate(sim.events, CHANNELS, Spillover(sim.spillover_channels, sim.spillover))
    data = {
        c.marker: transform_from_spec(c.transform).apply(comp[:, i])
        for i, c in enumerate(panel.channels)
    }
    return gate_events(data, template), np.array(POPULATIONS)[sim.labels], comp, sim


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s[0])
def test_gates_recover_true_populations(sample):
    gates, labels, _, _ = gate_simulated(sample)
    for gate, populations in EXPECTED.items():
        truth = np.isin(labels, populations)
        mask = gates[gate].mask
        hits = (mask & truth).sum()
        f1 = 2 * hits / (mask.sum() + truth.sum())
        assert f1 >= 0.95, f"{gate}: F1 {f1:.3f} (gated {mask.sum()}, true {truth.sum()})"


def test_cd38_median_of_gated_cells_matches_truth():
    gates, labels, comp, sim = gate_simulated(SAMPLES[0])
    cd38 = comp[:, 5 + 4]  # APC-A: 5 scatter channels, then CD38 is the 5th fluorochrome
    truth = sim.truth.set_index("population")["cd38_median_acquired"]
    for gate, population in [
        ("t_cells", "t_cell"),
        ("b_cells", "b_cell"),
        ("monocytes", "monocyte"),
        ("activated_nk", "nk_cd56dim_cd16pos"),
    ]:
        measured = float(np.median(cd38[gates[gate].mask]))
        assert measured == pytest.approx(truth[population], rel=0.05), gate


def test_polygon_clipping_keeps_the_band():
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    clipped = clip_polygon_y(square, 0.25, 0.75)
    assert clipped[:, 1].min() == pytest.approx(0.25)
    assert clipped[:, 1].max() == pytest.approx(0.75)
    assert clip_polygon_y(square, -np.inf, np.inf).shape == (4, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gates: []", "key 'gates': expected a non-empty list"),
        (
            "gates:\n  - {name: a, parent: b, threshold: {marker: CD3}}",
            "gate 'a', key 'parent': 'b' must be 'root' or a gate listed above",
        ),
        ("gates:\n  - {name: a, parent: root, oval: {}}", "give exactly one of"),
        (
            "gates:\n  - {name: a, parent: root, threshold: {marker: CD3, side: up}}",
            "gate 'a', key 'threshold.side': 'up' is not one of",
        ),
        (
            "gates:\n  - {name: a, parent: root, threshold: {marker: CD99}}\n"
            "leukocyte_gate: a\nmfi: {marker: CD38}",
            "key 'threshold.marker': marker 'CD99' is not in the panel",
        ),
    ],
)
def test_template_errors_name_the_gate_and_field(tmp_path, text, message):
    path = tmp_path / "template.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_gating_template(path, ["CD3", "CD38"])
