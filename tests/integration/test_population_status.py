"""Population status (ok / flagged / failed) and what the statistics leave out.

A flagged population (a flag on its gate, a gate above it, or its sample's QC) and every
population of a failed sample are left out of the paired tests and figures by default;
each test row and figure panel counts them, and the sensitivity table holds each test
with and without the flagged ones."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers.paths import REPO

from cytotrial.flow.cohort.comparisons import compare_timepoints, left_out_values, sensitivity_table
from cytotrial.flow.cohort.job import flow_statistics_job
from cytotrial.flow.sample.status import population_status, split_flags
from cytotrial.flow.settings import StatisticsSettings
from cytotrial.io.results import write_tsv
from cytotrial.report.flow_sections import FIGURES
from cytotrial.stats.paired import wilcoxon_matched_pairs

TEMPLATE = REPO / "resources/gating/pbmc_cd38.yaml"
MFI = "cd38_mfi_median_compensated_untransformed"


def test_status_definition():
    assert population_status("failed", "truncated file", "", "") == (
        "failed",
        "sample failed: truncated file",
    )
    assert population_status("ok", "", "", "") == ("ok", "")
    assert population_status("ok", "", "single_peak(CD19)", "") == ("flagged", "single_peak(CD19)")
    # a sample QC flag bears on every population; one flag is listed once
    assert population_status("ok", "", "no_spillover_matrix(x)", "low_event_count(900<1000);"
                             "no_spillover_matrix(x)") == (
        "flagged",
        "no_spillover_matrix(x);low_event_count(900<1000)",
    )  # fmt: skip
    # a failed Gating-ML export concerns a file, not the values
    assert population_status("ok", "", "", "gatingml_not_exported") == ("ok", "")


def test_flags_split_only_between_flags():
    text = "few_events(CD16; CD56 cut set on nk_cells);single_peak(CD19); ;single_peak(CD19)"
    assert split_flags(text) == ["few_events(CD16; CD56 cut set on nk_cells)", "single_peak(CD19)"]
    assert split_flags(float("nan")) == [] and split_flags("") == []
    status, why = population_status("ok", "", text, "low_event_count(900<1000)")
    assert split_flags(why) == [*split_flags(text), "low_event_count(900<1000)"]


def cohort(n: int = 8, shift: float = 100.0) -> pd.DataFrame:
    """n patients, part A C1D1 and C2D1, t_cells only; C2D1 is `shift` higher."""
    rng = np.random.default_rng(1)
    rows = []
    for i in range(n):
        base = 1000 + 50 * rng.standard_normal()
        for timepoint, value in (("C1D1", base), ("C2D1", base + shift + 5 * i)):
            rows.append(
                {"sample_id": f"P{i}_A_{timepoint}", "patient_id": f"P{i}", "part": "A",
                 "timepoint": timepoint, "population": "t_cells", MFI: value,
                 "cells_per_ul": value, "status": "ok", "status_reason": ""}
            )  # fmt: skip
    return pd.DataFrame(rows)


def failed_sample(patient: str, timepoint: str) -> pd.DataFrame:
    return pd.DataFrame(
        [{"sample_id": f"{patient}_A_{timepoint}", "patient_id": patient, "part": "A",
          "timepoint": timepoint, "status": "failed", "reason": "truncated file"}]
    )  # fmt: skip


COMPARISON = [{"part": "A", "before": "C1D1", "after": "C2D1"}]


def test_pairs_use_ok_populations_and_each_row_counts_what_it_left_out():
    tidy = cohort()
    flagged = (tidy["patient_id"] == "P1") & (tidy["timepoint"] == "C2D1")
    tidy.loc[flagged, ["status", "status_reason"]] = ["flagged", "single_peak(CD3)"]
    tidy.loc[flagged, MFI] = 50.0  # a bad gate's value: it must not reach the test
    tidy = tidy[tidy["sample_id"] != "P7_A_C1D1"]  # failed: no row in populations.tsv
    failed = failed_sample("P7", "C1D1")
    row = compare_timepoints(
        tidy, COMPARISON, ["t_cells"], MFI, include_flagged=False, failed=failed
    ).iloc[0]
    assert row["n_pairs"] == 6 and row["unpaired_patients"] == 2  # P1 and P7 lost their pair
    assert (row["left_out_flagged"], row["left_out_failed"], row["pairs_left_out"]) == (1, 1, 2)
    assert "P1_A_C2D1 (flagged: single_peak(CD3))" in row["left_out"]
    assert "P7_A_C1D1 (failed: truncated file)" in row["left_out"]
    assert row["populations_used"] == "ok only (flagged left out)"
    kept = tidy[(tidy["status"] == "ok") & ~tidy["patient_id"].isin(["P1", "P7"])]
    wide = kept.pivot(index="patient_id", columns="timepoint", values=MFI)
    expected = wilcoxon_matched_pairs(wide["C1D1"].to_numpy(), wide["C2D1"].to_numpy())
    assert row["W"] == expected.w and row["p_value"] == expected.p_value

    with_flagged = compare_timepoints(
        tidy, COMPARISON, ["t_cells"], MFI, include_flagged=True, failed=failed
    ).iloc[0]
    assert with_flagged["n_pairs"] == 7
    assert (with_flagged["left_out_flagged"], with_flagged["left_out_failed"]) == (0, 1)
    assert with_flagged["pairs_left_out"] == 1


def test_sensitivity_table_shows_a_conclusion_the_flagged_values_change():
    # 6 ok pairs rise by 100-125 (all up: exact P = 0.031); 4 flagged pairs fall by 300
    tidy = cohort(10)
    flagged = tidy["patient_id"].isin(["P6", "P7", "P8", "P9"])
    tidy.loc[flagged, ["status", "status_reason"]] = ["flagged", "low_confidence_cut(CD3)"]
    tidy.loc[flagged & (tidy["timepoint"] == "C2D1"), MFI] -= 400
    ok = compare_timepoints(tidy, COMPARISON, ["t_cells"], MFI, include_flagged=False)
    both = compare_timepoints(tidy, COMPARISON, ["t_cells"], MFI, include_flagged=True)
    table = sensitivity_table(ok, both).iloc[0]
    assert (table["n_pairs_ok"], table["n_pairs_with_flagged"]) == (6, 10)
    assert table["p_value_ok"] <= 0.05 < table["p_value_with_flagged"]
    assert table["left_out_flagged"] == 8 and bool(table["significance_changes"])
    same = sensitivity_table(ok, ok).iloc[0]
    assert not bool(same["significance_changes"])


def test_left_out_values_lists_every_population_of_a_failed_sample():
    left = left_out_values(cohort(2), failed_sample("P9", "C1D1"), ["t_cells", "b_cells"], False)
    assert sorted(left["population"]) == ["b_cells", "t_cells"]
    assert set(left["status"]) == {"failed"}


def svg_words(path: str) -> str:
    return " ".join(re.findall(r"<!-- (.*?) -->", Path(path).read_text()))


@pytest.mark.parametrize("include_flagged", [False, True])
def test_statistics_job_tables_and_figures_say_what_was_left_out(tmp_path, include_flagged):
    tidy = cohort()
    flagged = (tidy["patient_id"] == "P1") & (tidy["timepoint"] == "C2D1")
    tidy.loc[flagged, ["status", "status_reason"]] = ["flagged", "single_peak(CD3)"]
    write_tsv(tidy, tmp_path / "populations.tsv")
    qc = tidy.drop_duplicates("sample_id")[["sample_id", "patient_id", "part", "timepoint"]]
    qc = qc.assign(status="ok", reason="")
    write_tsv(pd.concat([qc, failed_sample("P8", "C1D1")]), tmp_path / "sample_qc.tsv")
    figures = {f"{n}_{k}": str(tmp_path / f"{n}.{k}") for n in FIGURES for k in ("png", "svg")}
    flow_statistics_job(
        tmp_path / "populations.tsv",
        TEMPLATE,
        COMPARISON,
        tmp_path / "mfi.tsv",
        tmp_path / "counts.tsv",
        figures,
        sample_qc_tsv=tmp_path / "sample_qc.tsv",
        statistics=StatisticsSettings(include_flagged=include_flagged),
        sensitivity_out=tmp_path / "sensitivity.tsv",
    )
    mfi = pd.read_csv(tmp_path / "mfi.tsv", sep="\t").set_index("population")
    assert mfi.loc["t_cells", "n_pairs"] == (8 if include_flagged else 7)
    assert mfi.loc["t_cells", "left_out_flagged"] == (0 if include_flagged else 1)
    assert mfi.loc["b_cells", "left_out_failed"] == 1  # every population of the failed sample
    sensitivity = pd.read_csv(tmp_path / "sensitivity.tsv", sep="\t")
    assert set(sensitivity["value"]) == {MFI, "cells_per_ul"}
    t_cells = sensitivity[sensitivity["population"] == "t_cells"]
    assert set(t_cells["n_pairs_ok"]) == {7} and set(t_cells["n_pairs_with_flagged"]) == {8}
    words = svg_words(figures["mfi_A_svg"])
    used = "ok and flagged" if include_flagged else "ok only (flagged left out)"
    assert f"populations: {used}" in words
    assert ("left out: 1 failed" if include_flagged else "left out: 1 flagged, 1 failed") in words
    paired = svg_words(figures["counts_paired_svg"])
    assert ("n=8" if include_flagged else "n=7") in paired and "left out:" in paired
    # T-cell counts over both parts in their own figure (the paper's supplemental Figure 2)
    t_cells = svg_words(figures["counts_t_svg"])
    assert "Part A: T cells" in t_cells and "Part B: T cells" in t_cells
    assert "T cells" not in svg_words(figures["counts_A_svg"])
    assert "B cells" in svg_words(figures["counts_A_svg"])


def test_config_schema_declares_the_default_and_rejects_a_non_boolean():
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    config: dict = {"flow": {}}
    validate(config, str(REPO / "config/schemas/config.schema.yaml"))
    assert config["flow"]["statistics"] == {"include_flagged": False}
    with pytest.raises(WorkflowError, match="'no' is not of type 'boolean'"):
        validate({"flow": {"statistics": {"include_flagged": "no"}}},
                 str(REPO / "config/schemas/config.schema.yaml"))  # fmt: skip
    with pytest.raises(WorkflowError, match="include_flaged"):
        validate({"flow": {"statistics": {"include_flaged": True}}},
                 str(REPO / "config/schemas/config.schema.yaml"))  # fmt: skip


def test_report_notes_count_statuses_and_say_whether_a_conclusion_changes():
    from cytotrial.report.flow_sections import left_out_note, population_status_note

    tidy = cohort(10)
    flagged = tidy["patient_id"].isin(["P6", "P7", "P8", "P9"])
    tidy.loc[flagged, ["status", "status_reason"]] = ["flagged", "low_confidence_cut(CD3)"]
    qc = pd.concat([tidy.drop_duplicates("sample_id").assign(status="ok"),
                    failed_sample("P10", "C1D1")])  # fmt: skip
    note = population_status_note(tidy, qc, 1)
    assert "12 ok, 8 flagged (T cells 8), 1 failed" in note
    tidy.loc[flagged & (tidy["timepoint"] == "C2D1"), MFI] -= 400
    ok = compare_timepoints(tidy, COMPARISON, ["t_cells"], MFI, include_flagged=False)
    both = compare_timepoints(tidy, COMPARISON, ["t_cells"], MFI, include_flagged=True)
    [text] = left_out_note(ok, sensitivity_table(ok, both), "CD38 MFI")
    assert "left out 8 flagged, 0 failed and 0 excluded values and 4 pairs" in text
    assert "changes P <= 0.05 for: part A T cells C1D1 vs C2D1" in text
    [same] = left_out_note(ok, sensitivity_table(ok, ok), "CD38 MFI")
    assert "changes no test's P <= 0.05 conclusion" in same
