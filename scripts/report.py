"""Snakemake adapter: render the merged HTML report."""

import _bootstrap  # noqa: F401

from cytotrial.clinical.report_sections import REPORT_INPUTS, clinical_sections
from cytotrial.io.logs import log_to_file
from cytotrial.provenance import report_provenance
from cytotrial.report import FIGURES, FLOW_TABLES, build_report


def main(smk) -> None:
    log_to_file(smk.log[0])
    config = dict(smk.params.config)
    clinical = clinical_sections({key: smk.input[key] for key in REPORT_INPUTS}, config)
    provenance = report_provenance(
        smk.params.provenance_roles,
        smk.input.provenance,
        smk.input.records,
        smk.params.workflow_dir,
    )
    build_report(
        clinical,
        {key: smk.input[key] for key in FLOW_TABLES},
        {key: smk.input[key] for key in FIGURES},
        dict(zip(smk.params.sample_ids, smk.input.plots, strict=True)),
        config,
        smk.output[0],
        provenance,
    )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
