"""Bad samples never take the others down; a killed run resumes to the same results.

One small user-mode trial (4 patients' files from the demo plus three deliberately
broken files) is run twice in separate workflow copies:
- uninterrupted: the run succeeds, the broken samples get failure records (reason and
  file hash), aggregates and statistics use the good samples, the report lists the
  failures and is otherwise complete;
- killed with SIGKILL while per-sample jobs run, then started again: every result
  table equals the uninterrupted run's, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import flowio
import pandas as pd
import pytest
from helpers.small_trial import simulate_small_trial, write_config
from helpers.workflow import SNAKEMAKE, copy_workflow, run

pytestmark = pytest.mark.slow

GOOD_PATIENTS = ["PT001", "PT002", "PT003", "PT004"]
HOSTILE_CHANNEL = "<img src=x onerror=alert(1)>"
# Samples of other patients whose files are replaced by broken ones, and how.
BROKEN = {
    "PT007_A_C1D1": "truncated",
    "PT009_A_C1D1": "not_fcs",
    "PT010_A_C1D1": "no_cd38_channel",
}


def break_file(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":  # a copy interrupted half-way
        path.write_bytes(data[: len(data) // 2])
    elif how == "not_fcs":  # e.g. an exported PDF saved under the wrong name
        path.write_bytes(b"%PDF-1.4 this is not an FCS file\n" * 20)
    else:  # the CD38 channel (APC-A) renamed to markup: absent, and its name must stay text
        from cytotrial.fcs import read_fcs

        fcs = read_fcs(path, scale=False)
        names = [HOSTILE_CHANNEL if name == "APC-A" else name for name in fcs.channels]
        with open(path, "wb") as handle:
            flowio.create_fcs(handle, fcs.events.ravel().tolist(), names, fcs.markers)


@pytest.fixture(scope="module")
def trial(tmp_path_factory) -> tuple[Path, Path]:
    """The trial's files and its sample sheet (good and broken samples)."""
    directory = tmp_path_factory.mktemp("trial")
    sheet = simulate_small_trial(directory, GOOD_PATIENTS + ["PT007", "PT009", "PT010"])
    sheet = sheet[sheet["patient_id"].isin(GOOD_PATIENTS) | sheet["sample_id"].isin(BROKEN)]
    for sample, how in BROKEN.items():
        break_file(Path(sheet.set_index("sample_id").loc[sample, "fcs"]), how)
    sheet_path = directory / "samples.tsv"
    sheet.to_csv(sheet_path, sep="\t", index=False)
    return sheet_path, directory / "clinical"


def prepared_workflow(root: Path, trial: tuple[Path, Path]) -> tuple[Path, Path]:
    workflow = copy_workflow(root)
    config = write_config(workflow, pd.read_csv(trial[0], sep="\t"), trial[1])
    return workflow, config


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, trial) -> Path:
    workflow, config = prepared_workflow(tmp_path_factory.mktemp("whole") / "wf", trial)
    result = run([*SNAKEMAKE, "--cores", "2", "--configfile", str(config)], workflow, 1500)
    assert result.returncode == 0, result.stderr[-5000:]
    return workflow


def test_broken_samples_get_failure_records(uninterrupted, trial):
    sheet = pd.read_csv(trial[0], sep="\t").set_index("sample_id")
    for sample in BROKEN:
        record = json.loads((uninterrupted / f"results/flow/samples/{sample}.json").read_text())
        assert record["status"] != "ok", sample
        assert record["reason"], sample
        fcs = Path(sheet.loc[sample, "fcs"])
        assert record["file_sha256"] == hashlib.sha256(fcs.read_bytes()).hexdigest()
    reasons = {
        s: json.loads((uninterrupted / f"results/flow/samples/{s}.json").read_text())["reason"]
        for s in BROKEN
    }
    assert "APC-A" in reasons["PT010_A_C1D1"]  # names the missing channel


