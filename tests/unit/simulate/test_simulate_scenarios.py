"""The demo's planted scenarios (simulate/flow_scenarios.py): where they sit in the plan,
what each file looks like, and that the per-sample QC sees the failed and small ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cytotrial.flow.prepare.qc import run_qc
from cytotrial.io.inputs import check_sample_sheet
from cytotrial.simulate.flow.instrument import batch_drift
from cytotrial.simulate.flow.populations import FLUOR_CHANNELS, LABEL
from cytotrial.simulate.flow.sample import CHANNELS, simulate_sample
from cytotrial.simulate.flow.scenarios import (
    CLOG_GAP_S,
    GAIN_STEP,
    SCENARIO_COLUMNS,
    TOO_SMALL_EVENTS,
    scenario_table,
)
from cytotrial.simulate.trial import DEFAULT_SEED, plan_demo_samples, plan_demo_trial

EVENTS = 5_000


@pytest.fixture(scope="module")
def plan() -> pd.DataFrame:
    return plan_demo_trial(DEFAULT_SEED, "results/demo")


@pytest.fixture(scope="module")
def scenarios(plan) -> pd.DataFrame:
    return scenario_table(plan)


def one(plan: pd.DataFrame, scenario: str, events: int = EVENTS):
    row = plan[plan["scenario"] == scenario].iloc[0].to_dict()
    return row, simulate_sample(row, DEFAULT_SEED, events)


def qc_flags(sim) -> str:
    ranges = [262144.0] * len(CHANNELS)
    return ";".join(run_qc(sim.events, CHANNELS, ranges, "Time").flags)


def test_every_scenario_is_planted_and_the_sheet_stays_valid(plan, scenarios):
    assert list(scenarios.columns) == list(SCENARIO_COLUMNS)
    counts = scenarios["scenario"].value_counts().to_dict()
    assert {k: counts[k] for k in ("failed_clog", "failed_debris", "too_small")} == {
        "failed_clog": 1,
        "failed_debris": 1,
        "too_small": 2,
    }
    assert counts["t_cell_collapse"] == 1 and counts["instrument_change"] >= 8
    # the paper's 267 samples plus the 4 extra files; the sheet the workflow reads is valid
    sheet = plan_demo_samples(DEFAULT_SEED, "results/demo")
    assert len(sheet) == 267 + 4 and list(sheet["sample_id"]) == list(plan["sample_id"])
    check_sample_sheet(sheet, "plan")  # one row per patient + part + timepoint, schema-valid


def test_extra_files_can_enter_no_paired_comparison(plan, scenarios):
    extra = scenarios[scenarios["scenario"].isin(["failed_clog", "failed_debris", "too_small"])]
    for row in extra.itertuples():
        same_part = plan[(plan["patient_id"] == row.patient_id) & (plan["part"] == row.part)]
        assert list(same_part["sample_id"]) == [row.sample_id], row.sample_id


def test_the_instrument_change_is_one_whole_batch(plan, scenarios):
    changed = scenarios.loc[scenarios["scenario"] == "instrument_change", "batch"].unique()
    assert len(changed) == 1
    in_batch = plan["batch"] == changed[0]
    assert plan.loc[in_batch, "instrument_step"].all()
    assert not plan.loc[~in_batch, "instrument_step"].any()


def test_too_small_files_have_their_few_hundred_events(plan):
    small = plan[plan["scenario"] == "too_small"]
    assert sorted(small["scenario_events"]) == sorted(TOO_SMALL_EVENTS)
    for row in small.to_dict("records"):
        sim = simulate_sample(row, DEFAULT_SEED, 20_000)
        assert len(sim.events) == row["scenario_events"] == sim.truth.loc[:9, "events"].sum()
        assert "low_event_count" in qc_flags(sim)


def test_a_clogged_file_has_a_long_gap_and_the_qc_flags_its_flow_rate(plan):
    row, sim = one(plan, "failed_clog")
    seconds = np.diff(sim.events[:, -1].astype(float)) * 0.01
    assert seconds.max() >= CLOG_GAP_S
    assert float(sim.keywords["$TIMESTEP"]) == 0.01
    assert "unstable_flow_rate" in qc_flags(sim)
    # the same sample without the fault: a steady file
    clean = simulate_sample({**row, "scenario": ""}, DEFAULT_SEED, EVENTS)
    assert "unstable_flow_rate" not in qc_flags(clean)


def test_a_clotted_file_is_mostly_debris_and_saturates_scatter(plan):
    _, sim = one(plan, "failed_debris")
    assert sim.truth.set_index("population").loc["debris", "events"] > 0.7 * EVENTS
    assert "saturation" in qc_flags(sim)


def test_t_cells_nearly_vanish_in_the_collapse_sample(plan):
    row, sim = one(plan, "t_cell_collapse", 20_000)
    normal = simulate_sample({**row, "scenario": ""}, DEFAULT_SEED, 20_000)

    def t_share(s):
        return s.truth.set_index("population").loc["t_cell", "fraction_of_leukocytes"]

    assert t_share(sim) < 0.05 * t_share(normal)
    assert (sim.labels == LABEL["t_cell"]).sum() > 20  # a few left: gated, not absent


def test_the_instrument_step_raises_two_detectors_and_spares_cd38(plan):
    row = plan[plan["scenario"] == "instrument_change"].iloc[0].to_dict()
    stepped = batch_drift(row["batch"], DEFAULT_SEED, GAIN_STEP)
    usual = batch_drift(row["batch"], DEFAULT_SEED)
    ratio = dict(zip(FLUOR_CHANNELS, stepped.gains / usual.gains, strict=True))
    assert ratio == pytest.approx({c: GAIN_STEP.get(c, 1.0) for c in FLUOR_CHANNELS})
    assert ratio["APC-A"] == 1.0  # CD38
    sim = simulate_sample(row, DEFAULT_SEED, 1_000)
    assert np.allclose(sim.spillover, stepped.spillover)  # the session's controls record it
