"""Snakemake adapter: KM medians (all CI methods), log-rank, Cox HRs, S(t), follow-up."""

import _bootstrap  # noqa: F401

from cytotrial.clinical.job import survival_job
from cytotrial.io.logs import log_to_file


def main(smk) -> None:
    log_to_file(smk.log[0])
    keys = ("medians", "logrank", "hazard_ratios", "at_times", "followup", "forest_png")
    keys += ("forest_svg",)
    outputs = {key: smk.output[key] for key in keys}
    survival_job(smk.input.endpoints, smk.params.clinical, smk.params.cutoff, outputs)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
