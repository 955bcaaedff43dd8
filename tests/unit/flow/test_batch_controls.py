"""Issue 16: per-batch control files set a marker's negative level for the batch.

Synthetic events (no FCS files) for the engine; a controls sheet for its checks.
"""

from __future__ import annotations

import numpy as np
import pytest

from cytotrial.errors import InputError
from cytotrial.flow.gating.engine import gate_events, negative_level_of
from cytotrial.flow.gating.template import read_gating_template
from cytotrial.flow.sample.controls import control_for, read_controls_sheet

TEMPLATE = """
name: controls test
gates:
  - name: cells
    parent: root
    threshold: {marker: CD45, side: above, negative_below: 0.35}
  - name: cd19_pos
    parent: cells
    threshold: {marker: CD19, side: above%(options)s}
"""


def template(tmp_path, options=", negative_control: cells"):
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE % {"options": options})
    return read_gating_template(path)


def events(cd19: float, n: int = 20_000, seed: int = 1) -> dict[str, np.ndarray]:
    """Cells (CD45 0.6) and 10% debris (CD45 0.15), every cell at one CD19 level."""
    rng = np.random.default_rng(seed)
    debris = rng.random(n) < 0.1
    data = {"CD45": np.where(debris, 0.15, 0.6), "CD19": np.full(n, cd19)}
    return {k: (v + rng.normal(0, 0.04, n)).astype(np.float32) for k, v in data.items()}


def level_of(data, t) -> dict:
    cells = gate_events(data, t)["cells"].mask
    return negative_level_of(data["CD19"][cells], t.gate("cd19_pos").params["threshold"])


def test_the_controls_lowest_peak_is_the_negative_level(tmp_path):
    t = template(tmp_path)
    level = level_of(events(0.2), t)
    assert level["mode"] == pytest.approx(0.2, abs=0.01)
    assert level["sd"] == pytest.approx(0.04, abs=0.01)
    assert level["valley"] is None and level["events"] > 17_000


def test_a_lone_peak_is_classified_against_the_batch_control(tmp_path):
    """All cells at CD19 0.45 (dim, one peak). The batch's FMO control puts the negative
    level at 0.2: the peak is positive, the gate keeps it. Another batch's control
    (negative at 0.45, e.g. a brighter instrument setting) makes it negative: gate empty."""
    t = template(tmp_path)
    sample = events(0.45, seed=2)
    dim = level_of(events(0.2, seed=3), t) | {"source": "FMO control C1"}
    applied = gate_events(sample, t, controls={"cells": {"CD19": dim}})["cd19_pos"]
    cut = applied.cuts[0]
    assert (cut["peak"], cut["negative_from"]) == ("positive", "FMO control C1")
    assert applied.events > 0.9 * gate_events(sample, t)["cells"].events
    bright = level_of(events(0.45, seed=4), t) | {"source": "FMO control C2"}
    applied = gate_events(sample, t, controls={"cells": {"CD19": bright}})["cd19_pos"]
    assert applied.cuts[0]["peak"] == "negative" and applied.events < 50
    assert "no_positive_peak(CD19)" in applied.flags


def test_a_batch_without_its_control_is_flagged(tmp_path):
    t = template(tmp_path)
    missing = {"cells": {"CD19": {"mode": None, "why": "no control for CD19 in the batch"}}}
    for controls in (None, missing):
        applied = gate_events(events(0.45), t, controls=controls)["cd19_pos"]
        assert "no_batch_control(CD19 on cells)" in applied.flags
        assert "control" not in str(applied.cuts[0].get("negative_from"))  # the usual chain
    no_option = gate_events(events(0.45), template(tmp_path, options=""))["cd19_pos"]
    assert not any(f.startswith("no_batch_control") for f in no_option.flags)


def test_negative_control_names_a_gate_above_and_not_with_pool(tmp_path):
    with pytest.raises(InputError, match=r"negative_control 'lymphocytes' is not a gate"):
        template(tmp_path, options=", negative_control: lymphocytes")
    path = tmp_path / "pooled.yaml"
    path.write_text(
        (TEMPLATE % {"options": ", negative_control: cells"}).replace(
            "    parent: cells\n", "    parent: cells\n    pool: batch\n"
        )
    )
    with pytest.raises(InputError, match=r"gate 'cd19_pos', key 'pool': CD19 has negative_con"):
        read_gating_template(path)


SHEET = """control_id\tbatch\tkind\tmarkers\tfcs
U1\tB1\tunstained\tall\tu1.fcs
F1\tB1\tFMO\tCD19\tf1.fcs
"""


def test_controls_sheet_named_control_beats_unstained_and_problems_name_the_line(tmp_path):
    (tmp_path / "u1.fcs").write_bytes(b"")
    (tmp_path / "f1.fcs").write_bytes(b"")
    sheet = tmp_path / "controls.tsv"
    sheet.write_text(SHEET)
    rows = read_controls_sheet(sheet, ["CD19", "CD3"], ["B1", "B2"])
    assert control_for(rows, "CD19")["control_id"] == "F1"
    assert control_for(rows, "CD3")["control_id"] == "U1"
    assert control_for(rows[1:], "CD3") is None
    sheet.write_text(
        SHEET
        + "F2\tB1\tFMO\tCD19\tf1.fcs\n"
        + "F3\tB9\tFMO\tCD20\tmissing.fcs\n"
        + "F4\tB2\tisotypes\tCD3\tf1.fcs\n"
    )
    with pytest.raises(InputError) as error:
        read_controls_sheet(sheet, ["CD19", "CD3"], ["B1", "B2"])
    text = str(error.value)
    assert "line 4, markers: batch B1 already has a control for CD19 (line 3)" in text
    assert "line 5, batch: 'B9' is no batch of the sample sheet (B1, B2)" in text
    assert "line 5, markers: 'CD20' is not a panel marker" in text
    assert "line 5, fcs: 'missing.fcs' not found" in text
    assert "line 6, kind: 'isotypes'; expected one of unstained, FMO, isotype" in text
