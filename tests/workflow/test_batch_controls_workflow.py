"""Issue 16: batch control files in the workflow (rule flow_batch_controls).

A small user-mode trial (one patient, 5,000 events per file, one sample per batch but
one) with a template whose CD19 cut takes a lone peak's negative level from the batch's
control. A stand-in control (another simulated file of the patient, listed as the CD19
FMO tube of the first batch): the plumbing is under test, not the biology.
"""

from __future__ import annotations

import json
import os
import shutil

import pandas as pd
import pytest
from helpers.small_trial import simulate_small_trial
from helpers.workflow import SNAKEMAKE, copy_workflow, jobs_in, run, sample_jobs

# one workflow run and a dry run, ~35 s
pytestmark = pytest.mark.slow

TEMPLATE = "resources/gating/controls_test.yaml"


def test_batch_controls_set_levels_flag_batches_without_and_rerun_only_their_batch(
    tmp_path,
):
    sheet = simulate_small_trial(tmp_path / "data", ["PT001"], events_per_file=5000)
    workflow = copy_workflow(tmp_path / "wf")
    text = (workflow / "resources/gating/pbmc_cd38.yaml").read_text()
    old = "y: {marker: CD19, side: above, valley: last, negative_from: t_cells}"
    assert old in text
    new = "y: {marker: CD19, side: above, valley: last, negative_control: lymphocytes}"
    (workflow / TEMPLATE).write_text(text.replace(old, new))
    sheet.to_csv(workflow / "samples.tsv", sep="\t", index=False)
    batches = sheet["batch"].astype(str)
    first = batches.iloc[0]
    control = tmp_path / "fmo_cd19.fcs"
    shutil.copy(sheet["fcs"].iloc[-1], control)
    (workflow / "controls.tsv").write_text(
        f"control_id\tbatch\tkind\tmarkers\tfcs\nFMO19\t{first}\tFMO\tCD19\t{control}\n"
    )
    config = [
        f"sample_sheet={workflow / 'samples.tsv'}",
        f"clinical_dir={(tmp_path / 'data/clinical').resolve()}",
        f"gating_template={TEMPLATE}",
        f"flow={{'controls_sheet': '{workflow / 'controls.tsv'}'}}",
    ]

    def snakemake(*args: str) -> str:
        command = [*SNAKEMAKE, "--cores", "2", "--config", *config, *args, "--"]
        result = run([*command, "results/flow/populations.tsv"], workflow)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout + result.stderr

    snakemake()
    levels = json.loads((workflow / f"results/flow/controls/{first}.json").read_text())
    level = levels["levels"]["lymphocytes"]["CD19"]
    assert (level["control_id"], level["kind"], levels["controls"]) == ("FMO19", "FMO", ["FMO19"])
    # the lowest CD19 peak of the stand-in's lymphocytes (the simulator's CD19 negatives
    # show two peaks after compensation, at about -0.08 and 0.32)
    assert -0.3 < level["mode"] < 0.45 and level["sd"] > 0
    populations = pd.read_csv(workflow / "results/flow/populations.tsv", sep="\t")
    b_cells = populations[populations["gate"] == "b_cells"].set_index("sample_id")
    for sample, batch in zip(sheet["sample_id"], batches, strict=True):
        flagged = "no_batch_control(CD19 on lymphocytes)" in str(b_cells.loc[sample, "gate_flags"])
        assert flagged == (batch != first), sample
    other = sorted(set(batches) - {first})
    assert other, "the trial must have a batch without a control"
    none = json.loads((workflow / f"results/flow/controls/{other[0]}.json").read_text())
    assert none["levels"]["lymphocytes"]["CD19"]["mode"] is None

    # the control file replaced under an OLDER mtime (a restored backup, `cp -p`): the
    # file's SHA-256 is a param, so its batch's job and members rerun, no other sample
    before = control.stat()
    shutil.copyfile(sheet["fcs"].iloc[-2], control)
    os.utime(control, ns=(before.st_atime_ns, before.st_mtime_ns - 3_600 * 10**9))
    planned = jobs_in(snakemake("--dry-run"))
    members = sheet["sample_id"][batches == first]
    assert planned == (
        {("flow_batch_controls", f"batch={first}"), ("flow_cohort_qc", ""), ("flow_aggregate", "")}
        | sample_jobs(members)
    )
