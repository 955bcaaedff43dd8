"""Templates and panels checked against their JSON schemas before any job (issue 15,
items 4 and 5): the shipped files validate, transforms have no instrument-dependent
default, leukocyte_gate and the MFI marker are optional, any channel name exports as
valid Gating-ML, and imported templates may report any population.

The catalogue of single mistakes and their messages is tests/unit/io/test_bad_input_templates.py.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers.bad_input import WRITER_KEYWORDS
from helpers.paths import REPO, SCHEMA_DIR

from cytotrial.errors import InputError
from cytotrial.flow.cohort.aggregate import mfi_column, tidy_populations
from cytotrial.flow.gating.template import read_gating_template
from cytotrial.flow.interop.gatingml_export import panel_transform
from cytotrial.flow.prepare.transforms import Logicle, transform_from_spec
from cytotrial.flow.sample.analysis import analyse_sample
from cytotrial.flow.sample.job import run_sample_job
from cytotrial.flow.sample.outputs import write_populations
from cytotrial.flow.settings import StatisticsSettings
from cytotrial.io.panel import read_panel

PANEL = REPO / "resources/panel.yaml"
TEMPLATE = REPO / "resources/gating/pbmc_cd38.yaml"
MARKERS = [c.marker for c in read_panel(PANEL).channels]


# ------------------------------------------------------------------ the schemas


@pytest.mark.parametrize("name", ["gating_template", "panel"])
def test_schema_documents_every_key_and_allows_no_other(name):
    """additionalProperties: false on every object, a description on every key."""
    schema = yaml.safe_load((SCHEMA_DIR / f"{name}.schema.yaml").read_text(encoding="utf-8"))
    undocumented, open_objects = [], []

    def closed(node) -> bool:  # closed here, or in every branch of its allOf/then
        if node.get("additionalProperties") is False:
            return True
        branches = [b.get("then", {}) for b in node.get("allOf", [])]
        return bool(branches) and all(b.get("additionalProperties") is False for b in branches)

    def walk(node, path):
        if isinstance(node, dict):
            for key, sub in (node.get("properties") or {}).items():
                if not (isinstance(sub, dict) and sub.get("description")):
                    undocumented.append(f"{path}.{key}")
            if node.get("properties") and not closed(node):
                open_objects.append(path)
            for key, sub in node.items():
                if key != "if":  # a condition matches values, it documents nothing
                    walk(sub, f"{path}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{path}[{i}]")

    walk(schema, name)
    assert not undocumented
    assert not open_objects


def test_shipped_template_and_panel_validate_unchanged():
    panel = read_panel(PANEL)
    template = read_gating_template(TEMPLATE, [c.marker for c in panel.channels])
    assert template.leukocyte_gate == "leukocytes" and template.mfi_marker == "CD38"
    assert list(template.populations) == [
        "monocytes",
        "b_cells",
        "t_cells",
        "nk_cells",
        "activated_nk",
    ]
    assert [g.name for g in template.gates][:3] == ["non_debris", "singlets", "viable"]
    assert template.gate("lymphocytes").params["widen"] == 0.2


# ------------------------------------------------------------------ transforms


def test_asinh_has_no_default_cofactor():
    """150 suits fluorescence, 5 mass cytometry: no silent choice between them."""
    with pytest.raises(InputError, match="panel.yaml, channel X: asinh needs a cofactor: 150"):
        transform_from_spec({"type": "asinh"}, "panel.yaml, channel X")
    with pytest.raises(InputError, match="asinh needs a cofactor"):
        panel_transform({"type": "asinh"})


def test_logicle_needs_t_and_has_documented_defaults_for_w_m_a():
    with pytest.raises(InputError, match="channel X: logicle needs T"):
        transform_from_spec({"type": "logicle", "W": 0.5}, "channel X")
    assert transform_from_spec({"type": "logicle", "T": 1000}) == Logicle(1000, 0.5, 4.5, 0.0)
    with pytest.raises(InputError, match="logicle needs T"):
        panel_transform({"type": "logicle"})


def test_unknown_transform_parameter_names_the_entry_and_closest():
    with pytest.raises(InputError, match=r"channel X: unknown key 'cofator' for the asinh "):
        transform_from_spec({"type": "asinh", "cofator": 5}, "channel X")


# ------------------------------------------------------------------ before any job


def test_flow_inputs_are_checked_before_any_job(tmp_path):
    """The workflow's parse-time check reads panel and template (the map of an imported
    one), so a typo stops the run before the first per-sample job."""
    from cytotrial.flow.gating.inputs import check_flow_inputs

    check_flow_inputs(PANEL, TEMPLATE)
    bad = tmp_path / "t.yaml"
    bad.write_text(TEMPLATE.read_text().replace("negative_below: 0.5", "negativ_below: 0.5"))
    with pytest.raises(InputError, match=r"did you mean 'negative_below'"):
        check_flow_inputs(PANEL, bad)
    xml = tmp_path / "reviewed.xml"
    xml.write_text("<not-read-at-parse-time/>")
    (tmp_path / "reviewed.populations.yaml").write_text(
        "mfi: {marker: CD38}\nleukocyte_gate: CD45+\npopulations: {t_cells: CD3+}\nsampel: x\n"
    )
    with pytest.raises(InputError, match=r"unknown key 'sampel'; did you mean 'sample'\?"):
        check_flow_inputs(PANEL, xml)
    common = (REPO / "rules/common.smk").read_text(encoding="utf-8")
    assert 'check_flow_inputs(config["panel"], config["gating_template"])' in common


# ------------------------------------------------------------------ optional keys


@pytest.fixture(scope="module")
def sample_fcs(tmp_path_factory) -> Path:
    from cytotrial.simulate.flow.sample import simulate_sample, write_sample
    from cytotrial.simulate.trial import DEFAULT_SEED, plan_demo_samples

    folder = tmp_path_factory.mktemp("fcs")
    row = plan_demo_samples(DEFAULT_SEED, folder).iloc[0].to_dict()
    path = folder / "s.fcs"
    write_sample(simulate_sample(row, DEFAULT_SEED, 5000), path, folder / "truth")
    return path


def _template_without(tmp_path: Path, *, leukocyte_gate: str | None, mfi: bool) -> Path:
    content = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    content.pop("leukocyte_gate")
    if leukocyte_gate is not None:
        content["leukocyte_gate"] = leukocyte_gate
    if not mfi:
        content.pop("mfi")
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return path


def test_without_leukocyte_gate_and_mfi_those_columns_are_empty(tmp_path, sample_fcs):
    path = _template_without(tmp_path, leukocyte_gate=None, mfi=False)
    panel = read_panel(PANEL)
    template = read_gating_template(path, MARKERS)
    assert template.leukocyte_gate is None and template.mfi_marker is None
    result = analyse_sample("S1", sample_fcs, panel, template, keep_plot_data=False)
    assert result.status == "ok", result.reason
    reference = analyse_sample(
        "S1", sample_fcs, panel, read_gating_template(TEMPLATE, MARKERS), keep_plot_data=False
    )
    # the gates are the same; only what needs the missing keys is left empty
    assert [(r["gate"], r["events"]) for r in result.rows] == [
        (r["gate"], r["events"]) for r in reference.rows
    ]
    assert {r["pct_of_leukocytes"] for r in result.rows} == {""}
    assert {r["mfi"] for r in result.rows} == {""}
    assert {r["mfi_marker"] for r in result.rows} == {""}
    assert result.record(template)["mfi_definition"] is None
    # the aggregate: no MFI column (there is no MFI), no absolute counts (no leukocytes)
    out = tmp_path / "S1.populations.tsv"
    write_populations(result, out)
    sheet = pd.DataFrame(
        [{"sample_id": "S1", "patient_id": "P1", "part": "A", "timepoint": "C1D1",
          "batch": "1", "leukocytes_per_ul": 5000.0}]
    )  # fmt: skip
    tidy = tidy_populations(sheet, {"S1": out}, list(template.populations), None)
    assert len(tidy) == 5
    assert not [c for c in tidy.columns if "mfi" in c]
    assert tidy["cells_per_ul"].isna().all()
    assert tidy["pct_of_parent"].notna().all()


def test_leukocyte_gate_may_be_the_root(tmp_path, sample_fcs):
    path = _template_without(tmp_path, leukocyte_gate="root", mfi=True)
    template = read_gating_template(path, MARKERS)
    result = analyse_sample("S1", sample_fcs, read_panel(PANEL), template, keep_plot_data=False)
    assert result.status == "ok", result.reason
    total = result.qc.events if result.qc else None
    for row in result.rows:  # every gate is below the root: % of all (QC-kept) events
        assert row["pct_of_leukocytes"] != ""
    first = result.rows[0]
    assert first["pct_of_leukocytes"] == first["pct_of_parent"], total


# ------------------------------------------------------------------ export, any channel name

# Channel names real instruments write: spaces (Beckman 'FL5 INT'), parentheses and
# commas (CyTOF 'Cd(110,111,112,114)Di'), a slash.
RENAMED = {
    "FSC-A": "FS INT",
    "FSC-H": "FS PEAK",
    "SSC-A": "SS INT (lin)",
    "PE-Cy7-A": "FL5 INT",
    "APC-H7-A": "Cd(110,111,112,114)Di",
    "BV421-A": "V450/50 A",
}


def _renamed_sample(source: Path, folder: Path) -> tuple[Path, Path]:
    """The simulated file and the demo panel with channels renamed as in RENAMED.
    'Cd(110,111,112,114)Di' cannot be in $SPILLOVER (a comma list): it leaves the matrix
    and the panel stops compensating it, as a mass cytometry channel would be."""
    from cytotrial.fcs import parse_spillover, read_fcs
    from cytotrial.simulate.flow.fcs import spillover_text, write_fcs

    data = read_fcs(source, scale=False)
    keywords = {k: v for k, v in data.keywords.items() if k not in LAYOUT_KEYWORDS}
    channels, matrix = parse_spillover(data.keywords)
    keep = [i for i, c in enumerate(channels) if c != "APC-H7-A"]
    names = [RENAMED.get(channels[i], channels[i]) for i in keep]
    keywords["$SPILLOVER"] = spillover_text(names, np.asarray(matrix)[np.ix_(keep, keep)])
    for key, value in list(keywords.items()):
        if key.startswith("$P") and key.endswith("N") and value in RENAMED:
            keywords[key] = RENAMED[value]
    fcs = folder / "renamed.fcs"
    write_fcs(fcs, np.asarray(data.events, dtype=np.float32), keywords)
    panel = yaml.safe_load(PANEL.read_text(encoding="utf-8"))
    for entry in panel["channels"]:
        if entry["channel"] == "APC-H7-A":
            entry["compensate"] = False
        entry["channel"] = RENAMED.get(entry["channel"], entry["channel"])
    panel_path = folder / "panel.yaml"
    panel_path.write_text(yaml.safe_dump(panel, sort_keys=False), encoding="utf-8")
    return fcs, panel_path


# The file's layout keywords: the writer sets them anew (data offsets, sizes, format).
LAYOUT_KEYWORDS = WRITER_KEYWORDS | {"$TOT", "$PAR", "$BYTEORD", "$DATATYPE", "$MODE"}


def test_export_with_spaces_parentheses_and_commas_in_channel_names(tmp_path, sample_fcs):
    """FlowKit parses the exported file and gates the file itself to our counts, for every
    gate, when the channel names hold spaces, parentheses, commas and a slash."""
    fcs, panel_path = _renamed_sample(sample_fcs, tmp_path)
    outputs = [tmp_path / f"out.{k}" for k in ("tsv", "json", "png", "gating.xml")]
    assert run_sample_job("renamed", fcs, panel_path, TEMPLATE, {}, *outputs) == "ok"
    with open(outputs[0], encoding="utf-8") as handle:
        ours = {r["gate"]: int(r["events"]) for r in csv.DictReader(handle, delimiter="\t")}
    assert len(ours) == 11 and ours["t_cells"] > 100
    warnings.simplefilter("ignore")
    import flowkit as fk

    strategy = fk.parse_gating_xml(str(outputs[3]))
    results = strategy.gate_sample(fk.Sample(str(fcs)))
    theirs = {row.gate_name: int(row["count"]) for _, row in results.report.iterrows()}
    assert theirs == ours
    text = outputs[3].read_text(encoding="utf-8")
    for name in RENAMED.values():  # the names themselves, as the file's $PnN
        assert f'data-type:name="{name}"' in text


def test_a_sample_whose_gates_cannot_be_exported_is_flagged(tmp_path, sample_fcs, monkeypatch):
    import cytotrial.flow.interop.gatingml_export as export

    def refuse(*args, **kwargs):
        raise InputError("gate x: no Gating-ML form")

    monkeypatch.setattr(export, "strategy_from_applied", refuse)
    outputs = [tmp_path / f"out.{k}" for k in ("tsv", "json", "png", "gating.xml")]
    assert run_sample_job("S1", sample_fcs, PANEL, TEMPLATE, {}, *outputs) == "ok"
    import json

    record = json.loads(outputs[1].read_text(encoding="utf-8"))
    assert "gatingml_not_exported" in record["qc"]["qc_flags"]
    assert any("no Gating-ML export" in note for note in record["notes"])


# ------------------------------------------------------------------ imported: any population


def test_imported_template_may_report_any_population(tmp_path, sample_fcs):
    """A Gating-ML template whose map names populations other than the demo's five: they
    are reported, aggregated and tested under their own names."""
    from cytotrial.flow.interop.gatingml_import import import_gating, population_map_path

    outputs = [tmp_path / f"out.{k}" for k in ("tsv", "json", "png", "gating.xml")]
    assert run_sample_job("S1", sample_fcs, PANEL, TEMPLATE, {}, *outputs) == "ok"
    xml = tmp_path / "reviewed.xml"
    xml.write_bytes(outputs[3].read_bytes())
    population_map_path(xml).write_text(
        "mfi: {marker: CD38}\nleukocyte_gate: leukocytes\n"
        "populations: {cd3_t: t_cells, cd19_b: b_cells, lymphs: lymphocytes}\n",
        encoding="utf-8",
    )
    content = import_gating(xml, panel_markers=MARKERS)
    assert content["populations"] == {
        "cd3_t": "t_cells",
        "cd19_b": "b_cells",
        "lymphs": "lymphocytes",
    }
    template = read_gating_template(xml, MARKERS)
    result = analyse_sample("S1", sample_fcs, read_panel(PANEL), template, keep_plot_data=False)
    out = tmp_path / "S1.populations.tsv"
    write_populations(result, out)
    sheet = pd.DataFrame(
        [{"sample_id": "S1", "patient_id": "P1", "part": "A", "timepoint": "C1D1",
          "batch": "1", "leukocytes_per_ul": 5000.0}]
    )  # fmt: skip
    tidy = tidy_populations(sheet, {"S1": out}, list(template.populations), "CD38")
    assert tidy["population"].tolist() == ["cd3_t", "cd19_b", "lymphs"]
    assert tidy[mfi_column("CD38")].notna().all()


def test_imported_map_without_leukocyte_gate_and_mfi(tmp_path, sample_fcs):
    from cytotrial.flow.interop.gatingml_import import import_gating, population_map_path

    outputs = [tmp_path / f"out.{k}" for k in ("tsv", "json", "png", "gating.xml")]
    assert run_sample_job("S1", sample_fcs, PANEL, TEMPLATE, {}, *outputs) == "ok"
    xml = tmp_path / "reviewed.xml"
    xml.write_bytes(outputs[3].read_bytes())
    population_map_path(xml).write_text("populations: {cd4_t: t_cells}\n", encoding="utf-8")
    content = import_gating(xml, panel_markers=MARKERS)
    assert content["mfi_marker"] is None and content["leukocyte_gate"] is None
    template = read_gating_template(xml, MARKERS)
    result = analyse_sample("S1", sample_fcs, read_panel(PANEL), template, keep_plot_data=False)
    assert result.status == "ok", result.reason
    assert {r["mfi"] for r in result.rows} == {""}


def test_statistics_and_methods_without_leukocyte_gate_and_mfi(tmp_path, sample_fcs):
    """Downstream of a template without both: the tests say why nothing was tested, the
    figures say it too, and the methods text names no leukocyte gate or MFI marker."""
    from cytotrial.flow.cohort.aggregate import aggregate_job
    from cytotrial.flow.cohort.job import flow_statistics_job
    from cytotrial.report.flow_sections import FIGURES
    from cytotrial.report.methods import _gating_paragraph

    template = _template_without(tmp_path, leukocyte_gate=None, mfi=False)
    sheet, populations, records = [], [], []
    for timepoint in ("C1D1", "C2D1"):  # the same file twice: one patient's pair
        sample_id = f"P1_{timepoint}"
        out = tmp_path / sample_id
        outputs = [f"{out}.populations.tsv", f"{out}.json", f"{out}.png", f"{out}.gating.xml"]
        assert run_sample_job(sample_id, sample_fcs, PANEL, template, {}, *outputs) == "ok"
        populations.append(outputs[0])
        records.append(outputs[1])
        sheet.append(
            {"sample_id": sample_id, "patient_id": "P1", "part": "A", "timepoint": timepoint,
             "batch": "1", "leukocytes_per_ul": 5000.0, "fcs": str(sample_fcs)}
        )  # fmt: skip
    aggregate_job(sheet, populations, records, template, tmp_path / "pop.tsv", tmp_path / "qc.tsv")
    figures = {f"{n}_{k}": str(tmp_path / f"{n}.{k}") for n in FIGURES for k in ("png", "svg")}
    comparisons = [{"part": "A", "before": "C1D1", "after": "C2D1"}]
    flow_statistics_job(
        tmp_path / "pop.tsv",
        template,
        comparisons,
        tmp_path / "mfi.tsv",
        tmp_path / "counts.tsv",
        figures,
        sample_qc_tsv=tmp_path / "qc.tsv",
        statistics=StatisticsSettings(include_flagged=False),
        sensitivity_out=tmp_path / "sensitivity.tsv",
    )
    mfi = pd.read_csv(tmp_path / "mfi.tsv", sep="\t")
    counts = pd.read_csv(tmp_path / "counts.tsv", sep="\t")
    assert len(mfi) == len(counts) == 5
    assert set(mfi["note"]) == {"not tested: the gating template names no MFI marker"}
    assert set(counts["note"]) == {
        "not tested: the gating template names no leukocyte gate (no counts per uL)"
    }
    assert all(Path(path).stat().st_size > 1000 for path in figures.values())
    text = _gating_paragraph(template)
    assert "None" not in text and "no MFI" in text and "no leukocyte gate" in text
