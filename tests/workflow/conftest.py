"""The default demo, run once by Snakemake, for the workflow tier's tests that read it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.workflow import SNAKEMAKE, copy_workflow, run


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """The default demo, run once: `snakemake --cores 2` in a clean workflow copy.

    Shared by the slow suites that read its outputs (test_demo_run, the browser tests).
    CYTOTRIAL_TEST_DEMO=<folder> reuses a finished run of this checkout's demo instead
    (for a developer re-running these tests; CI always runs the demo afresh).
    """
    finished = os.environ.get("CYTOTRIAL_TEST_DEMO")
    if finished:
        folder = Path(finished)
        assert (folder / "results/report/cytotrial_report.html").is_file(), folder
        return folder
    workflow = copy_workflow(tmp_path_factory.mktemp("demo") / "wf")
    result = run([*SNAKEMAKE, "--cores", "2"], workflow, timeout=3000)
    assert result.returncode == 0, result.stderr[-8000:]
    return workflow
