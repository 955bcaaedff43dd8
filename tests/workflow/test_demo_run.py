"""The whole workflow on the default demo, as a user runs it after the quick start.

One run of `snakemake --cores 2` with the default config in a clean copy of the
workflow (the session fixture `demo` in conftest.py); the tests then read its outputs:
- the cohort overview and the report exist with the paper's counts;
- nothing identifying from the FCS keywords reached any output or log;
- a second run has nothing to do;
- automated gating agrees with the simulator's ground truth (F1 per population,
  CD38 MFI per sample x population);
- the Wilcoxon tests reproduce every flow finding of the paper (TARGETS.md);
- the QC flags (or fails) every scenario the simulator planted (truth/scenarios.tsv:
  failed and too-small files, a T-cell collapse, an instrument change) and fewer than 2%
  of the good populations.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers.reader_text import code_names_in_reader_text
from helpers.workflow import SNAKEMAKE, run

from cytotrial.flow.gating.template import read_gating_template
from cytotrial.flow.sample.analysis import analyse_sample
from cytotrial.io.panel import read_panel

pytestmark = pytest.mark.slow

# Samples per part x timepoint with a value in the statistics: the paper's (Figure 4). The
# sheet has these plus the simulator's extra failed and too-small files (scenarios.tsv).
PAPER_COUNTS = {
    ("A", "C1D1"): 55,
    ("A", "C2D1"): 51,
    ("B", "C1D1"): 50,
    ("B", "C1D3"): 42,
    ("B", "C2D3"): 36,
    ("B", "EOT"): 33,
}
# Gate -> ground-truth populations (simulator labels) it should hold.
TRUTH_OF_GATE = {
    "monocytes": ("monocyte",),
    "b_cells": ("b_cell",),
    "t_cells": ("t_cell",),
    "nk_cells": ("nk_cd56bright", "nk_cd56dim_cd16pos"),
    "activated_nk": ("nk_cd56dim_cd16pos",),
}
TRUTH_ROW_OF_POPULATION = {
    "monocytes": "monocyte",
    "b_cells": "b_cell",
    "t_cells": "t_cell",
    "nk_cells": "nk_cell",
    "activated_nk": "nk_cd56dim_cd16pos",
}

# TARGETS.md, "Findings the demo cohort must show", transcribed here independently of
# the simulator: (part, before, after, population, expected) with expected "down", "up"
# (significant, P < .05, in that direction) or "ns" (P > .05).
ALL = ("monocytes", "b_cells", "t_cells", "nk_cells", "activated_nk")
CD38_FINDINGS = (
    [("A", "C1D1", "C2D1", p, "down") for p in ("monocytes", "b_cells", "t_cells", "nk_cells")]
    + [("B", "C1D1", "C1D3", p, "up") for p in ALL]
    + [("B", "C1D1", "C2D3", p, "ns") for p in ("b_cells", "t_cells", "nk_cells")]
    + [("B", "C1D1", "EOT", p, "ns") for p in ("b_cells", "t_cells", "nk_cells", "monocytes")]
    + [("B", "C1D3", "C2D3", "monocytes", "down"), ("B", "C1D1", "C2D3", "monocytes", "up")]
)
COUNT_FINDINGS = [
    ("A", "C1D1", "C2D1", "nk_cells", "down"),  # P < .0001 under daratumumab
    ("B", "C1D1", "C1D3", "nk_cells", "down"),  # a little further after ATRA (P = .0176)
    ("A", "C1D1", "C2D1", "activated_nk", "down"),
    ("A", "C1D1", "C2D1", "t_cells", "up"),
    ("A", "C1D1", "C2D1", "b_cells", "ns"),
    ("B", "C1D1", "C1D3", "b_cells", "ns"),
    ("B", "C1D1", "C2D3", "b_cells", "ns"),
    ("B", "C1D1", "C1D3", "monocytes", "down"),  # P = .0002 in the first ATRA cycle
    ("B", "C1D1", "C2D3", "monocytes", "ns"),  # recovered by C2D3
]


def scenarios(demo: Path) -> pd.DataFrame:
    """The simulator's planted scenarios (results/demo/truth/scenarios.tsv)."""
    return pd.read_csv(demo / "results/demo/truth/scenarios.tsv", sep="\t").fillna("")


