"""A reviewer's decisions (issue 16, cytotrial.flow.sample.review): the review file's checks,
the corrected cut in the engine, and each decision applied to the status table."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from helpers.paths import REPO

from cytotrial.errors import InputError
from cytotrial.flow.cohort.comparisons import compare_timepoints
from cytotrial.flow.gating.engine import gate_events
from cytotrial.flow.gating.template import read_gating_template
from cytotrial.flow.sample.review import (
    Decision,
    apply_decisions,
    corrections_param,
    decisions_table,
    read_review,
    sharing_gates,
)
from cytotrial.report.flow_sections import review_tables

TEMPLATE = read_gating_template(REPO / "resources/gating/pbmc_cd38.yaml")
GATES = {g.name: g for g in TEMPLATE.gates}
PARENTS = {g.name: g.parent for g in TEMPLATE.gates}
SAMPLES = ["PT001_A_C1D1", "PT001_A_C2D1", "PT002_A_C1D1"]
TODAY = dt.date(2026, 12, 6)

VALID = """\
- sample: PT001_A_C1D1
  gate: nk_cells
  decision: accept
  reason: NK cells truly absent after daratumumab
  reviewer: AB
  date: 2026-11-30
- {sample: PT001_A_C2D1, gate: lymphocytes, decision: exclude, reason: clogged,
   reviewer: AB, date: "2026-12-01"}
- {sample: PT002_A_C1D1, gate: t_cells, decision: correct, value: 0.42,
   reason: cut in the positive peak, reviewer: CD, date: 2026-12-06}
- {sample: PT002_A_C1D1, gate: b_cells, decision: correct, x: 0.4, y: 0.55,
   reason: CD19 cut too low, reviewer: CD, date: 2026-12-06}
