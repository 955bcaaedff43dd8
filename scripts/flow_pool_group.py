"""Snakemake adapter: place one group's pooled cuts (issue 16; cytotrial.flow.sample.pooling)."""

import _bootstrap  # noqa: F401

from cytotrial.flow.sample.pooling import run_pool_job
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    run_pool_job(
        smk.wildcards.pool,
        smk.wildcards.group,
        smk.params.members,
        smk.input.panel,
        smk.input.template,
        smk.params.qc,
        smk.output.cuts,
        smk.params.state,
    )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
