"""The clinical sections made from the demo's clinical results (the job functions, as
the workflow runs them) state every table's and figure's n, counted from the result files
they show (issue 18, item 3)."""

from __future__ import annotations

import pandas as pd
from helpers.report_layout_checks import captions_without_n, visible_ascii_symbols
from helpers.result_paths import CLINICAL_REPORT_PATHS as REPORT_INPUTS

from cytotrial.clinical.settings import ClinicalSettings
from cytotrial.report.clinical_sections import clinical_sections
from cytotrial.report.render import render_report


def test_demo_clinical_sections_state_n_from_the_data(clinical_demo, tmp_path):
    """Every table and figure has its n, and the n's are the counts of the result files
    they show (never a number written in)."""
    root = clinical_demo
    inputs = {k: root / p for k, p in REPORT_INPUTS.items()}
    sections = clinical_sections(inputs, ClinicalSettings())
    out = tmp_path / "report.html"
    render_report(sections, {}, out)
    page = out.read_text()
    assert captions_without_n(page) == []
    assert visible_ascii_symbols(page) == []
    endpoints = pd.read_csv(root / REPORT_INPUTS["clinical_endpoints"], sep="\t")
    pfs_b = endpoints[endpoints["endpoint"] == "PFS-B"]
    flow = pd.read_csv(root / REPORT_INPUTS["clinical_patient_flow"], sep="\t")
    box = flow.set_index("box")["n"]
    figures = {f.title.split(".")[0]: f.n for s in sections for f in s.figures}
    assert figures["Figure 2B"].startswith(
        f"n = {len(pfs_b)} patients (part B at the RP2D, the efficacy population: of the "
        f"{box['part_a']} enrolled, {box['part_b']} entered part B, "
        f"{box['part_b'] - box['rp2d']} of them at a lower phase 1 dose)"
    )
    assert f"{int(pfs_b['event'].sum())} events" in figures["Figure 2B"]
    assert figures["Figure 1"] == f"n = {box['part_a']} patients enrolled (the whole cohort)"
    tables = {t.title: t.n for s in sections for t in s.tables}
    dose = pd.read_csv(root / REPORT_INPUTS["clinical_dose_escalation"], sep="\t")
    assert tables["Part B phase 1: dose escalation (3+3)"].startswith(
        f"n = {dose['enrolled'].sum()} patients (part B phase 1"
    )
