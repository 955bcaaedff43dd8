"""Schema validation: every error names the file, line, row ID and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest
from helpers.paths import SCHEMA_DIR
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from cytotrial.errors import InputError
from cytotrial.io.inputs import (
    CLINICAL_TABLES,
    OPTIONAL_CLINICAL_TABLES,
    read_clinical_tables,
    read_sample_sheet,
    read_table,
)
from cytotrial.simulate.trial import DEFAULT_EVENTS_PER_FILE, DEFAULT_SEED

CONFIG_SCHEMA = str(SCHEMA_DIR / "config.schema.yaml")
SHEET_HEADER = "sample_id\tpatient_id\tpart\ttimepoint\tfcs\n"


def write_sheet(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "samples.tsv"
    path.write_text(SHEET_HEADER + "".join(row + "\n" for row in rows))
    return path


def test_config_defaults_fill_every_key():
    config: dict = {}
    validate(config, CONFIG_SCHEMA)
    assert config["sample_sheet"] == ""
    assert config["demo"] == {"seed": DEFAULT_SEED, "events_per_file": DEFAULT_EVENTS_PER_FILE}
    assert config["clinical"]["rp2d_atra_mg_m2"] == 45
    assert config["cutoff_date"] == "2020-10-01"


def test_every_config_key_has_description_and_default():
    import yaml

    schema = yaml.safe_load(Path(CONFIG_SCHEMA).read_text())

    def walk(properties: dict, prefix: str = "") -> None:
        for key, sub in properties.items():
            assert "description" in sub, f"config key {prefix}{key} has no description"
            assert "default" in sub, f"config key {prefix}{key} has no default"
            walk(sub.get("properties", {}), f"{prefix}{key}.")

    walk(schema["properties"])


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"unknown_key": 1}, "unknown_key"),
        ({"demo": {"seed": "abc"}}, "seed"),
        ({"demo": {"events_per_file": 5}}, "events_per_file"),
        ({"cutoff_date": "01/10/2020"}, "cutoff_date"),
        ({"clinical": {"rp2d_atra_mg_m2": 60}}, "rp2d_atra_mg_m2"),
    ],
)
def test_config_errors_name_the_field(config, field):
    with pytest.raises(WorkflowError) as error:
        validate(config, CONFIG_SCHEMA)
    assert field in str(error.value) + str(error.value.args)


def test_good_sheet_reads_ids_as_strings(tmp_path):
    path = write_sheet(tmp_path, "007\t0012\tA\tC1D1\ta.fcs", "008\t0012\tA\tC2D1\tb.fcs")
    sheet = read_sample_sheet(path, SCHEMA_DIR)
    assert list(sheet.index) == ["007", "008"]
    assert sheet.loc["007", "patient_id"] == "0012"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("S1\tP1\tC\tC1D1\ta.fcs", "field 'part': 'C' is not allowed"),
        ("S1\tP1\tA\tC9D9\ta.fcs", "field 'timepoint': 'C9D9' is not allowed"),
        ("S1\tP1\tA\tEOT\ta.fcs", "field 'timepoint': 'EOT' is not allowed"),  # EOT is part B only
        ("S 1\tP1\tA\tC1D1\ta.fcs", "field 'sample_id'"),
        ("../x\tP1\tA\tC1D1\ta.fcs", "IDs are used in file names"),
        ("S1\tP1\tA\tC1D1\t", "'fcs' is a required property"),
    ],
)
def test_sheet_errors_name_line_and_field(tmp_path, row, expected):
    path = write_sheet(tmp_path, "S0\tP0\tB\tC1D3\tz.fcs", row)
    with pytest.raises(InputError) as error:
        read_sample_sheet(path, SCHEMA_DIR)
    message = str(error.value)
    assert str(path) in message
    assert "line 3" in message  # header is line 1, the good row line 2
    assert expected in message


def test_sheet_unknown_column_is_named(tmp_path):
    path = tmp_path / "samples.tsv"
    path.write_text(
        "sample_id\tpatient_id\tpart\ttimepoint\tfcs\tpatient_name\nS1\tP1\tA\tC1D1\ta\tDoe\n"
    )
    with pytest.raises(InputError, match="'patient_name' was unexpected"):
        read_sample_sheet(path, SCHEMA_DIR)


def test_duplicate_sample_ids_are_named(tmp_path):
    path = write_sheet(tmp_path, "S1\tP1\tA\tC1D1\ta.fcs", "S1\tP2\tA\tC1D1\tb.fcs")
    with pytest.raises(InputError, match=r"duplicated sample_id \(S1\) on lines 2, 3"):
        read_sample_sheet(path, SCHEMA_DIR)


def test_same_patient_timepoint_twice_is_an_error(tmp_path):
    path = write_sheet(tmp_path, "S1\tP1\tA\tC1D1\ta.fcs", "S2\tP1\tA\tC1D1\tb.fcs")
    with pytest.raises(InputError, match="duplicated patient_id \\+ part \\+ timepoint"):
        read_sample_sheet(path, SCHEMA_DIR)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(InputError, match="nothere.tsv: file not found"):
        read_table(tmp_path / "nothere.tsv")


def minimal_clinical(tmp_path: Path, **overrides: str) -> Path:
    tables = {
        "patients": "patient_id,sex,heavy_chain,light_chain,part_b_cohort,not_in_part_b_reason\n"
        "P1,female,IgG,kappa,none,ineligible\n",
        "baseline": "patient_id,part,age_years,prior_lines\nP1,A,70,3\n",
        "dates": "patient_id,part_a_start,last_followup\nP1,2016-07-01,2020-09-30\n",
        "responses": "patient_id,part,best_response\nP1,A,PR\n",
        "adverse_events": "patient_id,part,term,grade\nP1,A,Anemia,3\n",
        "subsequent_therapies": "patient_id,line,regimen,regimen_class\n",
        "supportive_care": "patient_id,part,support\nP1,A,gcsf\n",
    }
    tables.update(overrides)
    for name, text in tables.items():
        (tmp_path / f"{name}.csv").write_text(textwrap.dedent(text))
    return tmp_path


def test_minimal_clinical_tables_read(tmp_path):
    tables = read_clinical_tables(minimal_clinical(tmp_path), SCHEMA_DIR)
    assert tables["dates"]["part_a_start"].iloc[0] == pd.Timestamp("2016-07-01")
    assert tables["patients"]["patient_id"].iloc[0] == "P1"


@pytest.mark.parametrize(
    ("table", "text", "expected"),
    [
        ("adverse_events", "patient_id,part,term,grade\nP1,A,Anemia,7\n", "field 'grade'"),
        ("responses", "patient_id,part,best_response\nP1,A,great\n", "field 'best_response'"),
        (
            "dates",
            "patient_id,part_a_start,last_followup\nP1,2016-02-30,2020-09-30\n",
            "'2016-02-30' is not a real date",
        ),
        (
            "dates",
            "patient_id,part_a_start,last_followup\nP1,1/7/2016,2020-09-30\n",
            "dates are written YYYY-MM-DD",
        ),
        (
            "patients",
            "patient_id,sex,heavy_chain,light_chain,part_b_cohort\nP1,female,IgG,kappa,phase2\n",
            "'atra_dose_mg_m2' is a required property",
        ),
        (
            "baseline",
            "patient_id,part,age_years,prior_lines\nP1,A,70,3\nP1,A,71,3\n",
            "duplicated patient_id + part",
        ),
    ],
)
def test_clinical_errors_name_file_and_field(tmp_path, table, text, expected):
    folder = minimal_clinical(tmp_path, **{table: text})
    with pytest.raises(InputError) as error:
        read_clinical_tables(folder, SCHEMA_DIR)
    assert f"{table}.csv" in str(error.value)
    assert expected in str(error.value)


# --- the grouped validation (validation.table_errors) against plain row-by-row jsonschema


def row_by_row_messages(table: pd.DataFrame, schema: dict) -> list[tuple[int, str]]:
    """The reference: every row validated on its own, errors sorted by field."""
    from jsonschema import Draft202012Validator

    from cytotrial.io.validation import describe_error, row_records

    validator = Draft202012Validator(schema)
    messages = []
    for row, record in enumerate(row_records(table)):
        for error in sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path)):
            messages.append((row, describe_error(error)))
    return messages


# Values that break one rule or another: wrong enum, type, pattern, range, empty, spaces.
BAD_CELLS = ["X", "-1", "0", "7", "1.5", "2020-13-45", "1/7/2016", "NA", "", " ", "phase2",
             "yes", "S 1", "../x", "IgG", "B", "EOT", "C1D3", "1e9", "true"]  # fmt: skip


@pytest.fixture(scope="module")
def demo_tables(tmp_path_factory) -> dict[str, Path]:
    from cytotrial.simulate.clinical.trial import simulate_clinical
    from cytotrial.simulate.trial import plan_demo_samples

    folder = tmp_path_factory.mktemp("clinical")
    simulate_clinical(DEFAULT_SEED).write(folder)
    paths = {path.stem: path for path in folder.glob("*.csv")}
    sheet = plan_demo_samples(DEFAULT_SEED, folder)
    paths["samples"] = folder / "samples.tsv"
    sheet.to_csv(paths["samples"], sep="\t", index=False)
    return paths


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", ["samples", *CLINICAL_TABLES, *OPTIONAL_CLINICAL_TABLES])
def test_grouped_validation_equals_row_by_row(demo_tables, tmp_path, name, seed):
    import numpy as np

    from cytotrial.io.validation import load_schema, table_errors

    sep = "\t" if name == "samples" else ","
    table = read_table(demo_tables[name], sep=sep).astype(object)
    rng = np.random.default_rng(seed)
    # a few percent of cells replaced by bad values; sometimes a column too many or too few
    cells = rng.random(table.shape) < 0.03
    for row, column in zip(*np.nonzero(cells), strict=True):
        table.iat[row, column] = BAD_CELLS[rng.integers(len(BAD_CELLS))]
    if seed % 2:
        table["patient_name"] = np.where(rng.random(len(table)) < 0.5, "Doe", "")
    if seed == 2:
        table = table.drop(columns=table.columns[rng.integers(len(table.columns))])
    path = tmp_path / f"{name}.csv"
    table.to_csv(path, sep=sep, index=False)
    corrupted = read_table(path, sep=sep)  # types as the workflow reads them
    schema = load_schema(name, SCHEMA_DIR)

    expected = row_by_row_messages(corrupted, schema)
    found = [(row, message) for row, _, message in table_errors(corrupted, schema)]
    assert len(expected) > 0  # the corruption did break something
    assert found == expected


def test_fill_defaults_equals_snakemake_validate(demo_tables):
    from cytotrial.io.validation import fill_defaults, load_schema

    sheet = read_table(demo_tables["samples"], sep="\t")
    sheet.loc[sheet.index[::3], "batch"] = None  # every third row without a batch
    without_column = sheet.drop(columns="batch")
    schema = load_schema("samples", SCHEMA_DIR)
    for table in (sheet, without_column):
        expected = table.copy()
        validate(expected, str(SCHEMA_DIR / "samples.schema.yaml"))  # fills in place
        filled = fill_defaults(table, schema)
        assert filled["batch"].notna().all()
        pd.testing.assert_frame_equal(
            filled[expected.columns].astype(str), expected.astype(str), check_dtype=False
        )


def test_schema_read_across_columns_falls_back_to_whole_rows():
    """patternProperties reads columns the property list does not name: every column is
    then grouped by whole-row pattern, and the messages still equal row-by-row ones."""
    from cytotrial.io.validation import table_errors

    schema = {
        "type": "object",
        "properties": {"a": {"type": "string", "enum": ["p", "q"]}},
        "patternProperties": {"^x": {"type": "integer"}},
    }
    table = pd.DataFrame({"a": ["q", None, "r", "q"], "xb": ["no", 3, 3, "no"]}, dtype=object)
    expected = row_by_row_messages(table, schema)
    assert [row for row, _ in expected] == [0, 2, 3]
    assert [(row, message) for row, _, message in table_errors(table, schema)] == expected
