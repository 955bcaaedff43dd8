"""Whole-workflow benchmarks: one command, one markdown table.

    .venv/bin/python benchmarks/bench_workflow.py [--work DIR] [--cohorts 2000 5000]
                                                  [--overhead-samples 20] [--repeat 3]

Each measurement runs `snakemake` (or the package) in a fresh process in a clean copy
of the workflow under --work (default: a temporary folder), and records its wall time,
the CPU time (user + system) of it and every process it waited for, the largest
resident set size among them, and the 1-minute load average when it started (the
machine may be shared: CPU time is the steadier number).

1. demo: simulate the demo trial (`snakemake --cores 2 results/demo/samples.tsv`), then
   the analysis after simulation (`snakemake --cores 2`), then a run with nothing to do.
2. one added sample: the demo's files as a user-mode trial (`sample_sheet`,
   `clinical_dir`) without its last sample, brought up to date, then that sample's row
   appended and `snakemake --cores 2` timed.
3. per-sample job overhead: N per-sample jobs forced through Snakemake on one core,
   against the same N analyses in one warm Python process (`run_sample_job`); the
   difference per job is what Snakemake's job start-up and our imports cost.
4. DAG build + dry run (`snakemake -n`, and `-n -q`, which skips printing every job)
   for cohorts of 2,000 and 5,000 samples (the demo's rows repeated with new sample IDs,
   each repeat with its own copies of the demo's files); as controls, the same for a
   Snakefile of 5,000 trivial shell jobs and one of 5,000 jobs of a rule shaped like
   flow_analyse_sample (Snakemake's own cost on the same machine). Each dry run is
   repeated (--repeat, 3): the table gives the median run and the spread.
5. peak memory of the largest aggregate step (flow_aggregate, all samples' tables in
   one process) for the demo and for the 5,000-sample cohort (per-sample outputs copied
   from the demo's under the new IDs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The tests' clean workflow copy (what a fresh clone has), one definition for both.
sys.path.insert(0, str(REPO / "tests"))
from helpers.workflow import copy_workflow  # noqa: E402

SNAKEMAKE = [sys.executable, "-m", "snakemake"]
AGGREGATE = """
import json, sys
from cytotrial.flow.cohort.aggregate import aggregate_job
aggregate_job(**json.load(open(sys.argv[1])))
"""


@dataclass
class Measurement:
    what: str
    wall_s: float
    cpu_s: float
    max_rss_mb: float
    load: float
    note: str = ""


def measure(what: str, args: list[str], cwd: Path, note: str = "") -> Measurement:
    """Run `args` to completion; wall, CPU of it and its waited-for descendants, peak RSS."""
    load = os.getloadavg()[0]
    # A helper process per measurement, so RUSAGE_CHILDREN covers exactly this command.
    probe = (
        "import resource, subprocess, sys, json, time\n"
        "t = time.perf_counter()\n"
        "code = subprocess.run(sys.argv[2:], cwd=sys.argv[1], stdout=subprocess.DEVNULL,"
        " stderr=open(sys.argv[1] + '/bench_stderr.log', 'w')).returncode\n"
        "wall = time.perf_counter() - t\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps([code, wall, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(cwd), *args], capture_output=True, text=True
    )
    code, wall, cpu, rss = json.loads(out.stdout)
    if code != 0:
        tail = (cwd / "bench_stderr.log").read_text()[-3000:]
        raise SystemExit(f"{what}: exit {code}\n{' '.join(args)}\n{tail}")
    result = Measurement(what, wall, cpu, rss, load, note)
    print(f"  {what}: {wall:.1f} s wall, {cpu:.1f} s CPU, load {load:.2f}", file=sys.stderr)
    return result


def measure_repeated(
    what: str, args: list[str], cwd: Path, note: str = "", repeat: int = 3
) -> Measurement:
    """`measure` `repeat` times (for steps that change nothing): the median run's wall and
    CPU time, the largest RSS, the spread in the note. The machine may be shared, and
    identical dry runs here differ by up to 2 s."""
    runs = sorted((measure(what, args, cwd) for _ in range(repeat)), key=lambda m: m.wall_s)
    median = runs[len(runs) // 2]
    spread = f"median of {repeat}: {runs[0].wall_s:.1f}-{runs[-1].wall_s:.1f} s"
    return Measurement(
        what,
        median.wall_s,
        median.cpu_s,
        max(m.max_rss_mb for m in runs),
        median.load,
        "; ".join(filter(None, [note, spread])),
    )


def user_config(sheet: Path, clinical: Path) -> list[str]:
    return ["--config", f"sample_sheet={sheet}", f"clinical_dir={clinical}"]


def bench_demo(work: Path) -> tuple[list[Measurement], Path]:
    demo = copy_workflow(work / "demo")
    results = [
        measure(
            "demo: simulate (267 FCS files)",
            [*SNAKEMAKE, "--cores", "2", "results/demo/samples.tsv"],
            demo,
        )
    ]
    jobs = _count_jobs(demo, [])
    results.append(
        measure(
            "demo: analysis after simulation",
            [*SNAKEMAKE, "--cores", "2"],
            demo,
            f"{jobs} jobs",
        )
    )
    results.append(measure("demo: rerun, nothing to do", [*SNAKEMAKE, "--cores", "2"], demo))
    return results, demo


def _count_jobs(workflow: Path, extra: list[str]) -> int:
    out = subprocess.run(
        [*SNAKEMAKE, "-n", "--cores", "2", *extra], cwd=workflow, capture_output=True, text=True
    ).stdout
    for line in out.splitlines():
        if line.startswith("total"):
            return int(line.split()[1])
    return 0


def bench_add_sample(demo: Path) -> list[Measurement]:
    """The demo as a user's trial, one sample short; then that sample arrives."""
    import pandas as pd

    sheet = pd.read_csv(demo / "results/demo/samples.tsv", sep="\t", dtype=str)
    path = demo / "trial_samples.tsv"
    # the same relative paths as demo mode, so no input of the demo's jobs changes
    config = user_config(Path("trial_samples.tsv"), Path("results/demo/clinical"))
    sheet.iloc[:-1].to_csv(path, sep="\t", index=False)
    # the late sample has not been analysed yet: no outputs of its own
    for folder in ("results/flow", "results/benchmarks"):  # not its FCS file in results/demo
        for output in (demo / folder).rglob(f"{sheet['sample_id'].iloc[-1]}.*"):
            output.unlink()
    subprocess.run([*SNAKEMAKE, "--cores", "2", *config], cwd=demo, check=True, capture_output=True)
    sheet.to_csv(path, sep="\t", index=False)
    jobs = _count_jobs(demo, config)
    return [
        measure(
            "add 1 sample to the finished demo (user mode)",
            [*SNAKEMAKE, "--cores", "2", *config],
            demo,
            f"{jobs} jobs",
        )
    ]


