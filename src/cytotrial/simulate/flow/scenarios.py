"""What real trials have, planted in the demo and recorded in its truth (truth/scenarios.tsv).

- failed acquisitions, as EXTRA files at part A C1D1 of patients who have no part A sample
  (so no paired comparison can use them, whatever the pipeline makes of them; one per such
  patient, in EXTRA_FILES order, so a seed with fewer than 4 of them plants fewer):
  `failed_clog` (the sample line clogs after 30% of the events: no event for 45 s, then
  the flow creeps on at 15% of its rate) and `failed_debris` (a clotted sample: 80% of the
  events are debris and 12% pile up at the top of FSC-A and SSC-A);
- `too_small`: two such extra files of a few hundred events (300 and 600, below the
  default flow.qc.min_events of 1,000);
- `t_cell_collapse`: one part B EOT sample whose T cells fall to 3% of the patient's
  level (the other subsets unchanged, the analyser's leukocyte count falls with them);
- `instrument_change`: one batch acquired after a detector service that raised the
  APC-H7 (CD3) and PE-Cy7 (CD19) voltages (x2.2, x1.8 signal); the next batch is back
  at the standard settings. The batch's single-stain controls record its spillover as
  usual, so compensation stays right and data-driven gates follow the step; CD38 (APC)
  is untouched.

Every choice is drawn from the seed (stream STREAM_SCENARIOS), so the same seed plants the
same scenarios; `scenario_table` says per sample what the pipeline is expected to do.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from cytotrial.simulate.flow.instrument import assign_batches
from cytotrial.simulate.flow.populations import rng_for

__all__ = [
    "EXTRA_FILES",
    "TOO_SMALL_EVENTS",
    "CLOG_GAP_S",
    "GAIN_STEP",
    "SCENARIO_COLUMNS",
    "add_scenarios",
    "gain_step",
    "events_of",
    "apply_faults",
    "scenario_table",
]

STREAM_SCENARIOS = 61
STREAM_FAULTS = 62

FAILED_CLOG = "failed_clog"
FAILED_DEBRIS = "failed_debris"
TOO_SMALL = "too_small"
T_CELL_COLLAPSE = "t_cell_collapse"
INSTRUMENT_CHANGE = "instrument_change"
# Extra files, in the order patients without a part A sample receive them.
EXTRA_FILES = (FAILED_CLOG, FAILED_DEBRIS, TOO_SMALL, TOO_SMALL)
TOO_SMALL_EVENTS = (300, 600)

CLOG_AFTER = 0.3  # share of events acquired before the clog
CLOG_GAP_S = 45.0
CLOG_RATE = 0.15  # flow rate after the clog, relative to before
SATURATED_SHARE = 0.12
# Signal multipliers per detector of the instrument-change batch (PMT voltage raised).
GAIN_STEP: dict[str, float] = {"APC-H7-A": 2.2, "PE-Cy7-A": 1.8}
GAIN_STEP_MARKERS = ("CD3", "CD19")

SCENARIO_COLUMNS = (
    "sample_id",
    "patient_id",
    "part",
    "timepoint",
    "batch",
    "scenario",
    "affected",
    "expected",
    "events",
    "detail",
)
# What the pipeline should do with each scenario (the test reads these from the truth):
# affected = the reported populations that must be flagged or failed ("all" or names);
# expected = how (a per-sample status, or a batch-level cohort-QC row for the markers).
_EXPECTED = {
    FAILED_CLOG: ("all", "flagged_or_failed"),
    FAILED_DEBRIS: ("all", "flagged_or_failed"),
    TOO_SMALL: ("all", "flagged_or_failed"),
    T_CELL_COLLAPSE: ("t_cells", "flagged_or_failed"),
    INSTRUMENT_CHANGE: ("", "batch_shift:" + ";".join(GAIN_STEP_MARKERS)),
}


def add_scenarios(
    plan: pd.DataFrame, part_a_start: Mapping[str, object], seed: int
) -> pd.DataFrame:
    """`plan` (sample_id, patient_id, part, timepoint, acquisition_date, batch) with the
    extra files appended and columns `scenario` ("" for none) and `scenario_events` (0:
    the run's events per file); sorted by sample_id. `part_a_start`: patient -> date."""
    rng = rng_for(seed, STREAM_SCENARIOS, "scenarios")
    plan = plan.assign(scenario="", scenario_events=0)
    without_a = sorted(set(part_a_start) - set(plan.loc[plan["part"] == "A", "patient_id"]))
    chosen = [without_a[i] for i in rng.permutation(len(without_a))][: len(EXTRA_FILES)]
    small = iter(TOO_SMALL_EVENTS)
    extras = []
    for patient, scenario in zip(chosen, EXTRA_FILES, strict=False):
        extras.append(
            {
                "sample_id": f"{patient}_A_C1D1",
                "patient_id": patient,
                "part": "A",
                "timepoint": "C1D1",
                "acquisition_date": pd.Timestamp(part_a_start[patient]).strftime("%Y-%m-%d"),
                "scenario": scenario,
                "scenario_events": next(small) if scenario == TOO_SMALL else 0,
            }
        )
    if extras:
        extra = pd.DataFrame(extras)
        extra["batch"] = assign_batches(extra).to_numpy()
        plan = pd.concat([plan, extra], ignore_index=True)

    # The instrument change: the largest batch after the first month (big enough for the
    # cohort QC to take its level); every file of it is acquired with the step.
    plan["instrument_step"] = False
    sizes = plan.groupby("batch").size().drop(plan["batch"].min(), errors="ignore")
    if len(sizes):
        in_batch = plan["batch"] == sizes.sort_index().idxmax()
        plan["instrument_step"] = in_batch
        plan.loc[in_batch & (plan["scenario"] == ""), "scenario"] = INSTRUMENT_CHANGE
    eot = plan.index[
        (plan["part"] == "B") & (plan["timepoint"] == "EOT") & (plan["scenario"] == "")
    ]
    if len(eot):
        plan.loc[eot[rng.integers(len(eot))], "scenario"] = T_CELL_COLLAPSE
    return plan.sort_values("sample_id", kind="stable").reset_index(drop=True)


def gain_step(sample: Mapping[str, object]) -> Mapping[str, float]:
    """Detector signal multipliers of the sample's acquisition ({} normally)."""
    step = sample.get("instrument_step")
    return GAIN_STEP if step is not None and not pd.isna(step) and bool(step) else {}


def events_of(sample: Mapping[str, object], events: int) -> int:
    """The file's event count: the scenario's (too small) or the run's, if fewer."""
    planned = sample.get("scenario_events")
    return min(int(planned), events) if planned and not pd.isna(planned) else events


def apply_faults(
    sample: Mapping[str, object], seed: int, data: np.ndarray, columns: tuple[str, ...]
) -> float | None:
    """Acquisition faults of a failed file, in place on `data` (events x `columns`, Time
    in TIMESTEP units); returns the new acquisition duration in s, or None if unchanged.
    Draws come from their own stream, so the events themselves are those of a good file."""
    from cytotrial.simulate.flow.events import SCATTER_MAX, TIMESTEP

    scenario = sample.get("scenario")
    if scenario == FAILED_CLOG and len(data) > 1:
        time = data[:, columns.index("Time")].astype(np.float64) * TIMESTEP
        at = int(len(time) * CLOG_AFTER)
        later = time[at:] - time[at]
        time[at:] = time[at] + CLOG_GAP_S + later / CLOG_RATE
        data[:, columns.index("Time")] = (time / TIMESTEP).astype(np.float32)
        return float(time[-1])
    if scenario == FAILED_DEBRIS:
        rng = rng_for(seed, STREAM_FAULTS, str(sample["sample_id"]))
        clumps = rng.random(len(data)) < SATURATED_SHARE
        for channel in ("FSC-A", "SSC-A"):
            data[clumps, columns.index(channel)] = SCATTER_MAX
    return None


def scenario_table(plan: pd.DataFrame) -> pd.DataFrame:
    """truth/scenarios.tsv: one row per scenario sample (SCENARIO_COLUMNS)."""
    rows = []
    for sample in plan[plan["scenario"] != ""].to_dict("records"):
        scenario = sample["scenario"]
        affected, expected = _EXPECTED[scenario]
        rows.append(
            {
                **{k: sample[k] for k in ("sample_id", "patient_id", "part", "timepoint")},
                "batch": sample["batch"],
                "scenario": scenario,
                "affected": affected,
                "expected": expected,
                "events": int(sample["scenario_events"]) or "",
                "detail": _detail(scenario, sample),
            }
        )
    return pd.DataFrame(rows, columns=list(SCENARIO_COLUMNS))


def _detail(scenario: str, sample: Mapping[str, object]) -> str:
    if scenario == FAILED_CLOG:
        return (
            f"sample line clogged after {CLOG_AFTER:.0%} of the events: no event for "
            f"{CLOG_GAP_S:.0f} s, then {CLOG_RATE:.0%} of the flow rate"
        )
    if scenario == FAILED_DEBRIS:
        from cytotrial.simulate.flow.populations import SCENARIO_DEBRIS_SHARE

        return (
            f"clotted sample: {SCENARIO_DEBRIS_SHARE[FAILED_DEBRIS]:.0%} debris, "
            f"{SATURATED_SHARE:.0%} of events saturate FSC-A and SSC-A"
        )
    if scenario == TOO_SMALL:
        return f"{sample['scenario_events']} events acquired"
    if scenario == T_CELL_COLLAPSE:
        from cytotrial.simulate.flow.populations import SCENARIO_COUNT_EFFECT

        factor = SCENARIO_COUNT_EFFECT[T_CELL_COLLAPSE]["t_cell"]
        return f"T cells at {factor:.0%} of the patient's level, other subsets unchanged"
    steps = ", ".join(
        f"{channel} ({marker}) x{GAIN_STEP[channel]}"
        for channel, marker in zip(GAIN_STEP, GAIN_STEP_MARKERS, strict=True)
    )
    return (
        f"batch {sample['batch']} acquired with detector voltages raised after a service: "
        f"{steps}; spillover from the batch's own controls; the next batch is back to normal"
    )
