"""Snakemake adapter: analyse one FCS file (read, QC, compensate, gate, MFI, export gates)."""

import json

import _bootstrap  # noqa: F401

from cytotrial.flow.sample.job import run_sample_job
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    run_sample_job(
        smk.wildcards.sample,
        smk.input.fcs,
        smk.input.panel,
        smk.input.template,
        smk.params.qc,
        smk.output.populations,
        smk.output.record,
        smk.output.plot,
        smk.output.gatingml,
        planned_sha256=smk.params.fcs_sha256,
        pooled=json.loads(smk.params.pooled) if smk.params.pooled else None,
        controls_file=smk.input.controls[0] if smk.input.controls else None,
        corrected=json.loads(smk.params.review) if smk.params.review else None,
    )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
