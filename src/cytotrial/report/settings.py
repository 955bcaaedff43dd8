"""The whole config as typed, frozen objects: the report's ``report:`` section and the run.

``RunSettings`` is what the report states the run was configured with (header, methods,
which audit plots): every section as its settings object, each default the schema's
(config/schemas/config.schema.yaml). It lives in the report layer because it gathers the
domain's sections (flow, clinical, demo).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cytotrial.clinical.settings import ClinicalSettings
from cytotrial.flow.settings import FlowSettings
from cytotrial.io.config_schema import schema_default, section_values
from cytotrial.simulate.settings import DemoSettings

__all__ = [
    "ReportSettings",
    "RunSettings",
]


@dataclass(frozen=True)
class ReportSettings:
    """report: the trial ID of the header and which audit plots the report embeds."""

    trial_id: str = schema_default("report", "trial_id")
    gating_plots: str = schema_default("report", "gating_plots")

    @classmethod
    def from_config(cls, report: Mapping[str, Any] | None) -> ReportSettings:
        """From the config's report section."""
        return cls(**section_values(report, "report"))


def _default(key: str) -> Any:
    return schema_default(key)


@dataclass(frozen=True)
class RunSettings:
    """The config's top level: its files (paths the rules read; the report names them) and
    every section. `clinical` holds the cut-off too (ClinicalSettings.cutoff); `cutoff_date`
    is the date as configured (YYYY-MM-DD), as the report prints it."""

    sample_sheet: str = _default("sample_sheet")
    clinical_dir: str = _default("clinical_dir")
    cutoff_date: str = _default("cutoff_date")
    panel: str = _default("panel")
    gating_template: str = _default("gating_template")
    flow: FlowSettings = field(default_factory=FlowSettings)
    clinical: ClinicalSettings = field(default_factory=ClinicalSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    demo: DemoSettings = field(default_factory=DemoSettings)

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> RunSettings:
        """From the validated config (a key it lacks: the schema's default)."""
        values = section_values(config)
        return cls(
            sample_sheet=values["sample_sheet"],
            clinical_dir=values["clinical_dir"],
            cutoff_date=str(values["cutoff_date"]),
            panel=values["panel"],
            gating_template=values["gating_template"],
            flow=FlowSettings.from_config(values["flow"]),
            clinical=ClinicalSettings.from_config(values["clinical"], str(values["cutoff_date"])),
            report=ReportSettings.from_config(values["report"]),
            demo=DemoSettings.from_config(values["demo"]),
        )
