"""The example template of the new gate kinds (resources/gating/pbmc_new_kinds.yaml),
timed by benchmarks/bench_flow_sample.py: it gates the demo tube close to the
simulator's truth, FlowKit re-applies its Gating-ML export to our counts, and
`gate_events(timings=)` (the benchmark's per-kind times) changes nothing."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest
import yaml
from helpers.paths import REPO

from cytotrial.flow.gating.engine import gate_events
from cytotrial.flow.gating.kinds import KINDS
from cytotrial.flow.gating.template import read_gating_template
from cytotrial.io.panel import read_panel

PANEL = REPO / "resources/panel.yaml"
EXAMPLE = REPO / "resources/gating/pbmc_new_kinds.yaml"
SAMPLE = {
    "sample_id": "PT001_A_C1D1",
    "patient_id": "PT001",
    "part": "A",
    "timepoint": "C1D1",
    "acquisition_date": "2016-07-14",
}
# gate -> the simulator's labels it should hold
TRUTH = {
    "lymphocytes": ("t_cell", "b_cell", "nk_cd56bright", "nk_cd56dim_cd16pos", "other_lymphocyte"),
    "monocytes": ("monocyte",),
    "t_cells": ("t_cell",),
    "b_cells": ("b_cell",),
    "nk_cells": ("nk_cd56bright", "nk_cd56dim_cd16pos"),
    "other_lymphocytes": ("other_lymphocyte",),
}


def test_example_uses_every_new_gate_kind():
    content = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    used = {kind for gate in content["gates"] for kind in gate if kind not in ("name", "parent")}
    assert set(KINDS) <= used
    hw = [g for g in content["gates"] if "singlets" in g]
    assert hw and all("width" in g["singlets"] for g in hw)
    booleans = [next(iter(g["boolean"])) for g in content["gates"] if "boolean" in g]
    assert {"and", "or", "not"} <= set(booleans)


@pytest.fixture(scope="module")
def example_run(tmp_path_factory) -> dict:
    from cytotrial.flow.sample.analysis import analyse_sample
    from cytotrial.flow.sample.job import run_sample_job
    from cytotrial.simulate.flow.populations import LABEL
    from cytotrial.simulate.flow.sample import simulate_sample, write_sample

    out = tmp_path_factory.mktemp("example")
    fcs = out / "s.fcs"
    write_sample(simulate_sample(SAMPLE, 2021, 20_000), fcs, out / "truth")
    paths = [out / f"s.{k}" for k in ("populations.tsv", "json", "png", "gating.xml")]
    assert run_sample_job("s", fcs, PANEL, EXAMPLE, {}, *paths) == "ok"
    with open(paths[0], encoding="utf-8") as handle:
        ours = {r["gate"]: int(r["events"]) for r in csv.DictReader(handle, delimiter="\t")}
    warnings.simplefilter("ignore")
    import flowkit as fk

    results = fk.parse_gating_xml(str(paths[3])).gate_sample(fk.Sample(str(fcs)))
    theirs = {row.gate_name: int(row["count"]) for _, row in results.report.iterrows()}
    panel = read_panel(PANEL)
    template = read_gating_template(EXAMPLE, [c.marker for c in panel.channels])
    result = analyse_sample("s", fcs, panel, template)
    labels = np.load(out / "truth" / f"{SAMPLE['sample_id']}.labels.npy")
    f1 = {}
    for gate, names in TRUTH.items():
        truth = np.isin(labels, [LABEL[n] for n in names])
        mask = result.applied[gate].mask
        f1[gate] = 2 * np.count_nonzero(truth & mask) / (truth.sum() + mask.sum())
    return {"ours": ours, "theirs": theirs, "f1": f1, "template": template}


def test_flowkit_reapplies_the_example_export_with_our_counts(example_run):
    assert example_run["ours"] == example_run["theirs"]
    assert len(example_run["ours"]) == len(example_run["template"].gates)


@pytest.mark.parametrize("gate", sorted(TRUTH))
def test_example_gates_the_demo_tube_close_to_truth(example_run, gate):
    assert example_run["f1"][gate] >= 0.95, example_run["f1"]


def test_gate_timings_cover_every_gate_and_change_no_mask(tmp_path):
    rng = np.random.default_rng(3)
    a = rng.multivariate_normal([0.3, 0.7], [[0.003, 0.0], [0.0, 0.002]], 20_000)
    b = rng.multivariate_normal([0.6, 0.35], [[0.004, 0.0], [0.0, 0.003]], 30_000)
    both = np.vstack([a, b]).astype(np.float32)
    data = {"CD14": both[:, 0], "HLA-DR": both[:, 1]}
    gates = [
        {"name": "c", "parent": "root", "cluster": {"x": "CD14", "y": "HLA-DR", "by": "high_y"}},
        {"name": "t", "parent": "root", "threshold": {"marker": "CD14", "side": "above"}},
        {"name": "n", "parent": "root", "boolean": {"not": "c"}},
    ]
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump({"gates": gates}, sort_keys=False), encoding="utf-8")
    template = read_gating_template(path)
    timings: dict[str, float] = {}
    timed = gate_events(data, template, timings=timings)
    plain = gate_events(data, template)
    assert list(timings) == ["c", "t", "n"]
    assert all(0 < seconds < 5 for seconds in timings.values())
    for name in plain:
        assert np.array_equal(timed[name].mask, plain[name].mask)
    assert 0 < timed["c"].events < 50_000 and timed["n"].events == 50_000 - timed["c"].events
