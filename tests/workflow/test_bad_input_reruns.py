"""Reruns that a time stamp cannot see, and FCS files shared by two samples.

Part of the bad-input catalogue begun in tests/unit/io/test_bad_input.py. Each case is an input
(an FCS file swapped, restored from a backup, touched, or shared by two sample IDs), the
behaviour it must produce (exactly the changed samples rerun, or an error naming both
sample IDs), and a check that nothing else was lost or rerun.

The workflow cases share one finished small trial (module fixture) and change it in
file order; each case computes what it expects from the state it finds.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from helpers.small_trial import patient_with_samples, simulate_small_trial
from helpers.workflow import SNAKEMAKE, copy_workflow, jobs, jobs_in, run, sample_jobs

from cytotrial.errors import InputError
from cytotrial.flow.gating.template import read_gating_template
from cytotrial.flow.sample.analysis import analyse_sample
from cytotrial.io.panel import read_panel
from cytotrial.simulate.flow.sample import simulate_sample, write_sample
from cytotrial.simulate.trial import DEFAULT_SEED, plan_demo_samples

PATIENTS = ["PT001", "PT002"]
AGGREGATES = jobs(
    "flow_sample_inventory", "flow_cohort_qc", "flow_aggregate", "flow_statistics", "report", "all"
)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class Trial:
    """A finished small trial in a git-committed workflow copy."""

    def __init__(self, workflow: Path, sheet: pd.DataFrame, spare: pd.DataFrame, clinical: Path):
        self.workflow = workflow
        self.sheet = sheet
        self.spare = spare
        self.clinical = clinical

    def fcs(self, sample: str) -> Path:
        return Path(self.sheet.set_index("sample_id").loc[sample, "fcs"])

    def snakemake(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        config = [f"sample_sheet={self.workflow / 'samples.tsv'}", f"clinical_dir={self.clinical}"]
        result = run([*SNAKEMAKE, "--cores", "2", "--config", *config, *args], self.workflow)
        assert not check or result.returncode == 0, result.stdout + result.stderr
        return result

    def planned_jobs(self) -> set[tuple[str, str]]:
        result = self.snakemake("--dry-run")
        return jobs_in(result.stdout + result.stderr)

    def record(self, sample: str) -> dict:
        return json.loads((self.workflow / f"results/flow/samples/{sample}.json").read_text())

    def output_mtimes(self) -> dict[Path, int]:
        folder = self.workflow / "results/flow/samples"
        return {path: path.stat().st_mtime_ns for path in sorted(folder.glob("*.populations.tsv"))}

    def report(self) -> str:
        """Both report pages' text (the gating page holds the per-sample tables), without
        the <wbr> break opportunities long words get (a checksum reads whole)."""
        pages = ("cytotrial_report.html", "cytotrial_report_gating.html")
        html = "".join((self.workflow / "results/report" / page).read_text() for page in pages)
        return html.replace("<wbr>", "")


@pytest.fixture(scope="module")
def trial(tmp_path_factory) -> Trial:
    base = tmp_path_factory.mktemp("reruns")
    # a spare patient's files are never in the sheet: other content to restore (two used)
    spare_patient = patient_with_samples(2, PATIENTS)
    full = simulate_small_trial(base / "data", PATIENTS + [spare_patient], events_per_file=2000)
    sheet = full[full["patient_id"].isin(PATIENTS)].reset_index(drop=True)
    spare = full[full["patient_id"] == spare_patient].reset_index(drop=True)
    workflow = copy_workflow(base / "wf")
    sheet.to_csv(workflow / "samples.tsv", sep="\t", index=False)
    # a checkout: the report must name the commit whose code ran
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "trial"]):
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
        subprocess.run(git, cwd=workflow, check=True, capture_output=True)
    trial = Trial(workflow, sheet, spare, (base / "data" / "clinical").resolve())
    trial.snakemake()
    return trial


def assert_reran_exactly(trial: Trial, changed: list[str]) -> None:
    """The dry run plans exactly `changed` + aggregates; the run then records the new bytes,
    the report lists them, and no other sample's outputs were rewritten."""
    assert trial.planned_jobs() == sample_jobs(changed) | AGGREGATES
    before = trial.output_mtimes()
    trial.snakemake()
    after = trial.output_mtimes()
    rewritten = {path.name.split(".")[0] for path in before if before[path] != after[path]}
    assert rewritten == set(changed)
    report = trial.report()
    for sample in trial.sheet["sample_id"]:
        assert trial.record(sample)["file_sha256"] == sha256(trial.fcs(sample)), sample
        assert sha256(trial.fcs(sample)) in report, sample
    assert trial.planned_jobs() == set()


