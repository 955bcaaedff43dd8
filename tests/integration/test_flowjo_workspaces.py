"""FlowJo 10 workspaces: imported gates reproduce FlowJo's stored population counts.

Truth: `_derived/flowjo_workspace_population_counts.tsv` (../shared/data/fcs-corpus),
the counts FlowJo stored in each workspace. Per the corpus README:
* diamond and single-ellipse workspaces: FlowJo's counts are exact -> equal;
* `simple_poly_and_rect*.wsp` store -1 / 0 (FlowJo stored no counts) -> not truth;
* FlowSOM `gating.wsp` on 68983.fcs: FlowJo's counts differ slightly from any recount
  -> within 0.1 % of the sample's events (and equal to FlowKit 1.3.2's recount);
* the 8-colour workspaces have no FCS here: their gate trees are checked instead.
"""

from __future__ import annotations

import csv
from functools import cache

import numpy as np
import pytest
from helpers.paths import SHARED, shared_path

from cytotrial.errors import InputError
from cytotrial.flow.interop.gatingml_import import load_strategy
from cytotrial.flow.interop.gatingml_strategy import (
    dimension_values,
    gate_static,
    read_events_float64,
)

CORPUS = ("data", "fcs-corpus")
COUNTS = SHARED.joinpath(*CORPUS, "_derived", "flowjo_workspace_population_counts.tsv")
NO_COUNTS = ("simple_poly_and_rect.wsp", "simple_poly_and_rect_v2_poly50.wsp")
APPROXIMATE = "SofieVG_FlowSOM/extdata/gating.wsp"
TOLERANCE = 0.001  # of the sample's events (corpus README: "about 0.1 %")


def _rows() -> list[dict[str, str]]:
    if not COUNTS.exists():
        return []
    with open(COUNTS, encoding="utf-8") as handle:
        return [
            r for r in csv.DictReader(handle, delimiter="\t") if r["workspace"].endswith(".wsp")
        ]


ROWS = _rows()
WITH_FCS = [
    r
    for r in ROWS
    if r["fcs_in_corpus"] != "NOT IN CORPUS" and not r["workspace"].endswith(NO_COUNTS)
]
WITHOUT_FCS = [r for r in ROWS if r["fcs_in_corpus"] == "NOT IN CORPUS"]


@cache
def _counts(workspace: str, sample: str, fcs: str) -> dict[str, int]:
    strategy, _ = load_strategy(shared_path(*CORPUS, workspace), sample)
    source = read_events_float64(shared_path(*CORPUS, fcs))
    masks = gate_static(strategy, dimension_values(strategy, source))
    return {name: int(np.count_nonzero(mask)) for name, mask in masks.items()}


def _our_name(names, population_path: str) -> str:
    """Our gate name: the population's own name when unique, else its path."""
    path = population_path.split(" > ")
    return path[-1] if path[-1] in names else "/".join(path)


def test_reference_rows_are_there():
    shared_path(*CORPUS, "_derived", "flowjo_workspace_population_counts.tsv")
    exact = [r for r in WITH_FCS if r["workspace"] != APPROXIMATE]
    assert len(exact) == 8 and len([r for r in WITH_FCS if r["workspace"] == APPROXIMATE]) == 15


@pytest.mark.parametrize(
    "row",
    [r for r in WITH_FCS if r["workspace"] != APPROXIMATE],
    ids=lambda r: f"{r['workspace'].split('/')[-1]}:{r['population_path']}",
)
def test_exact_flowjo_counts_reproduced(row):
    counts = _counts(row["workspace"], row["sample_name"], row["fcs_in_corpus"])
    assert counts[_our_name(counts, row["population_path"])] == int(row["flowjo_count"])


@pytest.mark.parametrize(
    "row",
    [r for r in WITH_FCS if r["workspace"] == APPROXIMATE],
    ids=lambda r: r["population_path"].split(" > ")[-1],
)
def test_flowsom_workspace_counts_within_a_tenth_of_a_percent(row):
    counts = _counts(row["workspace"], row["sample_name"], row["fcs_in_corpus"])
    ours = counts[_our_name(counts, row["population_path"])]
    events = int(row["sample_event_count"])
    assert abs(ours - int(row["flowjo_count"])) <= TOLERANCE * events
    assert ours == int(row["flowkit_1.3.2_count"])  # the recount from the same gates


def test_flowsom_workspace_uses_its_compensation_and_biex():
    strategy, sample = load_strategy(shared_path(*CORPUS, APPROXIMATE))
    assert sample == "68983.fcs"
    assert len(strategy.matrices) == 1
    assert {d.compensation for d in strategy.dimensions} >= set(strategy.matrices)
    assert "biex" in {t["type"] for t in strategy.transforms.values()}


DOT_GATE = "whitews_FlowKit/8_color_data_set/8_color_ICS_dot_gate_name.wsp"


@pytest.mark.parametrize(
    "workspace",
    sorted({r["workspace"] for r in WITHOUT_FCS} - {DOT_GATE}),
    ids=lambda w: w.split("/")[-1],
)
def test_workspace_gate_trees_without_fcs(workspace):
    """Every population FlowJo counted is a gate of our import, under the same parent
    (boolean gates, an ellipse, a reused quadrant gate)."""
    rows = [r for r in WITHOUT_FCS if r["workspace"] == workspace]
    for sample in sorted({r["sample_name"] for r in rows}):
        strategy, _ = load_strategy(shared_path(*CORPUS, workspace), sample)
        names = {g.name for g in strategy.gates}
        for row in (r for r in rows if r["sample_name"] == sample):
            path = row["population_path"].split(" > ")
            name = _our_name(names, row["population_path"])
            assert name in names, f"{sample}: {row['population_path']} not imported"
            parent = "root" if len(path) == 1 else _our_name(names, " > ".join(path[:-1]))
            assert strategy.gate(name).parent == parent


def test_gate_named_dot_is_refused_clearly():
    """FlowKit cannot hold a gate named '.'; the error names the file and the gate path."""
    with pytest.raises(InputError, match=r"8_color_ICS_dot_gate_name.wsp: .*Gate name '\.'"):
        load_strategy(shared_path(*CORPUS, DOT_GATE))


def test_unknown_workspace_sample_is_named(tmp_path):
    workspace = shared_path(
        *CORPUS, "whitews_FlowKit/simple_line_example/single_ellipse_51_events.wsp"
    )
    with pytest.raises(InputError, match="no sample 'nope.fcs' in the workspace"):
        load_strategy(workspace, "nope.fcs")


def test_flowjo9_workspace_is_refused_with_the_file_name():
    workspace = shared_path(*CORPUS, "RGLab_flowWorkspaceData/extdata/A2004Analysis.xml")
    with pytest.raises(InputError, match="A2004Analysis.xml"):
        load_strategy(workspace)


def test_flowjo_biex_gates_have_no_gatingml_export(tmp_path):
    """Gating-ML 2.0 has no FlowJo biex: exporting such gates fails with the transform named
    (the per-sample job then writes the reason into the sample's .gating.xml)."""
    from cytotrial.flow.interop.gatingml_export import write_gatingml

    strategy, _ = load_strategy(shared_path(*CORPUS, APPROXIMATE))
    with pytest.raises(InputError, match=r"\(biex\) has no Gating-ML 2.0 form"):
        write_gatingml(strategy, tmp_path / "out.xml")
