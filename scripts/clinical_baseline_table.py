"""Snakemake adapter: Table 1, baseline characteristics."""

import _bootstrap  # noqa: F401

from cytotrial.clinical.job import baseline_table_job
from cytotrial.io.inputs import CLINICAL_TABLES
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    tables = {name: smk.input[name] for name in CLINICAL_TABLES}
    baseline_table_job(tables, smk.params.clinical, smk.params.cutoff, smk.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
