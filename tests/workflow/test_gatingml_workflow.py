"""Both import paths in the workflow, on demo samples (user mode, three simulated files).

1. Default YAML template: every sample's gates are exported as Gating-ML 2.0.
2. One sample's exported file, reviewed and used as `gating_template:` (.xml).
3. The same gates as a FlowJo 10 workspace (.wsp, written by FlowKit) as template.
Truth for 2 and 3: the adaptive run's counts on the sample whose gates were exported
(fixed gates on the same file must give the same populations), and FlowKit's own
re-application of the exported file is checked in test_gatingml_export.py.
"""

from __future__ import annotations

import csv
import shutil
import warnings
from pathlib import Path

import pytest
from helpers.gatingml import POPULATION_MAP
from helpers.workflow import SNAKEMAKE, copy_workflow, run

from cytotrial.simulate.trial import DEFAULT_SEED

pytestmark = pytest.mark.slow

SEED = DEFAULT_SEED  # the demo's
EVENTS = 10_000
SUBSETS = {"monocytes", "b_cells", "t_cells", "nk_cells", "activated_nk"}


def _write_trial(root: Path) -> list[str]:
    """Clinical tables of the demo and three of its FCS files; a sample sheet for them."""
    from cytotrial.simulate.clinical.trial import simulate_clinical
    from cytotrial.simulate.flow.sample import simulate_sample, write_sample
    from cytotrial.simulate.trial import plan_demo_samples

    simulate_clinical(SEED).write(root / "trial" / "clinical")
    sheet = plan_demo_samples(SEED, "trial").head(3)
    for row in sheet.to_dict("records"):
        write_sample(simulate_sample(row, SEED, EVENTS), root / row["fcs"], root / "trial/truth")
    sheet.to_csv(root / "trial/samples.tsv", sep="\t", index=False, lineterminator="\n")
    return sheet["sample_id"].tolist()


def _snakemake(workflow: Path, samples: list[str], template: str | None) -> None:
    config = ["sample_sheet=trial/samples.tsv", "clinical_dir=trial/clinical"]
    if template:
        config.append(f"gating_template={template}")
    targets = ["results/flow/populations.tsv"]
    targets += [f"results/flow/samples/{s}.gating.xml" for s in samples]
    args = [*SNAKEMAKE, "--cores", "2", "--forceall", "--config", *config, "--", *targets]
    result = run(args, workflow, timeout=900)
    assert result.returncode == 0, result.stderr[-6000:]


def _counts(workflow: Path, sample: str) -> dict[str, int]:
    path = workflow / f"results/flow/samples/{sample}.populations.tsv"
    with open(path, encoding="utf-8") as handle:
        return {row["gate"]: int(row["events"]) for row in csv.DictReader(handle, delimiter="\t")}


