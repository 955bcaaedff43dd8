"""Issue 16: pooled cuts, placed once on a group's events and applied to every member.

Synthetic events in transformed units (no simulator, no FCS files): the pooled cut is
the engine's cut on the members' pooled events, a member whose marker shows one peak
takes its group's valley, and the tolerance decides when members read a new cut.
"""

from __future__ import annotations

import numpy as np
import pytest

from cytotrial.errors import InputError
from cytotrial.flow.gating.engine import find_threshold, gate_events
from cytotrial.flow.gating.template import read_gating_template
from cytotrial.flow.sample.analysis import PreparedEvents
from cytotrial.flow.sample.pool_groups import sample_groups, template_pool
from cytotrial.flow.sample.pooling import applied_cuts, largest_move, pooled_cuts

TEMPLATE = """
name: pooled test
gates:
  - name: cells
    parent: root
    threshold: {marker: CD45, side: above, negative_below: 0.35}
  - name: t_cells
    parent: cells
    pool: patient
    threshold: {marker: CD3, side: above}
  - name: b_cells
    parent: cells
    quadrant:
      x: {marker: CD3, side: below}
      y: {marker: CD19, side: above%(b_options)s}
"""


def template(tmp_path, b_options="", text=TEMPLATE):
    path = tmp_path / "template.yaml"
    path.write_text(text % {"b_options": b_options})
    return read_gating_template(path)


def member(t_share: float, n: int = 20_000, seed: int = 1, cd3_positive=0.7) -> PreparedEvents:
    """Leukocytes (CD45 0.6) with a share of T cells (CD3 at `cd3_positive`, else 0.2)
    and 10% CD19+ cells among the rest, plus 10% CD45- debris; SD 0.04."""
    rng = np.random.default_rng(seed)
    debris = rng.random(n) < 0.1
    t = ~debris & (rng.random(n) < t_share)
    b = ~debris & ~t & (rng.random(n) < 0.1)
    data = {
        "CD45": np.where(debris, 0.15, 0.6),
        "CD3": np.where(t, cd3_positive, 0.2),
        "CD19": np.where(b, 0.65, 0.2),
    }
    data = {k: (v + rng.normal(0, 0.04, n)).astype(np.float32) for k, v in data.items()}
    return PreparedEvents(data, None, n)


def test_pooled_cut_is_the_engines_cut_on_the_pooled_parent_events(tmp_path):
    t = template(tmp_path)
    members = {"a": member(0.3, seed=1), "b": member(0.5, seed=2)}
    cuts = pooled_cuts(members, t, "PT001")
    assert set(cuts) == {"t_cells"} and set(cuts["t_cells"]) == {"CD3"}
    cut = cuts["t_cells"]["CD3"]
    # the same cut the engine places on the concatenated CD3 values of both members' cells
    cells = [gate_events(m.data, t)["cells"].mask for m in members.values()]
    values = np.concatenate(
        [m.data["CD3"][c] for m, c in zip(members.values(), cells, strict=True)]
    )
    expected, _ = find_threshold(values, t.gate("t_cells").params["threshold"])
    assert cut["value"] == pytest.approx(expected, abs=1e-9)
    assert 0.3 < cut["value"] < 0.6
    record = cut["record"]
    assert record["method"] == "valley"
    assert (record["pool"], record["group"], record["pooled_members"]) == ("patient", "PT001", 2)
    assert record["pooled_events"] == sum(int(c.sum()) for c in cells)


def test_a_member_with_one_peak_takes_its_groups_valley(tmp_path):
    """T cells nearly gone at one timepoint: alone, the lone CD3 peak is cut beyond its
    own spread; pooled with the patient's other sample, at the group's valley."""
    t = template(tmp_path)
    depleted = member(0.0, seed=3)
    baseline = member(0.4, seed=4)
    own = gate_events(depleted.data, t)["t_cells"]
    assert own.cuts[0]["method"] == "single_peak"
    cuts = pooled_cuts({"c1d1": baseline, "c2d1": depleted}, t, "PT001")
    pooled = gate_events(depleted.data, t, pooled=cuts)["t_cells"]
    assert pooled.cuts[0]["method"] == "valley" and pooled.cuts[0]["group"] == "PT001"
    assert pooled.cuts[0]["cut"] == pytest.approx(cuts["t_cells"]["CD3"]["value"], abs=1e-6)
    assert pooled.cuts[0]["cut"] != pytest.approx(own.cuts[0]["cut"], abs=0.01)
    assert pooled.events < 20 and "cut_not_pooled" not in ";".join(pooled.flags)
    # b_cells (not pooled) share the CD3 cut of their pooled sibling on the same parent
    b_cells = gate_events(depleted.data, t, pooled=cuts)["b_cells"]
    assert b_cells.cuts[0]["cut"] == pooled.cuts[0]["cut"]


