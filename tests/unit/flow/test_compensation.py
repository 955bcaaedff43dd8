"""Compensation recovers the pre-spillover signals."""

from __future__ import annotations

import numpy as np
import pytest

from cytotrial.errors import InputError
from cytotrial.flow.prepare.compensation import Spillover, compensate


def test_compensation_inverts_spillover_and_leaves_other_channels():
    rng = np.random.default_rng(3)
    true = rng.lognormal(5, 1.5, (5000, 3)).astype(np.float32)
    scatter = rng.uniform(0, 1e5, (5000, 1)).astype(np.float32)
    matrix = np.array([[1.0, 0.2, 0.01], [0.05, 1.0, 0.1], [0.0, 0.02, 1.0]])
    acquired = np.hstack([scatter, (true @ matrix).astype(np.float32)])
    channels = ["FSC-A", "FITC-A", "PE-A", "APC-A"]
    result = compensate(acquired, channels, Spillover(("FITC-A", "PE-A", "APC-A"), matrix))
    assert np.allclose(result[:, 1:], true, rtol=1e-4, atol=1e-2)
    assert np.array_equal(result[:, 0], scatter[:, 0])


def test_bad_spillover_errors_name_the_problem():
    with pytest.raises(InputError, match="singular"):
        Spillover(("A", "B"), np.array([[1.0, 1.0], [1.0, 1.0]]))
    with pytest.raises(InputError, match="is 2x2 but names 3 channels"):
        Spillover(("A", "B", "C"), np.eye(2))
    with pytest.raises(InputError, match="names channel\\(s\\) PE-A that the file does not have"):
        compensate(np.zeros((2, 2)), ["FSC-A", "FITC-A"], Spillover(("FITC-A", "PE-A"), np.eye(2)))


def test_spillover_matrix_from_csv(tmp_path):
    from cytotrial.flow.prepare.compensation import read_spillover_csv

    path = tmp_path / "matrix.csv"
    path.write_text("FITC-A,PE-A\nFITC-A,1,0.2\nPE-A,0.05,1\n")
    spill = read_spillover_csv(path)
    assert spill.channels == ("FITC-A", "PE-A")
    assert np.allclose(spill.matrix, [[1, 0.2], [0.05, 1]])
    path.write_text("FITC-A,PE-A\n1,0.2\n0.05,x\n")
    with pytest.raises(InputError, match="matrix.csv, line 3: not a number"):
        read_spillover_csv(path)


def test_panel_matrix_overrides_the_files_own(tmp_path):
    """A panel-named matrix is used for every file (here: the identity, so no compensation)."""
    import shutil

    import yaml
    from helpers.paths import REPO

    from cytotrial.flow.gating.template import read_gating_template
    from cytotrial.flow.sample.analysis import analyse_sample
    from cytotrial.io.panel import read_panel
    from cytotrial.simulate.flow.sample import simulate_sample, write_sample

    sim = simulate_sample(
        {
            "sample_id": "S1",
            "patient_id": "P1",
            "part": "A",
            "timepoint": "C1D1",
            "acquisition_date": "2016-07-14",
        },
        1,
        5000,
    )
    write_sample(sim, tmp_path / "s.fcs", tmp_path / "truth")
    panel_yaml = yaml.safe_load((REPO / "resources/panel.yaml").read_text())
    fluor = [c["channel"] for c in panel_yaml["channels"] if c.get("compensate")]
    identity = "\n".join(
        [",".join(fluor)] + [",".join("1" if i == j else "0" for j in range(8)) for i in range(8)]
    )
    (tmp_path / "identity.csv").write_text(identity + "\n")
    panel_yaml["spillover_matrix"] = "identity.csv"
    (tmp_path / "panel.yaml").write_text(yaml.safe_dump(panel_yaml))
    template = read_gating_template(REPO / "resources/gating/pbmc_cd38.yaml")
    own = analyse_sample(
        "S1", tmp_path / "s.fcs", read_panel(REPO / "resources/panel.yaml"), template
    )
    named = analyse_sample("S1", tmp_path / "s.fcs", read_panel(tmp_path / "panel.yaml"), template)
    assert "spillover matrix from the panel file (identity.csv)" in named.notes
    mfi = {r["gate"]: r["mfi"] for r in own.rows}
    uncompensated = {r["gate"]: r["mfi"] for r in named.rows}
    assert mfi["t_cells"] != uncompensated["t_cells"]  # the identity leaves spillover in
    shutil.rmtree(tmp_path / "truth")
