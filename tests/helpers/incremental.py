"""A small trial analysed once, for the tests of incremental reruns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers.small_trial import patient_with_samples, simulate_small_trial
from helpers.workflow import SNAKEMAKE, copy_workflow, jobs_in, run

# The run's patients; the patient whose files arrive later (case b) is the first other
# one with at least two files (Trial.late).
FIRST_PATIENTS = ["PT001", "PT002"]
TEMPLATE = "resources/gating/pbmc_cd38.yaml"


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
        return jobs_in(self.snakemake("--dry-run", *args))


@pytest.fixture(scope="module")
def trial(tmp_path_factory) -> Trial:
    """The small trial (2 patients, 10 FCS files of 20,000 events), analysed once."""
    base = tmp_path_factory.mktemp("incremental")
    # 20,000 events (the demo's default) make 1.1 MB files: above Snakemake's default
    # checksum limit (1 MB), so case (e) checks the profile's max-checksum-file-size.
    late_patient = patient_with_samples(2, FIRST_PATIENTS)
    full = simulate_small_trial(
        base / "data", FIRST_PATIENTS + [late_patient], events_per_file=20_000
    )
    first = full[full["patient_id"].isin(FIRST_PATIENTS)].reset_index(drop=True)
    late = full[full["patient_id"] == late_patient].reset_index(drop=True)
    trial = Trial(copy_workflow(base / "wf"), first, late, (base / "data" / "clinical").resolve())
    trial.write_sheet(first)
    trial.snakemake()
    assert (trial.workflow / "results/report/cytotrial_report.html").is_file()
    return trial