def bench_job_overhead(demo: Path, n: int) -> list[Measurement]:
    """N per-sample jobs through Snakemake (one core) against the same work in-process."""
    import pandas as pd

    sheet = pd.read_csv(demo / "results/demo/samples.tsv", sep="\t", dtype=str).head(n)
    targets = [f"results/flow/samples/{s}.populations.tsv" for s in sheet["sample_id"]]
    startup = measure(
        f"snakemake start-up + DAG for {n} forced jobs (dry run)",
        [*SNAKEMAKE, "-n", "--cores", "1", "--force", *targets],
        demo,
    )
    jobs = measure(
        f"{n} per-sample jobs through snakemake, 1 core",
        [*SNAKEMAKE, "--cores", "1", "--force", *targets],
        demo,
    )
    # The work itself: the same files in one process (imports and matplotlib paid once,
    # before the clock starts, by a first analysis that is not counted).
    out = demo / "bench_inprocess"
    out.mkdir(exist_ok=True)
    rows = sheet.to_dict("records")
    args = {
        "rows": [[r["sample_id"], str(demo / r["fcs"])] for r in rows],
        "panel": str(demo / "resources/panel.yaml"),
        "template": str(demo / "resources/gating/pbmc_cd38.yaml"),
        "out": str(out),
    }
    (out / "args.json").write_text(json.dumps(args))
    code = (
        "import json, sys, time, resource\n"
        "from cytotrial.flow.sample.job import run_sample_job\n"
        "a = json.load(open(sys.argv[1]))\n"
        "def one(s, f):\n"
        "    o = a['out'] + '/' + s\n"
        "    run_sample_job(s, f, a['panel'], a['template'], {}, o + '.tsv', o + '.json',"
        " o + '.png', o + '.gating.xml')\n"
        "one(*a['rows'][0])\n"
        "r0 = resource.getrusage(resource.RUSAGE_SELF); t = time.perf_counter()\n"
        "for s, f in a['rows']: one(s, f)\n"
        "r1 = resource.getrusage(resource.RUSAGE_SELF)\n"
        "cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime\n"
        "print(json.dumps([time.perf_counter() - t, cpu]))\n"
    )
    load = os.getloadavg()[0]
    done = subprocess.run(
        [sys.executable, "-c", code, str(out / "args.json")],
        capture_output=True,
        text=True,
        check=True,
    )
    wall, cpu = json.loads(done.stdout.strip().splitlines()[-1])
    work = Measurement(f"the same {n} analyses in one warm process", wall, cpu, 0.0, load)
    per_job = (jobs.wall_s - startup.wall_s) / n
    per_work = work.wall_s / n
    cpu_per_job = (jobs.cpu_s - startup.cpu_s) / n
    overhead = Measurement(
        "per-sample job: overhead beyond the work (per job)",
        per_job - per_work,
        cpu_per_job - work.cpu_s / n,
        0.0,
        jobs.load,
        f"job {per_job:.2f} s wall - work {per_work:.2f} s",
    )
    return [startup, jobs, work, overhead]


