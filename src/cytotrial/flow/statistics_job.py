"""The flow statistics job: paired tests on CD38 MFI and cell counts, and the figures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cytotrial.flow.aggregate import mfi_column, no_flow_results
from cytotrial.flow.comparisons import compare_timepoints, untested
from cytotrial.flow.figures import dot_plot, message_figure, paired_plot, save_figure
from cytotrial.flow.gating_template import read_gating_template
from cytotrial.results import read_tsv, write_tsv

NO_MFI = "not tested: the gating template names no MFI marker"
NO_LEUKOCYTE_GATE = "not tested: the gating template names no leukocyte gate (no counts per uL)"


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
    marker = template.mfi_marker or "MFI"
    mfi = mfi_column(template.mfi_marker) if template.mfi_marker else "mfi"
    # Values as numbers even when the table is its header only (no analysed sample).
    tidy = read_populations(populations_tsv)
    tidy = tidy.astype({column: float for column in (mfi, "cells_per_ul") if column in tidy})
    # A template without an MFI marker or a leukocyte gate: those tests are listed,
    # untested, with the reason (not as "no patient has both timepoints").
    why_not = {
        "mfi": None if template.mfi_marker else NO_MFI,
        "counts": None if template.leukocyte_gate else NO_LEUKOCYTE_GATE,
    }
    mfi_tests = (
        untested(comparisons, populations, mfi, why_not["mfi"])
        if why_not["mfi"]
        else compare_timepoints(tidy, comparisons, populations, mfi)
    )
    count_tests = (
        untested(comparisons, populations, "cells_per_ul", why_not["counts"])
        if why_not["counts"]
        else compare_timepoints(tidy, comparisons, populations, "cells_per_ul")
    )
    write_tsv(mfi_tests, mfi_tests_out)
    write_tsv(count_tests, count_tests_out)
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
        title = f"{marker} expression on immune subsets, part {part}"
        if why_not["mfi"]:
            figure = message_figure(why_not["mfi"], title)
        else:
            label = f"{marker} MFI (median, compensated)"
            figure = dot_plot(tidy, mfi_tests, part, populations, mfi, label, title)
        save_figure(figure, figure_paths[f"mfi_{part}_png"], figure_paths[f"mfi_{part}_svg"])
        title = f"Absolute counts of immune subsets, part {part}"
        if why_not["counts"]:
            figure = message_figure(why_not["counts"], title)
        else:
            figure = dot_plot(
                tidy, count_tests, part, populations, "cells_per_ul", "cells per uL", title
            )
        save_figure(figure, figure_paths[f"counts_{part}_png"], figure_paths[f"counts_{part}_svg"])
    for kind, tests, column, label in (
        ("mfi", mfi_tests, mfi, f"{marker} MFI (median, compensated)"),
        ("counts", count_tests, "cells_per_ul", "cells per uL"),
    ):
        title = f"Paired samples: {label}"
        if why_not[kind]:
            figure = message_figure(why_not[kind], title)
        else:
            figure = paired_plot(tidy, tests, populations, column, label, title)
        save_figure(figure, figure_paths[f"{kind}_paired_png"], figure_paths[f"{kind}_paired_svg"])
