"""Clinical rows that could fall out of an analysis population without anyone noticing.

Part of the bad-input catalogue begun in tests/unit/io/test_bad_input.py (its demo_clinical fixture
and broken_clinical / set_cell helpers are reused). Each case is the demo trial's clinical
tables with one realistic mistake and either

* the input error it must produce before any job starts (file, patient_id and field; the
  checks rules/common.smk runs at parse time: read_clinical_tables + check_trial_inputs), and
  that nothing else was flagged; or
* where the documented meaning of the input is legitimate ('not available', a term outside
  Table 2), how it is counted and shown, with every other number of the demo unchanged.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from helpers import bad_input as catalogue
from helpers.bad_input import CUTOFF, broken_clinical
from helpers.paths import REPO, SCHEMA_DIR

from cytotrial.clinical.figures.patient_flow import consort_boxes
from cytotrial.clinical.imwg.concordance import concordance, effective_tables
from cytotrial.clinical.imwg.engine import derive_responses
from cytotrial.clinical.job import AE_PART_LABELS
from cytotrial.clinical.population import rp2d_patients
from cytotrial.clinical.population_checks import check_trial_inputs
from cytotrial.clinical.response.rates import (
    evaluate_primary_endpoint,
    populations,
    response_categories,
    response_rates,
)
from cytotrial.clinical.settings import ClinicalSettings
from cytotrial.clinical.survival.analysis import endpoint_table, survival_tables
from cytotrial.clinical.tables import adverse_events as ae_mod
from cytotrial.clinical.tables import subsequent_therapy as st_mod
from cytotrial.clinical.tables.baseline import baseline_table
from cytotrial.clinical.tables.dose_escalation import dose_escalation_table
from cytotrial.errors import InputError
from cytotrial.io.inputs import CLINICAL_TABLES, read_clinical_files, read_clinical_tables
from cytotrial.io.lab_values import read_lab_values
from cytotrial.io.validation import load_schema, property_default
from cytotrial.simulate.trial import DEFAULT_SEED, plan_demo_samples

LAYOUT = REPO / "resources" / "ae_table_rows.yaml"
SETTINGS = ClinicalSettings.from_config({}, CUTOFF)
# the catalogue's fixture: the demo trial's clinical tables, written once per module


def parse_time_checks(folder: Path, tmp_path: Path) -> dict[str, pd.DataFrame]:
    """What rules/common.smk does with a user's trial before any job starts."""
    tables = read_clinical_tables(folder, SCHEMA_DIR)
    sheet = plan_demo_samples(DEFAULT_SEED, tmp_path / "fcs").head(2).copy()
    for path in sheet["fcs"]:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).touch()
    check_trial_inputs(sheet, str(tmp_path / "samples.tsv"), tables, str(folder), CUTOFF)
    return tables


def drop_rows(**match: str):
    """Drop the rows whose columns equal `match` (e.g. patient_id='PT044', part='B')."""

    def edit(frame: pd.DataFrame) -> None:
        hit = pd.Series(True, index=frame.index)
        for column, value in match.items():
            hit &= frame[column] == value
        assert hit.any(), match
        frame.drop(index=frame.index[hit], inplace=True)

    return edit


def set_where(patient: str, **values: str):
    """Set cells of the row of `patient` (tables with one row per patient)."""

    def edit(frame: pd.DataFrame) -> None:
        row = frame.index[frame["patient_id"] == patient]
        assert len(row) == 1, patient
        for column, value in values.items():
            frame.loc[row, column] = value

    return edit


def set_where_first(patient: str, **values: str):
    """Set cells of the first row of `patient` (tables with several rows per patient)."""

    def edit(frame: pd.DataFrame) -> None:
        row = frame.index[frame["patient_id"] == patient][0]
        for column, value in values.items():
            frame.loc[row, column] = value

    return edit


def line_of(folder: Path, table: str, patient: str, part: str | None = None) -> int:
    """Line (header = 1) of a patient's row in a written table."""
    frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
    hit = frame["patient_id"] == patient
    if part is not None:
        hit &= frame["part"] == part
    return int(frame.index[hit][0]) + 2


# ================================================================ input errors (a-c and more)


