"""Per-file cost of the flow path (read to MFI) against a bare read and FlowKit.

    python benchmarks/bench_flow_sample.py [--events 100000 1000000 5000000] [--repeat 5]
        [--templates resources/gating/pbmc_cd38.yaml resources/gating/pbmc_new_kinds.yaml]

For each size, one simulated PBMC file (cytotrial.simulate.flow.sample, seed 2021) is written
to a temporary directory. Each template is timed on it: the default one (thresholds,
quadrants, area/height singlets, scatter clusters) and an example using the gate kinds
of issue 15 (2-D density clusters on scatter and on markers, a tail, boolean and/or/not,
a fixed polygon and ellipse, height x width singlets). Then, each a median over
--repeat runs in this process (the templates' runs interleaved, so that a change of
load on a shared machine hits each alike):

* ours: `analyse_sample` split into read / QC / compensate / transform / gate / MFI
  (total = read to MFI; the file's SHA-256, recorded for provenance, is listed apart),
  with the adaptive gates and the logicle lookup table, as the pipeline runs;
* the gate stage per gate kind (`gate_events(..., timings=)` on the prepared events:
  each gate's resolve + apply, summed over the gates of one kind);
* np.fromfile of the whole file (bytes), the floor for reading it;
* FlowKit (`flowkit.Sample` + `GatingStrategy.gate_sample`) on the same STATIC
  hierarchy: the gates our adaptive engine placed on this file, in the Gating-ML 2.0
  file the pipeline exports per sample (rectangles with open bounds, polygons - the
  clusters' contours and the singlet bands -, ellipsoids, boolean gates; in
  transformed units; the applied spillover matrix, logicle with the panel's
  parameters, linear scatter), read with `flowkit.parse_gating_xml` (not timed).
  Our engine applies the same fixed gates with exact logicle (flowutils) and with
  the lookup table; membership of every gate is compared event by event.

`cpu` is this process's CPU time (time.process_time: every thread, e.g. BLAS helpers)
for the whole `analyse_sample` call (so with the SHA-256) and for FlowKit's Sample +
gate_sample: on a loaded machine, wall times grow with the wait for a core, CPU
times much less. The fastest runs are printed too.

Also printed: whether the whole adaptive analysis gives the same membership with the
lookup table as with exact logicle, the import cost of the per-sample job, and the
machine's load average (the machine is shared: compare medians, watch the load).
Exit status 1 if any membership differs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from cytotrial.flow.gating.engine import apply_gates, gate_events
from cytotrial.flow.gating.template import GatingTemplate, read_gating_template
from cytotrial.flow.interop.gatingml_export import strategy_from_applied, write_gatingml, xml_id
from cytotrial.flow.sample.analysis import (
    SampleResult,
    analyse_sample,
    prepare_events,
)
from cytotrial.io.checksums import sha256_of_file
from cytotrial.io.panel import Panel, read_panel

REPO = Path(__file__).resolve().parents[1]
STAGES = ("read", "qc", "compensate", "transform", "gate", "mfi")
SAMPLE = {
    "sample_id": "PT001_A_C1D1",
    "patient_id": "PT001",
    "part": "A",
    "timepoint": "C1D1",
    "acquisition_date": "2016-07-14",
}
HEAVY = ("pandas", "scipy", "flowkit", "lifelines", "matplotlib")
TEMPLATES = ("resources/gating/pbmc_cd38.yaml", "resources/gating/pbmc_new_kinds.yaml")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000, 5_000_000])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per method (median)")
    parser.add_argument(
        "--flowkit-repeat", type=int, default=None, help="FlowKit runs (default: --repeat)"
    )
    parser.add_argument("--no-flowkit", action="store_true", help="skip FlowKit")
    parser.add_argument(
        "--templates", nargs="+", default=list(TEMPLATES), help="gating templates (repo-relative)"
    )
    args = parser.parse_args()
    panel = read_panel(REPO / "resources/panel.yaml")
    markers = [c.marker for c in panel.channels]
    templates = {Path(t).stem: read_gating_template(REPO / t, markers) for t in args.templates}
    print(f"load average at start: {_load()}")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}; one process, one core")
    results, identical = [], True
    with tempfile.TemporaryDirectory(prefix="bench_flow_") as tmp:
        for n in args.events:
            path = _write_file(Path(tmp), n)
            timed = _time_runs(path, n, panel, templates, args.repeat)
            for name, template in templates.items():
                print(f"\ntemplate {name}")
                row = {**timed[name], "template": name}
                row["kinds"] = _kind_times(path, panel, template, args.repeat)
                _check(row, path, panel, template, args, Path(tmp))
                identical &= row["identical"]
                results.append(row)
            path.unlink()
    _print_table(results)
    _print_kinds(results)
    _print_imports()
    print(f"load average at end: {_load()}")
    return 0 if identical else 1


def _write_file(tmp: Path, n: int) -> Path:
    from cytotrial.simulate.flow.sample import simulate_sample, write_sample

    clock = time.perf_counter()
    sim = simulate_sample(SAMPLE, 2021, n)
    path = tmp / f"PT001_A_C1D1_{n}.fcs"
    write_sample(sim, path, tmp / f"truth_{n}")
    print(f"\n{n:,} events: simulated and written in {time.perf_counter() - clock:.1f} s")
    return path


def _time_runs(
    path: Path, n: int, panel: Panel, templates: dict[str, GatingTemplate], repeat: int
) -> dict[str, dict]:
    """Read-to-MFI times per template, the templates interleaved run by run (a load
    change on the shared machine then hits every template alike): wall and CPU time
    of this process, and the 1-minute load average at each run."""
    rows: dict[str, dict] = {}
    for name, template in templates.items():
        analyse_sample("warm-up", path, panel, template, keep_plot_data=False)  # tables
        rows[name] = {"events": n, "size_mb": path.stat().st_size / 1e6, "load_before": _load()}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in templates}
    raw, sha, loads = [], [], []
    for _ in range(repeat):
        clock = time.perf_counter()
        np.fromfile(path, dtype=np.uint8)
        raw.append(time.perf_counter() - clock)
        for name, template in templates.items():
            cpu = time.process_time()
            result = analyse_sample(
                SAMPLE["sample_id"], path, panel, template, keep_plot_data=False
            )
            cpu = time.process_time() - cpu
            if result.status != "ok":
                sys.exit(f"analysis failed ({name}): {result.reason}")
            runs[name].append({**result.timings_s, "cpu": cpu})
        clock = time.perf_counter()
        sha256_of_file(path)
        sha.append(time.perf_counter() - clock)
        loads.append(_load()[0])
    for name, row in rows.items():
        for stage in STAGES:
            row[stage] = statistics.median(r[stage] for r in runs[name])
        row["total"] = statistics.median(sum(r[s] for s in STAGES) for r in runs[name])
        row["total_min"] = min(sum(r[s] for s in STAGES) for r in runs[name])
        row["cpu"] = statistics.median(r["cpu"] for r in runs[name])
        row["fromfile"] = statistics.median(raw)
        row["sha256"] = statistics.median(sha)
        row["load_runs"] = statistics.median(loads)
        row["load_after"] = _load()
    return rows


def _check(row: dict, path: Path, panel: Panel, template: GatingTemplate, args, tmp: Path) -> None:
    """Membership checks (LUT vs exact logicle, ours vs FlowKit) and FlowKit's time."""
    # Adaptive analysis: lookup table vs exact logicle (same gates, same membership?)
    result = analyse_sample("lut", path, panel, template)
    exact = analyse_sample("exact", path, panel, template, exact_logicle=True)
    shapes = {name: gate.shape for name, gate in result.applied.items()}
    adaptive = {
        name: int(np.count_nonzero(gate.mask != exact.applied[name].mask))
        for name, gate in result.applied.items()
    }
    row["adaptive_lut_vs_exact"] = adaptive

    # Static hierarchy: our engine (exact logicle and lookup table) vs FlowKit
    masks_exact = _static_masks(path, panel, template, shapes, exact_logicle=True)
    masks_lut = _static_masks(path, panel, template, shapes, exact_logicle=False)
    row["static_lut_vs_exact"] = {
        name: int(np.count_nonzero(masks_lut[name] != masks_exact[name])) for name in shapes
    }
    row["counts"] = {name: int(np.count_nonzero(mask)) for name, mask in masks_exact.items()}
    row["identical"] = not any(row["static_lut_vs_exact"].values()) and not any(adaptive.values())
    if not args.no_flowkit:
        repeat = args.flowkit_repeat or args.repeat
        xml = tmp / f"{path.stem}.gating.xml"
        write_gatingml(strategy_from_applied(result.applied, panel, result.spillover), xml)
        fk_masks, fk_times, fk_cpus = _flowkit(path, xml, shapes, repeat)
        row["flowkit"] = statistics.median(fk_times)
        row["flowkit_min"] = min(fk_times)
        row["flowkit_cpu"] = statistics.median(fk_cpus)
        row["flowkit_vs_exact"] = {
            name: int(np.count_nonzero(fk_masks[name] != masks_exact[name])) for name in shapes
        }
        row["identical"] &= not any(row["flowkit_vs_exact"].values())
    _print_membership(row, shapes)


