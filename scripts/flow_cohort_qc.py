"""Snakemake adapter: the cohort QC table (cuts and % of parent against their groups)."""

import _bootstrap  # noqa: F401

from cytotrial.flow.cohort.qc import cohort_qc_job
from cytotrial.flow.settings import CohortQCSettings
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    cohort_qc_job(
        smk.params.samples,
        smk.input.populations,
        smk.input.records,
        CohortQCSettings.from_config(smk.params.settings),
        smk.output.cohort_qc,
    )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