def patient_roles(folder: Path) -> dict[str, str]:
    """The demo patients the cases edit, found in the demo's own tables (not its seed):
    progressor: the first patient whose part B ended at a dated progression;
    rp2d_on_treatment: the first RP2D (phase 2) patient still on part B at cut-off (no
    progression, end or death date: a later registration is the only problem);
    part_a_pd: the first patient who entered part B after PD in part A cycle 1;
    not_in_b: the first patient never in part B; first_subsequent: the patient of the
    first row of subsequent_therapies.csv."""

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)

    patients, dates = read("patients"), read("dates")
    phase2 = dates["patient_id"].isin(
        patients.loc[patients["part_b_cohort"] == "phase2", "patient_id"]
    )
    open_b = dates[["part_b_progression", "part_b_end_of_treatment", "death"]].eq("").all(axis=1)
    found = {
        "progressor": dates.loc[
            (dates["part_b_end_reason"] == "progression") & (dates["part_b_progression"] != "")
        ],
        "rp2d_on_treatment": dates.loc[phase2 & (dates["part_b_registration"] != "") & open_b],
        "part_a_pd": patients.loc[patients["part_b_entry_reason"] == "pd_in_cycle1"],
        "not_in_b": patients.loc[patients["part_b_cohort"] == "none"],
        "first_subsequent": read("subsequent_therapies").head(1),
    }
    for role, rows in found.items():
        assert len(rows), f"the demo has no {role} patient: the cases cannot run"
    return {role: str(rows["patient_id"].iloc[0]) for role, rows in found.items()}


@pytest.fixture(scope="module")
def roles(demo_clinical) -> dict[str, str]:
    return patient_roles(demo_clinical)


# case -> (table, role, edit(patient), part, expected message (regex; {line} = the line of
# the patient's row of that part (None: first row) in that table, {patient} = the role's
# patient ID));
# each edit is one realistic mistake in the demo's tables. The demo has lab values for
# every patient, so these cases run without lab_values.csv (broken_clinical copies the
# seven tables only).
POPULATION_CASES = {
    # a. progression as end reason, no progression date: censored instead of an event
    "progression end reason without progression date": (
        "dates",
        "progressor",
        lambda p: set_where(p, part_b_progression=""),
        None,
        r"dates.csv, line {line} \(patient_id '{patient}'\): field 'part_b_progression' is "
        r"empty but 'part_b_end_reason' is 'progression'",
    ),
    # b. enrolled in part B (at the RP2D), no registration date: dropped from PFS-B/OS-B
    "RP2D patient without part B registration": (
        "dates",
        "rp2d_on_treatment",
        lambda p: set_where(p, part_b_registration=""),
        None,
        r"dates.csv, line {line} \(patient_id '{patient}'\): field 'part_b_registration' is "
        r"empty but .*patients.csv has part_b_cohort 'phase2'",
    ),
    "part B registration after the cut-off": (
        "dates",
        "rp2d_on_treatment",
        lambda p: set_where(p, part_b_registration="2020-10-05", last_followup="2020-10-20"),
        None,
        r"dates.csv, line {line} \(patient_id '{patient}'\): field 'part_b_registration' is "
        r"after the data cut-off \(2020-10-01\) but .*patients.csv has part_b_cohort 'phase2'",
    ),
    # c. no responses row: counted NE without a word
    "no part A response": (
        "responses",
        "not_in_b",
        lambda p: drop_rows(patient_id=p, part="A"),
        None,
        r"responses.csv: no row for patient_id '{patient}', part 'A': field 'best_response'",
    ),
    "no part B response of an RP2D patient": (
        "responses",
        "rp2d_on_treatment",
        lambda p: drop_rows(patient_id=p, part="B"),
        None,
        r"responses.csv: no row for patient_id '{patient}', part 'B': field 'best_response'",
    ),
    # rows of part B for a patient patients.csv has outside part B: silently ignored
    "part B response of a patient not in part B": (
        "responses",
        "not_in_b",
        lambda p: (
            lambda frame: frame.loc.__setitem__(
                len(frame), {"patient_id": p, "part": "B", "best_response": "PR"}
            )
        ),
        "B",
        r"responses.csv, line {line} \(patient_id '{patient}'\): field 'part' is 'B' but "
        r".*patients.csv has part_b_cohort 'none'",
    ),
    "part B adverse event of a patient not in part B": (
        "adverse_events",
        "not_in_b",
        lambda p: set_where_first(p, part="B"),
        "B",
        r"adverse_events.csv, line {line} \(patient_id '{patient}'\): field 'part' is 'B' but "
        r".*patients.csv has part_b_cohort 'none'",
    ),
    "duplicated first subsequent line": (
        "subsequent_therapies",
        "first_subsequent",
        lambda p: lambda frame: frame.loc.__setitem__(len(frame), frame.loc[0].to_dict()),
        None,
        r"subsequent_therapies.csv: duplicated patient_id \+ line \({patient}, 1\)",
    ),
}