def cohort_sheet(demo: Path, size: int, path: Path):
    """`size` rows: the demo's rows repeated as new patients (PT001_r01, ...), new sample IDs.

    Repeat 0 uses the demo's FCS files; each later repeat gets its own copies beside
    the sheet (fcs_rKK/), made distinct by a trailing comment line after the data (two
    samples with one content are an input error). `_source` keeps each row's demo
    sample ID.
    """
    import pandas as pd

    base = pd.read_csv(demo / "results/demo/samples.tsv", sep="\t", dtype=str)
    base["fcs"] = [str((demo / f).resolve()) for f in base["fcs"]]
    copies = []
    for k in range(-(-size // len(base))):
        copy = base.copy()
        copy["sample_id"] = [f"{s}_r{k:02d}" for s in base["sample_id"]]
        copy["patient_id"] = [f"{p}_r{k:02d}" for p in base["patient_id"]]
        copy["_source"] = base["sample_id"]
        copies.append(copy)
    sheet = pd.concat(copies, ignore_index=True).head(size)
    repeats = sheet["sample_id"].str.rsplit("_r", n=1).str[1]
    sheet["fcs"] = [
        distinct_copy(fcs, path.parent / f"fcs_r{k}", k)
        for fcs, k in zip(sheet["fcs"], repeats, strict=True)
    ]
    sheet.drop(columns="_source").to_csv(path, sep="\t", index=False)
    return sheet


def distinct_copy(fcs: str, folder: Path, repeat: str) -> str:
    """The demo's file for repeat 00, else a copy with bytes of its own after the data."""
    if repeat == "00":
        return fcs
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(fcs).name
    if not target.exists():
        target.write_bytes(Path(fcs).read_bytes() + f"\n# cohort repeat {repeat}\n".encode())
    return str(target)


def cohort_clinical(demo: Path, copies: int, folder: Path) -> Path:
    """The demo's clinical tables with every patient repeated as PT001_r00, PT001_r01, ..."""
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    for table in sorted((demo / "results/demo/clinical").glob("*.csv")):
        rows = pd.read_csv(table, dtype=str, keep_default_na=False)
        repeated = []
        for k in range(copies):
            copy = rows.copy()
            copy["patient_id"] = [f"{p}_r{k:02d}" for p in rows["patient_id"]]
            repeated.append(copy)
        pd.concat(repeated, ignore_index=True).to_csv(folder / table.name, index=False)
    return folder


def bench_cohorts(demo: Path, work: Path, sizes: list[int], repeat: int) -> list[Measurement]:
    results = []
    for size in sizes:
        workflow = copy_workflow(work / f"cohort_{size}")
        sheet_path = workflow / "samples.tsv"
        sheet = cohort_sheet(demo, size, sheet_path)
        copies = sheet["patient_id"].str.rsplit("_r", n=1).str[1].nunique()
        clinical = cohort_clinical(demo, copies, workflow / "clinical")
        config = user_config(sheet_path, clinical)
        results.append(
            measure_repeated(
                f"start-up + parse (`snakemake -l`), {size:,}-sample cohort",
                [*SNAKEMAKE, "-l", *config],
                workflow,
                "config, sheet and clinical tables read and checked; no DAG",
                repeat,
            )
        )
        results += dry_runs(
            f"DAG + dry run {{}}, {size:,}-sample cohort",
            config,
            workflow,
            f"{size:,} per-sample jobs + the aggregates and clinical jobs",
            repeat,
        )
    return results


def dry_runs(what: str, config: list[str], cwd: Path, note: str, repeat: int) -> list[Measurement]:
    """`snakemake -n` and `snakemake -n -q` (no job list printed); `what` has a {} for
    which of the two."""
    return [
        measure_repeated(
            what.format(" ".join(["-n", *quiet])),
            [*SNAKEMAKE, "-n", *quiet, "--cores", "2", *config],
            cwd,
            note,
            repeat,
        )
        for quiet in ([], ["-q"])
    ]


# Controls: Snakemake's own cost on this machine. "bare": trivial shell jobs. "shaped":
# one rule shaped like flow_analyse_sample (a script, the input from a function, four
# outputs, log, benchmark, a memory function) and two rules that list every output.
CONTROL_SNAKEFILES = {
    "bare": """
rule all:
    input: expand("out/{{s}}.txt", s=range({jobs}))
rule one:
    output: "out/{{s}}.txt"
    shell: "touch {{output}}"
""",
    "shaped": """
IDS = [f"S{{i:05d}}" for i in range({jobs})]
def fcs_of(wildcards):
    return "data.fcs"
def mem_mb(wildcards):
    return 1000
rule all:
    input: "aggregate.tsv", "report.html"
rule aggregate:
    input: expand("out/{{s}}.tsv", s=IDS), expand("out/{{s}}.json", s=IDS)
    output: "aggregate.tsv"
    script: "job.py"
rule report:
    input: expand("out/{{s}}.json", s=IDS), expand("out/{{s}}.png", s=IDS)
    output: "report.html"
    script: "job.py"
rule one:
    input: fcs=fcs_of, panel="panel.yaml"
    output: "out/{{s}}.tsv", "out/{{s}}.json", "out/{{s}}.xml", "out/{{s}}.png"
    log: "logs/{{s}}.log"
    benchmark: "benchmarks/{{s}}.tsv"
    resources: mem_mb=mem_mb, runtime=10
    script: "job.py"
""",
}


def bench_controls(work: Path, jobs: int, repeat: int = 3) -> list[Measurement]:
    """The controls: Snakemake's own cost for `jobs` jobs on this machine."""
    results = []
    for name, text in CONTROL_SNAKEFILES.items():
        folder = work / f"control_{name}_{jobs}"
        folder.mkdir(exist_ok=True)
        (folder / "Snakefile").write_text(text.format(jobs=jobs))
        for empty in ("job.py", "data.fcs", "panel.yaml"):
            (folder / empty).touch()
        results.append(
            measure_repeated(
                f"control: start-up + parse (`snakemake -l`), {name} Snakefile",
                [*SNAKEMAKE, "-l"],
                folder,
                repeat=repeat,
            )
        )
        results += dry_runs(
            f"control: dry run {{}}, {name} Snakefile",
            [],
            folder,
            f"{jobs:,} jobs: "
            + (
                "trivial shell jobs, no inputs"
                if name == "bare"
                else "a rule shaped like flow_analyse_sample + 2 rules listing all"
            ),
            repeat,
        )
    return results


def bench_aggregate(demo: Path, work: Path, size: int) -> list[Measurement]:
    """flow_aggregate on the demo's outputs, and on `size` samples' (copied outputs)."""
    import pandas as pd

    results = []
    demo_samples = demo / "results/flow/samples"
    for label, count in (("demo", None), (f"{size:,}-sample cohort", size)):
        folder = work / f"aggregate_{count or 'demo'}"
        folder.mkdir(exist_ok=True)
        if count is None:
            sheet = pd.read_csv(demo / "results/demo/samples.tsv", sep="\t", dtype=str)
            pops = [str(demo_samples / f"{s}.populations.tsv") for s in sheet["sample_id"]]
            recs = [str(demo_samples / f"{s}.json") for s in sheet["sample_id"]]
        else:
            sheet = cohort_sheet(demo, count, folder / "samples.tsv")
            pops, recs = [], []
            for new, old in zip(sheet["sample_id"], sheet["_source"], strict=True):
                table = (demo_samples / f"{old}.populations.tsv").read_text()
                (folder / f"{new}.populations.tsv").write_text(table.replace(old, new))
                shutil.copy(demo_samples / f"{old}.json", folder / f"{new}.json")
                pops.append(str(folder / f"{new}.populations.tsv"))
                recs.append(str(folder / f"{new}.json"))
            sheet = sheet.drop(columns="_source")
        records = sheet.reindex(
            columns=["sample_id", "patient_id", "part", "timepoint", "batch", "fcs"]
            + ["leukocytes_per_ul"]
        )
        records["leukocytes_per_ul"] = pd.to_numeric(records["leukocytes_per_ul"])
        args = {
            "sample_records": records.to_dict("records"),
            "population_files": pops,
            "record_files": recs,
            "template_path": str(demo / "resources/gating/pbmc_cd38.yaml"),
            "populations_out": str(folder / "populations.tsv"),
            "sample_qc_out": str(folder / "sample_qc.tsv"),
        }
        (folder / "args.json").write_text(json.dumps(args))
        results.append(
            measure(
                f"flow_aggregate step, {label} ({len(pops):,} samples)",
                [sys.executable, "-c", AGGREGATE, str(folder / "args.json")],
                folder,
            )
        )
    return results


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    import snakemake

    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_kb / 1024**2:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"Snakemake {snakemake.__version__}"
    )


def table(rows: list[Measurement]) -> str:
    lines = [
        "| measurement | wall (s) | CPU (s) | peak RSS (MB) | load (1 min) | note |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        rss = f"{r.max_rss_mb:.0f}" if r.max_rss_mb else ""
        lines.append(
            f"| {r.what} | {r.wall_s:.2f} | {r.cpu_s:.2f} | {rss} | {r.load:.2f} | {r.note} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--cohorts", type=int, nargs="+", default=[2000, 5000])
    parser.add_argument("--overhead-samples", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each dry run (median)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="cytotrial-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"work folder: {work}", file=sys.stderr)

    rows, demo = bench_demo(work)
    rows += bench_add_sample(demo)
    rows += bench_job_overhead(demo, args.overhead_samples)
    rows += bench_cohorts(demo, work, args.cohorts, args.repeat)
    rows += bench_controls(work, max(args.cohorts), args.repeat)
    rows += bench_aggregate(demo, work, max(args.cohorts))

    print(f"Machine: {machine()}; run {started}.\n")
    print(table(rows))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\n(largest process of the whole benchmark: {peak:.0f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
