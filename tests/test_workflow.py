"""The workflow as a user runs it: dry run, lint, formatting, a tiny end-to-end demo."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import flowio
import pandas as pd
import pytest
from conftest import REPO

WORKFLOW_PARTS = [
    "Snakefile",
    "rules",
    "scripts",
    "config",
    "resources",
    "report",
    "profiles",
    "envs",
    "src",
]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def copy_workflow(dest: Path) -> Path:
    """A clean working copy of the workflow, as a fresh clone would have it."""
    for part in WORKFLOW_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, dest / part)
    return dest


def run(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def workflow(tmp_path: Path) -> Path:
    return copy_workflow(tmp_path / "wf")


def test_dry_run_on_default_config_plans_the_demo(workflow):
    result = run([*SNAKEMAKE, "-n", "--cores", "2"], workflow)
    assert result.returncode == 0, result.stderr + result.stdout
    log = result.stdout + result.stderr
    for rule in ["simulate_demo_trial", "flow_sample_inventory", "clinical_patient_flow", "report"]:
        assert rule in log, f"dry run does not schedule {rule}"


def test_lint_is_clean(workflow):
    result = run([*SNAKEMAKE, "--lint"], workflow)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Lints for" not in output, output


def test_snakefmt_is_clean():
    files = [str(REPO / "Snakefile"), *map(str, sorted((REPO / "rules").glob("*.smk")))]
    result = run([sys.executable, "-m", "snakefmt", "--check", *files], REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean():
    result = run([sys.executable, "-m", "ruff", "check", "src", "scripts", "tests"], REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_end_to_end_tiny_demo(workflow):
    (workflow / "tiny.yaml").write_text("demo:\n  events_per_file: 300\n")
    result = run([*SNAKEMAKE, "--cores", "2", "--configfile", "tiny.yaml"], workflow)
    assert result.returncode == 0, result.stderr[-5000:]

    per_timepoint = pd.read_csv(workflow / "results/flow/samples_per_timepoint.tsv", sep="\t")
    counts = {(r.part, r.timepoint): r.samples for r in per_timepoint.itertuples()}
    assert counts == {
        ("A", "C1D1"): 55,
        ("A", "C2D1"): 51,
        ("B", "C1D1"): 50,
        ("B", "C1D3"): 42,
        ("B", "C2D3"): 36,
        ("B", "EOT"): 33,
    }
    assert (per_timepoint["readable_files"] == per_timepoint["samples"]).all()
    assert (per_timepoint["median_events"] == 300).all()

    flow = pd.read_csv(workflow / "results/clinical/patient_flow.tsv", sep="\t").set_index("box")
    assert (flow.loc["part_a", "n"], flow.loc["part_b", "n"], flow.loc["rp2d", "n"]) == (63, 50, 44)

    html = (workflow / "results/report/cytotrial_report.html").read_text()
    assert "Patient flow" in html and "Sample inventory" in html
    # the FCS files carry a fake patient name in $SRC: it must not reach any output
    first_fcs = sorted((workflow / "results/demo/fcs").glob("*.fcs"))[0]
    src = flowio.FlowData(str(first_fcs), only_text=True).text.get("src", "")
    assert src, "demo FCS files carry a fake $SRC to test privacy"
    for output in [
        *(workflow / "results").rglob("*.tsv"),
        *(workflow / "results").rglob("*.html"),
        *(workflow / "logs").rglob("*.log"),
    ]:
        if "demo" in output.parts:
            continue
        assert src not in output.read_text(), f"$SRC leaked into {output}"

    # a second run has nothing to do
    again = run([*SNAKEMAKE, "-n", "--cores", "2", "--configfile", "tiny.yaml"], workflow)
    assert "Nothing to be done" in again.stdout + again.stderr
