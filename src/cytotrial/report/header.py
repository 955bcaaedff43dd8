"""The report's header: which trial, which data cut-off, which populations, which code.

A reader who prints the first page must see what the report is about and whether its data
are real. The demo's simulated data are said so in a banner; a user's data never get it
(the rule passes the workflow's own demo decision, so the two cannot disagree).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cytotrial.io.results import read_tsv_or_empty
from cytotrial.report.settings import ReportSettings, RunSettings

__all__ = [
    "DEMO_TRIAL_ID",
    "NO_TRIAL_ID",
    "ReportHeader",
    "report_header",
]

# The trial the demo simulates (Frerichs et al., Blood Advances 2021).
DEMO_TRIAL_ID = "NCT02751255"
NO_TRIAL_ID = "not set (the trial ID of the report settings in the configuration)"


@dataclass
class ReportHeader:
    """What the top of every report page states."""

    trial_id: str = NO_TRIAL_ID
    cutoff_date: str = "not given"
    populations: list[str] = field(default_factory=list)
    version: str = ""
    commit: str = ""
    simulated: bool = False


def trial_id(report: ReportSettings, demo: bool) -> str:
    """The configured trial ID; the demo's trial when the demo runs without one; else a
    visible 'not set' (never another trial's ID on a user's report)."""
    configured = str(report.trial_id or "").strip()
    if configured:
        return configured
    return DEMO_TRIAL_ID if demo else NO_TRIAL_ID


def _analysis_populations(response_categories: str | Path | None) -> list[str]:
    """'label, n = N' per population of the response tables ([] when the file is missing
    or empty: the header then says the populations are not available)."""
    table = read_tsv_or_empty(response_categories)
    if table.empty:
        return []
    if not {"population_label", "N"} <= set(table.columns):
        raise ValueError(
            f"{response_categories}: needs columns population_label and N for the report "
            f"header (has {', '.join(map(str, table.columns))})"
        )
    pairs = table[["population_label", "N"]].drop_duplicates()
    return [f"{r.population_label}, n = {int(r.N)}" for r in pairs.itertuples()]


def report_header(
    settings: RunSettings,
    demo: bool,
    response_categories: str | Path | None,
    version: str,
    commit: str,
) -> ReportHeader:
    """The header of a run: `demo` is the workflow's own decision (rules/common.smk)."""
    return ReportHeader(
        trial_id=trial_id(settings.report, demo),
        cutoff_date=settings.cutoff_date,
        populations=_analysis_populations(response_categories),
        version=version,
        commit=commit,
        simulated=bool(demo),
    )
