"""Incremental reruns, as a trial adds samples and corrects records between runs.

One finished run of a small user-mode trial (module fixture); each test then changes
one thing and asks Snakemake what it would rerun (`snakemake -n`), comparing the jobs it
lists with the exact set that must rerun:
(a) nothing changed: no job;
(b) k new FCS files + sheet rows: k per-sample jobs + inventory, aggregate, statistics,
    report (then runs them, and the outputs hold the new samples and nothing else reran);
(c) a clinical table edited: clinical jobs and the report, no flow job;
(d) the gating template edited: every per-sample job and what depends on it;
(e) inputs touched without a content change: no job.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest
from helpers.incremental import FIRST_PATIENTS, TEMPLATE
from helpers.workflow import edited, jobs, sample_jobs

pytestmark = pytest.mark.slow


def test_a_nothing_changed_schedules_nothing(trial):
    assert trial.planned_jobs() == set()


def test_c_clinical_edit_reruns_no_gating_job(trial):
    responses = trial.clinical / "responses.csv"
    with edited(responses) as text:
        lines = text.splitlines(keepends=True)
        # the first patient's part A best response to another valid category
        header, first = lines[0], lines[1]
        assert header.startswith("patient_id,part,best_response") and first.startswith("PT001,A,")
        other = "SD" if first.endswith(",PR\n") else "PR"
        changed = re.sub(r",[A-Za-z]+\n$", f",{other}\n", first)
        assert changed != first, "the test must change the table"
        responses.write_text(header + changed + "".join(lines[2:]))
        planned = trial.planned_jobs()
    rules = {rule for rule, _ in planned}
    assert not {rule for rule in rules if rule.startswith("flow_")}, planned
    assert {"report", "clinical_response", "clinical_endpoints", "clinical_survival"} <= rules
    assert rules <= {"all", "report"} | {r for r in rules if r.startswith("clinical_")}
    # with the bytes back, nothing is left to do
    assert trial.planned_jobs() == set()


def test_d_gating_template_edit_reruns_every_gating_job(trial):
    template = trial.workflow / TEMPLATE
    with edited(template) as text:
        assert "width_mad: 4}" in text
        template.write_text(text.replace("width_mad: 4}", "width_mad: 4.5}"))
        planned = trial.planned_jobs()
    expected = sample_jobs(trial.sheet["sample_id"]) | jobs(
        "flow_cohort_qc", "flow_aggregate", "flow_statistics", "report", "all"
    )
    assert planned == expected
    assert trial.planned_jobs() == set()


def test_e_touching_inputs_without_change_reruns_nothing(trial):
    touched = [
        Path(trial.sheet["fcs"].iloc[0]),
        trial.clinical / "dates.csv",
        trial.workflow / TEMPLATE,
        trial.workflow / "resources/panel.yaml",
        trial.workflow / "samples.tsv",
    ]
    assert touched[0].stat().st_size > 1_000_000, "an FCS file above the default checksum limit"
    for path in touched:
        os.utime(path)  # now: newer than every output (a future time would be clock skew)
    assert trial.planned_jobs() == set()
    # Snakemake's default checksum limit (1 MB) would rerun the touched file's sample.
    first = trial.sheet["sample_id"].iloc[0]
    assert sample_jobs([first]) <= trial.planned_jobs("--max-checksum-file-size", "1000000")


def test_b_new_samples_rerun_only_their_jobs_and_the_aggregates(trial):
    before = trial.sheet
    outputs = sorted((trial.workflow / "results/flow/samples").glob("*.populations.tsv"))
    mtimes = {path: path.stat().st_mtime_ns for path in outputs}
    trial.write_sheet(pd.concat([before, trial.late], ignore_index=True))

    expected = sample_jobs(trial.late["sample_id"]) | jobs(
        "flow_sample_inventory",
        "flow_cohort_qc",
        "flow_aggregate",
        "flow_statistics",
        "report",
        "all",
    )
    assert len(trial.late) >= 2
    assert trial.planned_jobs() == expected

    trial.snakemake()
    populations = pd.read_csv(trial.workflow / "results/flow/populations.tsv", sep="\t")
    assert set(populations["patient_id"].astype(str)) == set(FIRST_PATIENTS) | set(
        trial.late["patient_id"]
    )
    assert {path: path.stat().st_mtime_ns for path in outputs} == mtimes, "old samples reran"
    assert trial.planned_jobs() == set()
