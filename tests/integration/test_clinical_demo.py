"""The clinical jobs on the simulated demo trial reproduce the paper's counts and medians.

The demo is simulated with the workflow's own seed (config/config.yaml, demo: seed:), written
to CSV, and run through the same job functions the Snakemake scripts call; the written result
TSVs are compared with tests/helpers/paper_table1.py (an independent transcription of the paper).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from helpers import paper_table1 as paper
from helpers.clinical_demo import CLINICAL, CONFIG, read_result_table
from helpers.result_paths import CLINICAL_REPORT_PATHS as REPORT_INPUTS

from cytotrial.clinical.settings import ClinicalSettings
from cytotrial.report.clinical_sections import clinical_sections
from cytotrial.report.render import render_report


def result(root: Path, key: str) -> pd.DataFrame:
    return read_result_table(root / REPORT_INPUTS[key])


def count(cell: str) -> int:
    """'20 (31.7)' -> 20, '0' -> 0, '–' -> 0."""
    return 0 if cell in ("–", "-") else int(cell.split(" ")[0])


# paper row label -> (section, this table's label)
TABLE1_ROWS = {
    "<65, n (%)": ("Age", "<65, n (%)"),
    "65 to <75, n (%)": ("Age", "65 to <75, n (%)"),
    "≥75, n (%)": ("Age", "≥75, n (%)"),
    "Female": ("Sex, n (%)", "Female"),
    "Male": ("Sex, n (%)", "Male"),
    "0": ("WHO performance score, n (%)", "0"),
    "1": ("WHO performance score, n (%)", "1"),
    "2": ("WHO performance score, n (%)", "2"),
    "WHO performance score, n (%) / Unknown": ("WHO performance score, n (%)", "Unknown"),
    "No": ("Extramedullary plasmacytomas, n (%)", "No"),
    "Yes": ("Extramedullary plasmacytomas, n (%)", "Yes"),
    "IgG": ("Type of monoclonal heavy chain, n (%)", "IgG"),
    "IgA": ("Type of monoclonal heavy chain, n (%)", "IgA"),
    "Light chain only": ("Type of monoclonal heavy chain, n (%)", "Light chain only"),
    "Bence-Jones": ("Type of monoclonal heavy chain, n (%)", "Bence-Jones"),
    "Kappa": ("Type of light chain, n (%)", "Kappa"),
    "Lambda": ("Type of light chain, n (%)", "Lambda"),
    ">3 prior lines, n (%)": ("Prior treatment", ">3 prior lines, n (%)"),
    "Autologous SCT, n (%)": ("Prior treatment", "Autologous SCT, n (%)"),
    "Allogeneic SCT, n (%)": ("Prior treatment", "Allogeneic SCT, n (%)"),
    "Double-class refractory, n (%)*": (
        "Prior treatment",
        "Double-class refractory (IMiD + PI), n (%)",
    ),
    "Triple-class refractory, n (%)†": (
        "Prior treatment",
        "Triple-class refractory (IMiD + PI + CD38 antibody), n (%)",
    ),
    "I": ("ISS at registration, n (%)", "I"),
    "II": ("ISS at registration, n (%)", "II"),
    "III": ("ISS at registration, n (%)", "III"),
    "ISS at registration, n (%) / Unknown": ("ISS at registration, n (%)", "Unknown"),
    **{
        k: ("Cytogenetic abnormalities, n (%)", k)
        for k in ("t(4;14)", "t(14;16)", "t(14;20)", "del(17p)", "amp(1q)", "del(1p)", "del(13q)")
    },
    "High-risk": ("Cytogenetic risk profile, n (%)", "High-risk"),
    "Standard-risk": ("Cytogenetic risk profile, n (%)", "Standard-risk"),
    "Not available": ("Cytogenetic risk profile, n (%)", "Not available"),
}
TABLE1_MEDIAN_ROWS = {
    "Median age, y (range)": "Median age, y (range)",
    "Time since start first treatment, median years (range)": (
        "Time since start first treatment, median years (range)"
    ),
    "Prior lines of treatment, median (range)": "Prior lines of treatment, median (range)",
    "Absolute neutrophil count, ×10 ⁹ /L": "Absolute neutrophil count, ×10⁹/L",
    "Hemoglobin level, mmol/L": "Hemoglobin level, mmol/L",
    "Platelet count, ×10 ⁹ /L": "Platelet count, ×10⁹/L",
    "Creatinine, μmol/L": "Creatinine, µmol/L",
    "Calcium, mmol/L**": "Calcium (corrected for albumin), mmol/L",
    "LDH, U/L": "LDH, U/L",
    "Bone marrow plasma cell percentage in biopsy (median, range) ^{††}": (
        "Bone marrow plasma cells in biopsy, %"
    ),
}


def test_table1_every_count_and_median(clinical_demo):
    t1 = result(clinical_demo, "clinical_table1").set_index(["section", "characteristic"])
    columns = list(t1.columns)[:3]  # the paper's; ours adds the RP2D population
    assert columns == ["Part A (n=63)", "Part B phase 1 (n=14)", "Part B phase 2 (n=36)"]
    rp2d = t1[f"Part B at RP2D (n={paper.RP2D_N})"]
    triple = rp2d.loc[TABLE1_ROWS["Triple-class refractory, n (%)†"]]
    assert count(triple) == paper.TRIPLE_CLASS_REFRACTORY_RP2D
    assert set(TABLE1_ROWS) == set(paper.TABLE1_COUNTS)
    for label, expected in paper.TABLE1_COUNTS.items():
        got = tuple(count(t1.loc[TABLE1_ROWS[label], c]) for c in columns)
        assert got == expected, label
    for drug, expected in paper.TABLE1_DRUGS.items():
        section = t1.xs(f"{drug}, exposed", level="characteristic")[columns]
        exposed = tuple(count(v) for v in section.iloc[0])
        refractory = tuple(
            count(v) for v in t1.xs(f"{drug}, refractory", level="characteristic")[columns].iloc[0]
        )
        assert tuple(zip(exposed, refractory, strict=True)) == expected, drug
    medians = t1.droplevel("section")
    for label, expected in paper.TABLE1_MEDIANS.items():
        for column, want in zip(columns, expected, strict=True):
            cell = medians.loc[TABLE1_MEDIAN_ROWS[label], column]
            if want is None:
                assert cell == "NA", (label, column)
                continue
            got = tuple(float(x) for x in re.findall(r"\d+(?:\.\d+)?", cell)[:3])
            assert got == pytest.approx(want), (label, column)
    bm = medians.loc["Bone marrow plasma cells in biopsy, %", columns[0]]
    assert bm.endswith(f"[n={paper.BONE_MARROW_N}]")


def test_table2_every_count_and_footnote(clinical_demo):
    t2 = result(clinical_demo, "clinical_table2").set_index("adverse event")
    assert list(t2.index) == list(paper.TABLE2)
    cols = [c for c in t2.columns if c != "section"]
    assert cols[0].startswith(f"Part A (n={paper.TABLE2_N['A']})")
    assert cols[2].startswith(f"Part B at RP2D (n={paper.TABLE2_N['B']})")
    for row, expected in paper.TABLE2.items():
        assert tuple(count(t2.loc[row, c]) for c in cols) == expected, row
    notes = result(clinical_demo, "clinical_table2_footnotes").set_index("footnote")

    def n(text: str) -> int:
        return int(re.match(r"n = (\d+)", text).group(1))

    wording = {
        "erythrocyte_transfusion": "Patients requiring erythrocyte transfusions",
        "platelet_transfusion": "Patients requiring platelet transfusion",
        "gcsf": "Patients requiring granulocyte colony-stimulating factor support",
    }
    for support, expected in paper.TABLE2_SUPPORT.items():
        got = (
            n(notes.loc[wording[support], "Part A"]),
            n(notes.loc[wording[support], "Part B at RP2D"]),
        )
        assert got == expected, support
    irr = notes.loc["Any grade infusion-related reaction", "Part A"]
    assert n(irr) == paper.IRR_ANY_GRADE_PART_A
    for part, column in (("A", "Part A"), ("B", "Part B at RP2D")):
        details = []
        for key in ("Other, grade 2", "Other, grade 3-4"):
            text = notes.loc[key, column]
            for item in [] if text == "none" else text.split(", "):
                name, k = re.fullmatch(r"(.+) \(n = (\d+)\)", item).groups()
                details += [name] * int(k)
        assert sorted(details) == sorted(paper.OTHER_INFECTION_DETAILS[part])


def test_table3_first_subsequent_therapy(clinical_demo):
    t3 = result(clinical_demo, "clinical_table3")
    header = t3.columns[-1]
    assert header.endswith("(n = 38)")
    first = t3[
        ~t3["regimen"].str.endswith("regimen (total)")
        & ~t3["regimen class"].str.startswith(("Later", "Across"))
    ]
    across = t3[t3["regimen class"].str.startswith("Across")].set_index("regimen")[header]
    assert across.map(count).to_dict() == paper.TABLE3_ACROSS
    assert {r: count(v) for r, v in zip(first.regimen, first[header], strict=True)} == paper.TABLE3
    totals = t3[t3["regimen"].str.endswith("regimen (total)")]
    got = {c: count(v) for c, v in zip(totals["regimen class"], totals[header], strict=True)}
    assert got == paper.TABLE3_CLASSES
    later = t3[t3["regimen class"].str.startswith("Later")].set_index("regimen")[header]
    assert later.astype(int).to_dict() == {"bispecific antibody": 5, "CAR T-cell": 2}


def test_response_table_and_primary_endpoint(clinical_demo):
    cats = result(clinical_demo, "clinical_response_categories").set_index(
        ["population", "category"]
    )["n"]
    assert cats["A"].sum() == 63 and cats["B_RP2D"].sum() == 44
    assert (cats[("A", "CR")], cats[("A", "VGPR")]) == (3, 9)  # TARGETS.md, part A
    assert cats["A"][["sCR", "CR", "VGPR", "PR"]].sum() == 26
    b = cats["B_RP2D"]
    assert (b["VGPR"], b["MR"], b["SD"], b["PD"] + b["NE"]) == (2, 2, 25, 15)
    rates = result(clinical_demo, "clinical_response_rates").set_index(["population", "rate"])
    assert [
        (rates.loc[("B_RP2D", r), "x"], rates.loc[("B_RP2D", r), "N"])
        for r in ("ORR", "CBR", "DCR")
    ] == [(2, 44), (4, 44), (29, 44)]
    assert rates.loc[("A", "ORR"), "x"] == 26
    primary = result(clinical_demo, "clinical_primary_endpoint").set_index("item")["value"]
    assert primary["Responders / treated (x/n)"] == "2/44"
    assert primary["Verdict"] == "Primary endpoint not met."
    assert "was not met" in primary["Verdict in words"]
    assert "n = 43, reject p0 with >= 4 responders" in primary["Exact single-stage design (A'Hern)"]


def test_all_16_km_medians_within_15_percent_of_the_paper(clinical_demo):
    med = result(clinical_demo, "clinical_survival_medians").set_index(["endpoint", "group"])
    assert (med["method"] == CLINICAL["median_ci"]).all()
    for endpoint, groups in paper.KM_MEDIANS.items():
        for group, target in groups.items():
            got = med.loc[(endpoint, "All" if group == "all" else group), "median"]
            assert got == pytest.approx(target, rel=0.15), (endpoint, group)
    n = med.xs("PFS-B", level="endpoint")["n"]
    assert (n["All"], n[">=PR"] + n["SD/MR"] + n["PD"] + n["NE"]) == (44, 44)


def test_followup_flow_and_dose_escalation(clinical_demo):
    follow = result(clinical_demo, "clinical_survival_followup").set_index(["population", "from"])
    rp2d = follow.loc[("RP2D", "start of part A"), "median_followup_months"]
    assert rp2d == pytest.approx(paper.MEDIAN_FOLLOW_UP, abs=4.0)
    flow = result(clinical_demo, "clinical_patient_flow").set_index("box")["n"]
    assert (flow["part_a"], flow["part_b"], flow["not_part_b"], flow["rp2d"]) == (63, 50, 13, 44)
    assert (flow["phase1"], flow["phase2"]) == (14, 36)
    assert [flow[f"phase1:{d}"] for d in (15, 30, 45)] == [3, 3, 8]
    assert [
        flow[f"not_part_b:{r}"] for r in ("still_in_part_a", "ineligible", "withdrew_consent")
    ] == [3, 8, 2]
    entry = [
        flow[f"part_b_entry:{r}"]
        for r in (
            "pd_in_cycle1",
            "below_mr_after_cycle2",
            "below_pr_after_cycle3",
            "pd_after_response",
        )
    ]
    assert entry == [6, 16, 8, 20]
    assert (flow["rp2d_status:on_treatment"], flow["rp2d_status:discontinued"]) == (2, 42)
    assert flow["discontinued:progression"] == 38
    dose = result(clinical_demo, "clinical_dose_escalation")
    assert dose["enrolled"].tolist() == [paper.PHASE1_DOSES[d] for d in (15, 30, 45)]
    assert dose["DLT-evaluable"].tolist() == [3, 3, 6] and dose["with DLT"].sum() == 0
    assert dose["RP2D"].fillna("").tolist() == ["", "", "yes"]
    assert "MTD not reached" in dose["decision"].iloc[-1]


def test_figures_and_report_sections(clinical_demo, tmp_path):
    for key, path in REPORT_INPUTS.items():
        assert (clinical_demo / path).is_file(), key
        if path.endswith(".png"):
            assert (clinical_demo / path).with_suffix(".svg").is_file(), key
    inputs = {key: clinical_demo / path for key, path in REPORT_INPUTS.items()}
    clinical = ClinicalSettings.from_config(CONFIG["clinical"], CONFIG["cutoff_date"])
    sections = clinical_sections(inputs, clinical)
    assert [s.title for s in sections] == [
        "Patient flow",
        "Baseline characteristics and dose escalation",
        "Efficacy",
        "Response from lab values (IMWG 2016)",
        "Survival",
        "Safety",
        "Subsequent therapy",
    ]
    assert any("100% concordance" in note for note in sections[3].notes)
    survival = sections[4]
    assert len(survival.figures) == 9  # 8 Kaplan-Meier plots and the Cox forest plot
    assert survival.figures[-1].title.startswith("Figure S7. Hazard ratios")
    numbers = [f.title.split(".")[0] for s in sections for f in s.figures]
    assert numbers[:5] == ["Figure 1", "Figure 2A", "Figure S3", "Figure S4", "Figure 2B"]
    assert any("No patients in group NE" in note for note in survival.notes)
    assert any("not met" in note for note in sections[2].notes)
    render_report(sections, CONFIG, tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text()
    assert "Table 2. Adverse events" in html and "Kaplan-Meier medians" in html


def test_report_sections_survive_missing_and_empty_results(tmp_path):
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    inputs = {
        key: (empty if key.endswith(("table1", "table3")) else tmp_path / "missing")
        for key in REPORT_INPUTS
    }
    sections = clinical_sections(inputs, ClinicalSettings())
    assert len(sections) == 7
    notes = " ".join(note for s in sections for note in s.notes)
    assert "nothing to show" in notes and "figure not available" in notes
