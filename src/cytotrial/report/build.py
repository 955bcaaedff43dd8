"""The whole report assembled in the paper's order: clinical, flow, QC, methods, provenance."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cytotrial.io.results import read_tsv
from cytotrial.report.counts import n_text, plural
from cytotrial.report.flow_sections import _flow_section, _gating_sections, plots_to_embed
from cytotrial.report.header import ReportHeader
from cytotrial.report.model import Provenance, ReportSection, ReportTable
from cytotrial.report.pages import PageLink, gating_page_path, relative_href, split_pages
from cytotrial.report.render import render_report
from cytotrial.report.settings import RunSettings

__all__ = [
    "build_report",
]


def build_report(
    clinical: list[ReportSection],
    flow: Mapping[str, str | Path],
    figures: Mapping[str, str | Path],
    plots: Mapping[str, str | Path],
    settings: RunSettings,
    out_path: str | Path,
    provenance: Provenance | None = None,
    header: ReportHeader | None = None,
    gating_path: str | Path | None = None,
    *,
    config_as_run: Mapping,
    gate_parents: Mapping[str, str] | None = None,
) -> None:
    """Assemble the report in the paper's order: clinical, flow, QC, methods.

    `clinical` comes from `cytotrial.report.clinical_sections.clinical_sections`; its
    first section is the patient flow, followed here by the cohort overview. `flow`
    maps each name in FLOW_TABLES to its result file, `plots` sample IDs to audit plots.
    The gating gallery and the per-sample tables go to a second page, `gating_path`
    (default: beside `out_path`, named ..._gating.html); the two pages link each other.
    `settings` is the run's configuration, read; `config_as_run` the same as the workflow
    passed it, shown verbatim in the report (so it says what the user wrote).
    `gate_parents` (gate -> parent, qc_statistics_display.gate_parents) names each % of
    parent's parent in the general statistics.
    """
    from cytotrial.report.methods import methods_section

    inventory = read_tsv(flow["sample_inventory"])
    qc = read_tsv(flow["sample_qc"])
    problems = inventory[inventory["problem"].fillna("") != ""]
    overview = ReportSection(
        "Cohort overview",
        "overview",
        tables=[
            ReportTable(
                "Flow cytometry samples per part and timepoint",
                read_tsv(flow["samples_per_timepoint"]),
                "samples_per_timepoint.csv",
                "Samples in the sample sheet per part × timepoint, distinct patients, files "
                "whose FCS header could be read, and their median event count.",
                n=f"n = {plural(len(inventory), 'sample')} of "
                f"{plural(inventory['patient_id'].nunique(), 'patient')} (those with a "
                "flow cytometry sample in the sample sheet)",
            ),
        ],
    )
    samples = ReportSection(
        "Samples",
        "samples",
        tables=[
            ReportTable(
                "Sample inventory",
                inventory,
                "sample_inventory.csv",
                "One row per FCS file: sheet fields and what the file's header says.",
                n=n_text(len(inventory), "sample"),
            )
        ],
        notes=[f"{plural(len(problems), 'sample')} with a problem: see the Problem column."]
        if len(problems)
        else [],
    )
    which_plots = plots_to_embed(settings.report.gating_plots, len(qc))
    gating_qc, gallery = _gating_sections(
        qc,
        plots,
        which_plots,
        read_tsv(flow["cohort_qc"]),
        read_tsv(flow["flow_populations"]),
        read_tsv(flow["review_decisions"]) if flow.get("review_decisions") else None,
        gate_parents,
    )
    gating_path = Path(gating_path) if gating_path else gating_page_path(out_path)
    flow_section = _flow_section(flow, figures, qc)
    main_qc, gating_sections = split_pages(
        flow_section, gating_qc, gallery, samples, Path(out_path), gating_path
    )
    sections = [
        *clinical[:1],
        overview,
        *clinical[1:],
        flow_section,
        *main_qc,
        methods_section(settings),
    ]
    header = header or ReportHeader()
    render_report(
        sections,
        config_as_run,
        out_path,
        provenance=provenance or Provenance(),
        header=header,
        pages=[PageLink("Gating QC, audit plots, samples", relative_href(gating_path, out_path))],
    )
    render_report(
        gating_sections,
        config_as_run,
        gating_path,
        title="cytotrial report: gating QC per sample, audit plots, sample inventory",
        header=header,
        pages=[PageLink("Main report", relative_href(out_path, gating_path))],
        show_provenance=False,
    )