@pytest.mark.slow  # the module's finished small trial: minutes
def test_report_names_the_commit_whose_code_ran(trial):
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=trial.workflow, capture_output=True, text=True
    ).stdout.strip()
    assert f"<td>{head}</td>" in trial.report()


@pytest.mark.slow  # the module's finished small trial: minutes
def test_two_files_swapped_with_mv_rerun_both_samples(trial):
    first, second = trial.sheet["sample_id"].iloc[[0, 1]]
    a, b = trial.fcs(first), trial.fcs(second)
    assert sha256(a) != sha256(b)
    parked = a.with_suffix(".parked")
    os.rename(a, parked)  # mv a tmp; mv b a; mv tmp b: both keep their old mtimes
    os.rename(b, a)
    os.rename(parked, b)
    assert_reran_exactly(trial, [first, second])


@pytest.mark.slow  # the module's finished small trial: minutes
def test_file_restored_from_a_backup_with_cp_p_reruns_its_sample(trial, tmp_path):
    sample = trial.sheet["sample_id"].iloc[2]
    path = trial.fcs(sample)
    backup = tmp_path / "backup.fcs"
    # the backup holds other content (the spare patient's file), with an old mtime
    shutil.copy2(trial.spare["fcs"].iloc[0], backup)
    os.utime(backup, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - 10**12))
    subprocess.run(["cp", "-p", str(backup), str(path)], check=True)
    assert (
        path.stat().st_mtime_ns
        < (trial.workflow / "results/flow/populations.tsv").stat().st_mtime_ns
    )
    assert_reran_exactly(trial, [sample])


@pytest.mark.slow  # the module's finished small trial: minutes
def test_file_restored_from_a_backup_with_mv_reruns_its_sample(trial, tmp_path):
    sample = trial.sheet["sample_id"].iloc[3]
    path = trial.fcs(sample)
    backup = tmp_path / "backup.fcs"
    shutil.copy2(trial.spare["fcs"].iloc[1], backup)
    os.utime(backup, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - 10**12))
    os.replace(backup, path)
    assert_reran_exactly(trial, [sample])


@pytest.mark.slow  # the module's finished small trial: minutes
def test_touched_unchanged_file_reruns_nothing(trial):
    path = trial.fcs(trial.sheet["sample_id"].iloc[0])
    before = trial.output_mtimes()
    os.utime(path)
    assert trial.planned_jobs() == set()
    trial.snakemake()
    assert trial.output_mtimes() == before


@pytest.mark.slow
@pytest.mark.parametrize("how", ["copied file", "same path"])
def test_two_samples_with_one_content_stop_before_any_job(trial, tmp_path, how):
    first, second = trial.sheet["sample_id"].iloc[[0, 4]]
    sheet = trial.sheet.copy()
    if how == "copied file":
        copy = tmp_path / "copy.fcs"
        shutil.copy(trial.fcs(first), copy)
        sheet.loc[sheet["sample_id"] == second, "fcs"] = str(copy)
    else:
        sheet.loc[sheet["sample_id"] == second, "fcs"] = str(trial.fcs(first))
    lines = [int(sheet.index[sheet["sample_id"] == s][0]) + 2 for s in (first, second)]
    sheet_path = tmp_path / "samples.tsv"
    sheet.to_csv(sheet_path, sep="\t", index=False)
    before = trial.output_mtimes()
    config = [f"sample_sheet={sheet_path}", f"clinical_dir={trial.clinical}"]
    result = run([*SNAKEMAKE, "--cores", "2", "--config", *config], trial.workflow)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    pair = f"sample_id {first!r} (line {lines[0]}) and sample_id {second!r} (line {lines[1]})"
    assert pair in log, log
    assert "identical content" in log, log
    assert "rule flow_analyse_sample" not in log  # stopped at parse time
    assert trial.output_mtimes() == before
    assert trial.planned_jobs() == set()  # the good sheet still has nothing to do


