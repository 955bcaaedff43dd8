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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from small_trial import simulate_small_trial
from test_workflow import SNAKEMAKE, copy_workflow, run

pytestmark = pytest.mark.slow

# The run's patients, and the patient whose files arrive later (case b).
FIRST_PATIENTS = ["PT001", "PT002"]
LATE_PATIENT = "PT003"
TEMPLATE = "resources/gating/pbmc_cd38.yaml"
JOB_HEADER = re.compile(r"^\s*(?:local)?rule (\w+):$")
WILDCARDS = re.compile(r"^\s*wildcards: (.*)$")


class Trial:
    """A finished small trial in a workflow copy, and the commands to drive it."""

    def __init__(self, workflow: Path, sheet: pd.DataFrame, late: pd.DataFrame, clinical: Path):
        self.workflow = workflow
        self.sheet = sheet
        self.late = late
        self.clinical = clinical

    @property
    def config(self) -> list[str]:
        return [
            "--config",
            f"sample_sheet={self.workflow / 'samples.tsv'}",
            f"clinical_dir={self.clinical}",
        ]

    def write_sheet(self, sheet: pd.DataFrame) -> None:
        sheet.to_csv(self.workflow / "samples.tsv", sep="\t", index=False)
        self.sheet = sheet

    def snakemake(self, *args: str) -> str:
        result = run([*SNAKEMAKE, "--cores", "2", *self.config, *args], self.workflow)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        return output

    def planned_jobs(self, *args: str) -> set[tuple[str, str]]:
        """(rule, wildcards) of every job a dry run lists."""
        return parse_jobs(self.snakemake("--dry-run", *args))


def parse_jobs(output: str) -> set[tuple[str, str]]:
    """The (rule, wildcards) pairs of a dry run's job blocks ('' without wildcards)."""
    jobs: list[list[str]] = []
    for line in output.splitlines():
        if header := JOB_HEADER.match(line):
            jobs.append([header.group(1), ""])
        elif (wildcards := WILDCARDS.match(line)) and jobs:
            jobs[-1][1] = wildcards.group(1)
    return {(rule, wildcards) for rule, wildcards in jobs}


def sample_jobs(sample_ids) -> set[tuple[str, str]]:
    return {("flow_analyse_sample", f"sample={sample}") for sample in sample_ids}


def jobs(*rules: str) -> set[tuple[str, str]]:
    return {(rule, "") for rule in rules}


@pytest.fixture(scope="module")
def trial(tmp_path_factory) -> Trial:
    """The small trial (2 patients, 10 FCS files of 20,000 events), analysed once."""
    base = tmp_path_factory.mktemp("incremental")
    # 20,000 events (the demo's default) make 1.1 MB files: above Snakemake's default
    # checksum limit (1 MB), so case (e) checks the profile's max-checksum-file-size.
    full = simulate_small_trial(
        base / "data", FIRST_PATIENTS + [LATE_PATIENT], events_per_file=20_000
    )
    first = full[full["patient_id"].isin(FIRST_PATIENTS)].reset_index(drop=True)
    late = full[full["patient_id"] == LATE_PATIENT].reset_index(drop=True)
    trial = Trial(copy_workflow(base / "wf"), first, late, (base / "data" / "clinical").resolve())
    trial.write_sheet(first)
    trial.snakemake()
    assert (trial.workflow / "results/report/cytotrial_report.html").is_file()
    return trial


@contextmanager
def edited(path: Path) -> Iterator[str]:
    """Yield the file's text for an edit; put the original bytes back afterwards."""
    original = path.read_bytes()
    try:
        yield original.decode()
    finally:
        path.write_bytes(original)


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
    assert set(populations["patient_id"].astype(str)) == set(FIRST_PATIENTS + [LATE_PATIENT])
    assert {path: path.stat().st_mtime_ns for path in outputs} == mtimes, "old samples reran"
    assert trial.planned_jobs() == set()
