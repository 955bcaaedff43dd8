"""No code name reaches a reader of the report (issue 18 item 1): the demo-like report's
visible text shows populations, value columns, patient-flow boxes, IMWG reasons and
flags in words; the codes stay in the CSV downloads and the configuration as run.

tests/data/report_demo_like holds rows of a finished demo run's result files (seed 2094:
five paired tests per kind, six samples' populations, QC and cohort-QC flags, the whole
patient flow, the IMWG assessments with a reason code), as the report rule reads them.
"""

from __future__ import annotations

import base64
import re

import pandas as pd
from helpers.paths import REPO
from helpers.reader_text import code_names_in_reader_text, reader_text
from helpers.report_config import default_config
from helpers.report_layout_checks import visible_code_names
from PIL import Image

from cytotrial.clinical.settings import ClinicalSettings
from cytotrial.flow.cohort import qc
from cytotrial.flow.sample.status import split_flags
from cytotrial.io.results import read_tsv
from cytotrial.report.clinical_sections import clinical_sections
from cytotrial.report.flow_sections import FIGURES, _flow_section, _gating_sections
from cytotrial.report.labels import (
    flag_text,
    imwg_reasons,
    population_label,
    prose,
    shown_rows,
)
from cytotrial.report.methods import methods_section
from cytotrial.report.render import render_report
from cytotrial.report.settings import RunSettings

DATA = REPO / "tests" / "data" / "report_demo_like"


def _table(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, sep="\t", dtype=str, keep_default_na=False)


def known_codes() -> set[str]:
    """The code names of the kinds the report must translate, read from the result files:
    populations, the tests' value columns and every column they show, patient-flow boxes,
    IMWG reason codes and QC flag names."""
    populations = _table("populations.tsv")
    tests = pd.concat([_table("cd38_mfi_tests.tsv"), _table("cell_count_tests.tsv")])
    flow = _table("patient_flow.tsv")
    reasons = _table("imwg_assessments.tsv")["reasons"].str.split(";").explode()
    flags = {
        flag.split("(")[0]
        for column in ("status_reason", "gate_flags", "qc_flags", "cohort_flags")
        for cell in populations[column]
        for flag in split_flags(cell)
    }
    codes = set(populations["population"]) | set(tests["value"]) | set(tests.columns)
    codes |= set(populations.columns) | set(flow["box"]) | set(reasons) | flags
    return {code for code in codes if "_" in code or ":" in code}


def demo_like_page(tmp_path) -> str:
    """The clinical, flow, gating-QC and methods sections made from the demo-like result files by
    the report's own builders, rendered on one page."""
    png = tmp_path / "figure.png"
    Image.new("RGB", (4, 4), "white").save(png)
    clinical = {
        "clinical_patient_flow": DATA / "patient_flow.tsv",
        "clinical_imwg_assessments": DATA / "imwg_assessments.tsv",
        "clinical_imwg_best": DATA / "imwg_best_response.tsv",
        "clinical_imwg_concordance": DATA / "response_concordance.tsv",
        "clinical_imwg_concordance_summary": DATA / "response_concordance_summary.tsv",
    }
    flow = {
        "mfi_tests": DATA / "cd38_mfi_tests.tsv",
        "count_tests": DATA / "cell_count_tests.tsv",
        "sensitivity_tests": DATA / "sensitivity_tests.tsv",
        "flow_populations": DATA / "populations.tsv",
    }
    qc = read_tsv(DATA / "sample_qc.tsv")
    sections = clinical_sections(clinical, ClinicalSettings())
    sections.append(_flow_section(flow, dict.fromkeys(FIGURES, png), qc))
    sections += _gating_sections(
        qc,
        {},
        "none",
        read_tsv(DATA / "cohort_qc.tsv"),
        read_tsv(DATA / "populations.tsv"),
        read_tsv(DATA / "review_decisions.tsv"),
    )
    config = default_config()
    sections.append(methods_section(RunSettings.from_config(config)))
    out = tmp_path / "report.html"
    render_report(sections, config, out)
    return out.read_text()


def test_the_demo_like_report_shows_no_code_name(tmp_path):
    codes = known_codes()
    assert {
        "b_cells",
        "cd38_mfi_median_compensated_untransformed",
        "not_part_b:ineligible",
    } <= codes
    assert {"no_clonality_for_scr", "unstable_flow_rate", "status_reason", "n_pairs"} <= codes
    page = demo_like_page(tmp_path)
    assert visible_code_names(page, codes) == []
    # ... while the downloads keep them (scripts read them).
    uri = re.search(r'download="cd38_mfi_tests.csv" href="data:text/csv;base64,([^"]+)"', page)
    csv = base64.b64decode(uri.group(1)).decode()
    assert "b_cells" in csv and "cd38_mfi_median_compensated_untransformed" in csv


