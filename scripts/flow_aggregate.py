"""Snakemake adapter: tidy populations table and per-sample QC table."""

import _bootstrap  # noqa: F401

from cytotrial.flow.cohort.aggregate import aggregate_job
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    aggregate_job(
        smk.params.samples,
        smk.input.populations,
        smk.input.records,
        smk.input.template,
        smk.output.populations,
        smk.output.sample_qc,
        cohort_qc_tsv=smk.input.cohort_qc,
        review=smk.input.review[0] if smk.input.review else None,
        decisions_out=smk.output.decisions,
    )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
