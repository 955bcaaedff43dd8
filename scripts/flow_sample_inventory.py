"""Snakemake adapter: per-sample FCS header inventory and samples per timepoint."""

import _bootstrap  # noqa: F401
import pandas as pd

from cytotrial.cohort import sample_inventory, samples_per_timepoint
from cytotrial.io.logs import log_to_file
from cytotrial.io.panel import read_panel
from cytotrial.io.results import write_tsv


def main(smk) -> None:
    log_to_file(smk.log[0])
    inventory = sample_inventory(
        pd.DataFrame(smk.params.samples),
        read_panel(smk.input.panel).channel_names,
        smk.params.report_keywords,
    )
    write_tsv(inventory, smk.output.inventory)
    write_tsv(samples_per_timepoint(inventory), smk.output.per_timepoint)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
