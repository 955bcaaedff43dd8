"""Table 1 on the page: section labels once (group rows), one format per row, a dash with
a note for a column without values; the download unchanged."""

from __future__ import annotations

import pandas as pd
from helpers.report_config import default_config

from cytotrial.report.model import ReportSection, ReportTable
from cytotrial.report.render import render_report
from cytotrial.report.table1_display import (
    MISSING,
    SECTION,
    missing_note,
    same_decimals,
    table1_shown,
)


def table1() -> pd.DataFrame:
    return pd.DataFrame(
        {
            SECTION: ["Sex, n (%)", "Sex, n (%)", "Labs, median (range)", "Labs, median (range)"],
            "characteristic": ["Female", "Male", "Platelets", "Marrow plasma cells, %"],
            "Part A (n=63)": ["24 (38.1)", "39 (61.9)", "168 (34-479)", "50 (0-100) [n=39]"],
            "Part B (n=44)": ["20 (45.5)", "24 (54.5)", "176.5 (32-600)", "NA"],
        }
    )


def test_medians_of_a_row_share_their_decimals_and_counts_are_left_alone():
    assert same_decimals(["168 (34-479)", "176.5 (32-600)"]) == ["168.0 (34-479)", "176.5 (32-600)"]
    assert same_decimals(["7.0 (4.8-8.9)", "7.1 (5.0-8.4)"]) == ["7.0 (4.8-8.9)", "7.1 (5.0-8.4)"]
    assert same_decimals(["24 (38.1)", "5 (35.7)", "0"]) == ["24 (38.1)", "5 (35.7)", "0"]
    assert same_decimals(["50 (0-100) [n=39]", "NA", "0.5 (0-1)"]) == [
        "50.0 (0-100) [n=39]",
        "NA",
        "0.5 (0-1)",
    ]


def test_na_becomes_a_dash_with_a_note_naming_row_and_columns():
    shown = table1_shown(table1())
    assert shown.iloc[3]["Part B (n=44)"] == MISSING
    assert shown.iloc[2]["Part A (n=63)"] == "168.0 (34-479)"
    note = missing_note(table1())
    assert note.startswith(MISSING) and "Marrow plasma cells, %: Part B (n=44)" in note
    assert missing_note(table1().iloc[:3]) == ""


def test_section_labels_print_once_as_group_rows_and_the_download_keeps_the_column(tmp_path):
    frame = table1()
    table = ReportTable("Table 1", frame, "table1.csv", shown=table1_shown(frame))
    table.group_column = SECTION
    assert table.columns == ["characteristic", "Part A (n=63)", "Part B (n=44)"]
    assert table.group_labels == ["Sex, n (%)", "", "Labs, median (range)", ""]
    out = tmp_path / "report.html"
    render_report([ReportSection("Baseline", "b", tables=[table])], default_config(), out)
    html = out.read_text()
    body = html[html.index("<tbody>", html.index('id="b"')) :]
    assert body.count("Sex, n (%)") == 1 and body.count('class="group-row"') == 2
    assert '<th colspan="3" scope="rowgroup">Sex, n (%)</th>' in body
    assert "section" in table.frame.columns  # the CSV download keeps the section column


def test_table2_groups_print_once_and_an_ungrouped_row_gets_its_own_group(tmp_path):
    """Table 2 as Table 1: 'Hematologic' once as a group row, and a row without a group
    ('Infusion-related reaction') under a group row of its own, not under the group above."""
    from cytotrial.clinical.settings import ClinicalSettings
    from cytotrial.report.clinical_sections import OTHER_EVENTS, clinical_sections

    frame = pd.DataFrame(
        {
            SECTION: ["Hematologic", "Hematologic", "", "Infections", ""],
            "adverse event": ["Anemia", "Neutropenia", "Infusion-related", "Pneumonia", "Fever"],
            "Part A (n=63) Grade 2 n (%)": ["11 (17)", "13 (21)", "12 (19)", "3 (5)", "1 (2)"],
        }
    )
    table2 = tmp_path / "table2.tsv"
    frame.to_csv(table2, sep="\t", index=False)
    sections = clinical_sections({"clinical_table2": table2}, ClinicalSettings())
    table = next(t for s in sections for t in s.tables if t.title.startswith("Table 2."))
    assert table.columns == ["adverse event", "Part A (n=63) Grade 2 n (%)"]
    assert table.group_labels == ["Hematologic", "", OTHER_EVENTS, "Infections", OTHER_EVENTS]
    assert table.frame[SECTION].fillna("").tolist()[2] == ""  # the download as the file
    out = tmp_path / "report.html"
    render_report([ReportSection("Safety", "s", tables=[table])], default_config(), out)
    body = out.read_text().split('id="s"')[1]
    assert body.count(">Hematologic<") == 1 and body.count('class="group-row"') == 4
