"""Snakemake adapter: a batch's control files' negative levels (issue 16;
cytotrial.flow.sample.controls)."""

import _bootstrap  # noqa: F401

from cytotrial.flow.sample.controls import run_controls_job
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    run_controls_job(
        smk.wildcards.batch,
        smk.params.rows,
        smk.input.panel,
        smk.input.template,
        smk.params.qc,
        smk.output.levels,
    )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
