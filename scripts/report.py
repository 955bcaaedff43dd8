"""Snakemake adapter: render the merged HTML report."""

import _bootstrap  # noqa: F401

from cytotrial.io.logs import log_to_file
from cytotrial.report.build import build_report
from cytotrial.report.clinical_sections import REPORT_INPUT_KEYS, clinical_sections
from cytotrial.report.flow_sections import FIGURES, FLOW_TABLES
from cytotrial.report.header import report_header
from cytotrial.report.paper_check_section import paper_check_section
from cytotrial.report.provenance import report_provenance
from cytotrial.report.qc_statistics_display import gate_parents
from cytotrial.report.render import package_versions
from cytotrial.report.settings import RunSettings


def main(smk) -> None:
    log_to_file(smk.log[0])
    config = dict(smk.params.config)
    settings = RunSettings.from_config(config)
    clinical = clinical_sections({k: smk.input[k] for k in REPORT_INPUT_KEYS}, settings.clinical)
    # demo only; a Namedlist: "in" alone would look among the paths
    if "paper_check" in smk.input.keys():  # noqa: SIM118
        clinical.append(
            paper_check_section(smk.input.paper_check, smk.input.paper_notes, settings.demo.seed)
        )
    provenance = report_provenance(
        smk.params.provenance_roles,
        smk.input.provenance,
        smk.input.records,
        smk.params.workflow_dir,
    )
    header = report_header(
        settings,
        smk.params.demo,
        smk.input.clinical_response_categories,
        package_versions()["cytotrial"],
        provenance.commit,
    )
    build_report(
        clinical,
        {key: smk.input[key] for key in FLOW_TABLES},
        {key: smk.input[key] for key in FIGURES},
        dict(zip(smk.params.sample_ids, smk.input.plots, strict=True)),
        settings,
        smk.output[0],
        provenance,
        header,
        gating_path=smk.output[1],
        config_as_run=config,
        gate_parents=gate_parents(smk.input.records),
    )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
