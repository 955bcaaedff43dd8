"""The review loop in the workflow (issue 16): a review file named in the config reruns
only what its decisions change, and the tables show each decision.

The small trial of test_incremental (its module fixture: 2 patients, 10 FCS files of
20,000 events, analysed once); then
(1) accept + exclude: the aggregate and what follows, no per-sample job, no cohort QC;
(2) + a corrected cut: that one sample's job and the cohort QC too;
then the run: statuses in populations.tsv, the corrected cut in the sample's record, the
decisions in review_decisions.tsv and the report; nothing left to do after it.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from helpers.workflow import SNAKEMAKE, edited, jobs, run, sample_jobs

from cytotrial.flow.cohort.qc import own_flags
from cytotrial.flow.sample.status import split_flags

pytestmark = pytest.mark.slow

REVIEW = "config/gating_review.yaml"
AGGREGATES = ("flow_aggregate", "flow_statistics", "report", "all")


def entry(sample: str, gate: str, decision: str, extra: str = "") -> str:
    return (
        f"- {{sample: {sample}, gate: {gate}, decision: {decision}, reason: seen on the "
        f"audit plot, reviewer: AB, date: 2026-11-30{extra}}}\n"
    )


def use_review(workflow, text: str) -> None:
    (workflow / REVIEW).write_text(text)
    config = workflow / "config/config.yaml"
    config.write_text(config.read_text().replace('review: ""', f"review: {REVIEW}"))


def strict_cohort_qc(trial) -> None:
    """A z-limit just below the trial's largest |z|, so that its cohort QC has a flag to
    accept whatever the simulated values (a small trial may have none at the default
    3.5); the run then settles before the review starts."""
    qc = pd.read_csv(trial.workflow / "results/flow/cohort_qc.tsv", sep="\t")
    largest = float(pd.to_numeric(qc["z"], errors="coerce").abs().max())
    config = trial.workflow / "config/config.yaml"
    text = config.read_text()
    assert text.count('  review: ""\n') == 1
    limit = f"{largest - 0.005:.3f}"
    config.write_text(
        text.replace('  review: ""\n', f'  review: ""\n  cohort_qc: {{z_limit: {limit}}}\n')
    )
    trial.snakemake()


def test_review_decisions_rerun_only_what_they_change(trial):  # noqa: F811
    results = trial.workflow / "results/flow"
    strict_cohort_qc(trial)
    before = pd.read_csv(results / "populations.tsv", sep="\t")
    # accept: the gate of a cohort-QC flag (a reviewer who looked at its plot), and the
    # populations whose only flags are that gate's own: they must turn ok
    flags = own_flags(pd.read_csv(results / "cohort_qc.tsv", sep="\t"))
    assert flags, "the small trial must have a cohort-QC flag to accept"
    (accepted_sample, accepted_gate), own = next(iter(flags.items()))
    mine = before[(before["sample_id"] == accepted_sample) & (before["status"] == "flagged")]
    cleared = [
        p
        for p, why in zip(mine["population"], mine["status_reason"], strict=True)
        if set(split_flags(why)) <= set(own)
    ]
    assert cleared, "a population flagged only by the accepted gate"
    accepted = {"sample_id": accepted_sample, "gate": accepted_gate}
    others = [s for s in trial.sheet["sample_id"] if s != accepted["sample_id"]]
    excluded, corrected = others[0], others[1]
    record = json.loads((results / f"samples/{corrected}.json").read_text())
    placed = next(c["cut"] for c in record["gates"]["t_cells"]["cuts"] if c["marker"] == "CD3")
    cut = round(placed + 0.05, 3)
    accept_exclude = entry(accepted["sample_id"], accepted["gate"], "accept") + entry(
        excluded, "lymphocytes", "exclude"
    )
    use_review(trial.workflow, accept_exclude)
    assert trial.planned_jobs() == jobs(*AGGREGATES)

    (trial.workflow / REVIEW).write_text(
        accept_exclude + entry(corrected, "t_cells", "correct", f", value: {cut}")
    )
    assert trial.planned_jobs() == sample_jobs([corrected]) | jobs("flow_cohort_qc", *AGGREGATES)

    trial.snakemake()
    after = pd.read_csv(results / "populations.tsv", sep="\t")
    row = after.set_index(["sample_id", "population"])
    note = "accepted by AB 2026-11-30: seen on the audit plot"
    for population in cleared:
        mine = row.loc[(accepted_sample, population)]
        assert mine["status"] == "ok" and mine["status_reason"].startswith(note), population
    # every lymphocyte subset of the excluded sample is excluded; its monocytes are not
    for population in ("t_cells", "b_cells", "nk_cells", "activated_nk"):
        assert row.loc[(excluded, population), "status"] == "excluded"
    assert row.loc[(excluded, "monocytes"), "status"] != "excluded"
    # the corrected sample was gated again with the reviewer's cut
    record = json.loads((results / f"samples/{corrected}.json").read_text())
    applied = record["gates"]["t_cells"]["cuts"][0]
    assert applied["method"] == "corrected" and applied["cut"] == pytest.approx(cut)
    assert row.loc[(corrected, "t_cells"), "review"].startswith("corrected by AB 2026-11-30")
    # its siblings below the same CD3 cut follow it, and say so
    for sibling in ("b_cells", "nk_cells"):
        assert row.loc[(corrected, sibling), "review"].endswith("(cut shared with gate t_cells)")
    qc = pd.read_csv(results / "sample_qc.tsv", sep="\t").set_index("sample_id")
    assert qc.loc[excluded, "status_t_cells"] == "excluded"
    assert qc.loc[accepted_sample, f"status_{cleared[0]}"] == "ok"
    decided = pd.read_csv(results / "review_decisions.tsv", sep="\t")
    assert decided["decision"].tolist() == ["accept", "exclude", "correct"]
    assert set(decided.loc[1, "applied"].split(", ")) == {
        "t_cells",
        "b_cells",
        "nk_cells",
        "activated_nk",
    }
    tests = pd.read_csv(results / "cell_count_tests.tsv", sep="\t")
    assert tests["left_out_excluded"].sum() > 0
    report = (trial.workflow / "results/report/cytotrial_report.html").read_text()
    assert "Reviewer decisions" in report and "Populations to review" in report
    assert trial.planned_jobs() == set()


def test_a_bad_review_file_stops_the_run_before_any_job(trial):  # noqa: F811
    review = trial.workflow / REVIEW
    if not review.exists():
        use_review(trial.workflow, "")
    with edited(review):
        review.write_text(entry("PT001_A_C1D2", "nk_cell", "accept"))
        result = run([*SNAKEMAKE, "--cores", "2", *trial.config, "--dry-run"], trial.workflow)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "gating_review.yaml, decision 1 (sample 'PT001_A_C1D2', gate 'nk_cell')" in output
    assert "did you mean 'PT001_A_C1D1'?" in output and "did you mean 'nk_cells'?" in output
    assert "rule flow_" not in output  # no job was planned
