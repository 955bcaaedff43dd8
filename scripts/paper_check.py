"""Snakemake adapter: the demo's paper check (every calibrated number of the paper)."""

import logging

import _bootstrap  # noqa: F401

from cytotrial.clinical.paper_check import PAPER_CHECK_INPUT_KEYS, paper_check_job, summary
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    inputs = {key: smk.input[key] for key in PAPER_CHECK_INPUT_KEYS}
    check = paper_check_job(inputs, smk.params.seed, smk.output.table, smk.output.notes)
    logging.getLogger(__name__).info("%s", summary(check))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
