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
from test_incremental import jobs, sample_jobs, trial  # noqa: F401 (the module fixture)

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


def test_review_decisions_rerun_only_what_they_change(trial):  # noqa: F811
    results = trial.workflow / "results/flow"
    before = pd.read_csv(results / "populations.tsv", sep="\t")
    flagged = before[before["status"] == "flagged"]
    assert len(flagged), "the small trial must have a flagged population to accept"
    # accept: a flagged population's gate; exclude: another sample's lymphocytes; correct:
    # a third sample's T-cell cut (moved up from where the engine placed it)
    accepted = flagged.iloc[0]
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
    # the accepted gate's own flags are gone from its population (the cohort QC reran on
    # the corrected sample, so compare with the accepted gate's own flags only)
    note = "accepted by AB 2026-11-30: seen on the audit plot"
    mine = row.loc[(accepted["sample_id"], accepted["population"])]
    assert note in mine["review"]
    gate_flags = record_flags(results, accepted["sample_id"], accepted["gate"])
    left = str(mine["status_reason"]) if mine["status"] == "flagged" else ""
    assert not any(flag in left.split(";") for flag in gate_flags)
    if mine["status"] == "ok":
        assert mine["status_reason"] == note
    # every lymphocyte subset of the excluded sample is excluded; its monocytes are not
    for population in ("t_cells", "b_cells", "nk_cells", "activated_nk"):
        assert row.loc[(excluded, population), "status"] == "excluded"
    assert row.loc[(excluded, "monocytes"), "status"] != "excluded"
    # the corrected sample was gated again with the reviewer's cut
    record = json.loads((results / f"samples/{corrected}.json").read_text())
    applied = record["gates"]["t_cells"]["cuts"][0]
    assert applied["method"] == "corrected" and applied["cut"] == pytest.approx(cut)
    assert row.loc[(corrected, "t_cells"), "review"].startswith("corrected by AB 2026-11-30")
    qc = pd.read_csv(results / "sample_qc.tsv", sep="\t").set_index("sample_id")
    assert qc.loc[excluded, "status_t_cells"] == "excluded"
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


def record_flags(results, sample: str, gate: str) -> list[str]:
    record = json.loads((results / f"samples/{sample}.json").read_text())
    return list(record["gates"][gate]["flags"])
