"""IMWG measurable disease, fixed at a part's baseline (Kumar 2016; guide section 1.2).

A part's baseline value of each marker is its last value on or before the part's first dose
(part B: a new baseline, so the nadir resets there). Serum and urine M-protein are the
response markers when measurable; free light chains only when neither is; bone marrow plasma
cells (>= 30%) only when nothing else is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from cytotrial.clinical.imwg.settings import ImwgSettings
from cytotrial.io.lab_values import NUMERIC_COLUMNS

__all__ = [
    "Disease",
    "missing",
    "part_baseline",
    "dflc",
    "measurable_disease",
]

SERUM, URINE, KAPPA, LAMBDA, BMPC, SPD = NUMERIC_COLUMNS


@dataclass(frozen=True)
class Disease:
    """Which markers carry the response of one part, decided at its baseline."""

    serum: bool
    urine: bool
    flc: bool
    bm: bool
    involved_chain: str | None  # "kappa" or "lambda" from the baseline ratio; None if normal
    plasmacytoma: bool

    @property
    def response_markers(self) -> tuple[str, ...]:
        """The markers that must be present at every assessment (empty: non-measurable)."""
        named = (("serum", self.serum), ("urine", self.urine), ("flc", self.flc), ("bm", self.bm))
        return tuple(name for name, used in named if used)

    @property
    def primary_marker(self) -> str | None:
        """The marker of the waterfall plot: serum, else urine, else dFLC, else marrow."""
        markers = self.response_markers
        return markers[0] if markers else None


def missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def part_baseline(rows: pd.DataFrame, start: pd.Timestamp) -> dict[str, float]:
    """Per marker, the last value measured on or before ``start`` (NaN if none)."""
    before = rows[rows["date"] <= start]
    out = {}
    for column in NUMERIC_COLUMNS:
        values = before[column].dropna()
        out[column] = float(values.iloc[-1]) if len(values) else math.nan
    return out


def involved_chain(kappa: float, lambda_: float, s: ImwgSettings) -> str | None:
    """kappa if the ratio is above the normal range, lambda if below, None if normal/unknown."""
    if missing(kappa) or missing(lambda_) or lambda_ <= 0:
        return None
    ratio = kappa / lambda_
    if ratio > s.flc_ratio_normal_high:
        return "kappa"
    if ratio < s.flc_ratio_normal_low:
        return "lambda"
    return None


def dflc(kappa: float, lambda_: float, chain: str | None) -> float:
    """Involved minus uninvolved free light chain (NaN when unknown)."""
    if chain is None or missing(kappa) or missing(lambda_):
        return math.nan
    return kappa - lambda_ if chain == "kappa" else lambda_ - kappa


def measurable_disease(base: dict[str, float], s: ImwgSettings) -> Disease:
    """The measurable markers of a part from its baseline values."""
    serum = not missing(base[SERUM]) and base[SERUM] >= s.serum_measurable_min_g_l
    urine = not missing(base[URINE]) and base[URINE] >= s.urine_measurable_min_mg_24h
    chain = involved_chain(base[KAPPA], base[LAMBDA], s)
    involved = base[KAPPA] if chain == "kappa" else base[LAMBDA]
    flc = not (serum or urine) and chain is not None and involved >= s.flc_measurable_min_mg_l
    bm = not (serum or urine or flc) and not missing(base[BMPC])
    bm = bm and base[BMPC] >= s.bm_measurable_min_pct
    plasmacytoma = not missing(base[SPD]) and base[SPD] > 0
    return Disease(serum, urine, flc, bm, chain, plasmacytoma)
