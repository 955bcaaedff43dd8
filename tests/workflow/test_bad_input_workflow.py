"""Bad inputs stop the workflow itself before any job, with the message the checks give
(the checks are unit-tested in tests/unit/io/test_bad_input*.py; these run Snakemake)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.bad_input import (
    broken_clinical,
    dry_run,
    shift,
    user_trial,
)
from helpers.workflow import SNAKEMAKE, copy_workflow, run


def test_workflow_runs_the_good_user_trial(workflow_copy, demo_clinical, tmp_path):
    sheet, clinical = user_trial(tmp_path, demo_clinical)
    code, log = dry_run(workflow_copy, tmp_path, sheet, clinical)
    assert code == 0, log


@pytest.mark.parametrize(
    "case",
    ["unknown config key", "missing panel", "unknown patient", "date order", "missing FCS"],
)
def test_workflow_shows_the_message(workflow_copy, demo_clinical, tmp_path, case):
    sheet, clinical = user_trial(tmp_path, demo_clinical)
    config: dict = {}
    if case == "unknown config key":
        config["cut_off"] = "2020-10-01"
        expected = "Additional properties are not allowed ('cut_off' was unexpected)"
    elif case == "missing panel":
        config["panel"] = "resources/panel_v2.yaml"
        expected = "config panel: file 'resources/panel_v2.yaml' not found"
    elif case == "unknown patient":
        sheet.loc[sheet.index[0], "patient_id"] = "PT999"
        expected = "patient_id 'PT999' is not in"
    elif case == "date order":
        edit = shift("part_a_progression", "part_a_start", -10)
        clinical = broken_clinical(demo_clinical, tmp_path / "clinical", "dates", edit)
        expected = "part A progression before part A registration"
    else:
        Path(sheet["fcs"].iloc[1]).unlink()
        expected = f"field 'fcs': file '{sheet['fcs'].iloc[1]}' not found"
    code, log = dry_run(workflow_copy, tmp_path, sheet, clinical, **config)
    assert code != 0
    assert expected in log, log


def test_cluster_jobs_leave_the_input_checks_to_the_main_process(
    workflow_copy, demo_clinical, tmp_path
):
    """A SLURM job parses the Snakefile again on its node (`--mode remote`): the main
    process has checked the clinical tables and every FCS file by then, so the job does
    not read or stat them again. The main process still stops on the same inputs."""
    sheet, clinical = user_trial(tmp_path, demo_clinical)
    sheet.loc[sheet.index[0], "patient_id"] = "PT999"
    dry_run(workflow_copy, tmp_path, sheet, clinical)  # writes the sheet and config
    config = ["--configfile", str(tmp_path / "config.yaml")]
    main = run([*SNAKEMAKE, "--list-rules", *config], workflow_copy, timeout=300)
    job = run([*SNAKEMAKE, "--mode", "remote", "--list-rules", *config], workflow_copy, timeout=300)
    assert main.returncode != 0
    assert "patient_id 'PT999' is not in" in main.stdout + main.stderr
    assert job.returncode == 0, job.stdout + job.stderr
    assert "flow_analyse_sample" in job.stdout


@pytest.mark.parametrize(
    ("cutoff", "expected"),
    [("2020-10-01", None), ("2031-01-01", "config cutoff_date: 2031-01-01 is after today")],
)
def test_workflow_cutoff_date_unquoted(workflow_copy, tmp_path, cutoff, expected):
    """The demo's dry run with the cut-off written as YAML writes it by hand: unquoted."""
    config = tmp_path / "config.yaml"
    config.write_text(f"cutoff_date: {cutoff}\n")
    result = run([*SNAKEMAKE, "-n", "-q", "--configfile", str(config)], workflow_copy, timeout=300)
    log = result.stdout + result.stderr
    if expected is None:
        assert result.returncode == 0, log
    else:
        assert result.returncode != 0 and expected in log, log


def test_workflow_stops_before_any_job_naming_file_gate_and_key(tmp_path):
    """`snakemake -n` on the demo with one misspelt template key: the run stops while the
    workflow is parsed (no job ran), with the message of the template catalogue
    (tests/unit/io/test_bad_input_templates.py)."""
    workflow = copy_workflow(tmp_path / "wf")
    template = workflow / "resources/gating/pbmc_cd38.yaml"
    text = template.read_text(encoding="utf-8")
    assert text.count("negative_below: 0.35") == 1
    template.write_text(text.replace("negative_below: 0.35", "negativ_below: 0.35"))
    result = run([*SNAKEMAKE, "-n", "--cores", "1"], workflow)
    assert result.returncode != 0
    assert (
        "resources/gating/pbmc_cd38.yaml, gate 'leukocytes', key 'threshold.negativ_below': "
        "unknown key 'negativ_below'; did you mean 'negative_below'?"
    ) in result.stderr + result.stdout
    assert not (workflow / "results").exists()


def test_workflow_runs_the_engine_before_the_analyses_on_the_demo(tmp_path):
    workflow = copy_workflow(tmp_path / "wf")
    target = "results/clinical/endpoints.tsv"
    result = run([*SNAKEMAKE, target, "-n", "--cores", "1", "--quiet", "rules"], workflow)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "clinical_imwg" in result.stdout and "clinical_endpoints" in result.stdout
