"""Issue 16: what reruns when one sample joins a group with pooled cuts.

A small user-mode trial (one patient, 5,000 events per file) run with the example
template resources/gating/pbmc_cd38_pooled.yaml (pool: patient), to the flow tables.
The group's job is a Snakemake checkpoint: a dry run cannot know whether the group's
cut will move, so it lists the group's job and every member (an upper bound); the real
run reruns the group's job, the new sample and the aggregate, and the other members only
when the group's cut moved more than the template's tolerance (tolerance 0: always).
Switching a finished run to pooled gates reruns every member.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from helpers.small_trial import simulate_small_trial
from helpers.workflow import SNAKEMAKE, copy_workflow, jobs_in, run, sample_jobs

# small workflow runs, ~17 s and ~25 s
pytestmark = pytest.mark.slow

TEMPLATE = "resources/gating/pbmc_cd38_pooled.yaml"
TARGET = "results/flow/populations.tsv"
POOLED_GATES = ("t_cells", "b_cells", "nk_cells")


class PooledTrial:
    def __init__(self, workflow: Path, clinical: Path, tolerance: float | None):
        self.workflow, self.clinical = workflow, clinical
        self.template = TEMPLATE
        if tolerance is not None:  # a copy of the example with another tolerance
            text = (workflow / TEMPLATE).read_text()
            assert "  tolerance: 0.01\n" in text
            self.template = "resources/gating/pooled_tolerance.yaml"
            (workflow / self.template).write_text(
                text.replace("  tolerance: 0.01\n", f"  tolerance: {tolerance}\n")
            )

    def snakemake(self, *args: str) -> str:
        config = [
            f"sample_sheet={self.workflow / 'samples.tsv'}",
            f"clinical_dir={self.clinical}",
            f"gating_template={self.template}",
        ]
        result = run(
            [*SNAKEMAKE, "--cores", "2", "--config", *config, *args, "--", TARGET], self.workflow
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        return output

    def group(self) -> dict:
        return json.loads((self.workflow / "results/flow/pooled/patient/PT001.json").read_text())

    def mtimes(self) -> dict[str, int]:
        folder = self.workflow / "results/flow/samples"
        return {p.name: p.stat().st_mtime_ns for p in sorted(folder.glob("*.populations.tsv"))}

    def cuts_applied(self, sample: str) -> dict[str, list[float]]:
        record = json.loads((self.workflow / f"results/flow/samples/{sample}.json").read_text())
        return {g: [c["cut"] for c in record["gates"][g]["cuts"]] for g in POOLED_GATES}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    base = tmp_path_factory.mktemp("pooled")
    sheet = simulate_small_trial(base / "data", ["PT001"], events_per_file=5000)
    assert len(sheet) >= 4
    return base, sheet


def start(data, name: str, tolerance: float | None) -> tuple[PooledTrial, pd.DataFrame]:
    """A finished run on all of PT001's samples but the last; returns it and the last."""
    base, sheet = data
    trial = PooledTrial(copy_workflow(base / name), (base / "data/clinical").resolve(), tolerance)
    sheet.iloc[:-1].to_csv(trial.workflow / "samples.tsv", sep="\t", index=False)
    trial.snakemake()
    assert trial.group()["replaced"] is True  # the group's first cuts
    return trial, sheet


GROUP_JOB = {("flow_pool_group", "pool=patient, group=PT001")}
AGGREGATE = {("flow_cohort_qc", ""), ("flow_aggregate", "")}


def applied_value(group: dict, gate: str, marker: str) -> float:
    return group["applied"][gate][marker]["value"]


def check_members_apply_the_groups_cuts(trial: PooledTrial, sheet: pd.DataFrame) -> None:
    group = trial.group()
    for sample in sheet["sample_id"]:
        cuts = trial.cuts_applied(sample)
        assert cuts["t_cells"] == [pytest.approx(applied_value(group, "t_cells", "CD3"), abs=1e-6)]
        assert cuts["b_cells"][1] == pytest.approx(
            applied_value(group, "b_cells", "CD19"), abs=1e-6
        )


def test_one_new_sample_reruns_its_group_job_itself_and_the_aggregate(data):
    trial, sheet = start(data, "default_tolerance", None)
    assert trial.snakemake("--dry-run").count("Nothing to be done") == 1
    before = trial.mtimes()
    old, new = sheet["sample_id"].iloc[:-1], sheet["sample_id"].iloc[-1]
    sheet.to_csv(trial.workflow / "samples.tsv", sep="\t", index=False)
    # the dry run: the checkpoint's members are listed (whether its cut moves is unknown)
    assert (
        jobs_in(trial.snakemake("--dry-run"))
        == GROUP_JOB | sample_jobs(sheet["sample_id"]) | AGGREGATE
    )
    ran = jobs_in(trial.snakemake())
    group = trial.group()
    assert group["members"] == list(sheet["sample_id"]) and group["pooled"] == group["members"]
    # with 5,000 events a file, the patient's fifth sample moves the cuts less than 0.01
    assert group["replaced"] is False and group["largest_move"] <= group["tolerance"] == 0.01
    assert ran == GROUP_JOB | sample_jobs([new]) | AGGREGATE
    assert {k: v for k, v in trial.mtimes().items() if k in before} == before, "members reran"
    check_members_apply_the_groups_cuts(trial, sheet)
    # the new cuts were computed, not applied: the applied ones are those of the old run
    assert group["computed"] != group["applied"]
    assert trial.snakemake("--dry-run").count("Nothing to be done") == 1
    assert len(old) >= 3


def test_switching_to_pooled_gates_reruns_all_then_tolerance_zero_reruns_members(data):
    """A finished run with the default template switched to pooled gates: every member
    reruns with its group's cuts (their first DAG pass waits for the group's checkpoint,
    which the aggregate needs). Then, with tolerance 0, a new sample reruns every member."""
    base, sheet = data
    trial = PooledTrial(copy_workflow(base / "switch"), (base / "data/clinical").resolve(), 0)
    pooled_template = trial.template
    trial.template = "resources/gating/pbmc_cd38.yaml"
    sheet.iloc[:-1].to_csv(trial.workflow / "samples.tsv", sep="\t", index=False)
    trial.snakemake()
    trial.template = pooled_template
    ran = jobs_in(trial.snakemake())
    assert ran == GROUP_JOB | sample_jobs(sheet["sample_id"].iloc[:-1]) | AGGREGATE
    check_members_apply_the_groups_cuts(trial, sheet.iloc[:-1])

    sheet.to_csv(trial.workflow / "samples.tsv", sep="\t", index=False)
    ran = jobs_in(trial.snakemake())
    group = trial.group()
    assert group["tolerance"] == 0 and group["largest_move"] > 0 and group["replaced"] is True
    assert ran == GROUP_JOB | sample_jobs(sheet["sample_id"]) | AGGREGATE
    check_members_apply_the_groups_cuts(trial, sheet)
    assert group["computed"] == group["applied"]
    assert trial.snakemake("--dry-run").count("Nothing to be done") == 1
