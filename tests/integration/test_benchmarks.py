"""The workflow benchmark's controls still run (the full benchmark takes minutes and is
run by hand: `.venv/bin/python benchmarks/bench_workflow.py`)."""

from __future__ import annotations

import sys

from helpers.paths import REPO


def test_control_snakefiles_dry_run(tmp_path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_workflow import CONTROL_SNAKEFILES, bench_controls, table

    rows = bench_controls(tmp_path, jobs=20, repeat=1)  # raises if a Snakefile fails
    assert len(rows) == 3 * len(CONTROL_SNAKEFILES)
    assert all(row.wall_s > 0 and row.cpu_s > 0 for row in rows)
    printed = table(rows)
    assert printed.count("\n") == len(rows) + 1  # header, rule, one line per row
    assert "shaped Snakefile" in printed
