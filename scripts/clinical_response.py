"""Snakemake adapter: response categories, ORR/CBR/DCR, the primary endpoint, bar chart."""

import _bootstrap  # noqa: F401

from cytotrial.clinical.job import response_job
from cytotrial.io.inputs import CLINICAL_TABLES
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    tables = {name: smk.input[name] for name in CLINICAL_TABLES}
    keys = ("categories", "rates", "primary_endpoint", "png", "svg")
    outputs = {key: smk.output[key] for key in keys}
    response_job(tables, smk.params.clinical, smk.params.cutoff, outputs)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
