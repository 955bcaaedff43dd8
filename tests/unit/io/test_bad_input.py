"""The catalogue of bad inputs: each case is a test with the error it must produce.

Every message must name the file (or config key), the row/line or field, and say what
was expected. Config, sample-sheet and clinical cases call the package functions the
workflow calls at parse time (rules/common.smk); test_workflow_shows_the_message runs
`snakemake -n` on a copied workflow for representative cases. FCS cases check the
reader's FcsError and, for panel/content problems, the record analyse_sample writes.
The bases are realistic: the demo's clinical tables and a simulated FCS file.

The catalogue continues, one file per class of mistake (issue 14):
test_bad_input_flow.py (compensation with the whole matrix, stains against the panel),
test_bad_input_reruns.py (reruns on content, FCS files shared by two samples),
test_bad_input_tables.py (one strict table reader, config cut-off, comparisons, ID length),
test_bad_input_clinical.py (no silent change of an analysis population),
test_bad_input_outputs.py (degenerate trials, no paths in results, CSV injection), and
test_checkout_code.py (jobs run the checkout's code).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers.bad_input import (
    CUTOFF,
    assert_private,
    break_bytes,
    broken_clinical,
    record_of,
    rewrite,
    set_cell,
    shift,
)
from helpers.paths import REPO, SCHEMA_DIR
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from cytotrial.clinical.population_checks import check_trial_inputs
from cytotrial.errors import InputError
from cytotrial.fcs import FcsError, read_fcs
from cytotrial.io.input_checks import (
    check_config_files,
    check_cutoff,
    check_fcs_files,
    check_samples_against_clinical,
)
from cytotrial.io.inputs import read_clinical_tables, read_sample_sheet
from cytotrial.simulate.trial import DEFAULT_SEED, plan_demo_samples

CONFIG_SCHEMA = str(SCHEMA_DIR / "config.schema.yaml")


# ================================================================ config


@pytest.mark.parametrize(
    ("config", "named", "expected"),
    [
        ({"samplesheet": "x.tsv"}, "samplesheet", "Additional properties are not allowed"),
        ({"flow": {"qc": {"min_event": 10}}}, "min_event", "Additional properties"),
        ({"demo": {"seed": "abc"}}, "seed", "is not of type 'integer'"),
        ({"flow": {"qc": {"max_saturated_fraction": 2}}}, "max_saturated_fraction", "maximum"),
        ({"cutoff_date": "01/10/2020"}, "cutoff_date", "does not match"),
        ({"panel": 7}, "panel", "is not of type 'string'"),
        ({"clinical": {"median_ci": "exact"}}, "median_ci", "is not one of"),
    ],
)
def test_config_unknown_keys_and_wrong_types(config, named, expected):
    with pytest.raises(WorkflowError) as error:
        validate(config, CONFIG_SCHEMA)
    message = str(error.value) + str(error.value.args)
    assert named in message and expected in message


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("sample_sheet", "nothere/samples.tsv", "config sample_sheet: file 'nothere/samples.tsv'"),
        ("clinical_dir", "nothere", "config clinical_dir: folder 'nothere' not found"),
        ("panel", "panels/typo.yaml", "config panel: file 'panels/typo.yaml' not found"),
        ("gating_template", "g.yaml", "expected the gating template (YAML)"),
    ],
)
def test_config_missing_files_name_the_key(tmp_path, monkeypatch, key, value, expected):
    monkeypatch.chdir(REPO)  # the defaults (resources/...) exist from here
    config: dict = {}
    validate(config, CONFIG_SCHEMA)
    check_config_files(config)  # the defaults are fine
    config[key] = value
    with pytest.raises(InputError, match="1 problem") as error:
        check_config_files(config)
    assert expected in str(error.value)


def test_config_missing_nested_file_names_the_dotted_key(monkeypatch):
    monkeypatch.chdir(REPO)
    config: dict = {"clinical": {"ae_table_rows": "rows.yaml"}}
    validate(config, CONFIG_SCHEMA)
    with pytest.raises(InputError, match="config clinical.ae_table_rows: file 'rows.yaml'"):
        check_config_files(config)


# ================================================================ sample sheet

SHEET_HEADER = "sample_id\tpatient_id\tpart\ttimepoint\tfcs\tleukocytes_per_ul\n"
GOOD_ROW = "S1\tPT001\tA\tC1D1\ta.fcs\t5000"


def write_sheet(tmp_path: Path, row: str) -> Path:
    path = tmp_path / "samples.tsv"
    path.write_text(SHEET_HEADER + GOOD_ROW + "\n" + row + "\n")
    return path


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("S1\tPT002\tA\tC2D1\tb.fcs\t", "duplicated sample_id (S1) on lines 2, 3"),
        ("S2\tPT001\tC\tC1D1\tb.fcs\t", "line 3 (sample_id 'S2'): field 'part': 'C' is not"),
        ("S2\tPT001\tA\tD8\tb.fcs\t", "line 3 (sample_id 'S2'): field 'timepoint': 'D8'"),
        ("S2\tPT001\tA\tEOT\tb.fcs\t", "field 'timepoint': 'EOT' is not allowed (expected"),
        ("S2\tPT001\tA\tC2D1\t\t", "line 3 (sample_id 'S2'): 'fcs' is a required property"),
        ("../S2\tPT001\tA\tC2D1\tb.fcs\t", "IDs are used in file names"),
        ("S2\tPT/001\tA\tC2D1\tb.fcs\t", "field 'patient_id': 'PT/001' does not match"),
        ("S 2\tPT001\tA\tC2D1\tb.fcs\t", "field 'sample_id': 'S 2' does not match"),
        ("S2\tPT001\tA\tC2D1\tb.fcs\t-3", "field 'leukocytes_per_ul': -3"),
        ("S2\tPT001\tA\tC1D1\tb.fcs\t", "duplicated patient_id + part + timepoint"),
    ],
)
def test_sample_sheet_rows(tmp_path, row, expected):
    path = write_sheet(tmp_path, row)
    with pytest.raises(InputError) as error:
        read_sample_sheet(path, SCHEMA_DIR)
    assert str(path) in str(error.value)
    assert expected in str(error.value)


def test_sample_sheet_unknown_column(tmp_path):
    path = tmp_path / "samples.tsv"
    path.write_text(SHEET_HEADER.replace("\n", "\tname\n") + GOOD_ROW + "\tJane Doe\n")
    with pytest.raises(InputError, match=r"line 2 \(sample_id 'S1'\): .*'name' was unexpected"):
        read_sample_sheet(path, SCHEMA_DIR)


def test_sample_sheet_fcs_file_not_found(tmp_path):
    present = tmp_path / "present.fcs"
    present.write_bytes(b"FCS3.1")
    sheet = pd.DataFrame(
        {"sample_id": ["S1", "S2"], "fcs": [str(present), str(tmp_path / "missing.fcs")]}
    )
    with pytest.raises(InputError) as error:
        check_fcs_files(sheet, "samples.tsv")
    assert "1 problem(s) in samples.tsv" in str(error.value)
    assert f"sample_id 'S2': field 'fcs': file '{tmp_path / 'missing.fcs'}' not found" in str(
        error.value
    )


def test_demo_inputs_pass_every_check(demo_clinical, demo_tables, tmp_path):
    sheet = plan_demo_samples(DEFAULT_SEED, tmp_path)
    for path in sheet["fcs"]:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).touch()
    check_trial_inputs(sheet, "samples.tsv", demo_tables, str(demo_clinical), CUTOFF)


def test_sample_of_a_patient_missing_from_the_clinical_data(demo_tables, tmp_path):
    sheet = plan_demo_samples(DEFAULT_SEED, tmp_path).head(3).copy()
    sheet.loc[sheet.index[1], "patient_id"] = "PT999"
    sample = sheet["sample_id"].iloc[1]
    with pytest.raises(InputError) as error:
        check_samples_against_clinical(sheet, "samples.tsv", demo_tables["patients"], "p.csv")
    assert f"samples.tsv: sample_id {sample!r}: patient_id 'PT999' is not in p.csv" in str(
        error.value
    )


def test_part_b_sample_of_a_patient_not_in_part_b(demo_tables, tmp_path):
    patients = demo_tables["patients"]
    outside = patients.loc[patients["part_b_cohort"] == "none", "patient_id"].iloc[0]
    sheet = pd.DataFrame(
        [{"sample_id": "X1", "patient_id": outside, "part": "B", "timepoint": "C1D1"}]
    )
    with pytest.raises(InputError, match=f"part 'B' but patient '{outside}' has part_b_cohort"):
        check_samples_against_clinical(sheet, "samples.tsv", patients, "patients.csv")


# ================================================================ clinical tables


CLINICAL_CASES = {
    "progression before registration": (
        "dates",
        shift("part_a_progression", "part_a_start", -10),
        "field 'part_a_progression' is before 'part_a_start': part A progression "
        "before part A registration; expected part_a_progression on or after part_a_start",
    ),
    "part B progression before part B registration": (
        "dates",
        shift("part_b_progression", "part_b_registration", -1),
        "part B progression before part B registration",
    ),
    "death before progression": (
        "dates",
        shift("death", "part_b_progression", -5),
        "field 'death' is before 'part_b_progression': death before part B progression",
    ),
    "negative follow-up time": (
        "dates",
        shift("last_followup", "part_a_start", -30),
        "last follow-up before part A registration",
    ),
    "alive after death": (
        "dates",
        shift("last_followup", "death", 40),
        "field 'death' is before 'last_followup': death before last follow-up",
    ),
    "part B event without part B": (
        "dates",
        set_cell(
            "part_b_progression",
            "2017-01-01",
            "part_a_start",
            empty=("part_b_registration", "part_b_progression"),
        ),
        "field 'part_b_progression' is given but 'part_b_registration' is empty",
    ),
    "missing registration date": (
        "dates",
        set_cell("part_a_start", "", "part_a_start"),
        "'part_a_start' is a required property",
    ),
    "missing last follow-up": (
        "dates",
        set_cell("last_followup", "", "last_followup"),
        "'last_followup' is a required property",
    ),
    "impossible date": (
        "dates",
        set_cell("part_a_start", "2016-02-30", "part_a_start"),
        "field 'part_a_start': '2016-02-30' is not a real date",
    ),
    "date typed day-first": (
        "dates",
        set_cell("death", "14/03/2018", "death"),
        r"field 'death': '14/03/2018' does not match .*dates are written YYYY-MM-DD",
    ),
    "date in the future": (
        "dates",
        set_cell("last_followup", "2061-03-01", "last_followup", empty=("death",)),
        "field 'last_followup' is in the future; expected a date on or before 20",
    ),
    "unknown response category": (
        "responses",
        set_cell("best_response", "nCR", "best_response"),
        r"field 'best_response': 'nCR' is not allowed \(expected one of 'sCR', 'CR'",
    ),
    "grade 0": (
        "adverse_events",
        set_cell("grade", "0", "grade"),
        "field 'grade': 0 is less than the minimum of 1",
    ),
    "grade 6": (
        "adverse_events",
        set_cell("grade", "6", "grade"),
        "field 'grade': 6 is greater than the maximum of 5",
    ),
    "grade not a number": (
        "adverse_events",
        set_cell("grade", "III", "grade"),
        "field 'grade': 'III' is not of type 'integer'",
    ),
    "duplicated patient": (
        "patients",
        lambda frame: frame.loc.__setitem__((1, "patient_id"), frame.loc[0, "patient_id"]),
        r"duplicated patient_id \(PT001\) on lines 2, 3",
    ),
    "duplicated dates row": (
        "dates",
        lambda frame: frame.loc.__setitem__((2, "patient_id"), frame.loc[0, "patient_id"]),
        r"dates.csv: duplicated patient_id \(PT001\)",
    ),
    "adverse event of an unknown patient": (
        "adverse_events",
        set_cell("patient_id", "PT999", "patient_id"),
        r"adverse_events.csv, line 2: patient_id 'PT999' is not in .*patients.csv",
    ),
    "patient without dates": (
        "dates",
        lambda frame: frame.drop(index=frame.index[-1], inplace=True),
        r"patients.csv, line \d+: patient_id 'PT\d+' has no row in .*dates.csv",
    ),
    "unknown sex": (
        "patients",
        set_cell("sex", "F", "sex"),
        r"patients.csv, line 2 \(patient_id 'PT001'\): field 'sex': 'F' is not allowed",
    ),
    "negative prior lines": (
        "baseline",
        set_cell("prior_lines", "-1", "prior_lines"),
        "field 'prior_lines': -1 is less than the minimum of 0",
    ),
}


@pytest.mark.parametrize("case", list(CLINICAL_CASES))
def test_clinical_tables(demo_clinical, tmp_path, case):
    table, edit, expected = CLINICAL_CASES[case]
    folder = broken_clinical(demo_clinical, tmp_path / "clinical", table, edit)
    with pytest.raises(InputError) as error:
        read_clinical_tables(folder, SCHEMA_DIR)
    message = str(error.value)
    assert f"{table}.csv" in message or "patients.csv" in message
    assert re.search(expected, message), message


def test_registration_after_the_cutoff(demo_tables):
    dates = demo_tables["dates"].copy()
    dates.loc[dates.index[3], "part_a_start"] = pd.Timestamp("2020-11-02")
    patient = dates["patient_id"].iloc[3]
    with pytest.raises(InputError) as error:
        check_cutoff(dates, "dates.csv", CUTOFF)
    assert (
        f"dates.csv, line 5 (patient_id {patient!r}): field 'part_a_start' is after the data "
        "cut-off (2020-10-01, config cutoff_date); expected registration on or before the cut-off"
    ) in str(error.value)


def test_events_after_the_cutoff_are_allowed(demo_tables):
    """By design the analysis ignores events after the cut-off (README): no error."""
    dates = demo_tables["dates"].copy()
    dates.loc[dates.index[0], "death"] = pd.Timestamp("2020-12-01")
    check_cutoff(dates, "dates.csv", CUTOFF)


def test_future_means_after_today(demo_clinical, tmp_path):
    from cytotrial.io.input_checks import future_date_problems

    tables = read_clinical_tables(demo_clinical, SCHEMA_DIR)
    sources = {name: f"{name}.csv" for name in tables}
    last = max(tables["dates"]["last_followup"])
    assert future_date_problems(tables, sources, last) == []
    problems = future_date_problems(tables, sources, last - pd.Timedelta(days=1))
    assert problems and all("is in the future" in p for p in problems)
    assert dt.date.today() > last.date()


# ================================================================ FCS files


FCS_READER_ERRORS = {
    "truncated": r"file is truncated: DATA segment \(bytes \d+\.\.\d+, HEADER\) needs 112000 "
    r"bytes for \$TOT 2000 x 56 bytes per event \(\$PAR 14, \$PnB 32\) but the file has \d+ "
    r"bytes: \d+ bytes are missing",
    "header_only": r"DATA segment \(bytes \d+\.\.\d+, HEADER\) points past the end of the file "
    r"\(file has \d+ bytes\) — the file holds only HEADER and TEXT",
    "not_fcs": r"not an FCS file: it starts with b'%PDF-1.4 t', expected 'FCS' and a version",
    "empty": r"file is empty \(0 bytes\); expected an FCS file starting with 'FCS'",
    "wrong_offsets": r"cannot locate the DATA segment: no offset is consistent with \$TOT 2000 x "
    r"56 bytes per event .* = 112000 bytes and the file size",
    "huge_tot": r"\$TOT 1000000000000 x 56 bytes per event \(\$PAR 14, \$PnB 32\) = "
    r"56000000000000 bytes, but the file has only \d+ bytes",
    "huge_par": r"keyword \$PAR claims 100000000 channels but TEXT holds only \d+ keywords",
    "bad_datatype": r"unsupported \$DATATYPE 'X'; expected I \(integer\), F \(float32\)",
}


@pytest.mark.parametrize("how", list(FCS_READER_ERRORS))
def test_fcs_unreadable_file_fails_its_sample_only(flow, tmp_path, how):
    path = tmp_path / f"{how}.fcs"
    path.write_bytes(break_bytes(flow, how))
    with pytest.raises(FcsError) as error:
        read_fcs(path)
    message = str(error.value)
    assert message.startswith(f"{path}: "), message
    assert re.search(FCS_READER_ERRORS[how], message), message
    record = record_of(flow, path)
    # the record says what is wrong, without the path (tests/workflow/test_bad_input_outputs.py)
    assert record["status"] == "failed" and record["reason"] == error.value.detail
    assert message == f"{path}: {record['reason']}"
    assert len(record["file_sha256"]) == 64
    assert_private(flow, message, *record["notes"])


def test_fcs_missing_file(flow, tmp_path):
    path = tmp_path / "gone.fcs"
    with pytest.raises(FcsError, match=f"{path}: cannot open the file: No such file"):
        read_fcs(path)
    record = record_of(flow, path)
    assert record["status"] == "failed"
    assert record["reason"] == "cannot open the file: No such file or directory"


def test_fcs_zero_events(flow, tmp_path):
    path = rewrite(flow, tmp_path / "zero.fcs", flow.events[:0], TOT="0")
    data = read_fcs(path)  # the reader: an empty matrix and a note, not an error
    assert data.events.shape == (0, 14)
    assert "$TOT is 0: the data set holds no events" in data.notes
    record = record_of(flow, path)
    assert record["status"] == "failed"
    assert record["reason"] == "the file holds no events ($TOT 0); expected events to gate"


def test_fcs_missing_panel_channel(flow, tmp_path):
    apc = flow.keywords["$P10N"]
    assert apc == "APC-A"  # CD38, the MFI channel
    path = rewrite(flow, tmp_path / "panel.fcs", flow.events, P10N="APX-A")
    with pytest.raises(FcsError, match=r"channel\(s\) \['APC-A'\] not in the file; its \$PnN"):
        read_fcs(path, channels=["FSC-A", "APC-A"])
    record = record_of(flow, path)
    assert record["status"] == "panel_mismatch"
    assert record["reason"].startswith("panel channel(s) missing from the file: APC-A (file has: ")
    assert record["qc"]["events"] == 2000  # QC still ran on the channels it has


def test_fcs_duplicate_channel_names(flow, tmp_path):
    events = np.hstack([flow.events, flow.events[:, 9:10] * 2])
    extra = {"PAR": "15", "P15N": "APC-A", "P15B": "32", "P15E": "0,0", "P15R": "262144"}
    path = rewrite(flow, tmp_path / "dup.fcs", events, **extra)
    data = read_fcs(path)
    assert data.channels[9] == "APC-A" and data.channels[14] == "APC-A_2"
    assert "duplicate $PnN names made unique: APC-A -> APC-A_2" in data.notes
    with pytest.raises(FcsError) as error:
        read_fcs(path, channels=["APC-A"])
    assert str(error.value) == (
        f"{path}: channel 'APC-A' is ambiguous: $P10N and $P15N are both 'APC-A'; expected "
        "unique $PnN names (read all channels to get them as 'APC-A', 'APC-A_2' ...)"
    )
    record = record_of(flow, path)
    assert record["status"] == "panel_mismatch"
    assert record["reason"] == (
        "panel channel(s) named more than once in the file: APC-A ($P10N, $P15N); "
        "expected each panel channel exactly once"
    )


def test_fcs_nan_and_inf_values(flow, tmp_path):
    events = flow.events.copy()
    events[5, 3], events[7, 9], events[11, 13] = np.nan, np.inf, -np.inf
    path = rewrite(flow, tmp_path / "nan.fcs", events)
    data = read_fcs(path)
    assert np.isnan(data.events[5, 3]) and np.isposinf(data.events[7, 9])
    assert "NaN or infinite values kept as stored in channel(s) SSC-A (1), APC-A (1), Time (1)" in (
        data.notes
    )
    record = record_of(flow, path)  # analysed without the 3 events, and flagged
    assert record["status"] == "ok"
    assert record["qc"]["nonfinite_events"] == 3
    assert "nonfinite_values(3 events)" in record["qc"]["qc_flags"]
    clean = record_of(flow, rewrite(flow, tmp_path / "clean.fcs", np.delete(events, [5, 7, 11], 0)))
    assert record["gates"] == clean["gates"]  # same gates as on the file without them


# ================================================================ what the user sees


@pytest.mark.parametrize("case", ["progression before registration", "death before progression"])
def test_date_order_messages_quote_no_patient_dates(demo_clinical, tmp_path, case):
    table, edit, _ = CLINICAL_CASES[case]
    folder = broken_clinical(demo_clinical, tmp_path / "clinical", table, edit)
    with pytest.raises(InputError) as error:
        read_clinical_tables(folder, SCHEMA_DIR)
    assert re.search(r"\d{4}-\d{2}-\d{2}", str(error.value)) is None, str(error.value)
