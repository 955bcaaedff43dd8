"""Per-batch FlowJo 10 workspaces of the final gates (issue 16, item 5).

Independent truth: FlowKit 1.3.2's `Workspace` parses the written .wsp as it parses
FlowJo's own (sample gates, FlowJo transforms, the Comp- spillover matrix), finds each
FCS file from the workspace's URI, gates it itself, and its count of every population
must equal the count in the sample's populations.tsv (FlowJo counts are integers: no
rounding). Ellipses are written as 256-vertex polygons: their counts may differ by the
events between the ellipse and the polygon, which the test counts on the events.
"""

from __future__ import annotations

import csv
import os
import warnings

import numpy as np
import pytest
import yaml
from helpers.gate_kinds import NEW_GATES
from helpers.paths import REPO

from cytotrial.errors import InputError
from cytotrial.flow.interop.flowjo_export import (
    ELLIPSE_VERTICES,
    batch_file_stems,
    ellipse_polygon,
    sample_uri,
)
from cytotrial.flow.interop.flowjo_job import flowjo_workspace_job

PANEL = REPO / "resources/panel.yaml"
TEMPLATE = REPO / "resources/gating/pbmc_cd38.yaml"
SAMPLES = {  # sample -> (acquisition date, template)
    "PT001_A_C1D1": ("2016-07-14", "demo"),
    "PT003_B_EOT": ("2018-01-20", "demo"),  # after daratumumab: NK cells depleted
    "PT002_B_C1D3": ("2017-03-02", "extended"),  # every gate kind: ellipse, booleans
}
FAILED = "PT004_A_C2D1"
IDENTIFYING = "Jansen_Maria_1234567"  # FCS file names may identify; never in the .wsp


def _flowkit():
    warnings.simplefilter("ignore")
    import flowkit as fk

    return fk


def _counts(path) -> dict[str, int]:
    with open(path, encoding="utf-8") as handle:
        return {r["gate"]: int(r["events"]) for r in csv.DictReader(handle, delimiter="\t")}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> dict:
    """Three gated demo-like samples and one failed one, as one batch's workspace."""
    from cytotrial.flow.sample.job import run_sample_job
    from cytotrial.simulate.flow.sample import simulate_sample, write_sample

    out = tmp_path_factory.mktemp("flowjo")
    extended = out / "extended.yaml"
    content = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    content["gates"] += NEW_GATES
    extended.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    rows, files = [], {}
    for sample_id, (date, kind) in {**SAMPLES, FAILED: ("2016-08-01", "demo")}.items():
        row = {
            "sample_id": sample_id,
            "patient_id": sample_id[:5],
            "part": sample_id[6],
            "timepoint": sample_id[8:],
            "batch": "B 2016/07",  # free text: the file stem is made safe
            "fcs": str(out / "raw" / f"{IDENTIFYING}_{sample_id}.fcs"),
        }
        fcs = out / "raw" / f"{IDENTIFYING}_{sample_id}.fcs"
        fcs.parent.mkdir(exist_ok=True)
        if sample_id == FAILED:
            fcs.write_bytes(b"FCS3.0  not really")
        else:
            simulate = {k: row[k] for k in ("sample_id", "patient_id", "part", "timepoint")}
            sample = simulate_sample({**simulate, "acquisition_date": date}, 2021, 20_000)
            write_sample(sample, fcs, out / "truth")
        paths = {k: out / f"{sample_id}.{k}" for k in ("populations.tsv", "json", "png", "xml")}
        template = extended if kind == "extended" else TEMPLATE
        run_sample_job(sample_id, fcs, PANEL, template, {}, *paths.values())
        rows.append(row)
        files[sample_id] = paths
    wsp = out / "review" / "batch_B_2016_07.wsp"
    wsp.parent.mkdir()
    notes = flowjo_workspace_job(
        rows,
        [files[r["sample_id"]]["xml"] for r in rows],
        [files[r["sample_id"]]["populations.tsv"] for r in rows],
        [files[r["sample_id"]]["json"] for r in rows],
        "B 2016/07",
        wsp,
    )
    # what a lab does: the files, named by sample ID, in fcs/ next to the workspace
    (wsp.parent / "fcs").mkdir()
    for row in rows:
        os.symlink(row["fcs"], wsp.parent / "fcs" / f"{row['sample_id']}.fcs")
    fk = _flowkit()
    read_back = fk.Workspace(str(wsp), find_fcs_files_from_wsp=True)
    read_back.analyze_samples(use_mp=False)
    return {"wsp": wsp, "notes": notes, "files": files, "fk": read_back, "dir": out}


