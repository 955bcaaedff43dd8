"""Snakemake adapter: Table 2, adverse events, and its footnotes."""

import _bootstrap  # noqa: F401

from cytotrial.clinical.job import adverse_events_job
from cytotrial.io.inputs import CLINICAL_TABLES
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    tables = {name: smk.input[name] for name in CLINICAL_TABLES}
    outputs = {key: smk.output[key] for key in ("table", "footnotes", "unmapped")}
    adverse_events_job(tables, smk.input.layout, smk.params.clinical, smk.params.cutoff, outputs)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
