"""Snakemake adapter: one batch's FlowJo 10 workspace of its samples' final gates."""

import _bootstrap  # noqa: F401

from cytotrial.flow.interop.flowjo_job import flowjo_workspace_job
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    flowjo_workspace_job(
        smk.params.samples,
        smk.input.gatingml,
        smk.input.populations,
        smk.input.records,
        smk.params.batch,
        smk.output.workspace,
    )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
