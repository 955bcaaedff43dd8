"""The config's ``flow:`` section as typed, frozen objects (defaults: the schema's only).

Meanings and defaults are in config/schemas/config.schema.yaml; each object is built from
the validated section with ``from_config`` (a key the section lacks: the schema's default),
so the package used without the workflow behaves as the workflow does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cytotrial.flow.prepare.qc import QCSettings
from cytotrial.io.config_schema import schema_default, section_values

__all__ = [
    "CohortQCSettings",
    "Comparison",
    "FlowSettings",
    "StatisticsSettings",
]


def _default(*path: str) -> Any:
    return schema_default("flow", *path)


@dataclass(frozen=True)
class CohortQCSettings:
    """flow.cohort_qc: the cohort QC's robust-z limit, group size, cut floor and jump rule."""

    z_limit: float = _default("cohort_qc", "z_limit")
    min_group_size: int = _default("cohort_qc", "min_group_size")
    cut_floor_sd_neg: float = _default("cohort_qc", "cut_floor_sd_neg")
    jump_fold: float = _default("cohort_qc", "jump_fold")
    jump_points: float = _default("cohort_qc", "jump_points")

    @classmethod
    def from_config(cls, cohort_qc: Mapping[str, Any] | None) -> CohortQCSettings:
        """From the config's flow.cohort_qc section."""
        return cls(**section_values(cohort_qc, "flow", "cohort_qc"))


@dataclass(frozen=True)
class StatisticsSettings:
    """flow.statistics: which populations the paired tests and flow figures use."""

    include_flagged: bool = _default("statistics", "include_flagged")

    @classmethod
    def from_config(cls, statistics: Mapping[str, Any] | None) -> StatisticsSettings:
        """From the config's flow.statistics section."""
        return cls(**section_values(statistics, "flow", "statistics"))


@dataclass(frozen=True)
class Comparison:
    """One paired timepoint comparison (an item of flow.comparisons)."""

    part: str
    before: str
    after: str


def _comparisons(items: Any) -> tuple[Comparison, ...]:
    return tuple(Comparison(**dict(item)) for item in items)


@dataclass(frozen=True)
class FlowSettings:
    """The whole flow section; the file keys (controls_sheet, review) are paths the rules
    read, kept here so the object says what the run was configured with."""

    report_keywords: tuple[str, ...] = _default("report_keywords")
    controls_sheet: str = _default("controls_sheet")
    review: str = _default("review")
    qc: QCSettings = field(default_factory=QCSettings)
    cohort_qc: CohortQCSettings = field(default_factory=CohortQCSettings)
    statistics: StatisticsSettings = field(default_factory=StatisticsSettings)
    comparisons: tuple[Comparison, ...] = _comparisons(_default("comparisons"))

    @classmethod
    def from_config(cls, flow: Mapping[str, Any] | None) -> FlowSettings:
        """From the config's flow section (nested sections too)."""
        values = section_values(flow, "flow")
        return cls(
            report_keywords=tuple(values["report_keywords"]),
            controls_sheet=values["controls_sheet"],
            review=values["review"],
            qc=QCSettings.from_config(values["qc"]),
            cohort_qc=CohortQCSettings.from_config(values["cohort_qc"]),
            statistics=StatisticsSettings.from_config(values["statistics"]),
            comparisons=_comparisons(values["comparisons"]),
        )
