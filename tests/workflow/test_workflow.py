"""The workflow as a user sees it before running: dry run, lint, formatting.

The end-to-end run on the default demo is in test_demo_run.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers.paths import REPO
from helpers.workflow import SNAKEMAKE, copy_workflow, run


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