def extra_files(demo: Path) -> pd.DataFrame:
    """The scenario files beyond the paper's samples: every population affected."""
    table = scenarios(demo)
    return table[table["affected"] == "all"]


def test_overview_has_the_papers_sample_counts(demo):
    table = pd.read_csv(demo / "results/flow/samples_per_timepoint.tsv", sep="\t")
    extra = extra_files(demo).groupby(["part", "timepoint"]).size()
    assert len(extra) and extra.sum() == 4
    expected = {key: n + extra.get(key, 0) for key, n in PAPER_COUNTS.items()}
    assert {(r.part, r.timepoint): r.samples for r in table.itertuples()} == expected
    assert (table["readable_files"] == table["samples"]).all()
    assert (table["median_events"] == 20000).all()
    flow = pd.read_csv(demo / "results/clinical/patient_flow.tsv", sep="\t").set_index("box")["n"]
    assert (flow["part_a"], flow["part_b"], flow["not_part_b"], flow["rp2d"]) == (63, 50, 13, 44)


def test_report_has_every_section_with_numbers(demo):
    html = (demo / "results/report/cytotrial_report.html").read_text()
    for heading in (
        "Cohort overview",
        "Patient flow",
        "Flow cytometry",
        "Gating QC",
        "CD38 MFI: paired comparisons",
        "Provenance",
    ):
        assert heading in html, heading
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) >= 4
    assert "PT001_A_C1D1" in html


def test_reader_facing_text_has_no_config_key(demo):
    """Callouts, captions, notes and cells of both pages say in words what to change: no
    config key or package path outside Methods, Provenance and the configuration."""
    for page in ("cytotrial_report.html", "cytotrial_report_gating.html"):
        html = (demo / "results/report" / page).read_text()
        assert code_names_in_reader_text(html) == [], page


def test_every_sample_was_analysed(demo):
    """Every sample but the planted failed and too-small files is analysed."""
    qc = pd.read_csv(demo / "results/flow/sample_qc.tsv", sep="\t")
    extra = set(extra_files(demo)["sample_id"])
    assert len(qc) == sum(PAPER_COUNTS.values()) + len(extra)
    good = qc[~qc["sample_id"].isin(extra)]
    assert (good["status"] == "ok").all(), good.loc[good["status"] != "ok", ["sample_id", "reason"]]


def searchable_text(path: Path) -> str:
    """A file's text with embedded images removed and CSV downloads decoded; a PDF's
    text as pdftotext extracts it (its compressed streams are bytes, in which a short
    keyword such as 'DOE' turns up by chance)."""
    import base64
    import shutil
    import subprocess

    if path.suffix == ".pdf" and shutil.which("pdftotext"):
        return subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    text = path.read_text(errors="replace")
    csvs = re.findall(r"data:text/csv;base64,([A-Za-z0-9+/=]+)", text)
    text = re.sub(r"data:[a-z/+-]+;base64,[A-Za-z0-9+/=]+", "", text)
    return text + "\n".join(base64.b64decode(c).decode("utf-8", "replace") for c in csvs)


# Keywords that carry a person's identity in real files (the demo fills them with fakes).
IDENTIFYING_KEYWORDS = ("$SRC", "$SMNO", "$OP", "$PROJ", "$INST", "$COM", "PATIENT ID")


def test_no_identifying_keyword_reaches_outputs_or_logs(demo):
    from cytotrial.fcs import read_fcs_text

    values = set()
    for fcs in sorted((demo / "results/demo/fcs").glob("*.fcs"))[:40]:
        keywords = read_fcs_text(fcs)[1]
        values.update(keywords[k] for k in IDENTIFYING_KEYWORDS)
        values.add(keywords["$SRC"].rsplit(" ", 1)[0])  # the name without the birth date
        values.add(keywords["$SRC"].split("^")[0])  # the surname on its own
    assert len(values) > 40, "the demo's FCS files carry fake identifying keywords"
    outputs = [p for p in (demo / "results").rglob("*") if p.is_file() and "demo" not in p.parts]
    outputs += list((demo / "logs").rglob("*.log"))
    # Embedded images (base64) are not text and contain any short string by chance, so
    # they are removed before searching.
    patterns = [re.compile(rf"(?<![\w-]){re.escape(value)}(?![\w-])") for value in values]
    for path in outputs:
        if path.suffix in {".png", ".npy"}:
            continue
        content = searchable_text(path)
        leaked = [p.pattern for p in patterns if p.search(content)]
        assert not leaked, f"{path} contains {leaked}"


