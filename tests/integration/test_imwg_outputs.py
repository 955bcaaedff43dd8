"""lab_values.csv reading (errors name the line and field), concordance and effective tables,
the job with and without lab values, the waterfall data and the report section."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from helpers.paths import SCHEMA_DIR
from helpers.result_paths import CLINICAL_REPORT_PATHS

from cytotrial.clinical.figures.waterfall import CAP_PCT, waterfall_data
from cytotrial.clinical.imwg.concordance import concordance, effective_tables
from cytotrial.clinical.job import imwg_job
from cytotrial.errors import InputError
from cytotrial.io.inputs import CLINICAL_TABLES, read_clinical_tables
from cytotrial.io.lab_values import read_lab_values
from cytotrial.io.results import read_tsv_or_empty as _read
from cytotrial.report.clinical_sections import REPORT_INPUT_KEYS
from cytotrial.report.imwg_section import (
    IMWG_REPORT_INPUT_KEYS,
    imwg_section,
    reason_counts,
    reasons_n,
)
from cytotrial.simulate.clinical.trial import simulate_clinical
from cytotrial.simulate.trial import DEFAULT_SEED

HEADER = "patient_id,date,serum_m_protein_g_l,serum_ife\n"


@pytest.fixture(scope="module")
def clinical(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("imwg_clinical")
    simulate_clinical(DEFAULT_SEED).write(folder)
    return folder


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lab_values.csv"
    path.write_text(text)
    return path


def test_reader_fills_every_column_and_sorts(tmp_path):
    path = write(tmp_path, HEADER + "P2,2020-01-01,3,positive\nP1,2020-02-01,,\n")
    table = read_lab_values(path, SCHEMA_DIR)
    assert table.patient_id.tolist() == ["P1", "P2"]
    assert table.columns[-1] == "new_lesion" and table.new_lesion.isna().all()
    assert table.serum_ife.tolist() == [None, "positive"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "P1,2020-01-01,3,pos",
            "line 2 (patient_id 'P1'): field 'serum_ife': 'pos' is not allowed",
        ),
        ("P1,2020-01-01,-1,", "line 2 (patient_id 'P1'): field 'serum_m_protein_g_l'"),
        ("P1,2020-02-30,3,", "line 2: field 'date': '2020-02-30' is not a real date"),
        ("P1,01/02/2020,3,", "field 'date': '01/02/2020' does not match"),
    ],
)
def test_bad_values_name_file_line_and_field(tmp_path, row, message):
    path = write(tmp_path, HEADER + row + "\n")
    with pytest.raises(InputError, match="lab_values.csv") as error:
        read_lab_values(path, SCHEMA_DIR)
    assert message in str(error.value)


def test_duplicate_date_and_unknown_patient_are_errors(tmp_path):
    path = write(tmp_path, HEADER + "P1,2020-01-01,3,\nP1,2020-01-01,4,\n")
    with pytest.raises(InputError, match=r"duplicated patient_id \+ date .* lines 2, 3"):
        read_lab_values(path, SCHEMA_DIR)
    path = write(tmp_path, HEADER + "PX,2020-01-01,3,\n")
    with pytest.raises(InputError, match="line 2: patient_id 'PX' is not in patients.csv"):
        read_lab_values(path, SCHEMA_DIR, patient_ids={"P1"})


def test_lab_values_are_optional_in_the_clinical_folder(clinical, tmp_path):
    assert "lab_values" in read_clinical_tables(clinical, SCHEMA_DIR)
    without = tmp_path / "no_labs"
    shutil.copytree(clinical, without)
    (without / "lab_values.csv").unlink()
    assert set(read_clinical_tables(without, SCHEMA_DIR)) == set(CLINICAL_TABLES)


def derived(rows: list[tuple]) -> pd.DataFrame:
    columns = ["patient_id", "part", "best_response", "progression_date", "part_b_eligibility"]
    return pd.DataFrame(rows, columns=columns)


def test_concordance_lists_each_disagreement_and_effective_tables_use_derived_values():
    responses = pd.DataFrame({"patient_id": ["P1", "P2"], "part": ["A", "A"],
                              "best_response": ["PR", "SD"]})  # fmt: skip
    dates = pd.DataFrame({
        "patient_id": ["P1", "P2"],
        "part_a_progression": pd.to_datetime(["2020-05-01", None]),
        "part_b_registration": pd.to_datetime(["2020-05-20", None]),
        "part_b_progression": pd.to_datetime([None, None]),
    })  # fmt: skip
    patients = pd.DataFrame({"patient_id": ["P1", "P2"],
                             "part_b_entry_reason": ["pd_after_response", None]})  # fmt: skip
    best = derived([
        ("P1", "A", "VGPR", pd.Timestamp("2020-05-08"), "pd_after_response"),
        ("P2", "A", "SD", None, "below_mr_after_cycle2"),
    ])  # fmt: skip
    table = concordance(responses, dates, patients, best)
    wrong = table[~table.agree]
    assert wrong[["patient_id", "item", "reported", "derived"]].values.tolist() == [
        ["P1", "best_response", "PR", "VGPR"],
        ["P1", "progression_date", "2020-05-01", "2020-05-08"],
    ]
    assert "part_b_entry_reason" not in set(table[table.patient_id == "P2"].item)  # not in B
    eff_responses, eff_dates = effective_tables(responses, dates, best)
    assert eff_responses.best_response.tolist() == ["VGPR", "SD"]
    assert eff_dates.part_a_progression.tolist()[0] == pd.Timestamp("2020-05-08")
    # a derived part absent from responses.csv is added; its progression date filled in
    part_b = derived([("P1", "B", "PD", pd.Timestamp("2020-06-20"), None)])
    eff_responses, eff_dates = effective_tables(responses, dates, pd.concat([best, part_b]))
    assert eff_responses.values.tolist() == [["P1", "A", "VGPR"], ["P1", "B", "PD"],
                                             ["P2", "A", "SD"]]  # fmt: skip
    assert eff_dates.part_b_progression.tolist()[0] == pd.Timestamp("2020-06-20")


def test_waterfall_sorts_descending_and_caps_at_100_percent():
    best = pd.DataFrame({"patient_id": ["a", "b", "c", "d"], "part": ["A", "A", "A", "B"],
                         "best_change_pct": [-60.0, 250.0, float("nan"), 10.0],
                         "best_response": ["PR", "PD", "NE", "SD"]})  # fmt: skip
    data = waterfall_data(best, "A")
    assert data.patient_id.tolist() == ["b", "a"]
    assert data.shown_pct.tolist() == [CAP_PCT, -60.0] and data.capped.tolist() == [True, False]


def outputs(folder: Path) -> dict[str, Path]:
    names = ("assessments", "best", "concordance", "concordance_summary")
    out = {k: folder / f"{k}.tsv" for k in names}
    out |= {"png": folder / "w.png", "svg": folder / "w.svg"}
    out |= {"effective_responses": folder / "r.csv", "effective_dates": folder / "d.csv"}
    return out


def section_inputs(out: dict[str, Path]) -> dict[str, Path]:
    keys = dict(zip(IMWG_REPORT_INPUT_KEYS, ("assessments", "best", "concordance",
                                         "concordance_summary", "png"), strict=True))  # fmt: skip
    return {key: out[name] for key, name in keys.items()}


def test_job_with_lab_values_and_its_report_section(clinical, tmp_path):
    tables = {name: clinical / f"{name}.csv" for name in CLINICAL_TABLES}
    out = outputs(tmp_path)
    imwg_job(tables, clinical / "lab_values.csv", {}, "2020-10-01", out)
    # the effective tables are the reported ones on the demo, byte for byte
    assert out["effective_responses"].read_bytes() == tables["responses"].read_bytes()
    assert out["effective_dates"].read_bytes() == tables["dates"].read_bytes()
    summary = pd.read_csv(out["concordance_summary"], sep="\t")
    assert (summary.agreement_pct == 100.0).all()
    assessments = pd.read_csv(out["assessments"], sep="\t", dtype=str, keep_default_na=False)
    assert assessments.date.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    section = imwg_section(section_inputs(out).get, _read)
    assert [t.title for t in section.tables] == [
        "Derived versus reported",
        "Responders from lab values",
        "Downgrade and NE reasons",
    ]
    responders = section.tables[1].frame.set_index("part")
    reported = pd.read_csv(tables["responses"], dtype=str)
    for part in ("A", "B"):
        in_part = reported[reported.part == part]
        expected = in_part.best_response.isin(["sCR", "CR", "VGPR", "PR"]).sum()
        assert responders.at[part, ">=PR confirmed"] == expected
        assert responders.at[part, "patients"] == len(in_part)
    assert any("100% concordance" in n for n in section.notes) and len(section.figures) == 1
    counts = reason_counts(_read(out["assessments"]))
    assert "no_clonality_for_scr" in set(counts.reason)
    # the n counts the patients who have assessments, not the cohort
    n = section.tables[2].n
    assert f"of {assessments['patient_id'].nunique()} patients" in n
    one_fewer = _read(out["assessments"])
    one_fewer = one_fewer[one_fewer["patient_id"] != one_fewer["patient_id"].iloc[0]]
    assert reasons_n(counts, one_fewer).endswith(
        f"of {assessments['patient_id'].nunique() - 1} patients"
    )


def test_job_without_lab_values_writes_empty_tables_and_a_note(clinical, tmp_path):
    tables = {name: clinical / f"{name}.csv" for name in CLINICAL_TABLES}
    out = outputs(tmp_path)
    imwg_job(tables, None, {}, "2020-10-01", out)
    assert pd.read_csv(out["best"], sep="\t").empty
    assert out["effective_dates"].read_bytes() == tables["dates"].read_bytes()
    section = imwg_section(section_inputs(out).get, _read)
    assert not section.tables and "No lab values" in section.notes[0]


def test_report_inputs_list_the_imwg_outputs():
    assert set(IMWG_REPORT_INPUT_KEYS) <= set(REPORT_INPUT_KEYS)
    assert set(REPORT_INPUT_KEYS) == set(CLINICAL_REPORT_PATHS)


def test_lab_values_after_the_cutoff_are_ignored(clinical, tmp_path):
    tables = {name: clinical / f"{name}.csv" for name in CLINICAL_TABLES}
    out = outputs(tmp_path)
    imwg_job(tables, clinical / "lab_values.csv", {}, "2017-01-01", out)
    assessments = pd.read_csv(out["assessments"], sep="\t", parse_dates=["date"])
    assert len(assessments) and (assessments.date <= "2017-01-01").all()
    full = read_lab_values(clinical / "lab_values.csv")
    assert (full.date > "2017-01-01").any()


def test_imwg_settings_defaults_equal_the_config_schema():
    import dataclasses

    import yaml

    from cytotrial.clinical.imwg.settings import ImwgSettings

    schema = yaml.safe_load((SCHEMA_DIR / "config.schema.yaml").read_text())
    imwg = schema["properties"]["clinical"]["properties"]["imwg"]["properties"]
    defaults = {f.name: f.default for f in dataclasses.fields(ImwgSettings)}
    assert {k: v["default"] for k, v in imwg.items()} == defaults
    assert all(v.get("description") for v in imwg.values())
    with pytest.raises(InputError, match=r"clinical.imwg: unknown key\(s\) \['serum_min'\]"):
        ImwgSettings.from_config({"serum_min": 5})


def test_report_section_lists_each_disagreement(clinical, tmp_path):
    tables = {name: clinical / f"{name}.csv" for name in CLINICAL_TABLES}
    out = outputs(tmp_path)
    imwg_job(tables, clinical / "lab_values.csv", {}, "2020-10-01", out)
    agreement = pd.read_csv(out["concordance"], sep="\t", dtype=str, keep_default_na=False)
    agreement.loc[0, ["derived", "agree"]] = ["CR", "False"]
    agreement.to_csv(out["concordance"], sep="\t", index=False)
    section = imwg_section(section_inputs(out).get, _read)
    (listed,) = [t.frame for t in section.tables if t.title == "Disagreements"]
    assert listed[["patient_id", "derived"]].values.tolist() == [[agreement.patient_id[0], "CR"]]
    assert not any("100% concordance" in n for n in section.notes)
