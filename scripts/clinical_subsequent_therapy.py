"""Snakemake adapter: Table 3, first subsequent therapy."""

import _bootstrap  # noqa: F401

from cytotrial.clinical.job import subsequent_therapy_job
from cytotrial.io.inputs import CLINICAL_TABLES
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    tables = {name: smk.input[name] for name in CLINICAL_TABLES}
    subsequent_therapy_job(
        tables, smk.params.clinical, smk.params.cutoff, smk.output.table, smk.output.outcome
    )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
