"""The flow statistics job: paired tests on CD38 MFI and cell counts, and the figures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cytotrial.flow.aggregate import mfi_column, no_flow_results
from cytotrial.flow.comparisons import compare_timepoints
from cytotrial.flow.figures import dot_plot, message_figure, paired_plot, save_figure
from cytotrial.flow.gating_template import read_gating_template
from cytotrial.results import read_tsv, write_tsv


def read_populations(populations_tsv: str | Path) -> pd.DataFrame:
    """The tidy populations table, IDs as written (a patient "NA" keeps its pairs)."""
    return read_tsv(populations_tsv)


def flow_statistics_job(
    populations_tsv: str | Path,
    template_path: str | Path,
    comparisons: list[dict],
    mfi_tests_out: str | Path,
    count_tests_out: str | Path,
    figure_paths: dict[str, str],
    *,
    sample_qc_tsv: str | Path,
) -> None:
    """Write both test tables and, per part, the MFI and count figures (PNG + SVG).

    `figure_paths` maps e.g. "mfi_A_png" (and "mfi_paired_png", "counts_paired_png",
    with their _svg) to an output path. Without any analysed sample (`sample_qc_tsv` says
    whether there were none or all failed) the tables hold every comparison untested and
    each figure says why it is empty.
    """
    template = read_gating_template(template_path)
    populations = list(template.populations)
    mfi = mfi_column(template.mfi_marker)
    # Values as numbers even when the table is its header only (no analysed sample).
    tidy = read_populations(populations_tsv)
    tidy = tidy.astype({column: float for column in (mfi, "cells_per_ul") if column in tidy})
    mfi_tests = compare_timepoints(tidy, comparisons, populations, mfi)
    count_tests = compare_timepoints(tidy, comparisons, populations, "cells_per_ul")
    write_tsv(mfi_tests, mfi_tests_out)
    write_tsv(count_tests, count_tests_out)
    marker = template.mfi_marker
    qc = pd.read_csv(sample_qc_tsv, sep="\t", dtype=str, keep_default_na=False)
    empty = no_flow_results(qc)
    if empty is not None:  # every figure says why it has no data, under its usual title
        titles = {"mfi_paired": f"Paired samples: {marker} MFI", "counts_paired": "Paired samples"}
        for part in ("A", "B"):
            titles[f"mfi_{part}"] = f"{marker} expression on immune subsets, part {part}"
            titles[f"counts_{part}"] = f"Absolute counts of immune subsets, part {part}"
        for name, title in titles.items():
            figure = message_figure(empty, title)
            save_figure(figure, figure_paths[f"{name}_png"], figure_paths[f"{name}_svg"])
        return
    for part in ("A", "B"):
        figure = dot_plot(
            tidy,
            mfi_tests,
            part,
            populations,
            mfi,
            f"{marker} MFI (median, compensated)",
            f"{marker} expression on immune subsets, part {part}",
        )
        save_figure(figure, figure_paths[f"mfi_{part}_png"], figure_paths[f"mfi_{part}_svg"])
        figure = dot_plot(
            tidy,
            count_tests,
            part,
            populations,
            "cells_per_ul",
            "cells per uL",
            f"Absolute counts of immune subsets, part {part}",
        )
        save_figure(figure, figure_paths[f"counts_{part}_png"], figure_paths[f"counts_{part}_svg"])
    for kind, tests, column, label in (
        ("mfi", mfi_tests, mfi, f"{marker} MFI (median, compensated)"),
        ("counts", count_tests, "cells_per_ul", "cells per uL"),
    ):
        figure = paired_plot(tidy, tests, populations, column, label, f"Paired samples: {label}")
        save_figure(figure, figure_paths[f"{kind}_paired_png"], figure_paths[f"{kind}_paired_svg"])
