"""Snakemake adapter: render the merged HTML report."""

import _bootstrap  # noqa: F401

from cytotrial.clinical.report_sections import REPORT_INPUTS, clinical_sections
from cytotrial.logs import log_to_file
from cytotrial.report import FIGURES, build_report


def main(smk) -> None:
    log_to_file(smk.log[0])
    config = dict(smk.params.config)
    clinical = clinical_sections({key: smk.input[key] for key in REPORT_INPUTS}, config)
    build_report(
        clinical,
        smk.input.samples_per_timepoint,
        smk.input.sample_inventory,
        smk.input.flow_populations,
        smk.input.sample_qc,
        smk.input.mfi_tests,
        smk.input.count_tests,
        {key: smk.input[key] for key in FIGURES},
        config,
        smk.output[0],
    )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