def _theirs(workspace, sample_id) -> dict[str, int]:
    report = workspace["fk"].get_gating_results(f"{sample_id}.fcs").report
    return {row.gate_name: int(row["count"]) for _, row in report.iterrows()}


@pytest.mark.parametrize("sample_id", ["PT001_A_C1D1", "PT003_B_EOT"])
def test_flowkit_gates_the_workspace_to_our_counts(workspace, sample_id):
    ours = _counts(workspace["files"][sample_id]["populations.tsv"])
    assert len(ours) == 11
    assert _theirs(workspace, sample_id) == ours
    # the hierarchy is ours: FlowKit's parent of each gate is the template's
    report = workspace["fk"].get_gating_results(f"{sample_id}.fcs").report
    parents = {row.gate_name: row.gate_path[-1] for _, row in report.iterrows()}
    with open(workspace["files"][sample_id]["populations.tsv"], encoding="utf-8") as handle:
        assert parents == {r["gate"]: r["parent"] for r in csv.DictReader(handle, delimiter="\t")}


def test_every_gate_kind_survives_the_workspace(workspace):
    """Clusters (polygons), booleans with a complement (helper NotNode), NOT, OR, and a
    fixed ellipse (polygon): each population FlowKit finds in the workspace has our count;
    the ellipse within the events between it and its polygon."""
    sample_id = "PT002_B_C1D3"
    ours = _counts(workspace["files"][sample_id]["populations.tsv"])
    theirs = _theirs(workspace, sample_id)
    helper = "NOT cd38_tail"
    assert set(theirs) == set(ours) | {helper}
    ellipse_band = _ellipse_band(workspace, sample_id)
    for gate, count in ours.items():
        if gate == "fixed_ellipse":
            assert abs(theirs[gate] - count) <= ellipse_band, gate
        else:
            assert theirs[gate] == count, gate
    assert any(f"helper FlowJo NotNode '{helper}'" in n for n in workspace["notes"])
    assert any("fixed_ellipse written as a 256-vertex polygon" in n for n in workspace["notes"])


def _ellipse_band(workspace, sample_id) -> int:
    """Events of the ellipse's parent inside the ellipse xor inside its polygon."""
    from matplotlib.path import Path as MplPath

    from cytotrial.flow.interop.gatingml_read import read_exported_gatingml
    from cytotrial.flow.interop.gatingml_strategy import (
        dimension_values,
        gate_static,
        read_events_float64,
    )

    strategy = read_exported_gatingml(workspace["files"][sample_id]["xml"])
    gate = next(g for g in strategy.gates if g.name == "fixed_ellipse")
    fcs = workspace["dir"] / "review" / "fcs" / f"{sample_id}.fcs"
    data = dimension_values(strategy, read_events_float64(fcs))
    masks = gate_static(strategy, data)
    points = np.column_stack([np.asarray(data[k], dtype=np.float64) for k in gate.keys])
    polygon = ellipse_polygon(
        **{k: gate.params[k] for k in ("mean", "covariance")},
        distance_square=gate.params["distance_square"],
    )
    inside = MplPath(polygon).contains_points(points) & masks[gate.parent]
    return int(np.count_nonzero(inside != masks["fixed_ellipse"]))


def test_workspace_carries_each_samples_spillover_and_transforms(workspace):
    from cytotrial.fcs import parse_spillover, read_fcs_text
    from cytotrial.io.panel import read_panel

    panel = read_panel(PANEL)
    compensated = [c.channel for c in panel.channels if c.compensate]
    for sample_id in SAMPLES:
        matrix = workspace["fk"].get_comp_matrix(f"{sample_id}.fcs")
        assert list(matrix.detectors) == compensated
        fcs = workspace["dir"] / "review" / "fcs" / f"{sample_id}.fcs"
        channels, values = parse_spillover(read_fcs_text(fcs)[1])
        index = [list(channels).index(c) for c in compensated]
        np.testing.assert_array_equal(matrix.matrix, np.asarray(values)[np.ix_(index, index)])
        transforms = workspace["fk"].get_transforms(f"{sample_id}.fcs")
        kinds = {type(t).__name__ for t in transforms.values()}
        assert kinds == {"LinearTransform", "LogicleTransform"}


def test_failed_sample_is_left_out_and_listed(workspace):
    assert f"{FAILED}.fcs" not in workspace["fk"].get_sample_ids(loaded_only=False)
    (note,) = [n for n in workspace["notes"] if n.startswith(FAILED)]
    assert "left out of the workspace: sample status failed" in note
    assert len(workspace["fk"].get_sample_ids()) == len(SAMPLES)