def test_aggregates_and_statistics_use_the_good_samples(uninterrupted, trial):
    sheet = pd.read_csv(trial[0], sep="\t")
    good = set(sheet["sample_id"]) - set(BROKEN)
    populations = pd.read_csv(uninterrupted / "results/flow/populations.tsv", sep="\t")
    assert set(populations["sample_id"]) == good
    qc = pd.read_csv(uninterrupted / "results/flow/sample_qc.tsv", sep="\t").set_index("sample_id")
    assert set(qc.index) == good | set(BROKEN)
    assert (qc.loc[sorted(good), "status"] == "ok").all()
    # Part A pairs: good patients with both C1D1 and C2D1 files (broken C1D1s pair nothing).
    part_a = sheet[(sheet["part"] == "A") & sheet["sample_id"].isin(good)]
    expected = (part_a.groupby("patient_id")["timepoint"].nunique() == 2).sum()
    tests = pd.read_csv(uninterrupted / "results/flow/cd38_mfi_tests.tsv", sep="\t")
    row = tests[(tests["part"] == "A") & (tests["population"] == "t_cells")].iloc[0]
    # Pairs of ok populations are tested; those with a flagged population (most, at 2,000
    # events per file) are counted as left out; with them, every good patient pairs.
    assert expected >= 2 and row["n_pairs"] + row["pairs_left_out"] == expected
    sensitivity = pd.read_csv(uninterrupted / "results/flow/sensitivity_tests.tsv", sep="\t")
    both = sensitivity[
        (sensitivity["value"] == row["value"])
        & (sensitivity["part"] == "A")
        & (sensitivity["population"] == "t_cells")
    ].iloc[0]
    assert both["n_pairs_with_flagged"] == expected and both["n_pairs_ok"] == row["n_pairs"]
    # The failed samples' populations are failed, and each test counts them as left out.
    assert set(qc.loc[sorted(BROKEN), "status_t_cells"]) == {"failed"}
    assert row["left_out_failed"] == len(BROKEN)
    assert all(sample in row["left_out"] for sample in BROKEN)


def test_report_lists_the_failures_and_is_otherwise_complete(uninterrupted):
    html = (uninterrupted / "results/report/cytotrial_report.html").read_text()
    assert "3 samples not analysed" in html
    failed_table = html[html.index("Failed or flagged samples") :]
    for sample in BROKEN:
        assert sample in failed_table
    for heading in ("Patient flow", "Efficacy", "Survival", "Safety", "Flow cytometry"):
        assert f"<h2>{heading}</h2>" in html
    assert "<h2>Methods</h2>" in html and "<h2>Provenance</h2>" in html
    # The hostile channel name of the broken file is shown as text, never as markup.
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert HOSTILE_CHANNEL not in html


def result_tables(workflow: Path) -> dict[str, bytes]:
    results = workflow / "results"
    return {
        str(p.relative_to(results)): p.read_bytes()
        for p in results.rglob("*.tsv")
        if "benchmarks" not in p.parts
    }


def test_killed_run_resumes_to_the_same_results(tmp_path, trial, uninterrupted):
    workflow, config = prepared_workflow(tmp_path / "wf", trial)
    command = [*SNAKEMAKE, "--cores", "2", "--configfile", str(config)]
    with open(tmp_path / "killed.log", "w") as log:
        process = subprocess.Popen(
            command, cwd=workflow, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        records = workflow / "results/flow/samples"
        deadline = time.monotonic() + 600
        while len(list(records.glob("*.json"))) < 6 and time.monotonic() < deadline:
            assert process.poll() is None, "the run finished before it could be killed"
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGKILL)  # no chance to clean up
        process.wait()
    assert not (workflow / "results/report/cytotrial_report.html").exists()

    # A killed Snakemake leaves its lock behind; the documented recovery is --unlock.
    assert run([*command, "--unlock"], workflow).returncode == 0
    result = run(command, workflow, 1500)
    assert result.returncode == 0, result.stderr[-5000:]
    resumed, whole = result_tables(workflow), result_tables(uninterrupted)
    assert resumed.keys() == whole.keys()
    differing = [name for name in whole if resumed[name] != whole[name]]
    assert differing == []
