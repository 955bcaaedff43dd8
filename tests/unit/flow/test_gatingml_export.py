"""Each sample's final gates exported as Gating-ML 2.0, re-applied by FlowKit and by us.

Independent truth: FlowKit 1.3.2 parses the exported file (fk.parse_gating_xml) and
gates the FCS file itself (fk.Sample + gate_sample, its own compensation and transforms);
its counts must equal the counts our adaptive engine reported for that sample.
"""

from __future__ import annotations

import csv
import json
import warnings

import numpy as np
import pytest
from helpers.gatingml import POPULATION_MAP
from helpers.paths import REPO

from cytotrial.errors import InputError
from cytotrial.flow.gating.template import read_gating_template
from cytotrial.flow.interop.gatingml_export import write_sample_gatingml
from cytotrial.flow.interop.gatingml_import import import_gating, population_map_path
from cytotrial.flow.sample.analysis import SampleResult, analyse_sample
from cytotrial.flow.sample.job import run_sample_job
from cytotrial.io.panel import read_panel

PANEL = REPO / "resources/panel.yaml"
TEMPLATE = REPO / "resources/gating/pbmc_cd38.yaml"
SAMPLES = {
    "PT001_A_C1D1": ("A", "C1D1", "2016-07-14"),
    "PT003_B_EOT": ("B", "EOT", "2018-01-20"),  # after daratumumab: NK cells depleted
}