def test_second_run_has_nothing_to_do(demo):
    result = run([*SNAKEMAKE, "-n", "--cores", "2"], demo)
    assert "Nothing to be done" in result.stdout + result.stderr


def test_snakemake_report_builds(demo):
    """`snakemake --report` works on the finished run and holds the marked results."""
    import zipfile

    result = run([*SNAKEMAKE, "--report", "report.zip"], demo, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    names = zipfile.ZipFile(demo / "report.zip").namelist()
    assert any(n.endswith("cd38_mfi_part_A.png") for n in names)
    assert any(n.endswith("survival_medians.tsv") for n in names)


def test_gating_agrees_with_ground_truth(demo):
    """Median F1 per population >= 0.95 over all files; MFI within 5% for >= 95%."""
    from cytotrial.simulate.flow.populations import POPULATIONS

    panel = read_panel(demo / "resources/panel.yaml")
    template = read_gating_template(demo / "resources/gating/pbmc_cd38.yaml")
    tidy = pd.read_csv(demo / "results/flow/populations.tsv", sep="\t")
    mfi = tidy.set_index(["sample_id", "population"])["cd38_mfi_median_compensated_untransformed"]
    scores: dict[str, list[float]] = {gate: [] for gate in TRUTH_OF_GATE}
    mfi_ok = []
    failed_acquisitions = set(extra_files(demo)["sample_id"])  # no truth to gate against
    for fcs in sorted((demo / "results/demo/fcs").glob("*.fcs")):
        sample = fcs.stem
        if sample in failed_acquisitions:
            continue
        labels = np.array(POPULATIONS)[np.load(demo / f"results/demo/truth/{sample}.labels.npy")]
        truth = pd.read_csv(demo / f"results/demo/truth/{sample}.truth.tsv", sep="\t")
        truth = truth.set_index("population")["cd38_median_acquired"]
        result = analyse_sample(sample, fcs, panel, template, keep_plot_data=True)
        for gate, populations in TRUTH_OF_GATE.items():
            expected = np.isin(labels, populations)
            mask = result.applied[gate].mask
            scores[gate].append(2 * (mask & expected).sum() / (mask.sum() + expected.sum()))
        for population, row in TRUTH_ROW_OF_POPULATION.items():
            mfi_ok.append(abs(mfi[(sample, population)] / truth[row] - 1) <= 0.05)
    for gate, values in scores.items():
        assert np.median(values) >= 0.95, f"{gate}: median F1 {np.median(values):.3f}"
    assert np.mean(mfi_ok) >= 0.95, f"MFI within 5% of truth for {np.mean(mfi_ok):.1%}"


@pytest.mark.parametrize(
    ("table", "findings"),
    [("cd38_mfi_tests.tsv", CD38_FINDINGS), ("cell_count_tests.tsv", COUNT_FINDINGS)],
)
def test_paired_tests_reproduce_the_papers_findings(demo, table, findings):
    tests = pd.read_csv(demo / f"results/flow/{table}", sep="\t")
    tests = tests.set_index(["part", "before", "after", "population"])
    wrong = []
    for part, before, after, population, expected in findings:
        row = tests.loc[(part, before, after, population)]
        if expected == "ns":
            holds = row.p_value > 0.05
        else:
            direction = np.sign(row.median_after - row.median_before)
            holds = row.p_value < 0.05 and direction == (1 if expected == "up" else -1)
        if not holds:
            wrong.append(
                f"{part} {before}->{after} {population}: expected {expected}, "
                f"P={row.p_value:.3g}, medians {row.median_before:.0f}->"
                f"{row.median_after:.0f}"
            )
    assert not wrong, "\n".join(wrong)


def test_statistics_use_ok_populations_and_count_what_they_left_out(demo):
    """Default config: flagged populations leave the tests; each row counts them, the
    sensitivity table holds each test with them, the report shows it."""
    tidy = pd.read_csv(demo / "results/flow/populations.tsv", sep="\t")
    assert set(tidy["status"]) <= {"ok", "flagged"}
    assert (tidy["status"] == "flagged").eq(tidy["status_reason"].notna()).all()
    sensitivity = pd.read_csv(demo / "results/flow/sensitivity_tests.tsv", sep="\t")
    for table in ("cd38_mfi_tests.tsv", "cell_count_tests.tsv"):
        tests = pd.read_csv(demo / f"results/flow/{table}", sep="\t")
        assert set(tests["populations_used"]) == {"ok only (flagged left out)"}
        for row in tests.itertuples():
            here = tidy[
                (tidy["part"] == row.part)
                & (tidy["population"] == row.population)
                & tidy["timepoint"].isin([row.before, row.after])
            ]
            assert row.left_out_flagged == (here["status"] == "flagged").sum()
            assert row.left_out_failed == 0  # every demo sample is analysed
        merged = tests.merge(sensitivity, on=["value", "part", "population", "before", "after"])
        assert len(merged) == len(tests)
        assert (merged["n_pairs"] == merged["n_pairs_ok"]).all()
        assert (
            (merged["n_pairs_with_flagged"] - merged["n_pairs_ok"])
            .eq(merged["pairs_left_out"])
            .all()
        )
    html = (demo / "results/report/cytotrial_report.html").read_text()
    assert "Sensitivity: paired tests with and without flagged populations" in html


def test_qc_flags_every_planted_scenario_and_under_2_percent_of_good_populations(demo):
    """Against the simulator's truth (scenarios.tsv): every population a scenario affects
    is flagged or failed (per-sample QC, gate flags or cohort QC), the instrument-change
    batch is a cohort-QC batch_shift on a marker whose detector changed, and the cohort QC
    flags fewer than 2% of the good populations (not affected by a scenario, count within
    10% of the truth); every cohort flag reaches the population's status."""
    tidy = pd.read_csv(demo / "results/flow/populations.tsv", sep="\t")
    qc = pd.read_csv(demo / "results/flow/cohort_qc.tsv", sep="\t")
    planted = scenarios(demo)
    assert {"outlier", "ok", "not_assessed"} <= set(qc["flag"])
    flagged = tidy["cohort_flags"].fillna("") != ""
    assert (tidy.loc[flagged, "status"] == "flagged").all()
    assert tidy.loc[flagged, "status_reason"].str.contains("cohort_").all()

    status = tidy.set_index(["sample_id", "population"])["status"]
    affected, missed = set(), []
    for row in planted[planted["affected"] != ""].itertuples():
        populations = ALL if row.affected == "all" else row.affected.split(";")
        for population in populations:
            affected.add((row.sample_id, population))
            if status.get((row.sample_id, population)) not in ("flagged", "failed"):
                missed.append(f"{row.sample_id} {population} ({row.scenario})")
    assert not missed, missed
    assert {"failed_clog", "failed_debris", "too_small", "t_cell_collapse"} <= set(
        planted["scenario"]
    )
    changes = planted[planted["expected"].str.startswith("batch_shift:")]
    assert len(changes)
    shifts = qc[qc["flag"] == "batch_shift"]
    for batch, expected in changes.groupby("batch")["expected"].first().items():
        markers = set(expected.split(":", 1)[1].split(";"))
        seen = set(shifts.loc[shifts["batch"] == batch, "marker"])
        assert seen & markers, f"instrument change of {batch} ({markers}) not seen: {seen}"

    truth = {}
    for path in (demo / "results/demo/truth").glob("*.truth.tsv"):
        table = pd.read_csv(path, sep="\t").set_index("population")["events"]
        truth[path.name.split(".")[0]] = table
    expected = [
        truth[s][TRUTH_ROW_OF_POPULATION[p]]
        for s, p in zip(tidy["sample_id"], tidy["population"], strict=True)
    ]
    good = (tidy["events"] / np.array(expected, float) - 1).abs() <= 0.10
    keys = zip(tidy["sample_id"], tidy["population"], strict=True)
    good &= np.array([key not in affected for key in keys])
    share = (flagged & good).sum() / good.sum()
    print(
        f"cohort QC: {flagged.sum()} of {len(tidy)} populations flagged; "
        f"{(flagged & good).sum()} of {good.sum()} good ones ({share:.2%}); "
        f"{len(shifts)} batch_shift rows in {shifts['batch'].nunique()} batches"
    )
    assert share < 0.02, f"{(flagged & good).sum()} of {good.sum()} good populations flagged"