def test_workspace_names_files_by_sample_id_only(workspace):
    text = workspace["wsp"].read_text(encoding="utf-8")
    assert IDENTIFYING not in text and str(workspace["dir"]) not in text
    for sample_id in SAMPLES:
        assert f'uri="{sample_uri(sample_id)}"' in text
    assert sample_uri("PT001_A_C1D1") == "fcs/PT001_A_C1D1.fcs"
    # the sheet's keywords, for FlowJo's groups and tables
    keywords = workspace["fk"].get_keywords("PT003_B_EOT.fcs")
    assert keywords["patient_id"] == "PT003" and keywords["timepoint"] == "EOT"


def test_populations_carry_our_counts_for_flowjo_to_show(workspace):
    text = workspace["wsp"].read_text(encoding="utf-8")
    ours = _counts(workspace["files"]["PT001_A_C1D1"]["populations.tsv"])
    assert f'name="t_cells" annotation="" owningGroup="" count="{ours["t_cells"]}"' in text


def test_ellipse_polygon_lies_on_the_ellipse():
    covariance = np.array([[0.04, 0.01], [0.01, 0.02]])
    points = ellipse_polygon([0.5, 0.4], covariance, 2.0)
    assert points.shape == (ELLIPSE_VERTICES, 2)
    centred = points - [0.5, 0.4]
    distance = np.einsum("ij,jk,ik->i", centred, np.linalg.inv(covariance), centred)
    np.testing.assert_allclose(distance, 2.0, rtol=1e-12)
    with pytest.raises(InputError, match="3-D ellipsoid"):
        ellipse_polygon([0, 0, 0], np.eye(3), 1.0)


def test_batch_file_names_are_safe_and_distinct():
    assert batch_file_stems(["B2016-07", "x y/z"]) == {
        "B2016-07": "batch_B2016-07",
        "x y/z": "batch_x_y_z",
    }
    with pytest.raises(InputError, match="'a b' and 'a/b' give the same"):
        batch_file_stems(["a b", "a/b"])


def test_a_gate_flowjo_cannot_hold_leaves_the_sample_out_with_the_reason(workspace, tmp_path):
    """A ratio dimension (imported Gating-ML) has no FlowJo form: the sample is left out,
    the others stay."""
    from cytotrial.flow.interop.flowjo_export import WorkspaceSample, write_workspace
    from cytotrial.flow.interop.gatingml_read import read_exported_gatingml
    from cytotrial.flow.interop.gatingml_strategy import Dimension, StaticGate, StaticStrategy

    good = read_exported_gatingml(workspace["files"]["PT001_A_C1D1"]["xml"])
    ratio = StaticGate(
        "r", "root", "rectangle", (Dimension("ratio1", ratio=True),), {"min": [0.0], "max": [1.0]}
    )
    bad = StaticStrategy((ratio,))
    samples = [WorkspaceSample("S1", good), WorkspaceSample("S2", bad)]
    notes = write_workspace(samples, tmp_path / "w.wsp", "batch x")
    assert notes == ["S2: left out of the workspace: gate r: a ratio dimension has no FlowJo form"]
    parsed = _flowkit().parse_wsp(str(tmp_path / "w.wsp"))
    assert list(parsed["samples"]) == ["S1.fcs"]


@pytest.mark.parametrize("sample_id", sorted(SAMPLES))
def test_our_reader_of_the_export_agrees_with_flowkits(workspace, sample_id):
    """The job reads the per-sample Gating-ML without FlowKit (fast); FlowKit's parser
    (the import path) gives the same gates, transforms and matrix."""
    from cytotrial.flow.interop.gatingml_import import load_strategy
    from cytotrial.flow.interop.gatingml_read import read_exported_gatingml

    path = workspace["files"][sample_id]["xml"]
    ours, (theirs, _) = read_exported_gatingml(path), load_strategy(path)
    assert {g.name: g for g in ours.gates} == {g.name: g for g in theirs.gates}
    assert ours.transforms == theirs.transforms
    assert ours.matrices.keys() == theirs.matrices.keys()
    for key, matrix in ours.matrices.items():
        assert matrix.detectors == theirs.matrices[key].detectors
        assert matrix.fluorochromes == theirs.matrices[key].fluorochromes
        np.testing.assert_array_equal(matrix.values, theirs.matrices[key].values)


def test_reader_names_a_file_it_cannot_read(tmp_path):
    from cytotrial.flow.interop.gatingml_read import read_exported_gatingml

    path = tmp_path / "odd.xml"
    path.write_text(
        '<gating:Gating-ML xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating">'
        '<gating:QuadrantGate gating:id="q"/></gating:Gating-ML>'
    )
    with pytest.raises(InputError, match=r"odd\.xml: element 'QuadrantGate' is not one"):
        read_exported_gatingml(path)


