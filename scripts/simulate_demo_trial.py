"""Snakemake adapter: write the simulated demo trial."""

from pathlib import Path

import _bootstrap  # noqa: F401

from cytotrial.io.logs import log_to_file
from cytotrial.simulate.trial import simulate_trial


def main(smk) -> None:
    log_to_file(smk.log[0])
    out_dir = Path(smk.output.sample_sheet).parent  # everything is written beside the sheet
    simulate_trial(out_dir, smk.params.seed, smk.params.events_per_file, threads=smk.threads)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
