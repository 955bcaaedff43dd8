"""The HTML report: self-contained, escaped, tables downloadable as CSV."""

from __future__ import annotations

import base64
import re

import pandas as pd
from helpers.report_config import default_config

from cytotrial.report.model import ReportSection, ReportTable
from cytotrial.report.render import render_report


def test_user_strings_are_escaped_and_csv_downloads_decode(tmp_path):
    hostile = '<script>alert("x")</script>'
    frame = pd.DataFrame({"sample_id": [hostile, "S2"], "events": [10, 20]})
    section = ReportSection("Samples", "samples", tables=[ReportTable("T", frame, "t.csv")])
    out = tmp_path / "report.html"
    render_report([section], {"sample_sheet": hostile}, out)
    html = out.read_text()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    link = re.search(r'href="data:text/csv;base64,([^"]+)"', html)
    assert link, "every table has a CSV download link"
    csv = base64.b64decode(link.group(1)).decode()
    assert csv.splitlines()[0] == "sample_id,events"
    assert "S2,20" in csv


def test_report_points_nowhere_outside_the_file(tmp_path):
    frame = pd.DataFrame({"a": [1]})
    out = tmp_path / "report.html"
    render_report([ReportSection("S", "s", tables=[ReportTable("T", frame, "t.csv")])], {}, out)
    html = out.read_text()
    targets = re.findall(r'(?:href|src)="([^"]+)"', html)
    assert targets
    assert all(t.startswith(("#", "data:")) for t in targets), targets


def test_an_empty_link_cell_is_no_link(tmp_path):
    """A cohort-QC batch_shift row has no sample: its cell must not point at '#plot-'."""
    frame = pd.DataFrame({"sample_id": ["S1", ""], "z": [4.1, 7.0]})
    table = ReportTable("T", frame, "t.csv", "", "sample_id", "plot-")
    out = tmp_path / "report.html"
    render_report([ReportSection("S", "s", tables=[table])], {}, out)
    html = out.read_text()
    assert 'href="#plot-S1"' in html
    assert 'href="#plot-"' not in html


def test_methods_are_written_from_the_config():
    from cytotrial.report.methods import methods_section
    from cytotrial.report.settings import RunSettings

    config = default_config()
    text = " ".join(methods_section(RunSettings.from_config(config)).paragraphs)
    assert "CD38 (APC-A)" in text  # from the panel file
    assert "fewer than 1000 events" in text
    assert "part B C1D1 vs EOT" in text
    assert "SPSS" in text and "planned n = 40" in text
    assert "survival probabilities at 6, 12 and 24 months" in text  # prose, not [6, 12, 24]
    assert "dose levels 15, 30 and 45" in text
    config["clinical"]["median_ci"] = "log-log"
    config["clinical"]["primary_endpoint"]["planned_n"] = 43
    config["flow"]["qc"]["min_events"] = 5000
    config["flow"]["comparisons"] = [{"part": "A", "before": "C1D1", "after": "C2D1"}]
    changed = " ".join(methods_section(RunSettings.from_config(config)).paragraphs)
    assert "log-log scale" in changed and "SPSS" not in changed
    assert "planned n = 43" in changed
    assert "fewer than 5000 events" in changed
    assert "EOT" not in changed


def test_input_checksums_name_fcs_files_by_sample_id_only(tmp_path):
    import hashlib

    from cytotrial.report.provenance import input_checksums

    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample_id\tfcs\nS1\tSmith_John_2019.fcs\n")
    table = input_checksums({"sample sheet": sheet}, [{"sample_id": "S1", "sha256": "ab" * 32}])
    assert table.loc[0, "sha256"] == hashlib.sha256(sheet.read_bytes()).hexdigest()
    assert table.loc[0, "bytes"] == sheet.stat().st_size
    fcs = table.loc[1]
    assert (fcs["input"], fcs["file"], fcs["sha256"]) == (
        "FCS of sample S1",
        "(see sample sheet)",
        "ab" * 32,
    )
    assert pd.isna(fcs["bytes"])
    assert "Smith" not in table.to_csv()


