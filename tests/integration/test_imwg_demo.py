"""The IMWG engine on the simulated demo trial: the derived best responses, progression
dates and part B entry reasons equal the reported ones for every patient (the simulator's
lab trajectories are built from the reported tables; the engine sees only the lab values,
the dates of the parts and new therapies, and the isotype)."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from helpers.paths import REPO

from cytotrial.clinical.imwg.concordance import concordance, concordance_summary, effective_tables
from cytotrial.clinical.imwg.engine import derive_responses
from cytotrial.clinical.imwg.settings import ImwgSettings
from cytotrial.io.lab_values import read_lab_values
from cytotrial.simulate.clinical.trial import simulate_clinical

CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
SEED = CONFIG["demo"]["seed"]
SETTINGS = ImwgSettings.from_config(CONFIG["clinical"]["imwg"])


@pytest.fixture(scope="module", params=[SEED, 3])
def demo(request, tmp_path_factory):
    """Tables as written to disk and the lab values read back through the validating reader."""
    folder = tmp_path_factory.mktemp(f"imwg_{request.param}")
    tables = simulate_clinical(request.param)
    tables.write(folder)
    labs = read_lab_values(folder / "lab_values.csv", patient_ids=set(tables.patients.patient_id))
    result = derive_responses(
        tables.patients, tables.dates, tables.subsequent_therapies, labs, SETTINGS
    )
    return tables, labs, result


def test_every_patient_and_part_is_derived(demo):
    tables, _, result = demo
    reported = set(zip(tables.responses.patient_id, tables.responses.part, strict=True))
    assert set(zip(result.best.patient_id, result.best.part, strict=True)) == reported


def test_best_response_progression_and_entry_reason_agree_100_percent(demo):
    tables, _, result = demo
    table = concordance(tables.responses, tables.dates, tables.patients, result.best)
    assert table[~table.agree].empty, table[~table.agree].to_string()
    summary = concordance_summary(table).set_index("item")
    assert summary.loc["best_response", "compared"] == len(tables.responses)
    assert (
        summary.loc["part_b_entry_reason", "compared"]
        == tables.dates.part_b_registration.notna().sum()
    )
    assert (summary["agreement_pct"] == 100.0).all()


def test_effective_tables_equal_the_reported_ones_on_the_demo(demo):
    tables, _, result = demo
    responses, dates = effective_tables(tables.responses, tables.dates, result.best)
    pd.testing.assert_frame_equal(responses, tables.responses.reset_index(drop=True))
    pd.testing.assert_frame_equal(dates, tables.dates)


def test_demo_exercises_every_category_and_marker(demo):
    _, _, result = demo
    assert set(result.assessments.category) >= {"CR", "VGPR", "PR", "MR", "SD", "PD"}
    assert set(result.best.response_marker) == {"serum", "urine", "flc"}
    assert "no_clonality_for_scr" in set(result.assessments.reasons)


def test_the_trial_serum_threshold_matters_on_the_demo():
    # part B baselines between 5 and 10 g/L (after PD from CR): measurable only at 5 g/L
    tables = simulate_clinical(SEED)
    labs = tables.lab_values()
    imwg = ImwgSettings(serum_measurable_min_g_l=10)
    result = derive_responses(
        tables.patients, tables.dates, tables.subsequent_therapies, labs, imwg
    )
    table = concordance(tables.responses, tables.dates, tables.patients, result.best)
    assert not table[~table.agree].empty
    assert set(table[~table.agree].item) == {"best_response"}
