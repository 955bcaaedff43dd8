"""Drive Snakemake on a copy of the workflow, and read the jobs it plans."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from helpers.paths import REPO

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


JOB_HEADER = re.compile(r"^\s*(?:local)?(rule|checkpoint) (\w+):$")
WILDCARDS = re.compile(r"^\s*wildcards: (.*)$")


def jobs_in(output: str) -> set[tuple[str, str]]:
    """(rule, wildcards) of every job block in Snakemake's output (dry or real run)."""
    found: list[list[str]] = []
    for line in output.splitlines():
        if header := JOB_HEADER.match(line):
            found.append([header.group(2), ""])
        elif (wildcards := WILDCARDS.match(line)) and found:
            found[-1][1] = wildcards.group(1)
    return {(rule, wildcards) for rule, wildcards in found}


def sample_jobs(samples) -> set[tuple[str, str]]:
    return {("flow_analyse_sample", f"sample={s}") for s in samples}


def jobs(*rules: str) -> set[tuple[str, str]]:
    return {(rule, "") for rule in rules}


@contextmanager
def edited(path: Path) -> Iterator[str]:
    """Yield the file's text for an edit; put the original bytes back afterwards."""
    original = path.read_bytes()
    try:
        yield original.decode()
    finally:
        path.write_bytes(original)