def _reported(workflow: Path) -> set[tuple[str, str]]:
    with open(workflow / "results/flow/populations.tsv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return {(row["sample_id"], row["population"]) for row in rows if row.get("population")}


@pytest.fixture(scope="module")
def adaptive(tmp_path_factory) -> tuple[Path, list[str], dict[str, int]]:
    workflow = copy_workflow(tmp_path_factory.mktemp("gml") / "wf")
    samples = _write_trial(workflow)
    _snakemake(workflow, samples, None)
    return workflow, samples, _counts(workflow, samples[0])


def test_default_run_exports_every_sample(adaptive):
    workflow, samples, counts = adaptive
    assert len(counts) == 11
    for sample in samples:
        text = (workflow / f"results/flow/samples/{sample}.gating.xml").read_text()
        assert "Gating-ML/v2.0/gating" in text and "spectrumMatrix" in text
    assert not (workflow / "results/flow/gating_template.json").exists()


def _use_template(workflow: Path, source: Path, name: str) -> str:
    folder = workflow / "my_gates"
    folder.mkdir(exist_ok=True)
    shutil.copy(source, folder / name)
    (folder / (Path(name).stem + ".populations.yaml")).write_text(POPULATION_MAP)
    return f"my_gates/{name}"


def _check_imported_run(workflow: Path, samples: list[str], expected: dict[str, int]) -> None:
    assert (workflow / "results/flow/gating_template.json").is_file()
    assert (workflow / "logs/flow/import_gating.log").is_file()
    assert _counts(workflow, samples[0]) == expected
    reported = _reported(workflow)
    for sample in samples:
        assert {subset for s, subset in reported if s == sample} == SUBSETS


def test_gatingml_template_runs_in_the_workflow(adaptive):
    workflow, samples, expected = adaptive
    exported = workflow / f"results/flow/samples/{samples[0]}.gating.xml"
    template = _use_template(workflow, exported, "reviewed.xml")
    _snakemake(workflow, samples, template)
    _check_imported_run(workflow, samples, expected)


def test_flowjo_workspace_template_runs_in_the_workflow(adaptive, tmp_path):
    warnings.simplefilter("ignore")
    import flowkit as fk
    from flowkit._utils.wsp_utils import export_flowjo_wsp

    workflow, samples, expected = adaptive
    exported = workflow / f"results/flow/samples/{samples[0]}.gating.xml"
    strategy = fk.parse_gating_xml(str(exported))
    fcs = workflow / f"trial/fcs/{samples[0]}.fcs"
    with open(tmp_path / "lab.wsp", "wb") as handle:
        export_flowjo_wsp(strategy, "All Samples", [fk.Sample(str(fcs))], handle)
    template = _use_template(workflow, tmp_path / "lab.wsp", "lab.wsp")
    _snakemake(workflow, samples, template)
    _check_imported_run(workflow, samples, expected)


def test_flowjo_workspaces_rule_writes_one_workspace_per_batch(adaptive):
    """`snakemake flowjo_workspaces` after gating: one .wsp per batch of the sheet, which
    FlowKit gates (FCS files relinked by sample ID next to it) to each sample's counts."""
    import pandas as pd

    from cytotrial.flow.interop.flowjo_export import batch_file_stem

    workflow, samples, _ = adaptive
    # the tests above gated this workflow with imported templates: gate it with the
    # default template again, so that only the workspaces are left to build
    _snakemake(workflow, samples, None)
    config = ["sample_sheet=trial/samples.tsv", "clinical_dir=trial/clinical"]
    result = run(
        [*SNAKEMAKE, "--cores", "2", "--config", *config, "--", "flowjo_workspaces"],
        workflow,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-6000:]
    assert "flow_analyse_sample" not in result.stderr, "gating reran for the workspaces"
    sheet = pd.read_csv(workflow / "trial/samples.tsv", sep="\t", dtype=str)
    warnings.simplefilter("ignore")
    import flowkit as fk

    for batch, members in sheet.groupby("batch"):
        wsp = workflow / "results/flow/flowjo" / f"{batch_file_stem(batch)}.wsp"
        log = (workflow / "logs/flow/flowjo" / f"{batch_file_stem(batch)}.log").read_text()
        assert f"FlowJo workspace with {len(members)} samples, 0 left out" in log
        review = workflow / "review" / batch_file_stem(batch)
        (review / "fcs").mkdir(parents=True)
        shutil.copy(wsp, review / wsp.name)
        for row in members.to_dict("records"):
            (review / "fcs" / f"{row['sample_id']}.fcs").symlink_to(workflow / row["fcs"])
        workspace = fk.Workspace(str(review / wsp.name), find_fcs_files_from_wsp=True)
        workspace.analyze_samples(use_mp=False)
        for sample in members["sample_id"]:
            report = workspace.get_gating_results(f"{sample}.fcs").report
            theirs = {row.gate_name: int(row["count"]) for _, row in report.iterrows()}
            assert theirs == _counts(workflow, sample)
