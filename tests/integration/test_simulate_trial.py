"""The demo-trial simulator as a whole: the CLI, determinism, the planned sheet."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pandas as pd

from cytotrial.io.inputs import CLINICAL_TABLES, OPTIONAL_CLINICAL_TABLES
from cytotrial.simulate.trial import plan_demo_samples, simulate_trial


def digest_tree(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_cli_writes_the_trial_and_same_seed_gives_same_bytes(tmp_path):
    command = [
        sys.executable,
        "-m",
        "cytotrial",
        "simulate",
        "--seed",
        "7",
        "--events-per-file",
        "200",
    ]
    first = subprocess.run(
        [*command, "--out", str(tmp_path / "a")], capture_output=True, text=True, check=True
    )
    # the paper's 267 samples plus the planted failed and too-small files (truth/scenarios.tsv;
    # one per patient without a part A sample, up to 4: seed 7 has 3 such patients)
    scenarios = pd.read_csv(tmp_path / "a/truth/scenarios.tsv", sep="\t")
    extra = scenarios["scenario"].isin(["failed_clog", "failed_debris", "too_small"]).sum()
    files = 267 + extra
    assert extra == 3
    assert f"wrote 63 patients and {files} FCS files (200 events each" in first.stdout
    assert f"{len(scenarios)} scenario files listed" in first.stdout
    subprocess.run([*command, "--out", str(tmp_path / "b")], check=True, capture_output=True)
    a, b = digest_tree(tmp_path / "a"), digest_tree(tmp_path / "b")
    assert len([p for p in a if p.startswith("fcs/")]) == files
    assert len([p for p in a if p.startswith("truth/") and p.endswith(".truth.tsv")]) == files
    assert {p for p in a if p.startswith("clinical/")} == {
        f"clinical/{t}.csv" for t in (*CLINICAL_TABLES, *OPTIONAL_CLINICAL_TABLES)
    }
    # the sheet's FCS paths name the output folder, so compare everything else
    assert {k: v for k, v in a.items() if k != "samples.tsv"} == {
        k: v for k, v in b.items() if k != "samples.tsv"
    }


def test_another_seed_gives_another_trial(tmp_path):
    simulate_trial(tmp_path / "x", seed=7, events_per_file=100)
    simulate_trial(tmp_path / "y", seed=8, events_per_file=100)
    x, y = digest_tree(tmp_path / "x"), digest_tree(tmp_path / "y")
    assert x["clinical/dates.csv"] != y["clinical/dates.csv"]
    common = sorted(set(x) & set(y) & {p for p in x if p.startswith("fcs/")})
    assert common and all(x[p] != y[p] for p in common)


def test_written_sheet_equals_the_parse_time_plan(tmp_path):
    out = tmp_path / "demo"
    simulate_trial(out, seed=7, events_per_file=100)
    written = pd.read_csv(out / "samples.tsv", sep="\t", dtype={"patient_id": str})
    planned = plan_demo_samples(7, out)
    pd.testing.assert_frame_equal(written, planned.reset_index(drop=True), check_dtype=False)


def test_cli_rejects_a_bad_event_count(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cytotrial",
            "simulate",
            "--out",
            str(tmp_path),
            "--events-per-file",
            "0",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "--events-per-file must be at least 1" in result.stderr


def test_a_million_events_per_file_work(tmp_path):
    from cytotrial.fcs import read_fcs
    from cytotrial.simulate.flow.sample import CHANNELS, simulate_sample, write_sample

    row = {
        "sample_id": "PT001_A_C1D1",
        "patient_id": "PT001",
        "part": "A",
        "timepoint": "C1D1",
        "acquisition_date": "2016-07-14",
    }
    write_sample(simulate_sample(row, 7, 1_000_000), tmp_path / "big.fcs", tmp_path / "truth")
    data = read_fcs(tmp_path / "big.fcs")
    assert data.events.shape == (1_000_000, len(CHANNELS))
    assert data.keywords["$TOT"] == "1000000"
