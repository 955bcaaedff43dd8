"""Shared test fixtures: repository paths and the optional ../shared folder."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SCHEMA_DIR = REPO / "config" / "schemas"
# R's golden values for the statistics tests, copied with their provenance (README there)
R_REFERENCE = REPO / "tests" / "data" / "r-reference"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with a message when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not found: ../shared (developer material) is not beside this clone")
    return path


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """The default demo, run once: `snakemake --cores 2` in a clean workflow copy.

    Shared by the slow suites that read its outputs (test_demo_run, test_report_browser).
    """
    from test_workflow import SNAKEMAKE, copy_workflow, run

    workflow = copy_workflow(tmp_path_factory.mktemp("demo") / "wf")
    result = run([*SNAKEMAKE, "--cores", "2"], workflow, timeout=3000)
    assert result.returncode == 0, result.stderr[-8000:]
    return workflow