def _static_masks(
    path: Path, panel: Panel, template: GatingTemplate, shapes: dict, exact_logicle: bool
) -> dict[str, np.ndarray]:
    prepared = prepare_events(
        SampleResult("static", "failed"), path, panel, template, exact_logicle=exact_logicle
    )
    return apply_gates(prepared.data, template, shapes)


def _kind_times(
    path: Path, panel: Panel, template: GatingTemplate, repeat: int
) -> dict[str, tuple[int, float]]:
    """Gate kind -> (gates, median seconds of their resolve + apply, summed)."""
    prepared = prepare_events(SampleResult("kinds", "failed"), path, panel, template)
    runs = []
    for _ in range(repeat):
        timings: dict[str, float] = {}
        gate_events(prepared.data, template, prepared.display_ranges, timings)
        runs.append(timings)
    kinds: dict[str, tuple[int, float]] = {}
    for spec in template.gates:
        kind = (
            "singlets (H x W)"
            if spec.kind == "singlets" and spec.params.get("width")
            else spec.kind
        )
        gates, seconds = kinds.get(kind, (0, 0.0))
        kinds[kind] = (gates + 1, seconds + statistics.median(r[spec.name] for r in runs))
    return kinds


def _flowkit(path: Path, xml: Path, shapes: dict, repeat: int):
    """FlowKit's membership of our exported Gating-ML (the same fixed gates), and its
    time (Sample + gate_sample; parsing the XML is not timed)."""
    warnings.simplefilter("ignore")
    import flowkit as fk

    strategy = fk.parse_gating_xml(str(xml))
    ids = {name: xml_id(name, set()) for name in shapes}  # the export's gate ids
    times, cpus = [], []
    for _ in range(repeat):
        clock, cpu = time.perf_counter(), time.process_time()
        sample = fk.Sample(str(path))
        results = strategy.gate_sample(sample)
        times.append(time.perf_counter() - clock)
        cpus.append(time.process_time() - cpu)
    masks = {
        name: np.asarray(results.get_gate_membership(ids[name]), dtype=bool) for name in shapes
    }
    return masks, times, cpus