# ================================================================ package level


def test_distinct_content_check_names_both_ids_and_lines(tmp_path):
    from cytotrial.io.input_checks import check_distinct_fcs_content

    sheet_path = tmp_path / "samples.tsv"
    sheet = pd.DataFrame(
        {
            "sample_id": ["S1", "S2", "S3"],
            "fcs": [str(tmp_path / f"{name}.fcs") for name in ("a", "b", "c")],
        }
    )
    sheet.to_csv(sheet_path, sep="\t", index=False)
    digests = dict(zip(sheet["sample_id"], ["1" * 64, "2" * 64, "1" * 64], strict=True))
    with pytest.raises(InputError) as error:
        check_distinct_fcs_content(
            sheet.set_index("sample_id", drop=False), str(sheet_path), digests
        )
    message = str(error.value)
    assert "sample_id 'S1' (line 2) and sample_id 'S3' (line 4)" in message, message
    assert "identical content" in message and str(sheet_path) in message
    assert "'S2'" not in message
    check_distinct_fcs_content(sheet, str(sheet_path), {**digests, "S3": "3" * 64})  # no error
    # empty files fail their own samples in the job ("file is empty"): not a pair
    empty = hashlib.sha256(b"").hexdigest()
    check_distinct_fcs_content(sheet, str(sheet_path), {**digests, "S1": empty, "S3": empty})


@pytest.fixture
def two_files(tmp_path) -> tuple[Path, Path]:
    """Two FCS files of one sample plan row with different event counts."""
    row = plan_demo_samples(DEFAULT_SEED, tmp_path).iloc[0].to_dict()
    paths = []
    for events in (1500, 2500):
        path = tmp_path / f"{events}.fcs"
        write_sample(simulate_sample(row, DEFAULT_SEED, events), path, tmp_path / "truth")
        paths.append(path)
    return paths[0], paths[1]


def analyse(path: Path):
    from helpers.paths import REPO

    panel = read_panel(REPO / "resources/panel.yaml")
    template = read_gating_template(
        REPO / "resources/gating/pbmc_cd38.yaml", [c.marker for c in panel.channels]
    )
    return analyse_sample("S1", path, panel, template)


def test_record_hash_is_of_the_bytes_analysed_when_the_file_is_swapped(two_files, monkeypatch):
    """A file replaced (mv) after its hash but before its events were read: the hash and the
    events must come from one version of the file."""
    from cytotrial.fcs import datasets

    path, other = two_files
    other_sha = sha256(other)
    opened = datasets.FcsFile.__init__
    swapped = []

    def swap_then_open(self, source, **kwargs):
        if not swapped:  # the first open after the job started: the file changes under it
            os.replace(other, path)
            swapped.append(True)
        opened(self, source, **kwargs)

    monkeypatch.setattr(datasets.FcsFile, "__init__", swap_then_open)
    result = analyse(path)
    assert swapped
    assert result.status == "ok", result.reason
    assert result.file_sha256 == other_sha
    assert result.qc.events == 2500  # the events of the file that was hashed


def test_file_changed_in_place_while_read_fails_its_sample(two_files, monkeypatch):
    from cytotrial.fcs import reader

    path, _ = two_files
    original = reader.read_chain

    def append_then_read(fcs, *args, **kwargs):
        with open(path, "ab") as handle:  # a copy still being written into the same file
            handle.write(b"0" * 64)
        return original(fcs, *args, **kwargs)

    monkeypatch.setattr(reader, "read_chain", append_then_read)
    result = analyse(path)
    assert result.status == "failed"
    assert "changed while" in result.reason
    assert str(path) not in result.reason  # the record names no file path