@pytest.mark.parametrize("case", list(POPULATION_CASES))
def test_population_errors_stop_the_run_before_any_job(demo_clinical, roles, tmp_path, case):
    table, role, edit, part, expected = POPULATION_CASES[case]
    patient = roles[role]
    folder = broken_clinical(demo_clinical, tmp_path / "clinical", table, edit(patient))
    with pytest.raises(InputError) as error:
        parse_time_checks(folder, tmp_path)
    message = str(error.value)
    if "{line}" in expected:
        expected = expected.replace("{line}", str(line_of(folder, table, patient, part)))
    pattern = expected.replace("{patient}", patient)
    assert re.search(pattern, message), message
    # nothing else was flagged: the one mistake is the one problem
    assert message.startswith("1 problem(s)") or "duplicated" in message, message
    assert re.search(r"\d{4}-\d{2}-\d{2}", message.replace("2020-10-01", "")) is None, message


def test_the_demo_passes_with_and_without_its_lab_values(demo_clinical, tmp_path):
    """With lab_values.csv (the demo) and without it (broken_clinical copies seven tables):
    every patient has the rows it needs."""
    parse_time_checks(demo_clinical, tmp_path)
    folder = broken_clinical(demo_clinical, tmp_path / "clinical", "", lambda frame: None)
    parse_time_checks(folder, tmp_path)


def test_a_missing_response_row_is_no_error_when_lab_values_derive_it(
    demo_clinical, roles, tmp_path
):
    """The IMWG engine derives the best response of every part with lab rows; that response
    fills the part (effective responses), so the reported row is not missing."""
    patient = roles["rp2d_on_treatment"]
    folder = broken_clinical(
        demo_clinical, tmp_path / "clinical", "responses", drop_rows(patient_id=patient, part="B")
    )
    shutil.copy(demo_clinical / "lab_values.csv", folder / "lab_values.csv")
    parse_time_checks(folder, tmp_path)  # no error
    # ... but without the patient's lab values it is missing again
    labs = pd.read_csv(folder / "lab_values.csv", dtype=str, keep_default_na=False)
    labs[labs["patient_id"] != patient].to_csv(folder / "lab_values.csv", index=False)
    with pytest.raises(InputError, match=f"no row for patient_id '{patient}', part 'B'"):
        parse_time_checks(folder, tmp_path)


def test_every_population_problem_is_listed_at_once(demo_clinical, roles, tmp_path):
    first, second = roles["progressor"], roles["not_in_b"]
    folder = broken_clinical(
        demo_clinical, tmp_path / "clinical", "dates", set_where(first, part_b_progression="")
    )
    broken_clinical(folder, folder, "responses", drop_rows(patient_id=second, part="A"))
    with pytest.raises(InputError) as error:
        parse_time_checks(folder, tmp_path)
    message = str(error.value)
    assert message.startswith("2 problem(s)"), message
    assert f"'{first}'" in message and f"'{second}'" in message


# ================================================================ d. counted, not dropped


def table1(folder: Path) -> pd.DataFrame:
    tables = read_clinical_tables(folder, SCHEMA_DIR)
    return baseline_table(tables["patients"], tables["baseline"], 45).set_index(
        ["section", "characteristic"]
    )


@pytest.fixture(scope="module")
def demo_table1(demo_clinical) -> pd.DataFrame:
    return table1(demo_clinical)


RISK = "Cytogenetic risk profile, n (%)"
CYTO = "Cytogenetic abnormalities, n (%)"
TX = "Prior treatment"
PART_A = "Part A (n=63)"


def first_n(cell: str) -> int:
    return int(str(cell).split(" ")[0])


