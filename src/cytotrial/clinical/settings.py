"""The ``clinical:`` section of the config (plus the cut-off) as one typed, checked object.

Defaults are config/schemas/config.schema.yaml's (the paper's choices), read from it, so the
package can be used without the workflow; the workflow passes the validated section unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cytotrial.clinical.imwg.settings import ImwgSettings
from cytotrial.errors import InputError
from cytotrial.io.config_schema import schema_default

__all__ = [
    "RESPONSE_ORDER",
    "MEDIAN_CI_METHODS",
    "MEDIAN_CI_WORDS",
    "ClinicalSettings",
    "PrimaryEndpointSettings",
]

RESPONSE_ORDER = ("sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE")
MEDIAN_CI_METHODS = ("spss", "log", "log-log", "plain")


@dataclass(frozen=True)
class MedianCiWords:
    """How the report names one median-CI method (cytotrial.stats.kaplan_meier)."""

    heading: str  # a column of the medians table, beside the other methods
    short: str  # a figure's legend title: "Median in months (95% CI, <short>)"
    long: str  # the Methods paragraph: "medians with 95% CI by <long>"


# Every `clinical.median_ci` choice in words, in one place so the table, the figures and
# the Methods name a method alike (a test checks every method has its words).
MEDIAN_CI_WORDS: dict[str, MedianCiWords] = {
    "spss": MedianCiWords(
        "SPSS symmetric",
        "symmetric, as SPSS",
        "a symmetric Wald interval from Greenwood's variance (as SPSS reports it)",
    ),
    "log": MedianCiWords(
        "log",
        "log transform",
        "the Brookmeyer-Crowley method on the log scale (R survival's default)",
    ),
    "log-log": MedianCiWords(
        "log-log",
        "log-log transform",
        "the Brookmeyer-Crowley method on the log-log scale",
    ),
    "plain": MedianCiWords(
        "plain",
        "plain (linear)",
        "the Brookmeyer-Crowley method on the linear scale",
    ),
}


def _default(*path: str) -> Any:
    return schema_default("clinical", *path)


def _groups(groups: Sequence) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out = []
    for item in groups:
        if not isinstance(item, Mapping) or "label" not in item or "responses" not in item:
            raise InputError(
                "config clinical.response_groups: each item needs 'label' and 'responses', "
                f"got {item!r}"
            )
        out.append((str(item["label"]), tuple(str(r) for r in item["responses"])))
    return tuple(out)


@dataclass(frozen=True)
class PrimaryEndpointSettings:
    """The phase 2 primary endpoint and its single-stage design (paper: ORR >= 15%)."""

    orr_threshold: float = _default("primary_endpoint", "orr_threshold")
    p0: float = _default("primary_endpoint", "p0")
    p1: float = _default("primary_endpoint", "p1")
    alpha_one_sided: float = _default("primary_endpoint", "alpha_one_sided")
    power: float = _default("primary_endpoint", "power")
    planned_n: int = _default("primary_endpoint", "planned_n")


@dataclass(frozen=True)
class ClinicalSettings:
    """Everything the clinical analyses take from the config (defaults: the schema's)."""

    cutoff: pd.Timestamp = pd.Timestamp(schema_default("cutoff_date"))
    rp2d_atra_mg_m2: float = _default("rp2d_atra_mg_m2")
    dose_levels_mg_m2: tuple[float, ...] = tuple(float(v) for v in _default("dose_levels_mg_m2"))
    primary: PrimaryEndpointSettings = field(default_factory=PrimaryEndpointSettings)
    response_groups: tuple[tuple[str, tuple[str, ...]], ...] = _groups(_default("response_groups"))
    reference_group: str = _default("reference_group")
    median_ci: str = _default("median_ci")
    survival_times_months: tuple[float, ...] = tuple(
        float(v) for v in _default("survival_times_months")
    )
    km_tick_months: float = _default("km_tick_months")
    imwg: ImwgSettings = field(default_factory=ImwgSettings)

    def __post_init__(self) -> None:
        if self.median_ci not in MEDIAN_CI_METHODS:
            raise InputError(
                f"config clinical.median_ci: {self.median_ci!r} is not one of {MEDIAN_CI_METHODS}"
            )
        seen: set[str] = set()
        for label, responses in self.response_groups:
            unknown = set(responses) - set(RESPONSE_ORDER)
            if unknown:
                raise InputError(
                    f"config clinical.response_groups: group {label!r} lists unknown "
                    f"responses {sorted(unknown)} (allowed: {', '.join(RESPONSE_ORDER)})"
                )
            twice = seen & set(responses)
            if twice:
                raise InputError(
                    f"config clinical.response_groups: {sorted(twice)} in more than one group"
                )
            seen |= set(responses)
        labels = [label for label, _ in self.response_groups]
        if len(set(labels)) != len(labels):
            raise InputError(f"config clinical.response_groups: duplicated labels {labels}")
        if self.reference_group not in labels:
            raise InputError(
                f"config clinical.reference_group: {self.reference_group!r} is not one of the "
                f"response group labels {labels}"
            )
        if self.rp2d_atra_mg_m2 not in self.dose_levels_mg_m2:
            raise InputError(
                f"config clinical: the RP2D {self.rp2d_atra_mg_m2:g} mg/m2 is not one of the "
                f"dose levels {list(self.dose_levels_mg_m2)}"
            )
        if self.km_tick_months <= 0:
            raise InputError("config clinical.km_tick_months must be positive")

    @property
    def group_labels(self) -> list[str]:
        return [label for label, _ in self.response_groups]

    @property
    def group_of_response(self) -> dict[str, str]:
        """Best response -> group label; responses in no group are left out of subgroups."""
        return {r: label for label, rs in self.response_groups for r in rs}

    @classmethod
    def from_config(
        cls, clinical: Mapping | None = None, cutoff_date: str | None = None
    ) -> ClinicalSettings:
        """From the config's ``clinical:`` mapping and ``cutoff_date`` (missing keys: defaults)."""
        c = dict(clinical or {})
        primary = PrimaryEndpointSettings(**dict(c.get("primary_endpoint") or {}))
        groups = c.get("response_groups")
        kwargs: dict = {}
        if groups is not None:
            kwargs["response_groups"] = _groups(groups)
        for key in ("rp2d_atra_mg_m2", "reference_group", "median_ci", "km_tick_months"):
            if key in c:
                kwargs[key] = c[key]
        for key in ("dose_levels_mg_m2", "survival_times_months"):
            if key in c:
                kwargs[key] = tuple(float(v) for v in c[key])
        try:
            cutoff = pd.Timestamp(cutoff_date or schema_default("cutoff_date"))
        except ValueError as exc:
            raise InputError(f"config cutoff_date: {cutoff_date!r} is not a date") from exc
        imwg = ImwgSettings.from_config(c.get("imwg"))
        return cls(cutoff=cutoff, primary=primary, imwg=imwg, **kwargs)
