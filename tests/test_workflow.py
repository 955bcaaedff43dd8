"""The workflow as a user sees it before running: dry run, lint, formatting.

The end-to-end run on the default demo is in test_demo_run.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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
    dest.mkdir(parents=True, exist_ok=True)
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
