"""The general statistics as the gating page shows them: each % of parent names its
parent, one number format per column; the download keeps the result file's values."""

from __future__ import annotations

import json

import pandas as pd

from cytotrial.report.qc_statistics_display import gate_parents, statistics_shown


def test_each_percentage_names_its_parent_with_one_format_per_column():
    overview = pd.DataFrame(
        {
            "sample_id": ["S1", "S2", "S3"],
            "saturated_fraction": [0.0008, 0.00055, 0.11865],
            "status_monocytes": ["ok", "ok", "flagged"],
            "pct_non_debris": [96.24, 30.0, 29.6],
            "pct_monocytes": [9.0947, 30.0, 26.4147],
        }
    )
    parents = {"non_debris": "root", "monocytes": "monocytes_scatter"}
    shown = statistics_shown(overview, parents)
    assert list(shown.columns) == [
        "sample_id",
        "Saturated events (%)",
        "Non-debris % of all events",
        "Monocytes % of Monocytes (scatter)",
        "Status: Monocytes",
    ]
    assert shown["Monocytes % of Monocytes (scatter)"].tolist() == ["9.1", "30.0", "26.4"]
    assert shown["Saturated events (%)"].tolist() == ["0.08", "0.06", "11.87"]
    assert overview["pct_monocytes"].tolist() == [9.0947, 30.0, 26.4147]  # download as is
    # a gate whose parent is not known still says what the % is of
    assert "Monocytes % of parent" in statistics_shown(overview, {}).columns


def test_parents_come_from_the_first_record_with_gates(tmp_path):
    failed = tmp_path / "a.json"
    failed.write_text(json.dumps({"sample_id": "A", "status": "failed", "gates": {}}))
    ok = tmp_path / "b.json"
    gates = {"non_debris": {"parent": "root"}, "singlets": {"parent": "non_debris"}}
    ok.write_text(json.dumps({"sample_id": "B", "status": "ok", "gates": gates}))
    assert gate_parents([failed, ok]) == {"non_debris": "root", "singlets": "non_debris"}
    assert gate_parents([failed]) == {}
