"""Gating-ML 2.0 compliance set, reproduced event by event by our import and engine.

Truth: `whitews_FlowKit/gate_ref/truth/Results_<GateID>.txt` (one 0/1 line per event of
data1.fcs) and `_derived/gatingml_expected_counts.tsv` (../shared/data/fcs-corpus). Each
gate file is parsed by FlowKit, converted into our StaticStrategy and gated by
cytotrial.flow.interop.gatingml_strategy (no FlowKit in the gating).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from helpers.paths import SHARED, shared_path

from cytotrial.errors import InputError
from cytotrial.flow.interop.gatingml_export import write_gatingml
from cytotrial.flow.interop.gatingml_import import load_strategy
from cytotrial.flow.interop.gatingml_strategy import (
    dimension_values,
    gate_static,
    read_events_float64,
)

CORPUS = ("data", "fcs-corpus")
EXPECTED = SHARED.joinpath(*CORPUS, "_derived", "gatingml_expected_counts.tsv")


def _rows() -> list[dict[str, str]]:
    if not EXPECTED.exists():
        return []
    with open(EXPECTED, encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


ROWS = [r for r in _rows() if r["truth_file"] not in ("", "none")]


@cache
def _data1():
    return read_events_float64(shared_path(*CORPUS, "whitews_FlowKit/gate_ref/data1.fcs"))


@cache
def _masks(gml_file: str) -> dict[str, np.ndarray]:
    strategy, _ = load_strategy(shared_path(*CORPUS, gml_file))
    return gate_static(strategy, dimension_values(strategy, _data1()))


def _our_gate(masks: dict[str, np.ndarray], row: dict[str, str]) -> np.ndarray:
    """Our name of the gate: its id (unique in every compliance file) or its path."""
    path = [p for p in row["gate_path"].split(" > ") if p != "root"]
    if row["gate_id"] in masks:
        return masks[row["gate_id"]]
    return masks["/".join([*path, row["gate_id"]])]


def test_compliance_set_is_complete():
    shared_path(*CORPUS, "_derived", "gatingml_expected_counts.tsv")
    assert len(ROWS) == 132
    assert len({r["gml_file"] for r in ROWS}) == 45


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{Path(r['gml_file']).stem}:{r['gate_id']}")
def test_gate_membership_matches_truth_event_by_event(row):
    truth_file = shared_path(*CORPUS, row["truth_file"])
    truth = np.loadtxt(truth_file, dtype=np.int8).astype(bool)
    assert len(truth) == int(row["n_events"])
    mask = _our_gate(_masks(row["gml_file"]), row)
    assert int(mask.sum()) == int(row["expected_count"])
    differing = np.flatnonzero(mask != truth)
    assert len(differing) == 0, f"{len(differing)} events differ, first {differing[:5]}"


def test_every_supported_feature_is_exercised():
    """The combined file uses every gate and transform type of the standard."""
    from cytotrial.flow.interop.gatingml_import import load_strategy as load

    strategy, _ = load(shared_path(*CORPUS, "whitews_FlowKit/gate_ref/gml/gml_all_gates.xml"))
    kinds = {g.kind for g in strategy.gates}
    assert kinds == {"rectangle", "polygon", "ellipsoid", "boolean"}
    types = {t["type"] for t in strategy.transforms.values()}
    assert types == {"flin", "flog", "fasinh", "hyperlog", "logicle", "fratio"}
    assert list(strategy.matrices) == ["MySpill"]


def test_our_gatingml_writer_round_trips_the_compliance_set(tmp_path):
    """Written by our writer, read back by FlowKit, gated by us: still the truth."""
    source = "whitews_FlowKit/gate_ref/gml/gml_all_gates.xml"
    strategy, _ = load_strategy(shared_path(*CORPUS, source))
    write_gatingml(strategy, tmp_path / "again.xml")
    again, _ = load_strategy(tmp_path / "again.xml")
    masks = gate_static(again, dimension_values(again, _data1()))
    checked = 0
    for row in ROWS:
        if row["gml_file"] == source:
            truth = np.loadtxt(shared_path(*CORPUS, row["truth_file"]), dtype=np.int8)
            assert np.array_equal(_our_gate(masks, row), truth.astype(bool)), row["gate_id"]
            checked += 1
    assert checked == 49


def test_non_gatingml_file_gives_a_clear_error():
    bad = shared_path(*CORPUS, "whitews_FlowKit/gate_ref/gml/gml_range_gate_attr_testing.xml")
    with pytest.raises(InputError, match="gml_range_gate_attr_testing.xml: FlowKit cannot read"):
        load_strategy(bad)
