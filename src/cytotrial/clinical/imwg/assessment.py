"""Per-assessment (unconfirmed) IMWG 2016 categories against a part's baseline and nadir.

Guide section 1.3. Every measurable marker is evaluated; the overall category is the lowest
level reached across them; any PD criterion (on any marker, measurable or not, each against
its own nadir) makes the assessment PD. Every downgrade for a missing datum carries a reason:

* ``no_bm_at_suspected_cr``: CR criteria met except that no marrow was examined -> VGPR;
* ``no_ife_at_suspected_cr``: M-protein not detectable but an IFE result missing -> VGPR;
* ``dara_ife_interference``: IgG-kappa patient, serum IFE positive, no DIRA result -> VGPR
  (daratumumab is an IgG1-kappa and co-migrates);
* ``no_clonality_for_scr`` / ``no_flc_for_scr``: sCR criteria unassessable -> CR;
* ``<marker>_missing``: a baseline-measurable marker not measured that day -> NE;
* ``no_measurable_disease``: nothing measurable at baseline -> NE (PD still detected).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from cytotrial.clinical.imwg.baseline import (
    BMPC,
    KAPPA,
    LAMBDA,
    SERUM,
    SPD,
    URINE,
    Disease,
    dflc,
    missing,
)
from cytotrial.clinical.imwg.progression import progression_markers, running_nadir
from cytotrial.clinical.imwg.settings import ImwgSettings
from cytotrial.io.lab_values import TEXT_COLUMNS

__all__ = [
    "RESPONSES",
    "Assessment",
    "PartAssessor",
]

RESPONSES = ("sCR", "CR", "VGPR", "PR", "MR")
# Levels reached by a single marker (higher = deeper); 5 = not detectable (CR candidate).
_SD, _MR, _PR, _VGPR, _UNDETECTABLE = 1, 2, 3, 4, 5
_LEVEL_NAMES = {_SD: "SD", _MR: "MR", _PR: "PR", _VGPR: "VGPR"}
_URINE_VGPR_BELOW_MG = 100.0
_URINE_PR_BELOW_MG = 200.0
_BM_CR_BELOW_PCT = 5.0


@dataclass(frozen=True)
class Assessment:
    """One post-baseline assessment: its unconfirmed category and why."""

    date: pd.Timestamp
    category: str
    reasons: tuple[str, ...] = ()
    pd_markers: tuple[str, ...] = ()
    change_pct: float = math.nan  # change of the part's primary marker from baseline

    @property
    def imaging_pd(self) -> bool:
        """PD on imaging needs no confirmation."""
        return any(m in ("new_lesion", "plasmacytoma") for m in self.pd_markers)


def _pct_decrease(base: float, value: float) -> float:
    """100 * (B - x) / B, on unrounded values."""
    return 100.0 * (base - value) / base


class PartAssessor:
    """Walks one part's post-baseline rows in date order, keeping the running nadirs."""

    def __init__(
        self, base: dict[str, float], disease: Disease, s: ImwgSettings, igg_kappa: bool
    ) -> None:
        self.base, self.disease, self.s, self.igg_kappa = base, disease, s, igg_kappa
        self.base_dflc = dflc(base[KAPPA], base[LAMBDA], disease.involved_chain)
        self.history: dict[str, list[float]] = {
            "serum": [base[SERUM]],
            "urine": [base[URINE]],
            "dflc": [self.base_dflc],
            "bm": [base[BMPC]],
            "spd": [base[SPD]],
        }
        self.last_spd = base[SPD]

    def assess_all(self, rows: pd.DataFrame) -> list[Assessment]:
        """Every post-baseline row in date order; BM results found at the nearest date."""
        rows = rows.copy()
        for column in TEXT_COLUMNS:  # NaN or None: not done
            rows[column] = rows[column].astype(object).where(rows[column].notna(), None)
        marrow = rows[rows[BMPC].notna()]
        return [self.assess(row, _nearest(marrow, row["date"])) for _, row in rows.iterrows()]

    def assess(self, row: pd.Series, marrow: pd.Series | None) -> Assessment:
        x = {
            "serum": row[SERUM],
            "urine": row[URINE],
            "dflc": dflc(row[KAPPA], row[LAMBDA], self.disease.involved_chain),
            "bm": row[BMPC],
            "spd": row[SPD],
        }
        confirmed = self.s.nadir_requires_confirmation
        nadir = {k: running_nadir(v, confirmed) for k, v in self.history.items()}
        pd_markers = progression_markers(self.disease, row["new_lesion"], x, nadir)
        if not missing(x["spd"]):
            self.last_spd = x["spd"]
        for key, values in self.history.items():
            values.append(x[key])
        change = self._primary_change(x)
        if pd_markers:
            return Assessment(row["date"], "PD", (), tuple(pd_markers), change)
        category, reasons = self._response(row, x, marrow)
        return Assessment(row["date"], category, tuple(reasons), (), change)

    def _primary_change(self, x: dict) -> float:
        marker = self.disease.primary_marker
        key = {"serum": SERUM, "urine": URINE, "bm": BMPC}.get(marker or "")
        base = self.base_dflc if marker == "flc" else self.base[key] if key else math.nan
        value = x["dflc"] if marker == "flc" else x[marker] if marker else math.nan
        if missing(base) or missing(value) or base <= 0:
            return math.nan
        return -_pct_decrease(base, value)

    # --- response levels ---------------------------------------------------------------

    def _response(self, row: pd.Series, x: dict, marrow: pd.Series | None):
        d = self.disease
        if not d.response_markers:
            return "NE", ["no_measurable_disease"]
        absent = [m for m in d.response_markers if missing(x["dflc" if m == "flc" else m])]
        if absent:
            return "NE", [f"{m}_missing" for m in absent]
        levels = [self._marker_level(m, x, row) for m in d.response_markers]
        levels += self._caps(x)
        level = min(levels)
        if level < _UNDETECTABLE:
            return _LEVEL_NAMES[level], []
        return self._complete_response(row, marrow)

    def _marker_level(self, marker: str, x: dict, row: pd.Series) -> int:
        if marker == "serum":
            return _serum_level(self.base[SERUM], x["serum"])
        if marker == "urine":
            return _urine_level(self.base[URINE], x["urine"])
        if marker == "flc":
            return self._flc_level(x["dflc"], row)
        return (
            _UNDETECTABLE
            if x["bm"] < _BM_CR_BELOW_PCT
            else (_PR if _pct_decrease(self.base[BMPC], x["bm"]) >= 50 else _SD)
        )

    def _flc_level(self, value: float, row: pd.Series) -> int:
        drop = _pct_decrease(self.base_dflc, value)
        if drop > 90:
            return _UNDETECTABLE if self._ratio_normal(row) else _VGPR
        if drop >= 50:
            return _PR
        if drop >= 25 and self.s.flc_minimal_response:
            return _MR
        return _SD

    def _caps(self, x: dict) -> list[int]:
        """Non-response markers that still limit the level: urine >= 100, plasmacytoma."""
        caps = []
        if (
            not self.disease.urine
            and not missing(x["urine"])
            and x["urine"] >= _URINE_VGPR_BELOW_MG
        ):
            caps.append(_PR)
        if self.disease.plasmacytoma:
            spd = self.last_spd  # imaging carried forward until repeated
            if spd > 0:
                drop = _pct_decrease(self.base[SPD], spd)
                caps.append(_VGPR if drop >= 50 else _MR if drop >= 25 else _SD)
        return caps

    def _ratio_normal(self, row: pd.Series) -> bool | None:
        kappa, lambda_ = row[KAPPA], row[LAMBDA]
        if missing(kappa) or missing(lambda_) or lambda_ <= 0:
            return None
        return self.s.flc_ratio_normal_low <= kappa / lambda_ <= self.s.flc_ratio_normal_high

    def _complete_response(self, row: pd.Series, marrow: pd.Series | None):
        sife, uife = row["serum_ife"], row["urine_ife"]
        if sife == "positive" and self.igg_kappa and row["dira"] == "negative":
            sife = "negative"  # the band is daratumumab
        if "positive" in (sife, uife):
            if sife == "positive" and self.igg_kappa and row["dira"] is None and uife != "positive":
                return "VGPR", ["dara_ife_interference"]
            return "VGPR", []
        if sife is None or uife is None:
            return "VGPR", ["no_ife_at_suspected_cr"]
        if marrow is None:
            return "VGPR", ["no_bm_at_suspected_cr"]
        if marrow[BMPC] >= _BM_CR_BELOW_PCT:
            return "VGPR", []
        ratio_normal = self._ratio_normal(row)
        if ratio_normal is None:
            return "CR", ["no_flc_for_scr"]
        if not ratio_normal:
            return "CR", []
        clonal = marrow["bm_clonal"]
        if clonal is None:
            return "CR", ["no_clonality_for_scr"]
        return ("sCR" if clonal == "no" else "CR"), []


def _serum_level(base: float, value: float) -> int:
    if value == 0:
        return _UNDETECTABLE
    drop = _pct_decrease(base, value)
    return _VGPR if drop >= 90 else _PR if drop >= 50 else _MR if drop >= 25 else _SD


def _urine_level(base: float, value: float) -> int:
    if value == 0:
        return _UNDETECTABLE
    if value < _URINE_VGPR_BELOW_MG:
        return _VGPR
    drop = _pct_decrease(base, value)
    if drop >= 90 or value < _URINE_PR_BELOW_MG:
        return _PR
    return _MR if drop >= 50 else _SD


def _nearest(marrow: pd.DataFrame, when: pd.Timestamp) -> pd.Series | None:
    """The post-baseline marrow result closest in time (earlier wins a tie), if any."""
    if marrow.empty:
        return None
    gaps = (marrow["date"] - when).abs()
    return marrow.loc[gaps.idxmin()]
