"""Snakemake adapter: print the HTML report to PDF with headless Chromium."""

import _bootstrap  # noqa: F401

from cytotrial.io.logs import log_to_file
from cytotrial.report.pdf import html_to_pdf


def main(smk) -> None:
    log_to_file(smk.log[0])
    html_to_pdf(smk.input[0], smk.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
