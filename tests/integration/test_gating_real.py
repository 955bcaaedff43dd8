"""The real-data gating benchmark (benchmarks/bench_gating_real.py, issue 15 item 6).

(a) the expert truth loaders reproduce the sources' own counts; (b) the scoring is
right on a hand-checked example; (c) the benchmark runs and writes its columns;
(d) issue 15's targets (xfail until the engine meets them). Tests that need the real
data skip with a message where ../shared is absent.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers.paths import REPO, shared_path

sys.path.insert(0, str(REPO / "benchmarks"))

from real_data import run as bench_run  # noqa: E402
from real_data import truth  # noqa: E402
from real_data.scoring import agreement, mfi_rel_diff  # noqa: E402

# --- (b) scoring -----------------------------------------------------------------------


def test_agreement_by_hand():
    # 10 events: expert 0-4, engine 2-7 -> TP 3 (2,3,4), FP 3 (5,6,7), FN 2 (0,1)
    expert = np.zeros(10, bool)
    expert[:5] = True
    engine = np.zeros(10, bool)
    engine[2:8] = True
    score = agreement(engine, expert)
    assert (score.expert_events, score.engine_events, score.true_positives) == (5, 6, 3)
    assert score.precision == pytest.approx(3 / 6)
    assert score.recall == pytest.approx(3 / 5)
    assert score.f1 == pytest.approx(2 * 0.5 * 0.6 / (0.5 + 0.6))  # = 6/11


def test_agreement_empty_cases():
    empty, some = np.zeros(4, bool), np.array([1, 0, 0, 0], bool)
    assert math.isnan(agreement(empty, empty).f1)  # "both empty" is not a perfect score
    missed = agreement(empty, some)
    assert missed.f1 == 0 and missed.recall == 0 and math.isnan(missed.precision)
    extra = agreement(some, empty)
    assert extra.f1 == 0 and extra.precision == 0 and math.isnan(extra.recall)
    with pytest.raises(ValueError):
        agreement(np.zeros(3, bool), some)


def test_mfi_rel_diff_by_hand():
    values = np.array([10.0, 20.0, 30.0, 40.0])
    engine = np.array([0, 1, 1, 1], bool)  # median 30
    expert = np.array([1, 1, 1, 0], bool)  # median 20
    assert mfi_rel_diff(values, engine, expert) == pytest.approx(0.5)
    assert math.isnan(mfi_rel_diff(values, np.zeros(4, bool), expert))


def test_summary_and_targets_on_constructed_rows():
    def row(pop, f1, expert=500, flags="", subsample="full"):
        return {
            "dataset": "d",
            "file": "f",
            "population": pop,
            "expert_events": expert,
            "f1": f1,
            "flags": flags,
            "subsample": subsample,
        }

    rows = [row("a", 0.99), row("b", 0.98), row("c", 0.80, flags="single_peak(X)")]
    rows.append(row("rare", 0.10, expert=20))  # < 100 expert events: not in the median
    (summary,) = bench_run.summarise(rows)
    assert summary.median_f1 == pytest.approx(0.98)
    assert (summary.worst, summary.worst_f1) == ("rare", 0.10)
    assert (summary.below_target, summary.below_limit, summary.below_limit_unflagged) == (1, 1, 0)
    failures = bench_run.targets_failures(rows)
    assert any("c: F1 0.800 < 0.93" in f for f in failures)
    assert any("rare: F1 0.100 < 0.85 without a flag" in f for f in failures)
    assert not any("median F1" in f for f in failures)  # 0.98 >= 0.97
    assert bench_run.targets_failures([row("a", 0.99), row("b", 0.975)]) == []


def test_subsample_index_is_fixed_and_sorted():
    first = bench_run.subsample_index(20_000, 5000, "x.fcs")
    assert len(first) == 5000 and np.all(np.diff(first) > 0)
    assert np.array_equal(first, bench_run.subsample_index(20_000, 5000, "x.fcs"))
    assert np.array_equal(bench_run.subsample_index(100, 5000, "x.fcs"), np.arange(100))


def test_every_dataset_config_parses():
    for name in truth.LOADERS:
        if name in truth.DERIVED_INPUTS and not truth.SOURCES[name].exists():
            continue  # its panel names a matrix written from ../shared (checked below)
        config = bench_run.dataset_config(name)
        assert config.mapping, name


# --- (a) truth loaders -----------------------------------------------------------------


def test_68983_labels():
    shared_path("data", "fcs-corpus", "SofieVG_FlowSOM", "extdata", "gatingResult.csv")
    (found,) = truth.load_68983()
    counts = {k: int(v.sum()) for k, v in found.masks.items()}
    # gatingResult.csv as documented in the corpus README (CD4 T cells 7487)
    assert found.n_events == 19225 and counts["CD4 T cells"] == 7487
    assert counts == {
        "B cells": 2460,
        "CD4 T cells": 7487,
        "CD8 T cells": 1407,
        "NK T cells": 535,
        "NK cells": 312,
        "gd T cells": 1470,
    }


def test_flowcap_labels_match_label_counts(tmp_path):
    shared_path("data", "real-gated", "flowcap1_gvhd", "label_counts.tsv")
    expected = truth.flowcap_label_counts()
    files = list(truth.load_flowcap(tmp_path))
    assert len(files) == 12
    for found in files:
        counts = expected[found.file]
        for k in range(1, 5):
            assert int(found.masks[f"label_{k}"].sum()) == counts[f"label_{k}"], found.file
        labelled = sum(found.masks.values())  # labels 1-4 (and 5 in samples 7 and 9)
        assert labelled.max() <= 1  # one label per event
        assert found.n_events - int(labelled.sum()) == counts["label_0"]
        assert found.fcs_path.parent == tmp_path and found.fcs_path.exists()


def test_flowcap_fcs_holds_the_csv_events(tmp_path):
    shared_path("data", "real-gated", "flowcap1_gvhd", "sample4.csv")
    import flowio

    found = next(f for f in truth.load_flowcap(tmp_path) if f.file == "sample4.csv")
    written = flowio.FlowData(str(found.fcs_path))
    events = np.reshape(written.events, (-1, written.channel_count))
    csv_events = np.loadtxt(truth.FLOWCAP_DIR / "sample4.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(events, csv_events.astype(np.float32))
    assert written.text["p4s"] == "CD8b" and written.text["p1n"] == "FSC.H"


def test_cytoexplorer_labels_are_hierarchical():
    shared_path("data", "real-gated", "cytoexplorer_mouse_activation", "labels")
    files = list(truth.load_cytoexplorer())
    assert len(files) == 8
    for found in files:
        m = found.masks
        assert found.n_events == 50000
        assert not np.any(m["CD4 T Cells"] & ~m["T Cells"])
        assert not np.any(m["T Cells"] & ~m["Live Cells"])
        assert not np.any(m["Live Cells"] & m["Dead Cells"])  # Live = NOT Dead (in parent)
        assert np.array_equal(m["Live Cells"] | m["Dead Cells"], m["Single Cells"])


@pytest.mark.slow
def test_aurora_counts_equal_flowkit_column():
    shared_path("data", "real-gated", "aurora_human_tcells", "FlowJoWSP_OpenedCopy.wsp")
    expected = {(r["sample"], r["population"]): r for r in truth.aurora_flowjo_counts()}
    checked = 0
    for found in truth.load_aurora():
        for population, mask in found.masks.items():
            row = expected[(found.file, population)]
            count = int(mask.sum())
            assert count == int(row["flowkit_count"]), (found.file, population)
            flowjo = int(row["flowjo_count"])  # polygons are binned by FlowJo (§7.3)
            assert abs(count - flowjo) <= max(0.01 * flowjo, 20), (found.file, population)
            checked += 1
    assert checked == len(expected) == 114


# FlowJo 9 (a2004): polygons within max(1%, 20 events) of FlowJo's stored counts (guide
# 7.3), except Monocytes: FlowKit counts 1812 vs FlowJo's 1846 (-34, 1.8%). Its parent
# Live is 34431 vs 34469 (-38, 0.11%, within the rule): 151 events sit at the SSC-A
# ceiling (262143), above Live's top edge (SSC 258416-261243); 53 of them fall in the
# Monocytes polygon. FlowJo 9 evidently keeps some of these off-scale events in Live
# (FlowKit does not: they lie outside the polygon); which ones depends on how FlowJo 9
# bins the chart edge, which 64-4096-bin floor/centre/corner rules do not reproduce.
A2004_KNOWN_GAPS = {"Live/Monocytes": 40}


def test_a2004_counts_match_flowjo9_xml():
    shared_path("data", "fcs-corpus", "RGLab_flowWorkspaceData", "extdata", "A2004Analysis.xml")
    workspace = truth.read_flowjo9(truth.A2004_XML, truth.A2004_EVENTS)
    gates = {g.key: g for g in workspace.gates if g.count is not None}
    (found,) = truth.load_a2004()
    assert found.n_events == 45363
    # every counted FlowJo population is rebuilt (the uncounted ellipse is not)
    assert set(found.masks) == set(gates) and len(gates) == 18
    flowjo = {k: g.count for k, g in gates.items()}
    assert {k: flowjo[k] for k in ("Live", "Live/APC", "Live/APC/B Cell")} == {
        "Live": 34469,
        "Live/APC": 2839,
        "Live/APC/B Cell": 1727,
    }
    assert (flowjo["Live/APC/mDC"], flowjo["Live/APC/pDC"]) == (449, 81)
    counts = {k: int(m.sum()) for k, m in found.masks.items()}
    for key, gate in gates.items():
        parent = "/".join(gate.path)
        if parent:  # children lie inside their parents
            assert not np.any(found.masks[key] & ~found.masks[parent]), key
        gap = abs(counts[key] - gate.count)
        if gate.shape == "Range":
            # a 1-D range on event values: exact, apart from what its parent adds or drops
            assert gap <= abs(counts[parent] - flowjo[parent]), (key, counts[key], gate.count)
        else:
            allowed = A2004_KNOWN_GAPS.get(key, max(0.01 * gate.count, 20))
            assert gap <= allowed, (key, counts[key], gate.count)
    assert (counts["Live/APC/mDC"], counts["Live/APC/pDC"]) == (449, 82)


def test_a2004_panel_matrix_is_the_workspace_matrix():
    shared_path("data", "fcs-corpus", "RGLab_flowWorkspaceData", "extdata", "A2004Analysis.xml")
    from cytotrial.flow.prepare.compensation import read_spillover_csv

    workspace = truth.read_flowjo9(truth.A2004_XML, truth.A2004_EVENTS)
    assert workspace.compensation == ("A2004-A2005_06i", "<", ">")
    panel = bench_run.dataset_config("a2004").panel
    matrix = read_spillover_csv(panel.spillover_matrix)
    assert matrix.channels == workspace.channels
    np.testing.assert_array_equal(matrix.matrix, workspace.spillover)
    assert workspace.spillover[5, 0] == 0.745  # FITC into the Am Cyan detector: row = source


def test_a2004_calibration_transform_round_trip():
    table = np.column_stack([np.arange(5.0), [-20.0, 0.0, 10.0, 1000.0, 262144.0]])
    transform = truth.calibration_transform(table)
    raw = np.array([-50.0, -20.0, 5.0, 1000.0, 300000.0])
    np.testing.assert_allclose(transform.apply(raw), [0.0, 0.0, 1.5, 3.0, 4.0])
    np.testing.assert_allclose(transform.inverse(np.array([1.5, 3.0])), [5.0, 1000.0])


# --- (c) the benchmark runs ------------------------------------------------------------


def benchmark_table(tmp_path: Path, dataset: str) -> tuple[list[str], list[dict[str, str]]]:
    """Run `bench_gating_real.py --datasets <dataset>`: the table's header and rows."""
    from bench_gating_real import main

    out = tmp_path / f"{dataset}.tsv"
    assert main(["--out", str(out), "--datasets", dataset]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return header, [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


def test_benchmark_writes_documented_columns(tmp_path):
    shared_path("data", "fcs-corpus", "SofieVG_FlowSOM", "extdata", "68983.fcs")
    header, rows = benchmark_table(tmp_path, "68983")
    assert header == [
        "dataset",
        "file",
        "population",
        "expert_events",
        "engine_events",
        "precision",
        "recall",
        "f1",
        "mfi_rel_diff",
        "flags",
        "subsample",
    ]
    assert {r["subsample"] for r in rows} == {"full", "5000"}
    full = [r for r in rows if r["subsample"] == "full"]
    assert {r["population"] for r in full} == {
        "NK cells",
        "NK T cells",
        "B cells",
        "CD4 T cells",
        "CD8 T cells",
        "gd T cells",
    }
    for r in full:
        f1 = float(r["f1"])
        assert 0 <= f1 <= 1
        assert int(r["expert_events"]) > 0
    # the 5,000-event rows count events of the subsample
    assert sum(int(r["expert_events"]) for r in rows if r["subsample"] == "5000") < 5000


def test_benchmark_has_a2004_rows(tmp_path):
    shared_path("data", "fcs-corpus", "RGLab_flowWorkspaceData", "extdata", "A2004Analysis.xml")
    _, rows = benchmark_table(tmp_path, "a2004")
    expected = {
        "Live",
        "Live/APC",
        "Live/Monocytes",
        "Live/APC/B Cell",
        "Live/APC/mDC",
        "Live/APC/pDC",
    }
    for subsample in ("full", "5000"):
        group = [r for r in rows if r["subsample"] == subsample]
        assert {r["dataset"] for r in group} == {"a2004"}
        assert {r["population"] for r in group} == expected
        assert all(0 <= float(r["f1"]) <= 1 for r in group)
    full = {r["population"]: r for r in rows if r["subsample"] == "full"}
    assert int(full["Live/APC/mDC"]["expert_events"]) == 449  # the FlowKit truth, full file


def test_cytoexplorer_low_scores_carry_flags(tmp_path):
    """Every cytoexplorer population the engine gets wrong says so (target 3), on the
    full files and the subsamples; the CD69+ tail gates say why (issue 15 item 2)."""
    shared_path("data", "real-gated", "cytoexplorer_mouse_activation", "labels")
    _, rows = benchmark_table(tmp_path, "cytoexplorer")
    assert {r["subsample"] for r in rows} == {"full", "5000"}
    low = [r for r in rows if int(r["expert_events"]) >= 100 and float(r["f1"]) < 0.85]
    assert low, "the known gaps (dendritic cells, CD69+) are gone: update this test"
    assert [r for r in low if not r["flags"]] == []
    tails = ("few_tail_events", "tail_close_to_peak", "tail_at_shoulder", "tail_not_reached")
    for r in low:
        if r["population"].startswith("CD69+"):
            assert any(t in r["flags"] for t in tails), (r["file"], r["population"], r["flags"])


def test_aurora_rows(tmp_path):
    """The Aurora template: the logicle width from the files' negatives keeps the live
    peak whole (W 0.5 split it: Live F1 0.15-0.35), and the tail gates find the SEB
    files' TNFa+ shoulder (a 1% floor alone kept 4-6 of ~590 events)."""
    shared_path("data", "real-gated", "aurora_human_tcells", "FlowJoWSP_OpenedCopy.wsp")
    _, rows = benchmark_table(tmp_path, "aurora")
    full = [r for r in rows if r["subsample"] == "full"]
    assert len({r["file"] for r in full}) == 6
    assert {r["subsample"] for r in rows} == {"full", "5000"}

    def f1(population: str) -> dict[str, float]:
        return {r["file"]: float(r["f1"]) for r in full if r["population"] == population}

    root = "Scatter/Singlets/Live"
    assert min(f1("Scatter/Singlets").values()) >= 0.99
    assert min(f1(root).values()) >= 0.98
    assert min(f1(f"{root}/Tcells/CD4+").values()) >= 0.94
    assert min(f1(f"{root}/Tcells/CD8+").values()) >= 0.89
    shoulder = f1(f"{root}/Tcells/CD4+/TNFa+IFNg-")
    assert min(v for k, v in shoulder.items() if "SEB" in k) >= 0.65, shoulder


# --- (d) issue 15's targets ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="targets of issue 15 not yet met: see README table")
def test_targets_on_full_files(tmp_path):
    shared_path("data")
    rows = []
    for name, loader in truth.LOADERS.items():
        if not truth.SOURCES[name].exists():
            pytest.skip(f"{truth.SOURCES[name]} not found: ../shared is incomplete")
        config = bench_run.dataset_config(name)
        for found in loader(tmp_path / name):
            rows += bench_run.score_file(found, config, subsamples=(None,))
    failures = bench_run.targets_failures(rows)
    assert not failures, "\n".join(failures)


def test_shared_absent_message(monkeypatch, tmp_path):
    """Without ../shared the benchmark says which data it skipped (and writes nothing)."""
    import bench_gating_real

    monkeypatch.setitem(bench_gating_real.SOURCES, "68983", Path(tmp_path / "absent.fcs"))
    said = []
    assert bench_gating_real.run(["68983"], (None,), tmp_path, log=said.append) == []
    assert "68983: skipped" in said[0] and "not found" in said[0]
