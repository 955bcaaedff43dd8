"""Snakemake adapter: CONSORT patient flow boxes (checked) and the flow diagram."""

import _bootstrap  # noqa: F401

from cytotrial.clinical.job import patient_flow_job
from cytotrial.io.inputs import CLINICAL_TABLES
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    tables = {name: smk.input[name] for name in CLINICAL_TABLES}
    outputs = {key: smk.output[key] for key in ("table", "png", "svg")}
    patient_flow_job(tables, smk.params.clinical, smk.params.cutoff, outputs)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