def first_with(folder: Path, table: str, column: str, value: str) -> str:
    """The first patient whose first row in `table` (part A where the table has parts)
    holds `value` in `column`."""
    frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
    first = frame.drop_duplicates("patient_id")
    hit = (first[column] == value) & (first.get("part", "A") == "A")
    assert hit.any(), f"no demo patient with {table}.{column} = {value!r}"
    return str(first.loc[hit, "patient_id"].iloc[0])


@pytest.mark.parametrize(
    ("table", "value", "column", "row", "shown"),
    [
        # patients.csv: empty cytogenetic_risk = not_available (schema default)
        ("patients", "high", "cytogenetic_risk", (RISK, "High-risk"), (RISK, "Not available")),
        # empty t_4_14 = unknown: was counted as 'no' (a row not shown) without a word
        ("patients", "no", "t_4_14", None, (CYTO, "t(4;14), unknown")),
        ("patients", "yes", "amp_1q", (CYTO, "amp(1q)"), (CYTO, "amp(1q), unknown")),
        # baseline.csv: empty autologous_sct = unknown ('no' is not a row either)
        ("baseline", "no", "autologous_sct", None, (TX, "Autologous SCT, unknown")),
    ],
)
def test_table1_counts_empty_cells_as_not_available(
    demo_clinical, demo_table1, tmp_path, table, value, column, row, shown
):
    """An empty cell whose documented meaning is 'not available' / 'unknown' lands in a row
    that says so (the patient stays in the column's n); every other count is the demo's."""
    patient = first_with(demo_clinical, table, column, value)
    edit = set_where_first(patient, **{column: ""})
    folder = broken_clinical(demo_clinical, tmp_path / "clinical", table, edit)
    got = table1(folder)
    assert list(got.columns) == list(demo_table1.columns)  # same n per column
    if shown in demo_table1.index:
        before = first_n(demo_table1.loc[shown, PART_A])
    else:  # a row shown only now: the demo's own 'unknown' cells (part A) were in no row
        frame = pd.read_csv(demo_clinical / f"{table}.csv", dtype=str, keep_default_na=False)
        before = int(((frame[column] == "unknown") & (frame.get("part", "A") == "A")).sum())
    assert first_n(got.loc[shown, PART_A]) == before + 1
    changed = {shown} | ({row} if row else set())
    if row:  # the row the patient was counted in before loses them
        assert first_n(got.loc[row, PART_A]) == first_n(demo_table1.loc[row, PART_A]) - 1
    same = [key for key in demo_table1.index if key not in changed]
    pd.testing.assert_frame_equal(got.loc[same], demo_table1.loc[same])


# ================================================================ e. absent optional columns


def optional_columns() -> list[tuple[str, str]]:
    """(table, column) for every column a clinical schema does not require."""
    out = []
    for name in CLINICAL_TABLES:
        schema = load_schema(name, SCHEMA_DIR)
        required = set(schema.get("required", []))
        out += [(name, column) for column in schema["properties"] if column not in required]
    return out


