"""Snakemake adapter: Wilcoxon matched-pairs tests and Figure 4 style plots."""

import _bootstrap  # noqa: F401

from cytotrial.flow.cohort.job import flow_statistics_job
from cytotrial.flow.settings import StatisticsSettings
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    figures = {k: v for k, v in smk.output.items() if k.startswith(("mfi_", "counts_"))}
    flow_statistics_job(
        smk.input.populations,
        smk.input.template,
        smk.params.comparisons,
        smk.output.mfi_tests,
        smk.output.count_tests,
        figures,
        sample_qc_tsv=smk.input.sample_qc,
        statistics=StatisticsSettings.from_config(smk.params.statistics),
        sensitivity_out=smk.output.sensitivity,
    )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