def _flowkit():
    warnings.simplefilter("ignore")
    import flowkit as fk

    return fk


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def exported(request, tmp_path_factory) -> dict:
    """One simulated demo-like file, analysed by the per-sample job with export."""
    from cytotrial.simulate.flow.sample import simulate_sample, write_sample

    sample_id = request.param
    part, timepoint, date = SAMPLES[sample_id]
    row = {
        "sample_id": sample_id,
        "patient_id": sample_id[:5],
        "part": part,
        "timepoint": timepoint,
        "acquisition_date": date,
    }
    out = tmp_path_factory.mktemp(sample_id)
    fcs = out / f"{sample_id}.fcs"
    write_sample(simulate_sample(row, 2021, 20_000), fcs, out / "truth")
    paths = {k: out / f"{sample_id}.{k}" for k in ("populations.tsv", "json", "png", "gating.xml")}
    status = run_sample_job(
        sample_id,
        fcs,
        PANEL,
        TEMPLATE,
        {},
        paths["populations.tsv"],
        paths["json"],
        paths["png"],
        paths["gating.xml"],
    )
    assert status == "ok"
    with open(paths["populations.tsv"], encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    record = json.loads(paths["json"].read_text(encoding="utf-8"))
    return {"fcs": fcs, "xml": paths["gating.xml"], "rows": rows, "record": record, "dir": out}


def test_flowkit_reapplies_exported_gates_with_our_counts(exported):
    fk = _flowkit()
    strategy = fk.parse_gating_xml(str(exported["xml"]))
    results = strategy.gate_sample(fk.Sample(str(exported["fcs"])))
    theirs = {row.gate_name: int(row["count"]) for _, row in results.report.iterrows()}
    ours = {row["gate"]: int(row["events"]) for row in exported["rows"]}
    assert len(ours) == 11
    assert theirs == ours
    # the hierarchy is ours too: FlowKit's parent of each gate is the template's
    parents = {row.gate_name: row.gate_path[-1] for _, row in results.report.iterrows()}
    assert parents == {row["gate"]: row["parent"] for row in exported["rows"]}


def test_exported_file_carries_the_spillover_and_transforms_used(exported):
    fk = _flowkit()
    from cytotrial.fcs import parse_spillover, read_fcs_text

    strategy = fk.parse_gating_xml(str(exported["xml"]))
    panel = read_panel(PANEL)
    (matrix,) = strategy.comp_matrices.values()
    compensated = [c.channel for c in panel.channels if c.compensate]
    assert list(matrix.detectors) == compensated
    channels, values = parse_spillover(read_fcs_text(exported["fcs"])[1])
    index = [list(channels).index(c) for c in compensated]
    np.testing.assert_array_equal(matrix.matrix, np.asarray(values)[np.ix_(index, index)])
    kinds = {type(t).__name__ for t in strategy.transformations.values()}
    assert kinds == {"LinearTransform", "LogicleTransform"}
    logicle = next(t for t in strategy.transformations.values() if hasattr(t, "param_w"))
    assert (logicle.param_t, logicle.param_w, logicle.param_m, logicle.param_a) == (
        262144.0,
        0.5,
        4.5,
        0.0,
    )


def test_export_is_recorded_cheap_and_private(exported):
    from cytotrial.fcs import read_fcs_text

    seconds = exported["record"]["timings_s"]["export_gatingml"]
    assert seconds < 0.25, f"export took {seconds:.3f} s"
    keywords = read_fcs_text(exported["fcs"])[1]
    text = exported["xml"].read_text(encoding="utf-8")
    for key in ("$SRC", "$FIL", "$DATE"):
        if keywords.get(key, "").strip():
            assert keywords[key] not in text, f"{key} reached the exported file"


def test_exported_gates_imported_as_template_give_identical_membership(exported, tmp_path):
    """The import path: our own export read back as a template (fixed gates) reproduces
    every count the adaptive engine reported on the same file, and its CD38 MFIs."""
    template_path = tmp_path / "reviewed_gates.xml"
    template_path.write_bytes(exported["xml"].read_bytes())
    population_map_path(template_path).write_text(POPULATION_MAP, encoding="utf-8")
    panel = read_panel(PANEL)
    template = read_gating_template(template_path, [c.marker for c in panel.channels])
    assert template.strategy is not None
    result = analyse_sample("again", exported["fcs"], panel, template)
    assert result.status == "ok", result.reason
    fixed = {row["gate"]: row for row in result.rows}
    assert {g: (r["events"], r["population"]) for g, r in fixed.items()} == {
        r["gate"]: (int(r["events"]), r["population"]) for r in exported["rows"]
    }
    # MFIs: the same events' medians; float32 compensation of a different set of
    # channels in one matrix product may round the last digit differently
    for row in exported["rows"]:
        if row["mfi"]:
            assert fixed[row["gate"]]["mfi"] == pytest.approx(float(row["mfi"]), rel=1e-5)


def test_failed_sample_writes_a_gatingml_file_with_the_reason(tmp_path):
    panel = read_panel(PANEL)
    template = read_gating_template(TEMPLATE)
    result = SampleResult("PT009_A_C1D1", "failed", reason="unreadable")
    note = write_sample_gatingml(result, template, panel, tmp_path / "failed.xml")
    assert "failed" in note
    strategy = _flowkit().parse_gating_xml(str(tmp_path / "failed.xml"))
    assert strategy.get_gate_ids() == []


def test_population_map_is_required_next_to_an_imported_template(exported, tmp_path):
    template_path = tmp_path / "gates.xml"
    template_path.write_bytes(exported["xml"].read_bytes())
    with pytest.raises(InputError, match=r"gates\.populations\.yaml: not found"):
        import_gating(template_path)


def test_population_map_must_name_gates_of_the_file(exported, tmp_path):
    template_path = tmp_path / "gates.xml"
    template_path.write_bytes(exported["xml"].read_bytes())
    wrong = POPULATION_MAP.replace("t_cells: t_cells", "t_cells: CD3+")
    population_map_path(template_path).write_text(wrong, encoding="utf-8")
    with pytest.raises(InputError, match=r"t_cells refers to gate 'CD3\+'"):
        import_gating(template_path)


def test_static_gating_of_a_file_without_a_gate_channel_fails_with_its_name(exported, tmp_path):
    """A sample whose file lacks a channel the imported gates need: a failed record."""
    template_path = tmp_path / "gates.xml"
    text = exported["xml"].read_text().replace('"BV510-A"', '"BV570-A"')
    template_path.write_text(text, encoding="utf-8")
    population_map_path(template_path).write_text(POPULATION_MAP, encoding="utf-8")
    panel = read_panel(PANEL)
    template = read_gating_template(template_path)
    result = analyse_sample("x", exported["fcs"], panel, template)
    assert result.status == "failed"
    assert "'BV570-A'" in result.reason and "file channels" in result.reason


def test_exported_coordinates_are_exact(exported):
    """Gate coordinates are written as repr of the float: the record's rounded values
    agree, and nothing was lost on the way (FlowKit reads the same numbers back)."""
    fk = _flowkit()
    strategy = fk.parse_gating_xml(str(exported["xml"]))
    for name, gate in exported["record"]["gates"].items():
        parsed = strategy.get_gate(name)
        if gate["shape"] == "rectangle":
            for dim, low, high in zip(parsed.dimensions, gate["min"], gate["max"], strict=True):
                assert low is None or round(dim.min, 6) == low
                assert high is None or round(dim.max, 6) == high
        elif gate["shape"] == "polygon":
            rounded = [[round(v, 6) for v in vertex] for vertex in parsed.vertices]
            assert rounded == gate["vertices"]


def test_imported_boolean_gate_is_gated_and_plotted(exported, tmp_path):
    """A boolean gate (FlowJo 'NOT' gate) in an imported template: counted, and the audit
    plot still draws (an empty panel for it)."""
    template_path = tmp_path / "gates.xml"
    template_path.write_bytes(exported["xml"].read_bytes())
    population_map_path(template_path).write_text(POPULATION_MAP, encoding="utf-8")
    content = import_gating(template_path)
    content["strategy"]["gates"].append(
        {
            "name": "not_t_cells",
            "parent": "lymphocytes",
            "kind": "boolean",
            "dims": [],
            "op": "not",
            "refs": [["t_cells", False]],
        }
    )
    json_path = tmp_path / "gating_template.json"
    json_path.write_text(json.dumps(content), encoding="utf-8")
    outputs = [tmp_path / f"out.{k}" for k in ("tsv", "json", "png", "xml")]
    assert run_sample_job("s", exported["fcs"], PANEL, json_path, {}, *outputs) == "ok"
    with open(outputs[0], encoding="utf-8") as handle:
        counts = {r["gate"]: int(r["events"]) for r in csv.DictReader(handle, delimiter="\t")}
    assert counts["not_t_cells"] == counts["lymphocytes"] - counts["t_cells"]
    assert outputs[2].stat().st_size > 10_000
    # ... and the boolean gate is exported as a Gating-ML BooleanGate FlowKit can apply
    fk = _flowkit()
    results = fk.parse_gating_xml(str(outputs[3])).gate_sample(fk.Sample(str(exported["fcs"])))
    assert results.get_gate_count("not_t_cells") == counts["not_t_cells"]


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"format": ', r"line 1: not valid JSON"),
        ('{"format": "other"}', r"not an imported gating template"),
        ('{"format": "cytotrial-static-gating", "version": 0}', r"rerun the flow_import_gating"),
        (
            '{"format": "cytotrial-static-gating", "version": 1, "strategy": {"gates": '
            '[{"name": "a", "parent": "b", "kind": "rectangle", "dims": [], "min": [], '
            '"max": []}]}}',
            r"gate 1 \(a\): parent 'b' is not listed above",
        ),
    ],
)
def test_bad_imported_template_names_file_and_problem(tmp_path, text, message):
    path = tmp_path / "gating_template.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_gating_template(path)
