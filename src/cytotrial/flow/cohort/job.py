"""The flow statistics job: paired tests on CD38 MFI and cell counts, and the figures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cytotrial.flow.cohort.aggregate import mfi_column, no_flow_results
from cytotrial.flow.cohort.comparisons import (
    compare_timepoints,
    left_out_values,
    sensitivity_table,
    untested,
)
from cytotrial.flow.cohort.figures import (
    dot_plot,
    dot_plot_across_parts,
    message_figure,
    paired_plot,
)
from cytotrial.flow.gating.template import read_gating_template
from cytotrial.flow.sample.status import included_statuses, used_label
from cytotrial.flow.settings import StatisticsSettings
from cytotrial.io.results import read_tsv, save_figure, write_tsv

__all__ = [
    "read_populations",
    "flow_statistics_job",
]

COUNT_LABEL = "cells per \u00b5L"
NO_MFI = "not tested: the gating template names no MFI marker"
NO_LEUKOCYTE_GATE = "not tested: the gating template names no leukocyte gate (no counts per uL)"
# The paper shows T-cell counts over both parts in their own figure (supplemental Figure 2)
# and the other subsets' counts per part (supplemental Figure 1A-B); the report does too.
SEPARATE_COUNTS_POPULATION = "t_cells"
T_CELL_COUNTS_TITLE = "Absolute T-cell counts, parts A and B"


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
    statistics: StatisticsSettings,
    sensitivity_out: str | Path,
) -> None:
    """Write both test tables, the sensitivity table and, per part, the MFI and count
    figures (PNG + SVG).

    The tests and figures use ok populations, and flagged ones too when
    `statistics.include_flagged` (config flow.statistics); each test row and figure panel says how
    many values were left out and why (population_status). The sensitivity table holds
    each test on ok populations beside the same test with the flagged ones.
    `figure_paths` maps e.g. "mfi_A_png" (and "mfi_paired_png", "counts_paired_png",
    "counts_t_png", with their _svg) to an output path; the per-part count figures leave
    out the T cells, which "counts_t" shows over both parts. Without any analysed sample
    (`sample_qc_tsv` says whether there were none or all failed) the tables hold every
    comparison untested and each figure says why it is empty.
    """
    include_flagged = statistics.include_flagged
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
    qc = read_tsv(sample_qc_tsv)
    failed = qc[qc["status"] != "ok"]
    tests: dict[tuple[str, bool], pd.DataFrame] = {}
    for kind, column in (("mfi", mfi), ("counts", "cells_per_ul")):
        for flagged_too in (False, True):
            tests[kind, flagged_too] = (
                untested(comparisons, populations, column, why_not[kind])
                if why_not[kind]
                else compare_timepoints(
                    tidy,
                    comparisons,
                    populations,
                    column,
                    include_flagged=flagged_too,
                    failed=failed,
                )
            )
    mfi_tests, count_tests = tests["mfi", include_flagged], tests["counts", include_flagged]
    write_tsv(mfi_tests, mfi_tests_out)
    write_tsv(count_tests, count_tests_out)
    sensitivity = pd.concat(
        [sensitivity_table(tests[kind, False], tests[kind, True]) for kind in ("mfi", "counts")],
        ignore_index=True,
    )
    write_tsv(sensitivity, sensitivity_out)
    left_out = left_out_values(tidy, failed, populations, include_flagged)
    tidy = tidy[tidy["status"].isin(included_statuses(include_flagged))]
    shown = {"left_out": left_out, "used": used_label(include_flagged)}
    empty = no_flow_results(qc)
    if empty is not None:  # every figure says why it has no data, under its usual title
        titles = {
            "mfi_paired": f"Paired samples: {marker} MFI",
            "counts_paired": "Paired samples",
            "counts_t": T_CELL_COUNTS_TITLE,
        }
        for part in ("A", "B"):
            titles[f"mfi_{part}"] = f"{marker} expression on immune subsets, part {part}"
            titles[f"counts_{part}"] = f"Absolute counts of immune subsets, part {part}"
        for name, title in titles.items():
            figure = message_figure(empty, title)
            save_figure(figure, figure_paths[f"{name}_png"], figure_paths[f"{name}_svg"])
        return
    # T cells have a figure of their own (unless they are the only population)
    per_part = [p for p in populations if p != SEPARATE_COUNTS_POPULATION] or list(populations)
    for part in ("A", "B"):
        title = f"{marker} expression on immune subsets, part {part}"
        if why_not["mfi"]:
            figure = message_figure(why_not["mfi"], title)
        else:
            label = f"{marker} MFI (median, compensated)"
            figure = dot_plot(tidy, mfi_tests, part, populations, mfi, label, title, **shown)
        save_figure(figure, figure_paths[f"mfi_{part}_png"], figure_paths[f"mfi_{part}_svg"])
        title = f"Absolute counts of immune subsets, part {part}"
        if why_not["counts"]:
            figure = message_figure(why_not["counts"], title)
        else:
            figure = dot_plot(
                tidy, count_tests, part, per_part, "cells_per_ul", COUNT_LABEL, title,
                log=True, **shown,
            )  # fmt: skip
        save_figure(figure, figure_paths[f"counts_{part}_png"], figure_paths[f"counts_{part}_svg"])
    if why_not["counts"] or SEPARATE_COUNTS_POPULATION not in populations:
        why = why_not["counts"] or (
            f"the gating template has no {SEPARATE_COUNTS_POPULATION} population"
        )
        figure = message_figure(why, T_CELL_COUNTS_TITLE)
    else:
        figure = dot_plot_across_parts(
            tidy, count_tests, SEPARATE_COUNTS_POPULATION, "cells_per_ul", COUNT_LABEL,
            T_CELL_COUNTS_TITLE, log=True, **shown,
        )  # fmt: skip
    save_figure(figure, figure_paths["counts_t_png"], figure_paths["counts_t_svg"])
    for kind, paired, column, label in (
        ("mfi", mfi_tests, mfi, f"{marker} MFI (median, compensated)"),
        ("counts", count_tests, "cells_per_ul", COUNT_LABEL),
    ):
        title = f"Paired samples: {label}"
        if why_not[kind]:
            figure = message_figure(why_not[kind], title)
        else:
            figure = paired_plot(
                tidy, paired, populations, column, label, title, used=shown["used"],
                log=kind == "counts",
            )  # fmt: skip
        save_figure(figure, figure_paths[f"{kind}_paired_png"], figure_paths[f"{kind}_paired_svg"])