def every_analysis(paths: dict[str, Path], labs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """What the clinical jobs compute (cytotrial.clinical.job), without the figures; the
    tables as the jobs read them."""
    t = read_clinical_files(paths, SCHEMA_DIR)
    s = SETTINGS
    result = derive_responses(t["patients"], t["dates"], t["subsequent_therapies"], labs, s.imwg)
    concordance(t["responses"], t["dates"], t["patients"], result.best)
    effective_tables(t["responses"], t["dates"], result.best)
    consort_boxes(t["patients"], t["dates"], s.rp2d_atra_mg_m2, s.cutoff)
    survival_tables(endpoint_table(t, s), s)
    pops = populations(t["patients"], t["responses"], s)
    response_categories(pops), response_rates(pops), evaluate_primary_endpoint(pops, s)
    baseline_table(t["patients"], t["baseline"], 45)
    dose_escalation_table(t["patients"], s.dose_levels_mg_m2, s.rp2d_atra_mg_m2)
    rp2d = rp2d_patients(t["patients"], s.rp2d_atra_mg_m2)
    pop = {"A": t["patients"]["patient_id"].tolist(), "B": rp2d}
    counted = ae_mod.adverse_event_table(
        t["adverse_events"], t["supportive_care"], pop, ae_mod.read_layout(LAYOUT), s.cutoff
    )
    ae_mod.display_table(counted, AE_PART_LABELS), ae_mod.footnote_table(counted, AE_PART_LABELS)
    therapy = st_mod.subsequent_therapy(t["subsequent_therapies"], t["dates"], rp2d, s.cutoff)
    st_mod.display_table(therapy)
    return t


@pytest.fixture(scope="module")
def few_labs(demo_clinical, roles) -> pd.DataFrame:
    """Lab values of a few patients: every engine path, a fraction of the time."""
    labs = read_lab_values(demo_clinical / "lab_values.csv", SCHEMA_DIR)
    chosen = [roles[r] for r in ("progressor", "part_a_pd", "not_in_b", "rp2d_on_treatment")]
    return labs[labs["patient_id"].isin(chosen)]


@pytest.mark.parametrize(("table", "column"), optional_columns())
def test_an_absent_optional_column_means_its_default(
    demo_clinical, few_labs, tmp_path, table, column
):
    """Dropping an optional column is the same as leaving every cell of it empty: the
    schema's default (or 'not given') is filled in when the table is read, in one place,
    and no analysis raises KeyError."""
    folder = broken_clinical(
        demo_clinical,
        tmp_path / "clinical",
        table,
        lambda frame: frame.drop(columns=column, inplace=True),
    )
    paths = {name: folder / f"{name}.csv" for name in CLINICAL_TABLES}
    try:
        tables = every_analysis(paths, few_labs)
    except InputError as error:  # a clear refusal would do too, naming the file
        assert f"{table}.csv" in str(error) or "patients.csv" in str(error), str(error)
        return
    has_default, default = property_default(load_schema(table, SCHEMA_DIR), column)
    filled = tables[table][column]
    if has_default:
        assert set(filled) == {default}, filled
    else:
        assert filled.isna().all(), filled


def test_absent_column_equals_empty_cells(demo_clinical, tmp_path):
    """patients.csv without cytogenetic_risk reads as every cell 'not_available'."""
    folder = broken_clinical(
        demo_clinical,
        tmp_path / "clinical",
        "patients",
        lambda frame: frame.drop(columns=["cytogenetic_risk", "t_4_14"], inplace=True),
    )
    patients = read_clinical_tables(folder, SCHEMA_DIR)["patients"]
    assert set(patients["cytogenetic_risk"]) == {"not_available"}
    assert set(patients["t_4_14"]) == {"unknown"}
    got = table1(folder)
    assert got.loc[(RISK, "Not available"), PART_A] == "63 (100)"


# ================================================================ f. adverse-event terms


def ae_outputs(folder: Path, tmp_path: Path) -> dict[str, pd.DataFrame]:
    from cytotrial.clinical.job import adverse_events_job

    out = {key: tmp_path / f"{key}.tsv" for key in ("table", "footnotes", "unmapped")}
    paths = {name: folder / f"{name}.csv" for name in CLINICAL_TABLES}
    adverse_events_job(paths, str(LAYOUT), {}, CUTOFF, out)
    return {
        key: pd.read_csv(path, sep="\t", keep_default_na=False, dtype=str)
        for key, path in out.items()
    }


@pytest.fixture(scope="module")
def demo_ae(demo_clinical, tmp_path_factory) -> dict[str, pd.DataFrame]:
    return ae_outputs(demo_clinical, tmp_path_factory.mktemp("ae"))


SPELLINGS = {
    "Anemia": ["Anaemia", "anemia ", "ANAEMIA", " Anemia"],
    "Platelet count decreased": ["Platelet  count decreased", "platelet count decreased"],
    "Infusion related reaction": ["Infusion-related reaction"],
    "Neutrophil count decreased": ["Neutrophil count Decreased"],
}


def respell(frame: pd.DataFrame) -> None:
    """Rewrite the demo's terms in the British/sloppy spellings of SPELLINGS (cycling)."""
    for term, variants in SPELLINGS.items():
        rows = frame.index[frame["term"] == term]
        for k, row in enumerate(rows):
            frame.loc[row, "term"] = variants[k % len(variants)]


def test_adverse_event_spellings_count_in_their_row(demo_clinical, demo_ae, tmp_path):
    """anaemia/anemia, case, spaces and a hyphen: Table 2 and its footnotes are the demo's."""
    folder = broken_clinical(demo_clinical, tmp_path / "clinical", "adverse_events", respell)
    got = ae_outputs(folder, tmp_path)
    pd.testing.assert_frame_equal(got["table"], demo_ae["table"])
    pd.testing.assert_frame_equal(got["footnotes"], demo_ae["footnotes"])
    pd.testing.assert_frame_equal(got["unmapped"], demo_ae["unmapped"])


def test_spelling_variants_do_not_merge_real_terms():
    from cytotrial.clinical.tables.adverse_events import normalise_term

    assert normalise_term(" Anaemia ") == normalise_term("anemia")
    assert normalise_term("Oedema limbs") == normalise_term("Edema limbs")
    assert normalise_term("Diarrhoea") == normalise_term("Diarrhea")
    assert normalise_term("Haemorrhage") == normalise_term("hemorrhage")
    assert normalise_term("Leukopaenia") == normalise_term("Leukopenia")
    # words that merely contain 'ae' / 'oe' stay themselves
    for word in ("Aerobic", "Shoe", "Poetry", "Israel", "Michael", "Toe", "Phaeochromocytoma"):
        assert normalise_term(word) == word.lower()
    assert normalise_term("Lung infection") != normalise_term("Lung  infestation")


def test_unmapped_terms_are_listed_with_counts(demo_clinical, demo_ae, tmp_path):
    """A term no Table 2 row takes is listed with its patients and episodes per part."""
    ae = pd.read_csv(demo_clinical / "adverse_events.csv", dtype=str, keep_default_na=False)
    expected = {}
    for (term, part), rows in ae.groupby(["term", "part"]):
        if term in ("Peripheral sensory neuropathy", "Non-cardiac chest pain"):
            expected[(term, part)] = (rows["patient_id"].nunique(), len(rows))
    unmapped = demo_ae["unmapped"]
    assert list(unmapped.columns) == ["term", "part", "patients", "episodes"]
    got = {(r.term, r.part): (int(r.patients), int(r.episodes)) for r in unmapped.itertuples()}
    # the demo's part B rows count for the RP2D patients only (Table 2's population)
    assert set(got) <= set(expected) and got
    for key, (patients, episodes) in got.items():
        assert patients <= expected[key][0] and episodes <= expected[key][1]

    # a misspelt term is not silently dropped: it is listed, Table 2 loses that episode
    def typo(frame: pd.DataFrame) -> None:
        part_a = (frame["term"] == "Headache") & (frame["part"] == "A")
        frame.loc[frame.index[part_a][0], "term"] = "Head ache"

    folder = broken_clinical(demo_clinical, tmp_path / "clinical", "adverse_events", typo)
    listed = ae_outputs(folder, tmp_path)["unmapped"]
    assert "Head ache" in set(listed["term"])
    row = listed[listed["term"] == "Head ache"].iloc[0]
    assert (row["patients"], row["episodes"]) == ("1", "1")


def test_the_report_shows_the_unmapped_terms(demo_ae, tmp_path):
    from helpers.result_paths import CLINICAL_REPORT_PATHS

    from cytotrial.report.clinical_sections import clinical_sections

    path = tmp_path / "unmapped.tsv"
    demo_ae["unmapped"].to_csv(path, sep="\t", index=False)
    safety = clinical_sections({"clinical_table2_unmapped": path}, SETTINGS)[5]
    titles = [t.title for t in safety.tables]
    assert "Adverse-event terms not in Table 2" in titles
    assert any("not counted in Table 2" in note for note in safety.notes)
    assert CLINICAL_REPORT_PATHS["clinical_table2_unmapped"].endswith("table2_unmapped_terms.tsv")
    rules = (REPO / "rules" / "clinical.smk").read_text()
    assert '"table2_unmapped_terms"' in rules and "unmapped=" in rules


# ================================================================ what the user sees


def test_workflow_stops_before_any_job(workflow_copy, demo_clinical, roles, tmp_path):
    """`snakemake -n` on a user's trial with a population problem: the message, no job."""
    sheet, _ = catalogue.user_trial(tmp_path, demo_clinical)
    patient = roles["rp2d_on_treatment"]
    edit = set_where(patient, part_b_registration="")
    clinical = broken_clinical(demo_clinical, tmp_path / "clinical", "dates", edit)
    code, log = catalogue.dry_run(workflow_copy, tmp_path, sheet, clinical)
    assert code != 0
    assert f"patient_id '{patient}'): field 'part_b_registration' is empty" in log, log
    assert "rule clinical_" not in log, log
