"""Snakemake adapter: IMWG responses from lab values, concordance, waterfall, effective tables."""

import _bootstrap  # noqa: F401

from cytotrial.clinical.job import imwg_job
from cytotrial.io.inputs import CLINICAL_TABLES
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    tables = {name: smk.input[name] for name in CLINICAL_TABLES}
    lab_values = smk.input.get("lab_values")
    keys = ("assessments", "best", "concordance", "concordance_summary", "png", "svg",
            "effective_responses", "effective_dates")  # fmt: skip
    outputs = {key: smk.output[key] for key in keys}
    imwg_job(tables, lab_values, smk.params.clinical, smk.params.cutoff, outputs)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
