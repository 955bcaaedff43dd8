"""Snakemake adapter: one Kaplan-Meier figure (endpoint x overall / by part A response)."""

import _bootstrap  # noqa: F401

from cytotrial.clinical.job import km_figure_job
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    km_figure_job(
        smk.input.endpoints,
        smk.params.clinical,
        smk.params.cutoff,
        smk.wildcards.km_endpoint,
        smk.wildcards.km_stratum,
        smk.output.png,
        smk.output.svg,
    )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
