"""The whole demo trial written at once: clinical tables, FCS files, sample sheet, truth.

`plan_demo_samples` is cheap (no FCS data) and deterministic, so the workflow can
call it at parse time to know the demo's samples before the files exist;
`simulate_trial` writes everything. Both use the same seed-driven plan, so the
sample sheet written to disk equals the one the workflow planned with.

Layout written by `simulate_trial(out_dir, ...)`:

    out_dir/samples.tsv            sample sheet (config/schemas/samples.schema.yaml)
    out_dir/clinical/*.csv         the six clinical tables
    out_dir/fcs/{sample_id}.fcs    raw FCS 3.1 files
    out_dir/truth/                 ground truth per file (never read by the pipeline), and
                                   scenarios.tsv: the failed, too-small, T-cell-collapse and
                                   instrument-change files planted (flow_scenarios)
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cytotrial.io.atomic import atomic_path
from cytotrial.io.inputs import SAMPLE_COLUMNS

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_EVENTS_PER_FILE",
    "find_demo_seed",
    "plan_demo_samples",
    "plan_demo_trial",
    "simulate_trial",
    "SimulationSummary",
]

log = logging.getLogger(__name__)

# The first seed from 2021 up (`find_demo_seed`) whose trial meets the 16 Kaplan-Meier
# median CI widths of the paper within 25%, shows every flow finding (matching_seed on its
# own plan) and plants every scenario (all four extra files need four patients without a
# part A sample); tests/integration/test_demo_seed.py pins it. 2048, the default until the
# CI widths joined the rule, missed two (pooled OS-B and OS-AB); 2122 and 2094, earlier
# defaults, lost a flow finding when survival recalibrations changed the C2D3/EOT samples.
DEFAULT_SEED = 2222
DEFAULT_EVENTS_PER_FILE = 20_000


def find_demo_seed(start: int, tries: int = 2000) -> int:
    """The first seed in start, start + 1, ... that makes a demo trial as the default's
    rule asks (see DEFAULT_SEED): of the 202 seeds 2021-2222, 8 met the widths and 2222 alone
    all three (~1 s per seed tried)."""
    from cytotrial.simulate.clinical.trial import survival_width_misses
    from cytotrial.simulate.flow.findings import matching_seed
    from cytotrial.simulate.flow.scenarios import EXTRA_FILES, T_CELL_COLLAPSE

    for seed in range(start, start + tries):
        if survival_width_misses(seed):
            continue
        plan = plan_demo_trial(seed, ".")  # file paths unused
        planted = plan["scenario"].value_counts()
        if (planted.get(T_CELL_COLLAPSE, 0) != 1) or any(
            planted.get(kind, 0) != EXTRA_FILES.count(kind) for kind in EXTRA_FILES
        ):
            continue
        try:
            return matching_seed(plan, seed, DEFAULT_EVENTS_PER_FILE, tries=1)
        except RuntimeError as error:
            if not str(error).startswith("no seed in"):
                raise
            # a flow finding missed: the next seed
    raise RuntimeError(f"no seed in [{start}, {start + tries}) makes a demo trial")


@dataclass(frozen=True)
class SimulationSummary:
    """What `simulate_trial` wrote."""

    out_dir: Path
    patients: int
    samples: int
    events_per_file: int
    scenario_samples: int = 0  # files with a planted scenario (truth/scenarios.tsv)


def plan_demo_samples(seed: int, out_dir: str | Path) -> pd.DataFrame:
    """The demo's sample sheet (no files written), FCS paths under `out_dir`/fcs."""
    return plan_demo_trial(seed, out_dir)[list(SAMPLE_COLUMNS)]


def plan_demo_trial(seed: int, out_dir: str | Path) -> pd.DataFrame:
    """The sample sheet plus the scenario columns the simulator reads (scenario,
    scenario_events, instrument_step; flow_scenarios): what `simulate_trial` simulates."""
    from cytotrial.simulate.clinical.trial import simulate_clinical

    return _demo_plan(simulate_clinical(seed), seed, Path(out_dir))


def _demo_plan(tables, seed: int, out_dir: Path) -> pd.DataFrame:
    from cytotrial.simulate.clinical.trial import plan_flow_samples
    from cytotrial.simulate.flow.sample import assign_batches, leukocytes_per_ul
    from cytotrial.simulate.flow.scenarios import add_scenarios

    plan = plan_flow_samples(tables, seed).sort_values("sample_id").reset_index(drop=True)
    plan["batch"] = assign_batches(plan).to_numpy()
    part_a_start = tables.dates.set_index("patient_id")["part_a_start"].to_dict()
    plan = add_scenarios(plan, part_a_start, seed)
    plan["leukocytes_per_ul"] = leukocytes_per_ul(plan, seed).round().astype(int).to_numpy()
    plan["fcs"] = [(out_dir / "fcs" / f"{sample}.fcs").as_posix() for sample in plan.sample_id]
    return plan[[*SAMPLE_COLUMNS, "scenario", "scenario_events", "instrument_step"]]


def simulate_trial(
    out_dir: str | Path,
    seed: int = DEFAULT_SEED,
    events_per_file: int = DEFAULT_EVENTS_PER_FILE,
    threads: int = 1,
) -> SimulationSummary:
    """Write the whole demo trial to `out_dir`; same arguments, same bytes."""
    from cytotrial.simulate.clinical.trial import simulate_clinical
    from cytotrial.simulate.flow.sample import simulate_sample, write_sample
    from cytotrial.simulate.flow.scenarios import scenario_table

    out_dir = Path(out_dir)
    tables = simulate_clinical(seed)
    plan = _demo_plan(tables, seed, out_dir)
    sheet = plan[list(SAMPLE_COLUMNS)]
    tables.write(out_dir / "clinical")
    with atomic_path(out_dir / "samples.tsv") as tmp:
        sheet.to_csv(tmp, sep="\t", index=False, lineterminator="\n")
    log.info("clinical tables for %d patients written", len(tables.patients))

    truth_dir = out_dir / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(truth_dir / "scenarios.tsv") as tmp:
        scenario_table(plan).to_csv(tmp, sep="\t", index=False, lineterminator="\n")

    def one(row: dict) -> None:
        write_sample(simulate_sample(row, seed, events_per_file), Path(row["fcs"]), truth_dir)

    rows = plan.to_dict("records")
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for _ in pool.map(one, rows):
            pass
    log.info("%d FCS files of %d events written", len(rows), events_per_file)
    scenarios = int((plan["scenario"] != "").sum())
    return SimulationSummary(out_dir, len(tables.patients), len(rows), events_per_file, scenarios)
