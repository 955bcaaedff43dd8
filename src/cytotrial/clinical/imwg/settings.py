"""Parameters of the IMWG response engine (config ``clinical: imwg:``).

Defaults are IMWG 2016 except where this trial's protocol differs: the serum M-protein
that makes disease measurable is 5 g/L here (IMWG: 10 g/L), which is also the schema default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from cytotrial.errors import InputError

__all__ = [
    "ImwgSettings",
]


@dataclass(frozen=True)
class ImwgSettings:
    """Thresholds and options of the IMWG 2016 algorithm (units as in lab_values.csv)."""

    serum_measurable_min_g_l: float = 5.0
    urine_measurable_min_mg_24h: float = 200.0
    flc_measurable_min_mg_l: float = 100.0
    bm_measurable_min_pct: float = 30.0
    flc_ratio_normal_low: float = 0.26
    flc_ratio_normal_high: float = 1.65
    # Kumar 2016 says "lowest confirmed value"; Rajkumar 2011 uses any value (the default).
    nadir_requires_confirmation: bool = False
    # No IMWG MR for FLC-only disease; some protocols use a dFLC decrease of 25-49%.
    flc_minimal_response: bool = False
    cycle_days: int = 28
    # An assessment counts as "after cycle k" up to this many days past day k * cycle_days.
    visit_window_days: int = 7
    # An unconfirmed PD at a part's last assessment is confirmed by death within this many days.
    death_confirms_pd_days: int = 28

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
