"""The workflow on a real SLURM cluster, with the project's profile (profiles/slurm).

The test starts a one-node SLURM cluster on this machine (tests/slurm/local_slurm.sh:
munged, slurmctld, slurmd from Debian's packages, which .ci/run installs), runs a
small user-mode trial with `snakemake --workflow-profile profiles/slurm` through
snakemake-executor-plugin-slurm, and checks that
- the per-sample, clinical and statistics jobs went through SLURM (the job IDs
  Snakemake reports are in `squeue`, COMPLETED, with the rules in their comments);
- every table equals the one a local `snakemake --cores 2` run of the same trial wrote;
then stops exactly the daemons it started (by the PIDs the script recorded).

It skips with a message where SLURM is not installed or the test is not root. By hand:
`bash tests/slurm/local_slurm.sh start`, then the README's "Run on a SLURM cluster".
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers.paths import REPO
from helpers.small_trial import simulate_small_trial
from helpers.workflow import SNAKEMAKE, copy_workflow

pytestmark = pytest.mark.slow

SCRIPT = REPO / "tests" / "slurm" / "local_slurm.sh"
STATE_DIR = Path("/run/local-slurm")  # where local_slurm.sh records the PIDs it started
DAEMONS = ("munged", "slurmctld", "slurmd")
PATIENTS = ["PT001", "PT002"]
# Snakemake ignores SIGTERM while it waits on SLURM: the run is bounded with SIGKILL.
RUN_LIMIT_S = 600
SUBMITTED = re.compile(r"submitted with SLURM jobid (\d+)")


def missing_requirements() -> str | None:
    if os.geteuid() != 0:
        return "starting munged/slurmctld/slurmd needs root"
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    tools = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol"]
    absent = [tool for tool in tools if shutil.which(tool, path=path) is None]
    if absent:
        return (
            f"SLURM is not installed ({', '.join(absent)} not found); "
            "apt-get install slurmctld slurmd slurm-client munge (as .ci/run does)"
        )
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return 'snakemake-executor-plugin-slurm is not installed (pip install -e ".[test]")'
    return None


def local_slurm(action: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LOCAL_SLURM_STATE_DIR": str(STATE_DIR)}
    env["PATH"] = env.get("PATH", "") + ":/usr/sbin:/sbin"
    return subprocess.run(
        ["bash", str(SCRIPT), action], capture_output=True, text=True, timeout=300, env=env
    )


@pytest.fixture(scope="module")
def cluster() -> dict[str, int]:
    """A running one-node cluster; stopped afterwards if (and only if) this test started it.

    A cluster that local_slurm.sh started earlier (by hand) is used and left running.
    """
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    already_running = local_slurm("status").returncode == 0
    started = local_slurm("start")
    if started.returncode != 0:
        pytest.fail(f"local SLURM cluster did not start:\n{started.stderr}")
    pids = {name: int((STATE_DIR / f"{name}.pid").read_text()) for name in DAEMONS}
    yield pids
    if not already_running:
        stopped = local_slurm("stop")
        assert stopped.returncode == 0, stopped.stderr
        for name, pid in pids.items():
            assert not Path(f"/proc/{pid}").exists(), f"{name} ({pid}) still running"


def slurm_profile(workflow: Path) -> None:
    """Fill the profile's placeholders as a user would, for this one-node cluster.

    Only the account/partition placeholders, the node's 2 cores, squeue for job status
    (no accounting database here) and fast status polling (the plugin waits 40 s before
    the first check by default) change; groups and per-rule resources stay as shipped.
    """
    path = workflow / "profiles" / "slurm" / "config.yaml"
    profile = yaml.safe_load(path.read_text())
    profile["default-resources"].update(slurm_account="cytotrial_ci", slurm_partition="debug")
    profile.update(
        {
            "cores": 2,
            "slurm-status-command": "squeue",
            "slurm-init-seconds-before-status-checks": 2,
            "seconds-between-status-checks": 2,
            "latency-wait": 5,
        }
    )
    path.write_text(yaml.safe_dump(profile, sort_keys=False))


def result_tables(workflow: Path) -> dict[str, str]:
    """Every table under results/, except the job timings of results/benchmarks/."""
    results = workflow / "results"
    tables = {str(p.relative_to(results)): p for p in results.rglob("*.tsv")}
    return {name: p.read_text() for name, p in tables.items() if not name.startswith("bench")}


def slurm_jobs(job_ids: list[str]) -> dict[str, tuple[str, str]]:
    """job ID -> (state, comment) as squeue reports it (finished jobs stay MinJobAge s)."""
    listing = subprocess.run(
        ["squeue", "-h", "-t", "all", "-j", ",".join(job_ids), "-o", "%i|%T|%k"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = (line.split("|", 2) for line in listing.splitlines() if line.strip())
    return {job_id: (state, comment) for job_id, state, comment in rows}


def test_workflow_runs_on_slurm_like_locally(cluster, tmp_path):
    sheet = simulate_small_trial(tmp_path / "data", PATIENTS)
    clinical = (tmp_path / "data" / "clinical").resolve()
    runs = {}
    for name in ("local", "slurm"):
        workflow = copy_workflow(tmp_path / name)
        sheet.to_csv(workflow / "samples.tsv", sep="\t", index=False)
        runs[name] = workflow
    config = ["--config", "sample_sheet=samples.tsv", f"clinical_dir={clinical}"]
    slurm_profile(runs["slurm"])

    # The local run (profiles/default, loaded automatically) runs beside the SLURM one.
    local = subprocess.Popen(
        [*SNAKEMAKE, "--cores", "2", *config],
        cwd=runs["local"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    on_slurm = subprocess.run(
        ["timeout", "-s", "KILL", str(RUN_LIMIT_S), *SNAKEMAKE]
        + ["--workflow-profile", "profiles/slurm", *config],
        cwd=runs["slurm"],
        capture_output=True,
        text=True,
    )
    local_output = local.communicate(timeout=600)[0]
    slurm_output = on_slurm.stdout + on_slurm.stderr
    assert local.returncode == 0, local_output
    assert on_slurm.returncode == 0, f"exit {on_slurm.returncode}:\n{slurm_output}"

    job_ids = SUBMITTED.findall(slurm_output)
    assert job_ids, "no job was submitted to SLURM:\n" + slurm_output
    seen = slurm_jobs(job_ids)
    assert set(seen) == set(job_ids), f"squeue does not know every job: {seen}"
    assert {state for state, _ in seen.values()} == {"COMPLETED"}, seen
    # The plugin's comment: rule_<rule> for a job, rule_<group>_<rules...> for a group.
    comments = [comment for _, comment in seen.values()]
    assert "rule_flow_statistics" in comments, comments
    # One SLURM job for all ten per-sample jobs (group flow_samples), not one each,
    # and one for the clinical group.
    assert [c for c in comments if "flow_analyse_sample" in c] == [
        "rule_flow_samples_flow_analyse_sample"
    ], comments
    assert len([c for c in comments if c.startswith("rule_clinical_clinical_")]) == 1, comments

    local_tables, slurm_tables = result_tables(runs["local"]), result_tables(runs["slurm"])
    assert "flow/populations.tsv" in local_tables and "clinical/survival_medians.tsv" in (
        local_tables
    )
    assert slurm_tables.keys() == local_tables.keys()
    different = [name for name in local_tables if slurm_tables[name] != local_tables[name]]
    assert not different, f"SLURM and local results differ: {different}"
    assert (runs["slurm"] / "results/report/cytotrial_report.html").is_file()
