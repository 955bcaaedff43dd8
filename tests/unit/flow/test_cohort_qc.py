"""Cohort QC on constructed tables: robust z-scores, groups, floors, jumps, and the
flags reaching each population's status (populations.tsv, sample_qc.tsv)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from cytotrial.errors import InputError
from cytotrial.flow.cohort.aggregate import sample_qc_table, tidy_populations
from cytotrial.flow.cohort.qc import (
    cohort_qc_table,
    logit_percent,
    population_flags,
)
from cytotrial.flow.settings import CohortQCSettings
from cytotrial.io.results import write_tsv

SETTINGS = CohortQCSettings(
    z_limit=3.5, min_group_size=8, cut_floor_sd_neg=0.3, jump_fold=10, jump_points=20
)
# parent -> gate chain of the constructed template
PARENT = {"cells": "root", "t_cells": "cells", "cd4": "t_cells"}


def sheet(n_patients: int = 12, batches: int = 2) -> pd.DataFrame:
    """Part B patients at C1D1, C1D3 and C2D3; batch by patient (so each batch mixes
    timepoints)."""
    rows = []
    for i in range(n_patients):
        for timepoint in ("C1D1", "C1D3", "C2D3"):
            rows.append(
                {
                    "sample_id": f"P{i:02d}_B_{timepoint}",
                    "patient_id": f"P{i:02d}",
                    "part": "B",
                    "timepoint": timepoint,
                    "batch": f"b{i % batches}",
                }
            )
    return pd.DataFrame(rows)


def build(samples, t_pct=None, cut=None, sd_neg=0.1, events=20_000, seed=0):
    """Per-sample gate tables and records: `t_pct(sample) -> % of parent` of t_cells and
    `cut(sample) -> CD3 cut`, default a spread around 70% and 0.45."""
    rng = np.random.default_rng(seed)
    gate_rows, records = [], {}
    columns = ["sample_id", "gate", "parent", "events", "pct_of_parent"]
    for s in samples.to_dict("records"):
        sid = s["sample_id"]
        t = t_pct(s) if t_pct else 70 + 3 * rng.standard_normal()
        c = cut(s) if cut else 0.45 + 0.01 * rng.standard_normal()
        cells = events * 0.9
        t_events = round(cells * t / 100)
        gate_rows += [
            dict(sample_id=sid, gate="cells", parent="root", events=cells, pct_of_parent=90.0),
            dict(sample_id=sid, gate="t_cells", parent="cells", events=t_events, pct_of_parent=t),
            dict(
                sample_id=sid,
                gate="cd4",
                parent="t_cells",
                events=round(t_events * 0.6),
                pct_of_parent=60 + rng.standard_normal(),
            ),
        ]
        records[sid] = {
            "status": "ok",
            "gates": {
                "t_cells": {
                    "cuts": [{"marker": "CD3", "cut": c, "negative_sd": sd_neg, "method": "valley"}]
                },
                "cd4": {"cuts": [{"marker": "CD4", "cut": 0.5, "method": "single_peak"}]},
            },
        }
    return pd.DataFrame(gate_rows, columns=columns), records


def flagged(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["flag"].isin(["outlier", "jump", "batch_shift"])]


def test_the_schema_declares_every_setting_and_these_tests_use_its_defaults():
    assert CohortQCSettings() == SETTINGS


def test_logit_percent_is_finite_at_0_and_100():
    x = logit_percent(np.array([0.0, 50.0, 100.0]), np.array([100, 100, 100]))
    assert np.isfinite(x).all() and x[1] == 0 and x[0] == pytest.approx(-x[2])


def test_a_clean_cohort_flags_nothing_and_every_group_is_reported():
    samples = sheet()
    gates, records = build(samples)
    table = cohort_qc_table(samples, gates, records, SETTINGS)
    assert flagged(table).empty
    # every cut against patient, batch and cohort; every % of parent against batch, cohort
    cut_rows = table[table["kind"] == "cut"]
    assert set(cut_rows["group"]) == {"patient", "batch", "cohort", "batches"}
    # 2 batches of 18 cuts: too few for a level of batches (each batch's row says so)
    batches = cut_rows[(cut_rows["group"] == "batches") & (cut_rows["gate"] == "t_cells")]
    assert len(batches) == 2 and (batches["flag"] == "not_assessed").all()
    freq = table[table["kind"] == "frequency"]
    assert set(freq["group"]) == {"batch", "cohort"}
    assert set(freq.loc[freq["group"] == "cohort", "group_id"]) == {
        "part B C1D1",
        "part B C1D3",
        "part B C2D3",
    }
    # patients have 3 samples < 8: not assessed, and the row says why
    patient = cut_rows[cut_rows["group"] == "patient"]
    assert (patient["flag"] == "not_assessed").all()
    assert patient["note"].str.contains("group of 3 < 8 samples").all()


def test_a_cut_far_from_its_group_is_flagged_with_value_and_range():
    samples = sheet()
    bad = "P03_B_C1D3"
    gates, records = build(samples, cut=lambda s: 0.75 if s["sample_id"] == bad else 0.45)
    # the single-peak CD4 cut is constant: no spread, the marker has no valley sigma_neg
    table = cohort_qc_table(samples, gates, records, SETTINGS)
    hits = flagged(table)
    assert set(hits["sample_id"]) == {bad}
    assert set(hits["group"]) == {"batch", "cohort"}
    row = hits[hits["group"] == "cohort"].iloc[0]
    assert (row["gate"], row["marker"], row["value"]) == ("t_cells", "CD3", 0.75)
    assert (row["group_median"], row["group_min"], row["group_max"]) == (0.45, 0.45, 0.75)
    # identical cuts: scale = the floor 0.3 sigma_neg = 0.03, z = 0.3 / 0.03
    assert row["scale"] == pytest.approx(0.03) and row["z"] == pytest.approx(10)
    cd4 = table[(table["gate"] == "cd4") & (table["kind"] == "cut") & (table["group"] == "cohort")]
    assert (cd4["flag"] == "not_assessed").all()
    assert cd4["note"].str.contains("no spread").all()


def test_the_cut_floor_keeps_a_tight_group_from_flagging_noise():
    samples = sheet()
    bad = "P03_B_C1D3"
    rng = np.random.default_rng(2)
    # cuts within about 0.001, one 0.02 off (0.2 sigma_neg): noise against a floor of 0.03
    gates, records = build(
        samples,
        cut=lambda s: 0.47 if s["sample_id"] == bad else 0.45 + 0.001 * rng.standard_normal(),
    )
    assert flagged(cohort_qc_table(samples, gates, records, SETTINGS)).empty
    no_floor = replace(SETTINGS, cut_floor_sd_neg=0.0)
    assert bad in set(flagged(cohort_qc_table(samples, gates, records, no_floor))["sample_id"])


def test_a_cut_wandering_in_an_empty_gap_is_judged_against_its_own_shift():
    """Seed 2048's demo: Viability cuts at 0.53 against a cohort median of 0.63 (z -3.5 to
    -4.3) in samples whose live and dead peaks have an empty floor between them, where
    the engine's resamples moved the cut by 1-1.6 sigma_neg and crossed 0.05% of the
    events: where on that floor the minimum landed is noise. Such a cut is scaled by its
    own shift; the same cut with a stable minimum is still an outlier."""
    samples = sheet()
    bad = "P03_B_C1D3"
    gates, records = build(samples, cut=lambda s: 0.56 if s["sample_id"] == bad else 0.45)
    assert set(flagged(cohort_qc_table(samples, gates, records, SETTINGS))["sample_id"]) == {bad}
    # its resamples moved it 1.2 sigma_neg (0.12): 0.11 from the group is within that
    records[bad]["gates"]["t_cells"]["cuts"][0]["shift"] = 1.2
    table = cohort_qc_table(samples, gates, records, SETTINGS)
    assert flagged(table).empty
    mine = (table["sample_id"] == bad) & (table["gate"] == "t_cells") & (table["kind"] == "cut")
    row = table[mine & (table["group"] == "cohort")].iloc[0]
    assert row["scale"] == pytest.approx(0.12) and row["z"] == pytest.approx(0.11 / 0.12)
    # a stable cut (shift 0.1 sigma_neg) keeps the floor's scale: flagged as before
    records[bad]["gates"]["t_cells"]["cuts"][0]["shift"] = 0.1
    assert set(flagged(cohort_qc_table(samples, gates, records, SETTINGS))["sample_id"]) == {bad}


def test_an_instrument_shift_of_a_batch_is_one_batch_flag_not_a_flag_per_sample():
    samples = sheet(n_patients=18, batches=3)  # 18 samples per batch
    rng = np.random.default_rng(5)
    gates, records = build(
        samples,
        cut=lambda s: (0.60 if s["batch"] == "b2" else 0.45) + 0.005 * rng.standard_normal(),
    )
    table = cohort_qc_table(samples, gates, records, SETTINGS)
    hits = flagged(table)
    # the batch's median cut, once, against the other batches'; no sample is flagged
    assert list(hits["flag"]) == ["batch_shift"] and list(hits["batch"]) == ["b2"]
    row = hits.iloc[0]
    assert (row["group"], row["gate"], row["marker"]) == ("batches", "t_cells", "CD3")
    assert pd.isna(row["sample_id"])
    assert row["value"] == pytest.approx(0.60, abs=0.01) and row["z"] > 3.5
    assert row["group_median"] == pytest.approx(0.45, abs=0.01)
    assert not population_flags(table, gates)  # a batch row flags no population
    batches = table[(table["group"] == "batches") & (table["gate"] == "t_cells")]
    assert set(batches["batch"]) == {"b0", "b1", "b2"}
    assert set(batches.loc[batches["batch"] != "b2", "flag"]) == {"ok"}
    # the batch's samples are compared with the cohort less the batch's shift, and say so
    cohort = table[(table["group"] == "cohort") & (table["kind"] == "cut")]
    in_b2 = cohort["batch"] == "b2"
    assert (cohort.loc[in_b2 & (cohort["gate"] == "t_cells"), "note"].str.contains("less")).all()
    assert not cohort.loc[~in_b2, "note"].fillna("").str.contains("less").any()
    assert not table.loc[table["kind"] == "frequency", "note"].fillna("").str.contains("less").any()
    # a sample off its own (shifted) batch is still an outlier against batch and cohort
    bad = samples.loc[samples["batch"] == "b2", "sample_id"].iloc[0]
    records[bad]["gates"]["t_cells"]["cuts"][0]["cut"] = 0.75
    hits = flagged(cohort_qc_table(samples, gates, records, SETTINGS))
    assert set(hits.loc[hits["flag"] == "outlier", "sample_id"]) == {bad}
    assert {"batch", "cohort"} <= set(hits.loc[hits["flag"] == "outlier", "group"])


def test_a_shifted_batch_too_small_for_a_level_flags_its_samples_in_the_cohort():
    samples = sheet(n_patients=18, batches=3)
    small = ["P02_B_C1D1", "P02_B_C1D3", "P05_B_C1D1"]  # 3 samples: batch b9 (< 8)
    samples.loc[samples["sample_id"].isin(small), "batch"] = "b9"
    gates, records = build(samples, cut=lambda s: 0.60 if s["batch"] == "b9" else 0.45)
    table = cohort_qc_table(samples, gates, records, SETTINGS)
    hits = flagged(table)
    assert set(hits["sample_id"]) == set(small) and set(hits["group"]) == {"cohort"}
    assert "b9" not in set(table.loc[table["group"] == "batches", "batch"])


def test_batch_levels_need_three_batches():
    samples = sheet(n_patients=16, batches=2)  # 2 batches of 24
    gates, records = build(samples, cut=lambda s: 0.60 if s["batch"] == "b1" else 0.45)
    table = cohort_qc_table(samples, gates, records, SETTINGS)
    batches = table[(table["group"] == "batches") & (table["gate"] == "t_cells")]
    assert len(batches) == 2 and (batches["flag"] == "not_assessed").all()
    assert batches["note"].str.contains("2 < 3 batches").all()


def test_frequencies_are_compared_within_a_timepoint_so_therapy_is_not_flagged():
    samples = sheet()
    # T cells fall 4-fold at C1D3 in everyone (biology): no flag; patients spread evenly
    # over +-15% of the level
    level = {"C1D1": 60.0, "C1D3": 15.0, "C2D3": 55.0}
    gates, records = build(
        samples,
        t_pct=lambda s: level[s["timepoint"]] * (1 + 0.3 * (int(s["patient_id"][1:]) / 11 - 0.5)),
    )
    assert flagged(cohort_qc_table(samples, gates, records, SETTINGS)).empty


def test_a_vanishing_population_is_flagged_against_cohort_and_as_a_jump():
    samples = sheet()
    bad = "P05_B_C1D3"
    rng = np.random.default_rng(4)
    gates, records = build(
        samples, t_pct=lambda s: 2.0 if s["sample_id"] == bad else 70 + rng.normal(0, 3)
    )
    table = cohort_qc_table(samples, gates, records, SETTINGS)
    hits = flagged(table)
    assert set(hits["sample_id"]) == {bad}
    assert {"cohort", "batch", "patient timepoints"} <= set(hits["group"])
    jumps = hits[hits["flag"] == "jump"]
    # both neighbours jump to it; the dip is the sample farther from the patient's median
    assert len(jumps) == 2 and (jumps["gate"] == "t_cells").all()
    assert jumps["note"].str.contains("C1D1").any() and jumps["note"].str.contains("C2D3").any()
    # the flags reach the population and those below it, not the one above
    flags = population_flags(table, gates)
    assert "cohort_jump(% of parent t_cells" in flags[bad, "t_cells"]
    assert flags[bad, "cd4"] == flags[bad, "t_cells"]
    assert (bad, "cells") not in flags


def test_a_jump_needs_both_the_fold_and_the_points():
    samples = sheet()
    # 1% -> 15% -> 1%: 15-fold but 14 points (a rare subset): no jump
    pct = {"C1D1": 1.0, "C1D3": 15.0, "C2D3": 1.0}
    gates, records = build(
        samples,
        t_pct=lambda s: pct[s["timepoint"]] if s["patient_id"] == "P01" else 1.0 + 0.01 * len(s),
    )
    table = cohort_qc_table(samples, gates, records, SETTINGS)
    assert (table["flag"] != "jump").all()
    lower = replace(SETTINGS, jump_points=10)
    jumps = cohort_qc_table(samples, gates, records, lower)
    assert set(jumps.loc[jumps["flag"] == "jump", "sample_id"]) == {"P01_B_C1D3"}


def test_a_two_timepoint_jump_flags_both_samples():
    samples = sheet()
    samples = samples[samples["timepoint"] != "C2D3"]
    gates, records = build(samples, t_pct=lambda s: 3.0 if s["sample_id"] == "P02_B_C1D3" else 70.0)
    table = cohort_qc_table(samples, gates, records, SETTINGS)
    jumps = table[table["flag"] == "jump"]
    assert set(jumps["sample_id"]) == {"P02_B_C1D1", "P02_B_C1D3"}


def test_small_groups_are_not_assessed():
    samples = sheet(n_patients=2, batches=1)  # 6 samples, 2 per timepoint
    gates, records = build(samples, cut=lambda s: 0.9 if s["sample_id"] == "P00_B_C1D1" else 0.45)
    table = cohort_qc_table(samples, gates, records, SETTINGS)
    assert (table["flag"] == "not_assessed").all()
    smaller = cohort_qc_table(samples, gates, records, replace(SETTINGS, min_group_size=5))
    assert set(flagged(smaller)["sample_id"]) == {"P00_B_C1D1"}


def test_samples_without_a_batch_are_not_assessed_in_a_batch():
    samples = sheet().assign(batch="")
    gates, records = build(samples, cut=lambda s: 0.75 if s["sample_id"] == "P03_B_C1D3" else 0.45)
    table = cohort_qc_table(samples, gates, records, SETTINGS)
    batch = table[table["group"] == "batch"]
    assert (batch["flag"] == "not_assessed").all()
    assert (batch["note"] == "no batch in the sample sheet").all()
    assert set(flagged(table)["group"]) == {"cohort"}


def test_settings_from_a_partial_or_misspelt_section_and_no_samples():
    assert CohortQCSettings.from_config({"z_limit": 3.5}) == SETTINGS  # the rest: schema's
    with pytest.raises(InputError, match=r"flow.cohort_qc: unknown key\(s\) \['z_limt'\]"):
        CohortQCSettings.from_config({"z_limt": 3.0})
    empty = cohort_qc_table(sheet().iloc[:0], *build(sheet().iloc[:0]), SETTINGS)
    assert empty.empty and "z" in empty.columns


def test_flags_make_the_population_flagged_in_populations_and_sample_qc(tmp_path):
    samples = sheet()
    bad = "P05_B_C1D3"
    rng = np.random.default_rng(4)
    gates, records = build(
        samples, t_pct=lambda s: 2.0 if s["sample_id"] == bad else 70 + rng.normal(0, 3)
    )
    flags = population_flags(cohort_qc_table(samples, gates, records, SETTINGS), gates)
    files = {}
    for sid, table in gates.groupby("sample_id"):
        table = table.assign(
            population=table["gate"].map({"t_cells": "t_cells", "cd4": "cd4_t"}).fillna(""),
            pct_of_leukocytes=1.0,
            mfi_marker="CD38",
            mfi=100.0,
            flags="",
        )
        files[sid] = tmp_path / f"{sid}.populations.tsv"
        write_tsv(table, files[sid])
    sheet_ = samples.assign(leukocytes_per_ul=5000)
    tidy = tidy_populations(sheet_, files, ["t_cells", "cd4_t"], "CD38", {}, flags)
    bad_rows = tidy[tidy["sample_id"] == bad]
    assert (bad_rows["status"] == "flagged").all()
    assert bad_rows["status_reason"].str.contains("cohort_outlier").all()
    assert (tidy.loc[tidy["sample_id"] != bad, "status"] == "ok").all()
    records = {sid: {"status": "ok", "qc": {}, "gates": {}} for sid in samples["sample_id"]}
    qc = sample_qc_table(
        samples, records, files, ["cells", "t_cells", "cd4"], {"t_cells": "t_cells"}, flags
    )
    row = qc.set_index("sample_id").loc[bad]
    assert row["status_t_cells"] == "flagged" and "cohort_jump" in row["cohort_flags"]
    assert (qc.set_index("sample_id").drop(bad)["status_t_cells"] == "ok").all()


def test_methods_say_the_cohort_qc_settings_as_run():
    from helpers.report_config import default_config

    from cytotrial.report.methods import methods_section
    from cytotrial.report.settings import RunSettings

    config = default_config()  # config.yaml names no cohort_qc: the schema's defaults
    text = " ".join(methods_section(RunSettings.from_config(config)).paragraphs)
    assert "|z| > 3.5 flagged" in text and "10-fold and 20 points" in text
    config["flow"]["cohort_qc"] = {"z_limit": 4.0}
    text = " ".join(methods_section(RunSettings.from_config(config)).paragraphs)
    assert "|z| > 4.0 flagged" in text and "fewer than 8 samples" in text