def test_each_kind_of_value_has_its_words():
    assert population_label("activated_nk") == "Activated NK (CD16+CD56dim)"
    assert population_label("plasmablasts_cd38") == "Plasmablasts CD38"  # not listed: words
    assert imwg_reasons("no_clonality_for_scr") == "No marrow clonality result for sCR (sCR → CR)"
    assert imwg_reasons("flc_missing;urine_missing") == (
        "FLC not measured (NE); URINE not measured (NE)"
    )
    assert imwg_reasons("sample lost in transit") == "sample lost in transit"  # free text
    assert flag_text("PT030_A_C1D1 (flagged: unstable_flow_rate(30.0% of events))") == (
        "PT030_A_C1D1 (flagged: unstable flow rate (30.0% of events))"
    )
    assert flag_text("few_events(CD16; CD56 cut set on nk_cells);cluster_not_converged") == (
        "few events (CD16; CD56 cut set on NK cells); clustering not converged"
    )
    # a cohort-QC flag reads as words: which gate, what was compared, against which group
    assert flag_text(
        "cohort_outlier(cut viable Viability vs cohort all samples: 0.5145, median 0.49, "
        "range 0.3-0.6, z 4.20);cohort_outlier(% of parent t_cells vs batch B2016-12: 30.03, "
        "median 78.27, range 30.03-92.56, z -5.79)"
    ) == (
        "cohort outlier (Viability cut of Viable at 0.5145 (display units); all samples: "
        "median 0.49, range 0.3-0.6, z 4.20); cohort outlier (T cells at 30.03% of parent; "
        "batch B2016-12: median 78.27, range 30.03-92.56, z -5.79)"
    )
    assert flag_text("cohort_jump(% of parent nk_cells: C1D1 5% -> C1D3 60%: 12-fold)") == (
        "timepoint jump (NK cells % of parent: C1D1 5% -> C1D3 60%: 12-fold)"
    )
    columns = ["sample_id", "population", "value", "test", "note"]
    rows = [["PT001_A_C1D1", "nk_cells", "cells_per_ul", "prism", "b_cells kept"]]
    assert shown_rows(columns, rows, keep=0) == [
        [
            "PT001_A_C1D1",
            "NK cells",
            "cells/µL",
            "Wilcoxon matched-pairs (as GraphPad Prism)",
            "b_cells kept",  # a column without a mapping is shown as written
        ]
    ]


def test_a_config_key_in_backticks_is_code_font_and_the_rest_is_escaped():
    shown = str(prose("set `flow.statistics.include_flagged` in the config <b> +- 1.96 SE"))
    assert shown == (
        "set <code>flow.statistics.include_flagged</code> in the config &lt;b&gt; ± 1.96 SE"
    )
    assert str(prose("a `free text; not a key` stays")) == "a `free text; not a key` stays"


def test_no_config_key_in_reader_facing_text(tmp_path):
    """Captions, notes and callouts say in words what to change; config keys and package
    paths stay in Methods, Provenance and the configuration as run."""
    page = demo_like_page(tmp_path)
    assert code_names_in_reader_text(page) == []
    assert not re.search(r"\w x \w", reader_text(page)), "a product is written ×, not x"
    # the check sees a key wherever a reader would, and not where keys belong
    caught = (
        "<p>unless flow.statistics.include_flagged is set (file x.html, section gating qc)"
        "; CI method spss; simulate/flow/scenarios</p>"
    )
    assert len(code_names_in_reader_text(caught)) == 4
    kept = '<section id="methods"><p>flow.review</p></section><pre class="config">flow.x</pre>'
    assert code_names_in_reader_text(kept + "<p>cohort_qc.tsv, cytotrial_report.html</p>") == []
    assert "flow.review" not in reader_text(kept)


def test_cohort_qc_flags_as_the_cohort_qc_writes_them_read_as_words():
    """The report parses the cohort QC's flag text back (io.names): the text is taken from
    flow.cohort.qc itself, so a change of its wording fails here, not silently in a report
    that shows 'cut T cells CD3 vs batch ...' to the reader."""
    row = {
        "gate": "t_cells",
        "marker": "CD3",
        "group": "batch",
        "group_id": "B2017-02",
        "value": 1.234,
        "group_median": 2.5,
        "group_min": 2.1,
        "group_max": 2.9,
        "z": -4.5,
        "note": "C1D1 2.5 -> C1D3 1.2",
    }
    expected = {
        ("cut", qc.OUTLIER): "cohort outlier (CD3 cut of T cells at 1.234 (display units); "
        "batch B2017-02: median 2.5, range 2.1-2.9, z -4.50)",
        ("pct", qc.OUTLIER): "cohort outlier (T cells at 1.234% of parent; "
        "batch B2017-02: median 2.5, range 2.1-2.9, z -4.50)",
        ("cut", qc.JUMP): "timepoint jump (CD3 cut of T cells: C1D1 2.5 -> C1D3 1.2)",
        ("pct", qc.JUMP): "timepoint jump (T cells % of parent: C1D1 2.5 -> C1D3 1.2)",
    }
    for (kind, flag), words in expected.items():
        assert flag_text(qc.cohort_flag_text({**row, "kind": kind, "flag": flag})) == words