def test_a_pooled_gate_without_its_groups_cut_is_flagged(tmp_path):
    applied = gate_events(member(0.3).data, template(tmp_path))
    assert "cut_not_pooled(patient: the sample's own cut)" in applied["t_cells"].flags
    assert not any("cut_not_pooled" in f for f in applied["b_cells"].flags)


def test_pooled_gates_below_a_pooled_gate_see_the_group_cut_above(tmp_path):
    text = TEMPLATE.replace(
        "    parent: cells\n    quadrant", "    parent: cells\n    pool: patient\n    quadrant"
    )
    t = template(tmp_path, text=text)
    cuts = pooled_cuts({"a": member(0.3, seed=1), "b": member(0.4, seed=2)}, t, "PT001")
    assert set(cuts) == {"t_cells", "b_cells"} and set(cuts["b_cells"]) == {"CD3", "CD19"}
    assert cuts["b_cells"]["CD3"]["value"] == cuts["t_cells"]["CD3"]["value"]
    assert 0.3 < cuts["b_cells"]["CD19"]["value"] < 0.55


def _cuts(value, lone=""):
    return {"t_cells": {"CD3": {"value": value, "lone": lone, "flags": [], "record": {}}}}


def test_members_read_a_new_cut_only_beyond_the_tolerance():
    previous = _cuts(0.45)
    kept, move = applied_cuts(_cuts(0.455), previous, 0.01)
    assert kept is previous and move == pytest.approx(0.005)
    moved, move = applied_cuts(_cuts(0.47), previous, 0.01)
    assert moved == _cuts(0.47) and move == pytest.approx(0.02)
    first, move = applied_cuts(_cuts(0.45), None, 0.01)  # no cuts before: the computed ones
    assert first == _cuts(0.45) and move == np.inf
    # a lone-peak class change, an emptied gate or another set of gates is always a move
    assert largest_move(_cuts(0.45, "negative"), previous) == np.inf
    assert largest_move(_cuts(None, "empty"), previous) == np.inf
    assert largest_move({}, previous) == np.inf
    # tolerance 0: any move reruns the members
    assert applied_cuts(_cuts(0.4501), previous, 0.0)[0] == _cuts(0.4501)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            (
                "threshold: {marker: CD3, side: above}",
                "threshold: {marker: CD3, method: static, value: 0.4}",
            ),
            r"gate 't_cells', key 'pool': .*method: static or cut_from",
        ),
        (
            ("    parent: cells\n    quadrant", "    parent: cells\n    pool: batch\n    quadrant"),
            r"gates pool by more than one group: patient \(gate 't_cells' first\), batch",
        ),
        (
            ("pool: patient", "pool: visit"),
            r"gate 't_cells', key 'pool': .*'visit'",
        ),
    ],
)
def test_template_pool_problems_name_the_gate_and_key(tmp_path, edit, message):
    with pytest.raises(InputError, match=message):
        template(tmp_path, text=TEMPLATE.replace(*edit))


def test_pool_only_on_threshold_and_quadrant_gates(tmp_path):
    text = TEMPLATE.replace(
        "    parent: root\n    threshold",
        "    parent: root\n    pool: batch\n    threshold",
    ).replace("    pool: patient\n", "")
    template(tmp_path, text=text)  # a threshold gate on the root: fine
    text = TEMPLATE + (
        "  - name: small\n    parent: cells\n    pool: patient\n"
        "    rectangle: {dims: [CD3], min: [0], max: [0.5]}\n"
    )
    with pytest.raises(InputError, match=r"gate 'small', key 'pool': pool is for threshold"):
        template(tmp_path, text=text)


def test_groups_come_from_the_sheet_column_and_must_name_a_file(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE % {"b_options": ""})
    assert template_pool(path) == "patient"
    records = [
        {"sample_id": "S1", "patient_id": "PT001", "batch": "B 1", "timepoint": "C1D1"},
        {"sample_id": "S2", "patient_id": "PT002", "batch": "B 1", "timepoint": "C1D1"},
    ]
    assert sample_groups(records, "patient", "sheet.tsv") == {"S1": "PT001", "S2": "PT002"}
    assert sample_groups(records, "timepoint", "sheet.tsv") == {"S1": "C1D1", "S2": "C1D1"}
    with pytest.raises(InputError, match=r"sheet.tsv: sample S1: batch 'B 1' names a pooled"):
        sample_groups(records, "batch", "sheet.tsv")
