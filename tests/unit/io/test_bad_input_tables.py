"""Bad input tables and config values: part of the bad-input catalogue begun in
tests/unit/io/test_bad_input.py.

Tables are data, not comments: a '#' anywhere is part of a cell, and only an empty cell
is missing ("NA" and "None" are values). Each case is the file's content, the message the
reader must give (the file, the line, what to do) or, for a good file, proof that nothing
was lost (every row there, each cell read whole). Config cases: the cut-off is a real
date, not in the future; comparisons are of two timepoints of their part; IDs are short
enough that every file name derived from them fits the file system.

The reader is the one the workflow calls at parse time (rules/common.smk):
read_sample_sheet, read_clinical_tables (and through it read_lab_values).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers.paths import REPO, SCHEMA_DIR

from cytotrial.errors import InputError
from cytotrial.io.inputs import CLINICAL_TABLES, read_clinical_tables, read_sample_sheet
from cytotrial.io.validation import load_schema

# ================================================================ sample sheet (TSV)

HEADER = "sample_id\tpatient_id\tpart\ttimepoint\tfcs\tbatch\n"
ROW_1 = "S1\tP1\tA\tC1D1\ta.fcs\tb1\n"
ROW_3 = "S3\tP2\tA\tC1D1\tc.fcs\tb2\n"


def sheet_file(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "samples.tsv"
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def sheet_error(tmp_path: Path, content: str | bytes) -> str:
    path = sheet_file(tmp_path, content)
    with pytest.raises(InputError) as error:
        read_sample_sheet(path, SCHEMA_DIR)
    message = str(error.value)
    assert str(path) in message, message
    assert "Traceback" not in message and "Error tokenizing" not in message, message
    return message


@pytest.mark.parametrize(
    ("row", "column", "value"),
    [
        ("S2\tP1\tA\tC2D1\tb.fcs\trun #3\n", "batch", "run #3"),
        ("S2\tP1\tA\tC2D1\tdata/#12/b.fcs\tb1\n", "fcs", "data/#12/b.fcs"),
        ("S2\tP1\tA\tC2D1\tb.fcs\t#\n", "batch", "#"),
        ("S2\tP1\tA\tC2D1\tb.fcs\tNA\n", "batch", "NA"),
        ("S2\tP1\tA\tC2D1\tb.fcs\tNone\n", "batch", "None"),
        ("S2\tP1\tA\tC2D1\tb.fcs\tnull\n", "batch", "null"),
    ],
)
def test_sheet_cells_are_read_whole(tmp_path, row, column, value):
    """'#' is data (a batch, a folder name); NA/None are values, not missing."""
    sheet = read_sample_sheet(sheet_file(tmp_path, HEADER + ROW_1 + row + ROW_3), SCHEMA_DIR)
    assert list(sheet["sample_id"]) == ["S1", "S2", "S3"]  # no row lost
    assert sheet.loc["S2", column] == value
    assert sheet.loc["S2", "timepoint"] == "C2D1"  # the row is not cut before its end
    assert sheet.loc["S3", "batch"] == "b2"


def test_sheet_patient_na_is_an_id(tmp_path):
    content = HEADER + "S1\tNA\tA\tC1D1\ta.fcs\t1\nS2\tNone\tA\tC1D1\tb.fcs\t1\n"
    sheet = read_sample_sheet(sheet_file(tmp_path, content), SCHEMA_DIR)
    assert list(sheet["patient_id"]) == ["NA", "None"]


def test_sheet_line_starting_with_hash_is_a_row_not_a_comment(tmp_path):
    """A row whose sample_id begins with '#' was silently dropped as a comment."""
    message = sheet_error(tmp_path, HEADER + ROW_1 + "#S2\tP1\tA\tC2D1\tb.fcs\tb1\n" + ROW_3)
    assert "line 3 (sample_id '#S2'): field 'sample_id': '#S2' does not match" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "",
            "samples.tsv: file is empty: expected a header line with the columns "
            "sample_id, patient_id, part, timepoint, fcs (tab-separated)",
        ),
        ("\n\n", "samples.tsv: file is empty: expected a header line"),
        (
            HEADER.replace("\t", ",") + ROW_1.replace("\t", ","),
            "samples.tsv, line 1: found ',' as the delimiter: save as tab-separated",
        ),
        (
            HEADER.replace("\t", ";") + ROW_1.replace("\t", ";"),
            "samples.tsv, line 1: found ';' as the delimiter: save as tab-separated",
        ),
        (
            HEADER + ROW_1 + "S2\tP1\tA\tC2D1\tb.fcs\tb1\textra\n" + ROW_3,
            "samples.tsv, line 3: 7 fields, but the header has 6 columns",
        ),
        (
            HEADER + ROW_1 + "S2\tP1\tA\tC2D1\tb.fcs\n" + ROW_3,
            "samples.tsv, line 3: 5 fields, but the header has 6 columns",
        ),
        (
            HEADER + ROW_1 + "\n" + ROW_3,
            "samples.tsv, line 3: empty line between rows: delete it",
        ),
        (
            HEADER + ROW_1 + 'S2\tP1\tA\tC2D1\t"b\n.fcs"\tb1\n' + ROW_3,
            "samples.tsv, line 3: a quoted cell runs on to line 4",
        ),
        (
            HEADER.replace("batch", "fcs"),
            "samples.tsv, line 1: column 'fcs' appears 2 times in the header",
        ),
        (
            "sample_id\tpatient_id\tpart\ttimepoint\tbatch\n",
            "samples.tsv, line 1: no column 'fcs' in the header",
        ),
        (
            HEADER.replace("\n", "\t\n") + ROW_1.replace("\n", "\tx\n"),
            "samples.tsv, line 1: column 7 of the header has no name",
        ),
        (HEADER + ROW_1 + "S2\tP1\x00\tA\n", "samples.tsv, line 3: a NUL byte"),
        (
            HEADER.replace("\n", "\tleukocytes_per_ul\n") + ROW_1.replace("\n", "\tinf\n"),
            "samples.tsv, line 2: field 'leukocytes_per_ul': inf is not a finite number",
        ),
    ],
    ids=[
        "0 bytes",
        "blank lines only",
        "comma-separated",
        "semicolon-separated",
        "more fields than the header",
        "fewer fields than the header",
        "blank line between rows",
        "line break in a cell",
        "duplicated column",
        "required column missing",
        "unnamed column",
        "NUL byte",
        "infinite number",
    ],
)
def test_sheet_structure(tmp_path, content, expected):
    message = sheet_error(tmp_path, content)
    assert expected in message, message


def test_sheet_ragged_rows_say_what_to_do(tmp_path):
    more = sheet_error(tmp_path, HEADER + "S2\tP1\tA\tC2D1\tb.fcs\tb1\textra\n")
    assert "a tab inside a cell?" in more
    fewer = sheet_error(tmp_path, HEADER + "S2\tP1\tA\tC2D1\tb.fcs\n")
    assert "leave an empty cell empty between two tabs" in fewer


def test_sheet_every_ragged_line_is_named(tmp_path):
    content = HEADER + ROW_1 + "S2\tP1\n" + ROW_3 + "S4\tP3\tA\tC1D1\td.fcs\t1\t2\n"
    message = sheet_error(tmp_path, content)
    assert "2 problem(s)" in message
    assert "line 3: 2 fields" in message and "line 5: 7 fields" in message


def test_sheet_not_utf8(tmp_path):
    content = (HEADER + ROW_1 + "S2\tP1\tA\tC2D1\tb.fcs\tRené\n").encode("cp1252")
    message = sheet_error(tmp_path, content)
    assert "samples.tsv, line 3: byte 0xE9 is not UTF-8" in message
    assert "'é' in Windows-1252" in message
    assert "save the file as UTF-8" in message


def test_sheet_utf16(tmp_path):
    message = sheet_error(tmp_path, (HEADER + ROW_1).encode("utf-16"))
    assert "is UTF-16 text" in message and "save the file as UTF-8" in message


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: b"\xef\xbb\xbf" + text.encode(),  # Excel's "CSV UTF-8" writes a BOM
        lambda text: text.replace("\n", "\r\n").encode(),  # Windows line ends
        lambda text: (text + "\n\n").encode(),  # trailing blank lines
        lambda text: (text + "\t\t\t\t\t\n").encode(),  # a trailing row of empty cells
        lambda text: text.rstrip("\n").encode(),  # no newline at the end
    ],
    ids=["BOM", "CRLF", "trailing blank lines", "trailing empty row", "no final newline"],
)
def test_sheet_harmless_variants_read_the_same(tmp_path, encode):
    text = HEADER + ROW_1 + "S2\tP1\tA\tC2D1\tb.fcs\tRené #2\n" + ROW_3
    expected = read_sample_sheet(sheet_file(tmp_path, text), SCHEMA_DIR)
    sheet = read_sample_sheet(sheet_file(tmp_path, encode(text)), SCHEMA_DIR)
    pd.testing.assert_frame_equal(sheet, expected)
    assert list(sheet.columns[:2]) == ["sample_id", "patient_id"]
    assert sheet.loc["S3", "batch"] == "b2" and sheet.loc["S2", "batch"] == "René #2"


def test_sheet_header_only_is_an_empty_sheet(tmp_path):
    """A trial with no samples yet: an empty sheet, with its columns."""
    sheet = read_sample_sheet(sheet_file(tmp_path, HEADER), SCHEMA_DIR)
    assert len(sheet) == 0
    assert {"sample_id", "patient_id", "part", "timepoint", "fcs", "batch"} <= set(sheet.columns)


# ================================================================ clinical tables (CSV)

GOOD_CLINICAL = {
    "patients": "patient_id,sex,heavy_chain,light_chain,part_b_cohort,not_in_part_b_reason,"
    "dlt_description\n"
    "P1,female,IgG,kappa,none,ineligible,\n"
    "NA,male,IgA,lambda,none,other,\n"
    "P3,male,IgG,lambda,none,other,\n",
    "baseline": "patient_id,part,age_years,prior_lines\nP1,A,70,3\nNA,A,64,2\nP3,A,58,4\n",
    "dates": "patient_id,part_a_start,last_followup\n"
    "P1,2016-07-01,2020-09-30\nNA,2016-08-01,2020-09-30\nP3,2016-09-01,2020-09-30\n",
    "responses": "patient_id,part,best_response\nP1,A,PR\nNA,A,SD\nP3,A,PD\n",
    "adverse_events": "patient_id,part,term,grade\n"
    'P1,A,Fall # at home,3\nNA,A,"Rash, maculo-papular",2\nP3,A,None,1\n',
    "subsequent_therapies": "patient_id,line,regimen,regimen_class\n",
    "supportive_care": "patient_id,part,support\nP1,A,gcsf\n",
}
REQUIRED = {
    "patients": "patient_id, sex, heavy_chain, light_chain, part_b_cohort",
    "adverse_events": "patient_id, part, term, grade",
}


def clinical_folder(tmp_path: Path, **overrides: str | bytes) -> Path:
    folder = tmp_path / "clinical"
    folder.mkdir(exist_ok=True)
    for name, content in {**GOOD_CLINICAL, **overrides}.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / f"{name}.csv").write_bytes(data)
    return folder


def clinical_error(tmp_path: Path, table: str, content: str | bytes) -> str:
    folder = clinical_folder(tmp_path, **{table: content})
    with pytest.raises(InputError) as error:
        read_clinical_tables(folder, SCHEMA_DIR)
    message = str(error.value)
    assert str(folder / f"{table}.csv") in message, message
    assert "Traceback" not in message and "Error tokenizing" not in message, message
    return message


def test_clinical_cells_are_read_whole(tmp_path):
    """'#' in free text, a quoted ',' and the words NA/None are all data."""
    tables = read_clinical_tables(clinical_folder(tmp_path), SCHEMA_DIR)
    events = tables["adverse_events"]
    assert list(events["term"]) == ["Fall # at home", "Rash, maculo-papular", "None"]
    assert list(events["grade"]) == [3, 2, 1]
    assert list(tables["patients"]["patient_id"]) == ["P1", "NA", "P3"]
    assert list(tables["dates"]["patient_id"]) == ["P1", "NA", "P3"]
    assert tables["dates"]["part_a_start"].iloc[1] == pd.Timestamp("2016-08-01")


def test_clinical_hash_in_free_text_keeps_the_rest_of_the_row(tmp_path):
    patients = GOOD_CLINICAL["patients"].replace(
        "P3,male,IgG,lambda,none,other,", "P3,male,IgG,lambda,none,other,grade 3 #1 of 2"
    )
    tables = read_clinical_tables(clinical_folder(tmp_path, patients=patients), SCHEMA_DIR)
    assert tables["patients"]["dlt_description"].iloc[2] == "grade 3 #1 of 2"


@pytest.mark.parametrize(
    ("table", "content", "expected"),
    [
        (
            "adverse_events",
            "",
            "adverse_events.csv: file is empty: expected a header line with the columns "
            f"{REQUIRED['adverse_events']} (comma-separated)",
        ),
        (
            "patients",
            "",
            f"patients.csv: file is empty: expected a header line with the columns "
            f"{REQUIRED['patients']} (comma-separated)",
        ),
        (
            "patients",
            GOOD_CLINICAL["patients"].replace(",", ";"),
            "patients.csv, line 1: found ';' as the delimiter: save as comma-separated",
        ),
        (
            "adverse_events",
            GOOD_CLINICAL["adverse_events"].replace(",", "\t"),
            "adverse_events.csv, line 1: found a tab as the delimiter: save as comma-separated",
        ),
        (
            "dates",
            GOOD_CLINICAL["dates"].replace("NA,2016-08-01,", "NA,2016-08-01,2016-09-01,"),
            "dates.csv, line 3: 4 fields, but the header has 3 columns",
        ),
        (
            "dates",
            GOOD_CLINICAL["dates"].replace("NA,2016-08-01,2020-09-30", "NA,2016-08-01"),
            "dates.csv, line 3: 2 fields, but the header has 3 columns",
        ),
        (
            "patients",
            "patient_id,sex,heavy_chain,light_chain,part_b_cohort\n",
            "patients.csv: no rows below the header: expected one row per patient",
        ),
        (
            "dates",
            "patient_id,part_a_start,last_followup\n",
            "dates.csv: no rows below the header: expected one row per patient",
        ),
        (
            "baseline",
            "patient_id,part,age_years,prior_lines\n",
            "baseline.csv: no rows below the header: expected one row per patient and part",
        ),
        (
            "responses",
            "patient_id,part,best_response\n",
            "responses.csv: no rows below the header: expected one row per patient and part",
        ),
        (
            "adverse_events",
            "patient_id,part,term\n",
            "adverse_events.csv, line 1: no column 'grade' in the header",
        ),
        (
            "responses",
            GOOD_CLINICAL["responses"] + "#P4,A,PR\n",
            "responses.csv, line 5 (patient_id '#P4'): field 'patient_id': '#P4' does not match",
        ),
    ],
    ids=[
        "0-byte optional table",
        "0-byte patients",
        "semicolon CSV",
        "tab-separated CSV",
        "more fields than the header",
        "fewer fields than the header",
        "header-only patients",
        "header-only dates",
        "header-only baseline",
        "header-only responses",
        "required column missing",
        "hash line is a row",
    ],
)
def test_clinical_structure(tmp_path, table, content, expected):
    message = clinical_error(tmp_path, table, content)
    assert expected in message, message


def test_clinical_ragged_row_advice(tmp_path):
    message = clinical_error(
        tmp_path,
        "adverse_events",
        "patient_id,part,term,grade\nP1,A,Rash, maculo-papular,2\n",
    )
    assert "line 2: 5 fields, but the header has 4 columns" in message
    assert "a ',' inside a cell? put the cell in double quotes" in message


def test_clinical_not_utf8(tmp_path):
    content = GOOD_CLINICAL["adverse_events"].replace("None", "Ödem").encode("latin-1")
    message = clinical_error(tmp_path, "adverse_events", content)
    assert "adverse_events.csv, line 4: byte 0xD6 is not UTF-8" in message
    assert "save the file as UTF-8" in message


def test_clinical_excel_bom(tmp_path):
    folder = clinical_folder(
        tmp_path, patients=b"\xef\xbb\xbf" + GOOD_CLINICAL["patients"].encode("utf-8")
    )
    tables = read_clinical_tables(folder, SCHEMA_DIR)
    assert list(tables["patients"]["patient_id"]) == ["P1", "NA", "P3"]


@pytest.mark.parametrize("table", ["adverse_events", "subsequent_therapies", "supportive_care"])
def test_clinical_tables_that_may_be_empty(tmp_path, table):
    header = GOOD_CLINICAL[table].splitlines()[0] + "\n"
    tables = read_clinical_tables(clinical_folder(tmp_path, **{table: header}), SCHEMA_DIR)
    assert len(tables[table]) == 0
    # the header's columns, then the schema's optional columns it left out (read as empty)
    columns = header.strip().split(",")
    optional = set(load_schema(table, SCHEMA_DIR)["properties"]) - set(columns)
    assert list(tables[table].columns)[: len(columns)] == columns
    assert set(tables[table].columns[len(columns) :]) == optional
    assert len(tables["patients"]) == 3  # the others as before


LAB_HEADER = "patient_id,date,serum_m_protein_g_l,serum_ife\n"


def test_lab_values_header_only_is_empty(tmp_path):
    folder = clinical_folder(tmp_path)
    (folder / "lab_values.csv").write_text(LAB_HEADER)
    labs = read_clinical_tables(folder, SCHEMA_DIR)["lab_values"]
    assert len(labs) == 0 and "serum_m_protein_g_l" in labs.columns


def test_lab_values_go_through_the_same_reader(tmp_path):
    folder = clinical_folder(tmp_path)
    labs = folder / "lab_values.csv"
    labs.write_text(LAB_HEADER.replace(",", ";") + "P1;2016-07-01;30;positive\n")
    with pytest.raises(InputError, match="found ';' as the delimiter: save as comma-sep"):
        read_clinical_tables(folder, SCHEMA_DIR)
    labs.write_text(LAB_HEADER + "P1,2016-07-01,30,positive\nNA,2016-08-01,12,positive\n")
    read = read_clinical_tables(folder, SCHEMA_DIR)["lab_values"]
    assert list(read["patient_id"]) == ["NA", "P1"]  # sorted; "NA" is a patient
    assert list(read["serum_m_protein_g_l"]) == [12.0, 30.0]


# ================================================================ internal result tables


def test_result_tables_keep_ids_and_hashes(tmp_path):
    """Result TSVs read back exactly: patient 'NA', sample 'None', a '#' batch."""
    from cytotrial.io.results import read_tsv, write_tsv

    table = pd.DataFrame(
        {
            "sample_id": ["None", "S2"],
            "patient_id": ["NA", "007"],
            "batch": ["#1", "run #2"],
            "pct": [1.5, None],
        }
    )
    write_tsv(table, tmp_path / "t.tsv")
    pd.testing.assert_frame_equal(read_tsv(tmp_path / "t.tsv"), table)


def test_statistics_reads_patient_na_as_a_patient(tmp_path):
    """statistics_job read the tidy table with pandas' default NA strings: patient 'NA'
    became missing and its pairs vanished from the Wilcoxon tests."""
    import numpy as np

    from cytotrial.flow.cohort.aggregate import mfi_column
    from cytotrial.flow.cohort.job import read_populations
    from cytotrial.flow.gating.template import read_gating_template

    template = read_gating_template(REPO / "resources" / "gating" / "pbmc_cd38.yaml")
    rows = [
        {
            "sample_id": f"{patient}-{timepoint}",
            "patient_id": patient,
            "part": "A",
            "timepoint": timepoint,
            "population": population,
            mfi_column(template.mfi_marker): float(value),
            "cells_per_ul": float(value),
        }
        for population in template.populations
        for value, (patient, timepoint) in enumerate(
            [(p, t) for p in ["NA", "None", "P3"] for t in ["C1D1", "C2D1"]]
        )
    ]
    path = tmp_path / "populations.tsv"
    pd.DataFrame(rows).to_csv(path, sep="\t", index=False)
    tidy = read_populations(path)
    assert set(tidy["patient_id"]) == {"NA", "None", "P3"}
    assert set(tidy["sample_id"]) == {
        f"{p}-{t}" for p in ["NA", "None", "P3"] for t in ["C1D1", "C2D1"]
    }
    assert not np.any(tidy["patient_id"].isna())


# ================================================================ config


def config_check():
    from cytotrial.io.input_checks import check_config  # new in issue 14

    return check_config


def prepared(text: str) -> dict:
    """A config as snakemake reads it (YAML), normalised and validated as common.smk does."""
    from snakemake.utils import validate

    from cytotrial.io.input_checks import normalise_config

    config = yaml.safe_load(text) or {}
    normalise_config(config)
    validate(config, str(SCHEMA_DIR / "config.schema.yaml"))
    return config


def test_unquoted_cutoff_date_is_a_date(tmp_path):
    """YAML reads `cutoff_date: 2020-10-01` as a date: accepted, passed on as ISO text."""
    config = prepared("cutoff_date: 2020-10-01\n")
    assert config["cutoff_date"] == "2020-10-01"
    config_check()(config, SCHEMA_DIR, today=dt.date(2024, 1, 1))
    assert prepared("cutoff_date: '2020-10-01'\n")["cutoff_date"] == "2020-10-01"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "cutoff_date: '2020-02-30'\n",
            "config cutoff_date: '2020-02-30' is not a real date (expected YYYY-MM-DD)",
        ),
        (
            "cutoff_date: 2031-01-01\n",
            "config cutoff_date: 2031-01-01 is after today (2024-01-01); expected the date "
            "the data were frozen, on or before today",
        ),
        (
            "flow: {comparisons: [{part: A, before: C1D1, after: C1D1}]}\n",
            "config flow.comparisons item 1 (part A, C1D1 -> C1D1): compares C1D1 with itself",
        ),
        (
            "flow: {comparisons: [{part: A, before: C1D1, after: C2D1},"
            " {part: A, before: C1D1, after: C1D3}]}\n",
            "config flow.comparisons item 2 (part A, C1D1 -> C1D3): part A has no timepoint "
            "'C1D3' (part A: C1D1, C2D1)",
        ),
        (
            "flow: {comparisons: [{part: B, before: C2D1, after: EOT}]}\n",
            "config flow.comparisons item 1 (part B, C2D1 -> EOT): part B has no timepoint 'C2D1'",
        ),
        (
            "flow: {comparisons: [{part: B, before: C2D3, after: C1D1}]}\n",
            "config flow.comparisons item 1 (part B, C2D3 -> C1D1): 'before' C2D3 comes after "
            "'after' C1D1; expected the earlier timepoint first",
        ),
        (
            "flow: {comparisons: [{part: B, before: C1D1, after: EOT},"
            " {part: B, before: C1D1, after: EOT}]}\n",
            "config flow.comparisons item 2 (part B, C1D1 -> EOT): the same as item 1",
        ),
    ],
    ids=[
        "impossible date",
        "future cut-off",
        "timepoint with itself",
        "timepoint of the other part",
        "part B has no C2D1",
        "reversed",
        "duplicated",
    ],
)
def test_config_errors(text, expected):
    config = prepared(text)
    with pytest.raises(InputError) as error:
        config_check()(config, SCHEMA_DIR, today=dt.date(2024, 1, 1))
    assert expected in str(error.value), str(error.value)


def test_config_defaults_pass(tmp_path):
    config = prepared((REPO / "config" / "config.yaml").read_text())
    config_check()(config, SCHEMA_DIR)


def test_cutoff_date_with_a_time_is_refused():
    with pytest.raises(InputError, match="config cutoff_date: .* has a time of day"):
        prepared("cutoff_date: 2020-10-01 12:00:00\n")


# ================================================================ ID length

NAME_MAX = 255  # bytes in one file name (Linux, macOS, Windows)


def derived_name_overhead() -> int:
    """Bytes a file name adds to the longest sample or patient ID: the longest basename
    pattern of any rule output, log or benchmark, plus what cytotrial.io.atomic adds to it
    for the temporary file it writes first (measured, not assumed)."""
    from cytotrial.io.atomic import atomic_path

    quoted_id_path = r"[\"']([^\"'\s]*\{(?:sample|patient)\}[^\"'\s]*)[\"']"
    patterns = set()
    for rules in (REPO / "rules").glob("*.smk"):
        patterns |= set(re.findall(quoted_id_path, rules.read_text()))
    assert "results/flow/samples/{sample}.populations.tsv" in patterns
    basename = max(len(re.sub(r"\{\w+\}", "", p.rsplit("/", 1)[-1])) for p in patterns)
    return basename + atomic_overhead(atomic_path)


def atomic_overhead(atomic_path) -> int:
    import tempfile

    with tempfile.TemporaryDirectory() as folder, atomic_path(Path(folder) / "x") as tmp:
        return len(tmp.name) - 1


def id_max_lengths() -> dict[str, int]:
    """maxLength of every *_id property in every schema."""
    found = {}
    for schema_path in SCHEMA_DIR.glob("*.schema.yaml"):
        properties = yaml.safe_load(schema_path.read_text()).get("properties", {})
        for name in ("sample_id", "patient_id"):
            if name in properties:
                found[f"{schema_path.name}:{name}"] = properties[name].get("maxLength")
    return found


def test_ids_fit_in_every_derived_file_name(tmp_path):
    limits = id_max_lengths()
    names = [n.split(":")[0].removesuffix(".schema.yaml") for n in limits]
    assert {"samples", *CLINICAL_TABLES, "lab_values"} <= set(names)
    assert None not in limits.values(), limits
    assert len(set(limits.values())) == 1, limits  # the same patient in every table
    longest = next(iter(limits.values()))
    assert longest + derived_name_overhead() <= NAME_MAX
    # and the file system agrees: the longest ID's longest derived (temporary) file name
    from cytotrial.io.atomic import atomic_path

    with atomic_path(tmp_path / f"{'S' * longest}.populations.tsv") as tmp:
        tmp.write_text("x")
    assert (tmp_path / f"{'S' * longest}.populations.tsv").is_file()


def test_too_long_ids_are_refused(tmp_path):
    limit = id_max_lengths()["samples.schema.yaml:sample_id"]
    long_id = "S" * (limit + 1)
    message = sheet_error(tmp_path, HEADER + f"{long_id}\tP1\tA\tC1D1\ta.fcs\t1\n")
    assert f"line 2 (sample_id '{long_id}'): field 'sample_id': {limit + 1} characters" in message
    assert f"at most {limit}" in message
    ok = read_sample_sheet(sheet_file(tmp_path, HEADER + f"{long_id[1:]}\tP1\tA\tC1D1\ta\t1\n"),
                           SCHEMA_DIR)  # fmt: skip
    assert list(ok["sample_id"]) == [long_id[1:]]
    patients = GOOD_CLINICAL["patients"].replace("P3,", f"{'P' * (limit + 1)},")
    message = clinical_error(tmp_path, "patients", patients)
    assert f"field 'patient_id': {limit + 1} characters" in message


# ================================================================ spillover matrix (CSV)


def test_spillover_matrix_goes_through_the_same_reader(tmp_path):
    """The panel's spillover CSV: decoded like every table, and line numbers are file
    lines (blank lines used to be dropped before counting)."""
    from cytotrial.flow.prepare.compensation import read_spillover_csv

    path = tmp_path / "matrix.csv"
    path.write_bytes("FITC-A,PE-A\nFITC-A,1,0.2\nPE-A,0.05,1 µ\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"matrix.csv, line 3: byte 0xB5 is not UTF-8"):
        read_spillover_csv(path)
    path.write_text("FITC-A,PE-A\n\nFITC-A,1,0.2\nPE-A,0.05,x\n")
    with pytest.raises(InputError, match=r"matrix.csv, line 2: empty line between rows"):
        read_spillover_csv(path)
    path.write_text("FITC-A,PE-A\nFITC-A,1,0.2\nPE-A,0.05,x\n\n")
    with pytest.raises(InputError, match=r"matrix.csv, line 3: not a number"):
        read_spillover_csv(path)