def test_git_commit_of_a_checkout_and_of_a_plain_folder(tmp_path):
    import subprocess

    from cytotrial.report.provenance import git_commit

    assert git_commit(tmp_path).startswith("unknown")
    # A copy made by git archive names the commit git wrote into .git_archival.txt.
    (tmp_path / ".git_archival.txt").write_text("node: $Format:%H$\n")  # unsubstituted
    assert git_commit(tmp_path).startswith("unknown")
    (tmp_path / ".git_archival.txt").write_text("node: " + "a1" * 20 + "\n")
    assert git_commit(tmp_path).startswith("a1" * 20 + " (recorded by git archive")
    (tmp_path / ".git_archival.txt").unlink()

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "Snakefile").write_text("rule all:\n")
    git("add", "Snakefile")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    head = subprocess.run(
        ["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    assert git_commit(tmp_path) == head
    (tmp_path / "Snakefile").write_text("rule all:\n    input: []\n")
    assert git_commit(tmp_path) == f"{head} + local changes"


def test_comparisons_without_pairs_get_a_note_not_an_error():
    from cytotrial.report.flow_sections import untested_comparisons_note

    tests = pd.DataFrame(
        {
            "part": ["B", "B"],
            "before": ["C1D1", "C1D1"],
            "after": ["EOT", "C1D3"],
            "p_value": [float("nan"), 0.01],
            "note": ["no patient has both timepoints", ""],
        }
    )
    (note,) = untested_comparisons_note(tests, "CD38 MFI")
    assert "1 comparison without a test" in note
    assert "part B C1D1 vs EOT (no patient has both timepoints)" in note
    assert untested_comparisons_note(tests.iloc[1:], "CD38 MFI") == []


def qc_table(flagged: set[str], samples: int) -> pd.DataFrame:
    """A sample_qc.tsv-like table: S000, S001, ...; `flagged` ones carry a gate flag."""
    ids = [f"S{i:03d}" for i in range(samples)]
    return pd.DataFrame(
        {
            "sample_id": ids,
            "status": "ok",
            "reason": "",
            "qc_flags": "",
            "gate_flags": ["CD3: single_peak" if s in flagged else "" for s in ids],
        }
    )


def test_auto_embeds_every_plot_up_to_the_limit_then_only_problems():
    from cytotrial.report.flow_sections import AUTO_ALL_PLOTS_MAX, plots_to_embed

    assert plots_to_embed("auto", AUTO_ALL_PLOTS_MAX) == "all"
    assert plots_to_embed("auto", AUTO_ALL_PLOTS_MAX + 1) == "problems"
    for setting in ("all", "problems", "none"):  # an explicit choice is kept at any size
        assert plots_to_embed(setting, 10 * AUTO_ALL_PLOTS_MAX) == setting


def test_gating_sections_embed_the_chosen_plots(tmp_path):
    from cytotrial.report.flow_sections import _gating_sections

    qc = qc_table({"S001", "S003"}, samples=5)
    plots = {s: tmp_path / f"{s}.png" for s in qc["sample_id"]}
    embedded = {}
    for which in ("all", "problems", "none"):
        _, gallery = _gating_sections(qc, plots, which)
        embedded[which] = [figure.anchor for figure in gallery.figures]
    assert embedded["all"] == [f"plot-S00{i}" for i in range(5)]
    assert embedded["problems"] == ["plot-S001", "plot-S003"]
    assert embedded["none"] == []


def test_each_audit_plot_has_its_own_number_and_its_cohort_qc_flags(tmp_path):
    """The plot is drawn before the cohort QC: its caption names what that QC flagged, so
    a plot headed 'sample QC and gate flags: none' never hides a cohort-QC flag."""
    from cytotrial.report.flow_sections import _gating_sections

    qc = qc_table(set(), samples=3)
    plots = {s: tmp_path / f"{s}.png" for s in qc["sample_id"]}
    cohort_qc = pd.DataFrame(
        {
            "sample_id": ["S001", "S001", "S001", "S002", None],
            "gate": ["t_cells", "t_cells", "nk_cells", "b_cells", "viable"],
            "flag": ["outlier", "outlier", "jump", "not_assessed", "batch_shift"],
            "batch": "B1",
            "marker": ["", "", "", "", "CD3"],
        }
    )
    _, gallery = _gating_sections(qc.assign(batch=["B0", "B0", "B1"]), plots, "all", cohort_qc)
    titles = [figure.title for figure in gallery.figures]
    assert titles == [f"Figure S10.{k + 1}. Gating audit plot, S00{k}" for k in range(3)]
    captions = [figure.caption for figure in gallery.figures]
    assert captions[0].endswith("no flags.")
    assert "3 flags (outlier and timepoint jump) on T cells, NK cells;" in captions[1]
    # a batch shift flags no population: the batch's samples' captions still say it
    assert "no flags; its batch B1 has a batch shift (CD3 cut of Viable" in captions[2]
    _, gallery = _gating_sections(qc, plots, "all")  # no cohort QC run: nothing claimed
    assert all(figure.caption == "" for figure in gallery.figures)


def test_survival_tables_show_p_as_text_estimates_with_ci_and_no_empty_groups():
    import pandas as pd

    from cytotrial.report.survival_display import (
        at_times_display,
        empty_groups,
        followup_display,
        hazard_ratio_display,
        logrank_display,
    )

    medians = pd.DataFrame(
        {"endpoint": ["PFS-B"] * 3, "group": ["All", "PD", "NE"], "n": [10, 5, 0]}
    )
    empty = empty_groups(medians)
    assert empty == {("PFS-B", "NE")}
    logrank = pd.DataFrame(
        {
            "endpoint": ["PFS-B", "PFS-B"],
            "group": [">=PR", "NE"],
            "chisq": [33.573327, float("nan")],
            "p_value": [6.86e-9, float("nan")],
            "p_text": ["<.001", "NA"],
        }
    )
    shown = logrank_display(logrank, empty)
    assert list(shown["group"]) == [">=PR"] and "p_value" not in shown
    assert shown.loc[0, "chisq"] == "33.57" and shown.loc[0, "p_text"] == "<.001"
    hr = pd.DataFrame(
        {
            "endpoint": ["PFS-B"],
            "group": [">=PR"],
            "hr": [0.14157],
            "lower": [0.04235],
            "upper": [0.47323],
            "p_value": [0.0015],
            "p_text": [".001"],
        }
    )
    assert list(hazard_ratio_display(hr, empty)["HR (95% CI)"]) == ["0.14 (0.042-0.47)"]
    small = hr.assign(hr=[0.0112], lower=[0.00193], upper=[0.0631])
    assert list(hazard_ratio_display(small, empty)["HR (95% CI)"]) == ["0.011 (0.0019-0.063)"]
    # a column the same on every row (the caption names the method) or empty is not shown
    hr_more = hr.assign(method="Cox PH, Efron ties, Wald CI and P", note="")
    assert {"method", "note"}.isdisjoint(hazard_ratio_display(hr_more, empty).columns)
    named = logrank.assign(comparison=[">=PR vs PD", "NE vs PD"], reference="PD", note="")
    assert list(logrank_display(named, empty).columns) == [
        "endpoint", "chisq", "p_text", "comparison"
    ]  # fmt: skip
    times = pd.DataFrame(
        {
            "endpoint": ["PFS-B", "PFS-B", "PFS-B"],
            "group": ["PD", "PD", "PD"],
            "months": [1.0, 6.0, 12.0],
            "estimable": [True, False, True],
            "n_risk": [3.0, float("nan"), 0.0],
            "surv": [0.4, float("nan"), 0.0],
            "lower": [0.1, float("nan"), float("nan")],
            "upper": [0.7, float("nan"), float("nan")],
        }
    )
    cells = list(at_times_display(times, empty)["S(t), % (95% CI)"])
    assert cells[0] == "40.0 (10.0-70.0)" and cells[1].startswith("not estimable")
    assert cells[2].startswith("0.0 (every patient had the event")
    followup = pd.DataFrame(
        {
            "population": ["RP2D"],
            "from": ["start of part A"],
            "n": [44],
            "deaths": [36],
            "median_followup_months": [42.94045],
            "lower": [42.7762],
            "upper": [float("nan")],
            "method": ["reverse Kaplan-Meier (R survfit, log CI)"],
        }
    )
    shown = followup_display(followup)
    assert list(shown["Median follow-up, months (95% CI)"]) == ["42.9 (42.8-NR)"]
    assert "method" not in shown


def test_a_table_shows_its_readable_columns_and_downloads_every_column():
    import base64

    import pandas as pd

    from cytotrial.report.model import ReportTable

    frame = pd.DataFrame({"hr": [0.14157], "lower": [0.04], "upper": [0.47]})
    shown = pd.DataFrame({"HR (95% CI)": ["0.14 (0.04-0.47)"]})
    table = ReportTable("HR", frame, "hr.csv", shown=shown)
    assert table.columns == ["HR (95% CI)"] and table.rows == [["0.14 (0.04-0.47)"]]
    csv = base64.b64decode(table.csv_data_uri.split(",", 1)[1]).decode()
    assert csv.splitlines()[0] == "hr,lower,upper"


def test_patient_flow_table_names_the_box_a_top_level_split_counts_again():
    """'Reason for part B entry' and the status box count the patients of another box by
    another split: the table says which, instead of a blank parent; the status box has
    the figure's title."""
    from cytotrial.clinical.figures.patient_flow import STATUS_TITLE
    from cytotrial.report.clinical_sections import _flow_boxes_shown

    flow = pd.DataFrame(
        {
            "box": ["part_b", "part_b_entry", "part_b_entry:pd", "rp2d", "rp2d_status"],
            "label": ["Enrolled in part B", "Reason for part B entry", "PD", "RP2D", STATUS_TITLE],
            "n": [5, 5, 5, 4, 4],
            "parent": ["", "", "part_b_entry", "", ""],
            "equals": ["", "part_b", "", "", "rp2d"],
        }
    )
    parents = _flow_boxes_shown(flow)["parent"].tolist()
    assert parents == [
        "",
        "same patients as: Enrolled in part B",
        "Reason for part B entry",
        "",
        "same patients as: RP2D",
    ]
    assert STATUS_TITLE == "Status at data cut-off"
