"""Snakemake adapter: the part B phase 1 (3+3) dose-escalation table."""

import _bootstrap  # noqa: F401

from cytotrial.clinical.job import dose_escalation_job
from cytotrial.io.inputs import CLINICAL_TABLES
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    tables = {name: smk.input[name] for name in CLINICAL_TABLES}
    dose_escalation_job(tables, smk.params.clinical, smk.params.cutoff, smk.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
