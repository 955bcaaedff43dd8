"""Cohort overview: patient flow sums, samples per timepoint, inventory of FCS headers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cytotrial.cohort import check_flow_sums, patient_flow, sample_inventory, samples_per_timepoint


def patients_table() -> pd.DataFrame:
    rows = [("phase1", 15, "")] * 3 + [("phase1", 30, "")] * 3 + [("phase1", 45, "")] * 8
    rows += [("phase2", 45, "")] * 36
    rows += [("none", np.nan, "still_in_part_a")] * 3 + [("none", np.nan, "ineligible")] * 8
    rows += [("none", np.nan, "withdrew_consent")] * 2
    return pd.DataFrame(rows, columns=["part_b_cohort", "atra_dose_mg_m2", "not_in_part_b_reason"])


def test_patient_flow_matches_the_papers_figure_1():
    flow = patient_flow(patients_table(), rp2d_mg_m2=45).set_index("box")["n"]
    assert flow["part_a"] == 63
    assert flow["part_b"] == 50 and flow["not_part_b"] == 13
    assert (flow["phase1"], flow["phase2"], flow["rp2d"]) == (14, 36, 44)
    assert (flow["phase1:15"], flow["phase1:30"], flow["phase1:45"]) == (3, 3, 8)
    assert flow["not_part_b:still_in_part_a"] == 3
    assert flow["not_part_b:ineligible"] == 8
    assert flow["not_part_b:withdrew_consent"] == 2


def test_flow_sums_that_do_not_reconcile_are_an_error():
    table = pd.DataFrame(
        {"box": ["a", "b", "c"], "n": [10, 4, 5], "parent": ["", "a", "a"], "label": ["", "", ""]}
    )
    with pytest.raises(ValueError, match="box 'a' has 10 patients but its children add up to 9"):
        check_flow_sums(table)


def test_samples_per_timepoint_lists_every_timepoint_even_empty_ones():
    inventory = pd.DataFrame(
        {
            "patient_id": ["P1", "P1", "P2"],
            "part": ["A", "A", "A"],
            "timepoint": ["C1D1", "C2D1", "C1D1"],
            "events": [100, 200, 300],
            "problem": ["", "", "unreadable FCS: x"],
        }
    )
    table = samples_per_timepoint(inventory).set_index(["part", "timepoint"])
    assert len(table) == 6
    assert table.loc[("A", "C1D1"), "samples"] == 2
    assert table.loc[("A", "C1D1"), "readable_files"] == 1
    assert table.loc[("A", "C1D1"), "median_events"] == 100
    assert table.loc[("B", "EOT"), "samples"] == 0


def test_inventory_reports_unreadable_files_without_stopping(tmp_path):
    good = tmp_path / "good.fcs"
    import flowio

    with open(good, "wb") as handle:
        flowio.create_fcs(handle, [1.0, 2.0, 3.0, 4.0], ["FSC-A", "SSC-A"])
    bad = tmp_path / "bad.fcs"
    bad.write_bytes(b"not an FCS file at all")
    samples = pd.DataFrame(
        {
            "sample_id": ["S1", "S2", "S3"],
            "patient_id": ["P1", "P2", "P3"],
            "part": ["A"] * 3,
            "timepoint": ["C1D1"] * 3,
            "batch": ["1"] * 3,
            "fcs": [str(good), str(bad), str(tmp_path / "missing.fcs")],
        }
    )
    inventory = sample_inventory(samples, ["FSC-A", "SSC-A", "APC-A"]).set_index("sample_id")
    assert inventory.loc["S1", "events"] == 2
    assert inventory.loc["S1", "problem"] == "panel channels missing: APC-A"
    assert inventory.loc["S2", "problem"].startswith("unreadable FCS")
    assert inventory.loc["S3", "problem"].startswith("unreadable FCS")


def test_inventory_copies_only_whitelisted_keywords(tmp_path):
    """The simulator's fake identities ($SRC, $COM, PATIENT ID, ...) stay in the file."""
    from cytotrial.simulate.flow.sample import simulate_sample, write_sample

    sample = {
        "sample_id": "S1",
        "patient_id": "PT001",
        "part": "A",
        "timepoint": "C1D1",
        "acquisition_date": "2016-07-13",
        "batch": "1",
    }
    simulated = simulate_sample(sample, seed=2122, events=300)
    write_sample(simulated, tmp_path / "S1.fcs", tmp_path / "truth")
    identity = [simulated.keywords[k] for k in ("$SRC", "$SMNO", "$COM", "PATIENT ID")]
    samples = pd.DataFrame([sample | {"fcs": str(tmp_path / "S1.fcs")}])

    default = sample_inventory(samples, ["FSC-A"], ["$CYT"])
    assert default.loc[0, "$CYT"] == "LSRFortessa (simulated)"
    assert not any(value in default.to_csv() for value in identity)
    nothing = sample_inventory(samples, ["FSC-A"])
    assert not any(column.startswith("$") for column in nothing.columns)
    chosen = sample_inventory(samples, ["FSC-A"], ["patient id"])  # keywords: any case
    assert chosen.loc[0, "PATIENT ID"] == simulated.keywords["PATIENT ID"]