def _print_membership(row: dict, shapes: dict) -> None:
    print(f"{'gate':20s} {'events':>9s}  FlowKit-vs-exact  LUT-vs-exact(static)  (adaptive)")
    for name in shapes:
        flowkit = row.get("flowkit_vs_exact", {}).get(name, "-")
        print(
            f"{name:20s} {row['counts'][name]:9,d}  {flowkit!s:>16s}  "
            f"{row['static_lut_vs_exact'][name]:>20d}  {row['adaptive_lut_vs_exact'][name]:>10d}"
        )
    verdict = "IDENTICAL" if row["identical"] else "DIFFERENT (counts above are mismatching events)"
    print(f"membership: {verdict}")


def _print_table(results: list[dict]) -> None:
    ms = 1000.0
    print("\nPer-file time, median of runs, ms (ours: read to MFI on one core)")
    head = [
        "template", "events", "MB", *STAGES, "total", "cpu", "fromfile", "read/raw", "sha256",
        "FlowKit", "FK cpu", "FK/ours", "FK/ours cpu", "identical", "load (before/runs/after)",
    ]  # fmt: skip
    print(" | ".join(head))
    for r in results:
        flowkit = r.get("flowkit")
        cells = [
            r["template"],
            f"{r['events']:,}",
            f"{r['size_mb']:.0f}",
            *(f"{r[s] * ms:.1f}" for s in STAGES),
            f"{r['total'] * ms:.0f}",
            f"{r['cpu'] * ms:.0f}",
            f"{r['fromfile'] * ms:.1f}",
            f"{r['read'] / r['fromfile']:.2f}x",
            f"{r['sha256'] * ms:.0f}",
            "-" if flowkit is None else f"{flowkit * ms:.0f}",
            "-" if flowkit is None else f"{r['flowkit_cpu'] * ms:.0f}",
            "-" if flowkit is None else f"{flowkit / r['total']:.1f}x",
            "-" if flowkit is None else f"{r['flowkit_cpu'] / r['cpu']:.1f}x",
            "yes" if r["identical"] else "NO",
            f"{r['load_before'][0]:.2f}/{r['load_runs']:.2f}/{r['load_after'][0]:.2f}",
        ]
        print(" | ".join(cells))
    for r in results:
        per_million = r["total"] / (r["events"] / 1e6)
        print(
            f"{r['template']}, {r['events']:,} events: {per_million * ms:.0f} ms per 1M events "
            f"read to MFI (fastest run {r['total_min'] * ms:.0f} ms)"
            + (
                f"; FlowKit fastest {r['flowkit_min'] * ms:.0f} ms, "
                f"{r['flowkit_min'] / r['total_min']:.1f}x ours fastest"
                if "flowkit_min" in r
                else ""
            )
        )
    first = {r["events"]: r for r in reversed(results)}  # the first template of each size
    for r in results:
        if r is not first[r["events"]]:
            base = first[r["events"]]
            print(
                f"{r['template']} / {base['template']} at {r['events']:,} events (interleaved "
                f"runs): wall {r['total'] / base['total']:.2f}x, cpu {r['cpu'] / base['cpu']:.2f}x"
            )


