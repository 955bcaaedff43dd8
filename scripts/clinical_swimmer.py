"""Snakemake adapter: swimmer plot of part B at the RP2D."""

import _bootstrap  # noqa: F401

from cytotrial.clinical.job import swimmer_job
from cytotrial.io.inputs import CLINICAL_TABLES
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    tables = {name: smk.input[name] for name in CLINICAL_TABLES}
    swimmer_job(
        tables,
        smk.params.clinical,
        smk.params.cutoff,
        smk.output.png,
        smk.output.svg,
        imwg_best=smk.input.imwg_best,
    )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