"""


def review(tmp_path, text: str, gates=GATES) -> list[Decision]:
    path = tmp_path / "gating_review.yaml"
    path.write_text(text)
    return read_review(path, SAMPLES, gates, today=TODAY)


def test_a_valid_file_gives_each_decision_and_its_cuts(tmp_path):
    decisions = review(tmp_path, VALID)
    assert [(d.sample, d.gate, d.decision) for d in decisions] == [
        ("PT001_A_C1D1", "nk_cells", "accept"),
        ("PT001_A_C2D1", "lymphocytes", "exclude"),
        ("PT002_A_C1D1", "t_cells", "correct"),
        ("PT002_A_C1D1", "b_cells", "correct"),
    ]
    assert decisions[0].date == "2026-11-30"  # an unquoted YAML date, as written
    assert decisions[0].note == "accepted by AB 2026-11-30: NK cells truly absent after daratumumab"
    assert decisions[2].cuts == {"CD3": 0.42}
    assert decisions[3].cuts == {"CD3": 0.4, "CD19": 0.55}
    # the per-sample param: only that sample's cuts, nothing of reasons or reviewers
    assert corrections_param(decisions, "PT001_A_C1D1") == ""
    assert json.loads(corrections_param(decisions, "PT002_A_C1D1")) == {
        "t_cells": {"CD3": 0.42},
        "b_cells": {"CD3": 0.4, "CD19": 0.55},
    }
    assert review(tmp_path, "") == []  # a review file not yet written into


ENTRY = "- {sample: PT001_A_C1D1, gate: nk_cells, decision: accept, reviewer: AB, "


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            ENTRY + "date: 2026-11-30, reasn: absent}",
            "decision 1 (sample 'PT001_A_C1D1', gate 'nk_cells'), key 'reasn': unknown key "
            "'reasn'; did you mean 'reason'?",
        ),
        (ENTRY + "date: 2026-11-30}", "key 'reason': missing key 'reason': say why"),
        (ENTRY + "date: 2026-11-30, reason: '  '}", "key 'reason': '  ' does not match"),
        (
            ENTRY.replace("PT001_A_C1D1", "PT001_A_C1D2") + "date: 2026-11-30, reason: x}",
            "decision 1 (sample 'PT001_A_C1D2', gate 'nk_cells'), key 'sample': 'PT001_A_C1D2' "
            "is not a sample of the sample sheet; did you mean 'PT001_A_C1D1'?",
        ),
        (
            ENTRY.replace("nk_cells", "nk_cell") + "date: 2026-11-30, reason: x}",
            "key 'gate': 'nk_cell' is not a gate of the gating template; did you mean 'nk_cells'?",
        ),
        (ENTRY + "date: 2026-02-30, reason: x}", "key 'date': '2026-02-30' is not a real date"),
        (ENTRY + "date: 2026-12-07, reason: x}", "key 'date': 2026-12-07 is after today"),
        (ENTRY + "date: 2026-11-30 10:00:00, reason: x}", "key 'date': '2026-11-30 10:00:00' does"),
        (
            ENTRY + "date: 2026-11-30, reason: x}\n" + ENTRY + "date: 2026-12-01, reason: y}",
            "decision 2 (sample 'PT001_A_C1D1', gate 'nk_cells'): sample 'PT001_A_C1D1' and "
            "gate 'nk_cells' already have decision 1; keep one",
        ),
        (
            ENTRY.replace("accept", "correct") + "date: 2026-11-30, reason: x}",
            "key 'decision': a correction needs its cut: value",
        ),
        (ENTRY + "date: 2026-11-30, reason: x, value: 0.3}", "key 'value': value is the cut of"),
        (
            ENTRY.replace("accept", "correct").replace("nk_cells", "lymphocytes")
            + "date: 2026-11-30, reason: x, value: 0.3}",
            "gate 'lymphocytes' is a scatter_cluster gate: only threshold, tail and quadrant",
        ),
        (
            ENTRY.replace("accept", "correct") + "date: 2026-11-30, reason: x, value: 0.3}",
            "key 'value': gate 'nk_cells' is a quadrant gate: its cut is given as x and/or y",
        ),
        (
            ENTRY + "date: 2026-11-30, reason: x, decision: keep}",
            "gating_review.yaml, line 1: key 'decision' is given twice in one entry",
        ),
        (
            ENTRY.replace("accept", "keep") + "date: 2026-11-30, reason: x}",
            "key 'decision': 'keep' is not one of 'accept', 'exclude', 'correct'",
        ),
        ("sample: PT001_A_C1D1", "is not of type 'array'"),
    ],
)
def test_review_errors_name_file_entry_and_key(tmp_path, text, message):
    with pytest.raises(InputError) as caught:
        review(tmp_path, text)
    assert message in str(caught.value)
    assert "gating_review.yaml" in str(caught.value)


def test_the_readme_example_is_a_valid_review_file(tmp_path):
    import re

    readme = (REPO / "README.md").read_text()
    block = re.search(r"```yaml\n(# config/gating_review.yaml.*?)```", readme, re.S)
    assert block, "README: the review file example"
    path = tmp_path / "gating_review.yaml"
    path.write_text(block.group(1))
    samples = ["PT001_A_C1D1", "PT004_B_EOT", "PT002_A_C2D1"]
    decisions = read_review(path, samples, GATES, today=TODAY)
    assert [d.decision for d in decisions] == ["accept", "exclude", "correct"]


def test_an_imported_templates_gates_take_no_correction(tmp_path):
    text = ENTRY.replace("accept", "correct") + "date: 2026-11-30, reason: x, x: 0.3}"
    with pytest.raises(InputError, match="an imported template's gates are fixed"):
        review(tmp_path, text, gates=None)
    # accept and exclude: the gate's name is checked later, by the aggregate job
    assert len(review(tmp_path, ENTRY + "date: 2026-11-30, reason: x}", gates=None)) == 1


def prepared_events(events: int = 20_000) -> dict[str, np.ndarray]:
    """One simulated demo sample, compensated and transformed as the sample job does."""
    from cytotrial.flow.prepare.compensation import Spillover, compensate
    from cytotrial.flow.prepare.transforms import transform_from_spec
    from cytotrial.io.panel import read_panel
    from cytotrial.simulate.flow.sample import CHANNELS, simulate_sample

    record = {"sample_id": "PT001_A_C1D1", "patient_id": "PT001", "part": "A",
              "timepoint": "C1D1", "acquisition_date": "2016-07-14"}  # fmt: skip
    sim = simulate_sample(record, 2021, events)
    panel = read_panel(REPO / "resources/panel.yaml")
    comp = compensate(sim.events, CHANNELS, Spillover(sim.spillover_channels, sim.spillover))
    return {
        c.marker: transform_from_spec(c.transform).apply(comp[:, i])
        for i, c in enumerate(panel.channels)
    }


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    return prepared_events()


@pytest.mark.parametrize("corrected_gate", ["t_cells", "b_cells"])
def test_a_corrected_cut_is_applied_and_shared_by_its_siblings(data, corrected_gate):
    auto = gate_events(data, TEMPLATE)
    placed = next(c["cut"] for c in auto["t_cells"].cuts if c["marker"] == "CD3")
    cut = placed + 0.08  # a reviewer moving the CD3 cut up
    fixed = {"CD3": cut} if corrected_gate == "t_cells" else {"CD3": cut, "CD19": 0.5}
    gates = gate_events(data, TEMPLATE, corrected={corrected_gate: fixed})
    lymphocytes = gates["lymphocytes"].mask
    cd3 = data["CD3"]
    # t_cells (listed first) and b_cells / nk_cells (CD3 below) share one corrected cut,
    # whichever of them the reviewer corrected: no overlap, no gap
    assert np.array_equal(gates["t_cells"].mask, lymphocytes & (cd3 >= cut))
    for sibling in ("b_cells", "nk_cells"):
        assert not (gates[sibling].mask & (cd3 >= cut)).any()
    assert gates["t_cells"].mask.sum() < auto["t_cells"].mask.sum()
    record = next(c for c in gates[corrected_gate].cuts if c["marker"] == "CD3")
    assert record["method"] == "corrected" and record["cut"] == pytest.approx(cut)
    if corrected_gate == "b_cells":  # the y cut on the events below the CD3 cut
        below = lymphocytes & (cd3 < cut)
        assert np.array_equal(gates["b_cells"].mask, below & (data["CD19"] >= 0.5))
    # the gates below follow: activated NK cells lie within the corrected NK cells
    assert not (gates["activated_nk"].mask & ~gates["nk_cells"].mask).any()
    # gates that share nothing with the corrected cut are as before
    assert np.array_equal(gates["monocytes"].mask, auto["monocytes"].mask)


def test_a_corrected_tail_cut(data):
    template = read_gating_template(REPO / "resources/gating/pbmc_new_kinds.yaml")
    gates = gate_events(data, template, corrected={"cd38_bright_t": {"CD38": 0.7}})
    expected = gates["t_cells"].mask & (data["CD38"] >= 0.7)
    assert np.array_equal(gates["cd38_bright_t"].mask, expected)
    assert gates["cd38_bright_t"].cuts[0]["method"] == "corrected"
    assert gates["cd38_bright_t"].flags == ()


def tidy_rows() -> pd.DataFrame:
    """populations.tsv rows of two samples: flags on nk_cells (own), lymphocytes (own,
    so on every lymphocyte subset) and a sample QC flag on the second sample."""
    rows = []
    for sample, qc in (("PT001_A_C1D1", ""), ("PT001_A_C2D1", "low_event_count(900<1000)")):
        for population in ("t_cells", "b_cells", "nk_cells", "activated_nk", "monocytes"):
            flags = []
            if population in ("nk_cells", "activated_nk"):
                flags.append("no_positive_peak(CD56)")
            if population != "monocytes":
                flags.append("cohort_outlier(lymphocytes % of parent)")
            flags += [qc] if qc else []
            status = "flagged" if flags else "ok"
            rows.append({"sample_id": sample, "population": population, "gate": population,
                         "status": status, "status_reason": ";".join(flags)})  # fmt: skip
    return pd.DataFrame(rows)


OWN = {
    (s, g): flags
    for s in SAMPLES[:2]
    for g, flags in (
        ("nk_cells", ["no_positive_peak(CD56)"]),
        ("lymphocytes", ["cohort_outlier(lymphocytes % of parent)"]),
    )
}


def decision(sample: str, gate: str, kind: str, index: int = 1, **cuts) -> Decision:
    return Decision(index, sample, gate, kind, "looked at the plot", "AB", "2026-11-30", cuts)


def test_accept_clears_the_gates_own_flags_below_it_and_keeps_the_others():
    tidy = tidy_rows()
    decisions = [
        decision("PT001_A_C1D1", "lymphocytes", "accept", 1),
        decision("PT001_A_C2D1", "lymphocytes", "accept", 2),
    ]
    out, hits = apply_decisions(tidy, decisions, PARENTS, OWN)
    first = out[out["sample_id"] == "PT001_A_C1D1"].set_index("population")
    note = "accepted by AB 2026-11-30: looked at the plot"
    assert first.loc["t_cells", "status"] == "ok"
    assert first.loc["t_cells", "status_reason"] == f"{note} (gate lymphocytes)"
    # nk_cells keeps its own flag: accepting lymphocytes says nothing of it
    assert first.loc["nk_cells", ["status", "status_reason"]].tolist() == [
        "flagged",
        "no_positive_peak(CD56)",
    ]
    assert first.loc["nk_cells", "review"] == f"{note} (gate lymphocytes)"
    assert first.loc["monocytes", "review"] == ""  # not below lymphocytes
    # the second sample's QC flag is not the gate's: still flagged
    second = out[out["sample_id"] == "PT001_A_C2D1"].set_index("population")
    assert second.loc["t_cells", "status_reason"] == "low_event_count(900<1000)"
    assert hits[1] == ["t_cells", "b_cells", "nk_cells", "activated_nk"]
    # with nk_cells accepted too, every lymphocyte subset of the first sample is ok
    out, _ = apply_decisions(
        tidy, [*decisions, decision("PT001_A_C1D1", "nk_cells", "accept", 3)], PARENTS, OWN
    )
    first = out[out["sample_id"] == "PT001_A_C1D1"].set_index("population")
    assert (first["status"] == "ok").all()
    assert first.loc["activated_nk", "status_reason"] == (
        f"{note} (gate nk_cells); {note} (gate lymphocytes)"
    )


def test_exclude_wins_and_correct_says_so():
    tidy = tidy_rows()
    decisions = [
        decision("PT001_A_C1D1", "nk_cells", "exclude", 1),
        decision("PT001_A_C1D1", "lymphocytes", "accept", 2),
        decision("PT001_A_C2D1", "monocytes", "correct", 3, CD14=0.5),
    ]
    out, hits = apply_decisions(tidy, decisions, PARENTS, OWN)
    first = out[out["sample_id"] == "PT001_A_C1D1"].set_index("population")
    assert first.loc[["nk_cells", "activated_nk"], "status"].tolist() == ["excluded"] * 2
    assert first.loc["activated_nk", "status_reason"].startswith(
        "excluded by AB 2026-11-30: looked at the plot (gate nk_cells)"
    )
    second = out[out["sample_id"] == "PT001_A_C2D1"].set_index("population")
    # the corrected monocytes keep the sample's QC flag, with the correction beside it
    assert second.loc["monocytes", "status"] == "flagged"
    assert second.loc["monocytes", "review"].startswith("corrected by AB 2026-11-30")
    table = decisions_table(decisions, hits, ["PT001_A_C1D1"])
    assert table["applied"].tolist() == [
        "nk_cells, activated_nk",
        "t_cells, b_cells, nk_cells, activated_nk",
        "none: the sample's analysis failed (no values)",
    ]
    assert table["cut"].tolist() == ["", "", "CD14 0.5"]
    # the excluded values leave the tests whatever include_flagged says, and are counted
    frame = out.assign(patient_id="PT001", part="A", timepoint=out["sample_id"].str[-4:])
    frame["cells_per_ul"] = 100.0
    for include_flagged in (False, True):
        tests = compare_timepoints(
            frame,
            [{"part": "A", "before": "C1D1", "after": "C2D1"}],
            ["nk_cells"],
            "cells_per_ul",
            include_flagged=include_flagged,
        )
        assert tests.loc[0, "left_out_excluded"] == 1 and tests.loc[0, "n_pairs"] == 0
    # the report lists flagged populations first, then excluded, then failed samples
    qc = pd.DataFrame(
        [{"sample_id": "PT009_A_C1D1", "status": "failed", "reason": "truncated file"}]
    )
    to_review, decided = review_tables(out, qc, table, link=True)
    statuses = to_review.frame["status"].tolist()
    assert statuses == sorted(statuses, key=["flagged", "excluded", "failed"].index)
    assert statuses[-1] == "failed" and "excluded" in statuses
    assert to_review.link_column == "sample_id" and len(decided.frame) == 3


def test_siblings_sharing_a_corrected_cut_say_so():
    corrected = decision("PT001_A_C2D1", "t_cells", "correct", 1, CD3=0.5)
    cd3 = {"marker": "CD3", "cut": 0.5, "method": "corrected"}
    records = {
        "PT001_A_C2D1": {
            "gates": {
                "t_cells": {"parent": "lymphocytes", "cuts": [cd3]},
                "b_cells": {"parent": "lymphocytes", "cuts": [cd3, {"marker": "CD19"}]},
                "nk_cells": {"parent": "lymphocytes", "cuts": [{"marker": "CD3", "cut": 0.4}]},
                "activated_nk": {"parent": "nk_cells", "cuts": [cd3 | {"marker": "CD16"}]},
            }
        }
    }
    shared = sharing_gates([corrected], records)
    assert shared == {("PT001_A_C2D1", "b_cells"): corrected}
    out, hits = apply_decisions(tidy_rows(), [corrected], PARENTS, OWN, shared)
    row = out[out["sample_id"] == "PT001_A_C2D1"].set_index("population")
    assert row.loc["b_cells", "review"] == (
        "corrected by AB 2026-11-30: looked at the plot (cut shared with gate t_cells)"
    )
    # the correction vouches for the corrected gate, not for its sibling's other flags
    assert row.loc["b_cells", "status_reason"] == tidy_rows().loc[5, "status_reason"]
    assert hits[1] == ["t_cells", "b_cells"]


def test_the_audit_plot_names_a_corrected_cut():
    from cytotrial.flow.sample.audit_plot import corrected_note

    cuts = [{"marker": "CD3", "cut": 0.6, "method": "corrected"}, {"marker": "CD19", "cut": 0.4}]
    assert corrected_note(cuts) == "  (corrected: CD3 0.6)"
    assert corrected_note(cuts[1:]) == ""
