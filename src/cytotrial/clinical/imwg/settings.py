"""Parameters of the IMWG response engine (config ``clinical: imwg:``).

Defaults (declared in config/schemas/config.schema.yaml) are IMWG 2016 except where this
trial's protocol differs: the serum M-protein that makes disease measurable is 5 g/L here
(IMWG: 10 g/L).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from cytotrial.errors import InputError
from cytotrial.io.config_schema import schema_default

__all__ = [
    "ImwgSettings",
]


def _default(key: str) -> object:
    return schema_default("clinical", "imwg", key)


@dataclass(frozen=True)
class ImwgSettings:
    """Thresholds and options of the IMWG 2016 algorithm (units as in lab_values.csv)."""

    serum_measurable_min_g_l: float = _default("serum_measurable_min_g_l")
    urine_measurable_min_mg_24h: float = _default("urine_measurable_min_mg_24h")
    flc_measurable_min_mg_l: float = _default("flc_measurable_min_mg_l")
    bm_measurable_min_pct: float = _default("bm_measurable_min_pct")
    flc_ratio_normal_low: float = _default("flc_ratio_normal_low")
    flc_ratio_normal_high: float = _default("flc_ratio_normal_high")
    # Kumar 2016 says "lowest confirmed value"; Rajkumar 2011 uses any value (the default).
    nadir_requires_confirmation: bool = _default("nadir_requires_confirmation")
    # No IMWG MR for FLC-only disease; some protocols use a dFLC decrease of 25-49%.
    flc_minimal_response: bool = _default("flc_minimal_response")
    cycle_days: int = _default("cycle_days")
    # An assessment counts as "after cycle k" up to this many days past day k * cycle_days.
    visit_window_days: int = _default("visit_window_days")
    # An unconfirmed PD at a part's last assessment is confirmed by death within this many days.
    death_confirms_pd_days: int = _default("death_confirms_pd_days")

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, bool) and value < 0:
                raise InputError(f"config clinical.imwg.{f.name}: must not be negative")
        if self.flc_ratio_normal_low >= self.flc_ratio_normal_high:
            raise InputError("config clinical.imwg: flc_ratio_normal_low must be below _high")
        if self.cycle_days < 1:
            raise InputError("config clinical.imwg.cycle_days must be at least 1")

    @classmethod
    def from_config(cls, imwg: Mapping | None) -> ImwgSettings:
        """From the config's ``clinical: imwg:`` mapping (missing keys: defaults)."""
        known = {f.name for f in fields(cls)}
        unknown = set(imwg or {}) - known
        if unknown:
            raise InputError(f"config clinical.imwg: unknown key(s) {sorted(unknown)}")
        return cls(**dict(imwg or {}))
