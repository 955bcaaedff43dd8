"""Real-data benchmark: the gating engine against expert gating (issue 15, item 6).

    python benchmarks/bench_gating_real.py --out FILE.tsv [--datasets 68983 ...]
        [--subsample 5000] [--no-subsample]

For every expert-gated real file in ../shared (68983, cytoexplorer, flowcap1, aurora,
a2004; see benchmarks/real_data/truth.py), the engine gates the file with the dataset's panel
and template (validation/real-data/<dataset>/, written as a user would: no number read
from the experts), exactly as the per-sample job does, and every mapped population is
compared with the expert's, event by event. Rows for the full files and for a
5,000-event subsample (fixed seed).

Columns: dataset, file, population (the expert's), expert_events, engine_events,
precision, recall, f1 (per event, over all the file's events: end-to-end, so upstream
errors propagate), mfi_rel_diff ((engine - expert) / expert median of the template's
MFI marker, compensated and untransformed), flags (the engine's flags of the gate and
its ancestors), subsample (full or 5000).

Printed: per file its median F1 (populations with >= 100 expert events), worst
population and F1, how many are below 0.93 and 0.85 (and how many of those carry no
flag); per dataset the same over its files. Issue 15's targets on the full files:
F1 >= 0.93 for every population with >= 100 expert events, median F1 >= 0.97 per
file, no population below 0.85 without a flag. Exit status 0 whether or not they are
met (tests/integration/test_gating_real.py asserts them); 2 when no dataset could be run.
"""

from __future__ import annotations

import argparse
import logging
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_data.run import (  # noqa: E402
    dataset_config,
    score_file,
    summarise,
    targets_failures,
    write_table,
)
from real_data.truth import LOADERS, SOURCES  # noqa: E402


def run(datasets, subsamples, cache: Path, log=print) -> list[dict]:
    rows: list[dict] = []
    for name in datasets:
        if not SOURCES[name].exists():
            log(f"{name}: skipped, {SOURCES[name]} not found (../shared is not beside this clone)")
            continue
        config = dataset_config(name)
        clock = time.perf_counter()
        for truth in LOADERS[name](cache / name):
            rows += score_file(truth, config, subsamples)
        log(f"{name}: scored in {time.perf_counter() - clock:.1f} s")
    return rows


def report(rows: list[dict], log=print) -> None:
    summaries = summarise(rows)
    for summary in summaries:
        log(summary.line())
    log("")
    keys = sorted({(s.dataset, s.subsample) for s in summaries}, key=lambda k: (k[0], k[1]))
    for dataset, subsample in keys:
        group = [s for s in summaries if (s.dataset, s.subsample) == (dataset, subsample)]
        medians = [s.median_f1 for s in group if not math.isnan(s.median_f1)]
        worst = min(group, key=lambda s: s.worst_f1 if not math.isnan(s.worst_f1) else 2)
        log(
            f"{dataset:12s} {subsample:>5s}: {len(group)} file(s), median of file medians "
            f"{statistics.median(medians) if medians else math.nan:.3f}, worst "
            f"{worst.worst} in {worst.file} {worst.worst_f1:.3f}, populations <0.93: "
            f"{sum(s.below_target for s in group)}, <0.85: {sum(s.below_limit for s in group)} "
            f"({sum(s.below_limit_unflagged for s in group)} unflagged)"
        )
    failures = targets_failures(rows)
    log(f"\nissue 15 targets on the full files: {'met' if not failures else 'NOT met'}")
    for failure in failures:
        log(f"  {failure}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="the table (TSV)")
    parser.add_argument("--datasets", nargs="+", choices=list(LOADERS), default=list(LOADERS))
    parser.add_argument("--subsample", type=int, default=5000, help="events (default 5000)")
    parser.add_argument("--no-subsample", action="store_true", help="full files only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    subsamples = (None,) if args.no_subsample else (None, args.subsample)
    with tempfile.TemporaryDirectory(prefix="bench_gating_real_") as cache:
        rows = run(args.datasets, subsamples, Path(cache))
    if not rows:
        print("no dataset could be run", file=sys.stderr)
        return 2
    write_table(rows, args.out)
    report(rows)
    print(f"\n{len(rows)} rows written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