def test_an_ok_sample_whose_export_holds_no_gates_is_left_out_with_why(workspace, tmp_path):
    """A sample gated fine whose gates have no Gating-ML form (the export file says why)
    is listed, not written as a sample without gates."""
    from cytotrial.flow.interop.gatingml_export import write_gatingml
    from cytotrial.flow.interop.gatingml_strategy import StaticStrategy

    files = workspace["files"]["PT001_A_C1D1"]
    empty = tmp_path / "empty.xml"
    write_gatingml(StaticStrategy(()), empty, "no Gating-ML export: a complemented gate")
    row = {"sample_id": "PT001_A_C1D1", "patient_id": "PT001", "batch": "x"}
    notes = flowjo_workspace_job(
        [row], [empty], [files["populations.tsv"]], [files["json"]], "x", tmp_path / "w.wsp"
    )
    assert notes == [
        "PT001_A_C1D1: left out of the workspace: no Gating-ML export: a complemented gate"
    ]


def test_a_channel_in_two_transforms_leaves_the_sample_out(tmp_path):
    from cytotrial.flow.interop.flowjo_export import WorkspaceSample, write_workspace
    from cytotrial.flow.interop.gatingml_strategy import Dimension, StaticGate, StaticStrategy

    transforms = {"lin": {"type": "flin", "T": 262144.0, "A": 0.0}}
    transforms["asinh"] = {"type": "fasinh", "T": 150 * np.sinh(1.0), "M": 1 / np.log(10), "A": 0.0}
    gates = tuple(
        StaticGate(
            name,
            "root",
            "rectangle",
            (Dimension("FSC-A", transform=key),),
            {"min": [0.1], "max": [None]},
        )
        for name, key in (("a", "lin"), ("b", "asinh"))
    )
    notes = write_workspace(
        [WorkspaceSample("S1", StaticStrategy(gates, transforms))], tmp_path / "w.wsp", "x"
    )
    assert notes == ["S1: left out of the workspace: gate b: FSC-A is drawn in two transforms"]
    one = StaticStrategy(gates[1:], transforms)  # asinh alone is fine
    assert write_workspace([WorkspaceSample("S1", one)], tmp_path / "w.wsp", "x") == []
    text = (tmp_path / "w.wsp").read_text()
    assert "transforms:fasinh" in text and 'data-type:name="FSC-A"' in text


def test_asinh_and_untransformed_dimensions_keep_their_events(workspace, tmp_path):
    """Panels may use asinh (FlowJo's ArcSinh) or no transform: a polygon, a rectangle and
    a complemented rectangle in those units, written to a workspace and gated by FlowKit,
    hold the events our static gating gives on the same file."""
    from cytotrial.flow.interop.flowjo_export import WorkspaceSample, write_workspace
    from cytotrial.flow.interop.gatingml_strategy import (
        Dimension,
        StaticGate,
        StaticStrategy,
        dimension_values,
        gate_static,
        read_events_float64,
    )

    transforms = {
        "asinh": {"type": "fasinh", "T": 150 * np.sinh(1.0), "M": 1 / np.log(10), "A": 0.0}
    }
    fsc, pe = Dimension("FSC-A"), Dimension("PE-A", transform="asinh")
    vertices = [[30000.0, 1.0], [150000.0, 2.0], [150000.0, 7.0], [30000.0, 6.0]]
    gates = (
        StaticGate("poly", "root", "polygon", (fsc, pe), {"vertices": vertices}),
        StaticGate("bright", "poly", "rectangle", (pe,), {"min": [4.0], "max": [None]}),
        StaticGate(
            "dim", "poly", "rectangle", (pe,), {"min": [4.0], "max": [None], "complement": True}
        ),
    )
    strategy = StaticStrategy(gates, transforms)
    fcs = workspace["dir"] / "review" / "fcs" / "PT001_A_C1D1.fcs"
    masks = gate_static(strategy, dimension_values(strategy, read_events_float64(fcs)))
    ours = {name: int(np.count_nonzero(mask)) for name, mask in masks.items()}
    assert min(ours.values()) > 100 and ours["bright"] + ours["dim"] == ours["poly"]
    (tmp_path / "fcs").mkdir()
    (tmp_path / "fcs" / "S1.fcs").symlink_to(fcs)
    assert write_workspace([WorkspaceSample("S1", strategy)], tmp_path / "w.wsp", "x") == []
    read_back = _flowkit().Workspace(str(tmp_path / "w.wsp"), find_fcs_files_from_wsp=True)
    read_back.analyze_samples(use_mp=False)
    report = read_back.get_gating_results("S1.fcs").report
    assert {row.gate_name: int(row["count"]) for _, row in report.iterrows()} == ours
