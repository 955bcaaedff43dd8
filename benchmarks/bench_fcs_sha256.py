"""Parse-time cost of the FCS SHA-256 params (cytotrial.io.fingerprints) for a large cohort.

    .venv/bin/python benchmarks/bench_fcs_sha256.py [--files 5000] [--events 20000]
                                                    [--work DIR] [--dry-run]

Writes --files distinct FCS files (one simulated demo file, each copy with bytes of its
own after the data: 20,000 events = 1.1 MB, the demo's size), then times in this
process: cold (no cache: every file hashed; the files were just written, so they are
read from the page cache, the best case for a first parse), warm (cache present:
one stat per file), and after `touch` of every file (all hashed again, nothing to
rerun). With --dry-run, also `snakemake -n -q` on a user-mode cohort of those files
(the demo's clinical tables, the sheet repeated as bench_workflow's cohorts), cold
and warm cache.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))


def write_files(folder: Path, count: int, events: int) -> list[str]:
    from cytotrial.simulate.flow.sample import simulate_sample, write_sample
    from cytotrial.simulate.trial import DEFAULT_SEED, plan_demo_samples

    folder.mkdir(parents=True, exist_ok=True)
    row = plan_demo_samples(DEFAULT_SEED, folder).iloc[0].to_dict()
    template = folder / "template.fcs"
    write_sample(simulate_sample(row, DEFAULT_SEED, events), template, folder / "truth")
    data = template.read_bytes()
    paths = []
    for index in range(count):
        path = folder / f"file_{index:05d}.fcs"
        if not path.exists():
            path.write_bytes(data + f"\n# copy {index}\n".encode())
        paths.append(str(path))
    return paths


def timed(label: str, action) -> float:
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    print(f"| {label} | {seconds:.2f} s | {result} |")
    return seconds


def bench_cache(paths: list[str], cache_path: Path) -> None:
    from cytotrial.io.fingerprints import RACY_SECONDS, Sha256Cache, sha256_of_files

    cache_path.unlink(missing_ok=True)
    time.sleep(RACY_SECONDS + 0.5)  # files just written are not cached (racy time stamps)

    def run() -> str:
        cache = Sha256Cache(cache_path)
        sha256_of_files(paths, cache)
        return f"{cache.hashed} hashed"

    size = sum(os.stat(p).st_size for p in paths) / 1e6
    print(f"{len(paths)} files, {size:,.0f} MB; cache {cache_path}\n")
    print("| what | time | |\n| --- | --- | --- |")
    timed("cold: no cache", run)
    timed("warm: cache present", run)
    timed("warm again", run)
    for path in paths:
        os.utime(path)
    time.sleep(RACY_SECONDS + 0.5)
    timed("every file touched", run)
    print(f"\ncache file: {cache_path.stat().st_size / 1e6:.1f} MB")


def bench_dry_run(paths: list[str], work: Path) -> None:
    import pandas as pd
    from helpers.workflow import copy_workflow

    from cytotrial.simulate.clinical.trial import simulate_clinical
    from cytotrial.simulate.trial import DEFAULT_SEED, plan_demo_samples

    workflow = copy_workflow(work / "wf") if not (work / "wf").exists() else work / "wf"
    clinical = work / "clinical_base"
    simulate_clinical(DEFAULT_SEED).write(clinical)
    plan = plan_demo_samples(DEFAULT_SEED, work)
    copies = -(-len(paths) // len(plan))
    rows = []
    for k in range(copies):
        copy = plan.copy()
        copy["sample_id"] = [f"{s}_r{k:02d}" for s in plan["sample_id"]]
        copy["patient_id"] = [f"{p}_r{k:02d}" for p in plan["patient_id"]]
        rows.append(copy)
    sheet = pd.concat(rows, ignore_index=True).head(len(paths))
    sheet["fcs"] = paths
    sheet.to_csv(work / "samples.tsv", sep="\t", index=False)
    from bench_workflow import cohort_clinical

    demo_like = work / "demo_like"
    (demo_like / "results/demo").mkdir(parents=True, exist_ok=True)
    if not (demo_like / "results/demo/clinical").exists():
        (demo_like / "results/demo/clinical").symlink_to(clinical)
    folder = cohort_clinical(demo_like, copies, work / "clinical")
    args = [sys.executable, "-m", "snakemake", "-n", "-q", "--cores", "2", "--config"]
    args += [f"sample_sheet={work / 'samples.tsv'}", f"clinical_dir={folder}"]
    cache = workflow / ".snakemake/cytotrial/file_sha256.json"
    print(f"\n`{' '.join(args[1:])}` in {workflow}\n")
    print("| what | time | |\n| --- | --- | --- |")
    for label in ("dry run, no cache", "dry run, cache present"):
        if label.endswith("no cache"):
            cache.unlink(missing_ok=True)

        def run() -> str:
            result = subprocess.run(args, cwd=workflow, capture_output=True, text=True)
            assert result.returncode == 0, result.stderr[-3000:]
            return "ok"

        timed(label, run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="cytotrial-sha256-"))
    paths = write_files(work / "fcs", args.files, args.events)
    bench_cache(paths, work / "cache.json")
    if args.dry_run:
        bench_dry_run(paths, work)


if __name__ == "__main__":
    main()