def _print_kinds(results: list[dict]) -> None:
    print("\nGate stage per gate kind (resolve + apply, median of runs, summed over its gates)")
    print("template | events | kind | gates | ms | ms per gate")
    for r in results:
        for kind, (gates, seconds) in r["kinds"].items():
            print(
                f"{r['template']} | {r['events']:,} | {kind} | {gates} | "
                f"{seconds * 1000:.1f} | {seconds * 1000 / gates:.1f}"
            )


def _print_imports() -> None:
    """Import cost of the per-sample job in fresh interpreters."""
    python = sys.executable
    code = "import cytotrial.flow.sample.job"
    walls: dict[str, list[float]] = {"bare": [], "job": []}
    for _ in range(5):
        for kind, command in (("bare", "pass"), ("job", code)):
            clock = time.perf_counter()
            subprocess.run([python, "-c", command], check=True)
            walls[kind].append(time.perf_counter() - clock)
    trace = subprocess.run(
        [python, "-X", "importtime", "-c", code], check=True, capture_output=True, text=True
    ).stderr
    cumulative = {
        line.split("|")[2].strip(): int(line.split("|")[1]) / 1e6
        for line in trace.splitlines()
        if line.startswith("import time:") and line.split("|")[1].strip().isdigit()
    }
    check = (
        f"{code}; import sys; print(','.join(m for m in {HEAVY!r} if m in sys.modules) or 'none')"
    )
    loaded = subprocess.run(
        [python, "-c", check], check=True, capture_output=True, text=True
    ).stdout.strip()
    job, bare = statistics.median(walls["job"]), statistics.median(walls["bare"])
    print(
        f"\nimport cytotrial.flow.sample.job: {job * 1000:.0f} ms wall in a fresh interpreter "
        f"({(job - bare) * 1000:.0f} ms above a bare one; -X importtime: "
        f"{cumulative.get('cytotrial.flow.sample.job', float('nan')) * 1000:.0f} ms, of which "
        f"numpy {cumulative.get('numpy', float('nan')) * 1000:.0f} ms); "
        f"heavy modules loaded ({', '.join(HEAVY)}): {loaded}"
    )


def _load() -> tuple[float, float, float]:
    return tuple(round(v, 2) for v in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
