"""Table 1, Table 2 (worst grade per patient), Table 3 and the 3+3 table on tiny inputs."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers.paths import REPO

from cytotrial.clinical.tables.adverse_events import (
    adverse_event_table,
    display_table,
    footnote_table,
    read_layout,
)
from cytotrial.clinical.tables.baseline import baseline_cells, baseline_table
from cytotrial.clinical.tables.dose_escalation import (
    dose_escalation_table,
    mtd_text,
    three_plus_three,
)
from cytotrial.clinical.tables.subsequent_therapy import (
    derived_counts,
    subsequent_therapy,
    summary_sentence,
)
from cytotrial.clinical.tables.subsequent_therapy import display_table as table3_display
from cytotrial.errors import InputError

LAYOUT = REPO / "resources" / "ae_table_rows.yaml"
CUTOFF = pd.Timestamp("2020-10-01")
DRUGS = (
    "thalidomide",
    "lenalidomide",
    "pomalidomide",
    "bortezomib",
    "carfilzomib",
    "ixazomib",
    "daratumumab",
    "elotuzumab",
    "durvalumab",
)


# --- Table 1 ------------------------------------------------------------------------------


def baseline_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    patients = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c"],
            "sex": ["female", "male", "male"],
            "heavy_chain": ["IgG", "IgA", "light_chain_only"],
            "light_chain": ["kappa", "lambda", "kappa"],
            "part_b_cohort": ["phase2", "none", "phase1"],
            "atra_dose_mg_m2": [45.0, None, 30.0],  # c: phase 1 below the RP2D
            "cytogenetic_risk": ["high", "standard", "not_available"],
            **{
                c: ["yes", "no", "unknown"]
                for c in ("t_4_14", "t_14_16", "t_14_20", "del_17p", "amp_1q", "del_1p", "del_13q")
            },
        }
    )
    base = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "a", "c"],
            "part": ["A", "A", "A", "B", "B"],
            "age_years": [64, 65, 75, 65, 76],
            "who_performance": [0, 1, None, 0, None],
            "plasmacytoma": ["no", "yes", "no", "no", "no"],
            "years_since_first_treatment": [2.04, 5.0, 7.0, 3.1, 8.0],
            "prior_lines": [2, 4, 5, 3, 6],
            "autologous_sct": ["yes", "no", "no", "yes", "no"],
            "allogeneic_sct": ["no", "no", "no", "no", "no"],
            "iss": ["I", "II", "unknown", "I", "unknown"],
            **{d: ["refractory"] * 5 for d in DRUGS},
            "neutrophils_1e9_per_l": [1.5, 2.5, 3.0, 1.0, 2.0],
            "hemoglobin_mmol_per_l": [7.0] * 5,
            "platelets_1e9_per_l": [100, 150, 200, 100, 200],
            "creatinine_umol_per_l": [80] * 5,
            "calcium_corrected_mmol_per_l": [2.4] * 5,
            "ldh_u_per_l": [200] * 5,
            "bm_plasma_cells_pct": [50, None, None, None, None],
        }
    )
    return patients, base


def test_table1_counts_medians_and_unknown_rows():
    patients, base = baseline_inputs()
    cells = {(section, label): c for section, label, c in baseline_cells(patients, base, 45)}
    age = cells[("Age", "Median age, y (range)")]
    assert (age["A"].median, age["A"].low, age["A"].high) == (65, 64, 75)
    assert cells[("Age", "65 to <75, n (%)")]["A"].n == 1
    assert cells[("Age", "≥75, n (%)")]["B1"].n == 1  # part B baseline age of c
    assert cells[("WHO performance score, n (%)", "Unknown")]["A"].n == 1
    assert ("Extramedullary plasmacytomas, n (%)", "Unknown") not in cells  # nobody unknown
    assert ("Type of monoclonal heavy chain, n (%)", "IgD") not in cells
    assert (
        cells[("Prior treatment", "Triple-class refractory (IMiD + PI + CD38 antibody), n (%)")][
            "B2"
        ].n
        == 1
    )
    table = baseline_table(patients, base, 45)
    assert list(table.columns) == [
        "section",
        "characteristic",
        "Part A (n=3)",
        "Part B phase 1 (n=1)",
        "Part B phase 2 (n=1)",
        "Part B at RP2D (n=1)",  # a (phase 2); c was treated at 30 mg/m2
    ]
    row = table.set_index("characteristic")
    assert row.loc["Female", "Part A (n=3)"] == "1 (33.3)"
    assert row.loc["Female", "Part B phase 2 (n=1)"] == "1 (100)"
    assert row.loc["Female", "Part B phase 1 (n=1)"] == "0"
    assert row.loc["Female", "Part B at RP2D (n=1)"] == "1 (100)"
    # the RP2D column reads the part B (entry) rows: a's part B age is 65
    assert row.loc["Median age, y (range)", "Part B at RP2D (n=1)"] == "65 (65-65)"
    assert row.loc["Bone marrow plasma cells in biopsy, %", "Part A (n=3)"] == "50 (50-50) [n=1]"
    assert row.loc["Bone marrow plasma cells in biopsy, %", "Part B phase 1 (n=1)"] == "NA"
    assert row.loc["Time since start first treatment, median years (range)", "Part A (n=3)"] == (
        "5.0 (2.0-7.0)"
    )


def test_table1_needs_a_part_b_row_for_part_b_patients():
    patients, base = baseline_inputs()
    with pytest.raises(InputError, match="no part B row for phase1 patient"):
        baseline_table(patients, base[~((base.patient_id == "c") & (base.part == "B"))], 45)


# --- Table 2 ------------------------------------------------------------------------------


def ae(*rows) -> pd.DataFrame:
    table = pd.DataFrame(
        rows, columns=["patient_id", "part", "term", "grade", "onset_date", "detail"]
    )
    table["onset_date"] = pd.to_datetime(table["onset_date"])
    return table


NO_CARE = pd.DataFrame(
    {"patient_id": [], "part": [], "support": [], "start_date": pd.to_datetime([])}
)


def test_worst_grade_per_patient_and_row():
    events = ae(
        ("p1", "A", "Anemia", 2, "2017-01-01", None),
        ("p1", "A", "Anemia", 3, "2017-02-01", None),  # p1 counts once, in grade 3-4
        ("p2", "A", "Anemia", 2, "2017-01-01", None),
        ("p2", "A", "Anemia", 2, "2017-03-01", None),  # twice grade 2: once
        ("p3", "A", "Anemia", 1, "2017-01-01", None),  # grade 1: in neither column
        ("p4", "A", "Anemia", 4, "2021-01-01", None),  # after the cut-off: ignored
        ("p5", "B", "Anemia", 3, "2017-01-01", None),  # part B but not at the RP2D
        ("p1", "B", "Anemia", 2, "2017-05-01", None),  # part B counts apart from part A
        ("p1", "A", "Headache", 5, "2017-06-01", None),
        ("p2", "A", "Dry skin", 2, "2017-06-01", None),  # not a Table 2 term
    )
    pops = {"A": ["p1", "p2", "p3", "p4"], "B": ["p1", "p2"]}
    table = adverse_event_table(events, NO_CARE, pops, read_layout(LAYOUT), CUTOFF)
    counts = table.counts.set_index(["row", "part"])
    assert counts.loc[("Anemia", "A"), ["grade_2", "grade_3_4", "grade_5"]].tolist() == [1, 1, 0]
    assert counts.loc[("Anemia", "B"), ["grade_2", "grade_3_4"]].tolist() == [1, 0]
    assert counts.loc[("Headache", "A"), "grade_5"] == 1
    assert table.unmapped_terms.term.tolist() == ["Dry skin"]
    shown = display_table(table, {"A": "Part A", "B": "Part B"}).set_index("adverse event")
    assert shown.loc["Anemia", "Part A (n=4) Grade 2 n (%)"] == "1 (25)"
    assert shown.loc["Anemia", "Part B (n=2) Grade 3-4 n (%)"] == "–"
    assert "Part A (n=4) Grade 5 n (%)" in shown.columns  # shown only because of the grade 5


def test_two_terms_of_one_row_count_the_patient_once(tmp_path):
    layout = tmp_path / "rows.yaml"
    layout.write_text(
        "terms:\n  Lung infection: Pneumonia\n  Pneumonia: Pneumonia\n"
        "rows:\n  - {row: Pneumonia, section: Infections}\n"
    )
    events = ae(
        ("p1", "A", "Lung infection", 2, "2017-01-01", None),
        ("p1", "A", "Pneumonia", 3, "2017-02-01", None),
    )
    table = adverse_event_table(events, NO_CARE, {"A": ["p1"]}, read_layout(layout), CUTOFF)
    assert table.counts[["grade_2", "grade_3_4"]].iloc[0].tolist() == [0, 1]
    assert display_table(table, {"A": "A"}).columns.tolist() == [
        "section",
        "adverse event",
        "A (n=1) Grade 2 n (%)",
        "A (n=1) Grade 3-4 n (%)",
    ]


OTHER = "Infections and infestations - Other, specify"


def test_footnotes_support_any_grade_and_details():
    events = ae(
        ("p1", "A", "Infusion related reaction", 1, "2017-01-01", None),
        ("p2", "A", "Infusion related reaction", 2, "2017-01-01", None),
        ("p1", "A", OTHER, 2, "2017-01-01", "eye infection"),
        ("p2", "A", OTHER, 3, "2017-01-01", "tooth infection"),
    )
    care = pd.DataFrame(
        {
            "patient_id": ["p1", "p1", "p2", "p3"],
            "part": ["A", "A", "A", "B"],
            "support": ["gcsf", "gcsf", "platelet_transfusion", "gcsf"],
            "start_date": pd.to_datetime(["2017-01-01", "2017-02-01", "2017-01-01", "2017-01-01"]),
        }
    )
    pops = {"A": ["p1", "p2"], "B": ["p1"]}  # p3 is not at the RP2D
    table = adverse_event_table(events, care, pops, read_layout(LAYOUT), CUTOFF)
    notes = table.footnotes[table.footnotes.key != "Other"].set_index(["key", "part"])
    assert notes.loc[("gcsf", "A"), "n"] == 1  # two episodes, one patient
    assert notes.loc[("gcsf", "B"), "n"] == 0
    assert notes.loc[("platelet_transfusion", "A"), "text"] == "n = 1 (50%)"
    assert notes.loc[("Infusion-related reaction", "A"), "n"] == 2  # any grade, grade 1 too
    other = table.footnotes[table.footnotes.key == "Other"].set_index("footnote")["text"]
    assert other["Other, grade 2"] == "eye infection (n = 1)"
    assert other["Other, grade 3-4"] == "tooth infection (n = 1)"
    wide = footnote_table(table, {"A": "Part A", "B": "Part B"})
    assert list(wide.columns) == ["footnote", "Part A", "Part B"]


def test_layout_matches_the_simulator_mapping_and_is_checked(tmp_path):
    from cytotrial.simulate.clinical.trial import TABLE2_ROWS  # tests may import the simulator

    layout = read_layout(LAYOUT)
    assert layout.terms == TABLE2_ROWS
    assert layout.row_names == list(dict.fromkeys(TABLE2_ROWS.values()))
    bad = tmp_path / "bad.yaml"
    bad.write_text("terms: {Anemia: Anaemia}\nrows: [{row: Anemia}]\n")
    with pytest.raises(InputError, match="not listed under 'rows'"):
        read_layout(bad)


# --- Table 3 ------------------------------------------------------------------------------


def test_table3_first_line_grouped_by_class_with_later_lines():
    therapies = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "a", "z", "d"],
            "line": [1, 1, 1, 2, 1, 1],
            "regimen": ["Pom-dex", "Iberdomide", "Pom-dex", "Teclistamab", "Pom-dex", "Kd"],
            "regimen_class": [
                "IMiD-based",
                "CELMoD-based",
                "IMiD-based",
                "bispecific antibody",
                "IMiD-based",
                "PI-based",
            ],
            "start_date": pd.to_datetime(
                ["2018-01-01", "2018-01-01", "2018-01-01", "2019-01-01", "2018-01-01", "2021-01-01"]
            ),
        }
    )
    dates = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d", "e"],
            "part_b_end_of_treatment": pd.to_datetime(
                ["2017-12-01", "2017-12-01", "2017-12-01", "2020-12-01", None]
            ),
        }
    )
    result = subsequent_therapy(therapies, dates, ["a", "b", "c", "d", "e"], CUTOFF)
    assert result.treated == 3 and result.discontinued == 3  # z not RP2D; d after cut-off
    assert result.first_line.regimen_class.tolist() == ["IMiD-based", "CELMoD-based"]
    shown = table3_display(result)
    header = shown.columns[-1]
    assert header.endswith("(n = 3)")
    assert shown.set_index("regimen").loc["Pom-dex", header] == "2 (67)"
    assert shown.iloc[-1]["regimen"] == "bispecific antibody"
    assert summary_sentence(result).startswith("3 of the 3")
    # abbreviations name no drug: listed, not counted as IMiD-free regimens
    across = shown[shown["regimen class"].str.startswith("Across classes")]
    assert across[header].tolist()[:2] == ["0 (0)", "0 (0)"]
    assert across["regimen"].iloc[-1].endswith("no drug name recognised in Pom-dex")


def test_table3_cross_class_counts_read_the_regimens_drugs():
    regimens = {
        "Pomalidomide-dexamethasone": "IMiD-based",
        "Elotuzumab-pomalidomide-dexamethasone": "IMiD + monoclonal antibody",
        "Lenalidomide + bortezomib ± dexamethasone": "PI-based",  # has a PI: not counted
        "Iberdomide ± dexamethasone": "CELMoD-based",  # a CELMoD, not an IMiD
        "lenalidomide/cyclophosphamide/prednisone": "IMiD-based",
    }
    therapies = pd.DataFrame(
        {
            "patient_id": list("abcde"),
            "line": [1] * 5,
            "regimen": list(regimens),
            "regimen_class": list(regimens.values()),
            "start_date": pd.to_datetime(["2018-01-01"] * 5),
        }
    )
    dates = pd.DataFrame(
        {"patient_id": list("abcde"), "part_b_end_of_treatment": pd.to_datetime(["2017-12-01"] * 5)}
    )
    result = subsequent_therapy(therapies, dates, list("abcde"), CUTOFF)
    rows, unrecognised = derived_counts(result)
    assert rows == [
        ("IMiD-containing regimen without a PI", 3),
        ("Pomalidomide-containing regimen", 2),
    ]
    assert unrecognised == []


def test_table3_empty():
    empty = pd.DataFrame(columns=["patient_id", "line", "regimen", "regimen_class", "start_date"])
    dates = pd.DataFrame({"patient_id": ["a"], "part_b_end_of_treatment": [pd.NaT]})
    result = subsequent_therapy(empty, dates, ["a"], CUTOFF)
    assert result.treated == 0 and table3_display(result).empty
    assert "No RP2D patient" in summary_sentence(result)


# --- dose escalation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("evaluable", "dlts", "top", "words"),
    [
        (3, 0, False, "escalate"),
        (3, 1, False, "expand to 6"),
        (6, 1, False, "1 DLT in 6: escalate"),
        (3, 2, False, "MTD exceeded"),
        (6, 2, True, "MTD exceeded"),
        (6, 0, True, "MTD not reached"),
        (3, 0, True, "expand to 6 to confirm"),
        (2, 0, False, "incomplete"),
        (0, 0, False, "not opened"),
    ],
)
def test_three_plus_three_rules(evaluable, dlts, top, words):
    assert words in three_plus_three(evaluable, dlts, top)


def test_dose_escalation_table_and_mtd():
    patients = pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(9)],
            "part_b_cohort": ["phase1"] * 9,
            "atra_dose_mg_m2": [15.0] * 3 + [30.0] * 6,
            "dlt_evaluable": ["yes"] * 8 + ["no"],
            "dlt_description": [None] * 3
            + ["Headache grade 3", "Rash grade 3", None, None, None, None],
        }
    )
    table = dose_escalation_table(patients, [15, 30, 45], rp2d=15)
    assert table["enrolled"].tolist() == [3, 6, 0]
    assert table["DLT-evaluable"].tolist() == [3, 5, 0]
    assert table["with DLT"].tolist() == [0, 2, 0]
    assert "MTD exceeded" in table["decision"].iloc[1]
    assert table["decision"].iloc[2] == "not opened"
    assert table["RP2D"].tolist() == ["yes", "", ""]
    assert "below the lowest level" in mtd_text(table)  # 15 had only 3 evaluable
