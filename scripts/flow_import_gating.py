"""Snakemake adapter: import a Gating-ML 2.0 file or FlowJo workspace as our JSON template."""

import _bootstrap  # noqa: F401

from cytotrial.flow.interop.gatingml_import import run_import_job
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    run_import_job(smk.input.template, smk.input.populations, smk.input.panel, smk.output.template)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
