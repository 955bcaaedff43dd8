"""IMWG 2016 progression criteria, each marker against its own nadir (guide section 1.3).

* serum M-protein: +25% and +5 g/L from the nadir; from a nadir >= 50 g/L, +10 g/L suffices;
  from a nadir of 0 (spike gone), +5 g/L; reappearance on IFE alone is not PD;
* urine M-protein: +25% and +200 mg/24 h;
* dFLC (only when serum and urine were not measurable at baseline): +25% and > 100 mg/L;
* marrow plasma cells (only when nothing else was measurable): +10 percentage points;
* imaging: a new lesion, or the plasmacytomas' SPD +50% from its nadir (no confirmation needed).

The nadir is the lowest value from the part baseline up to, not including, the assessment
(option: the lowest value held at two consecutive assessments).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from cytotrial.clinical.imwg.baseline import Disease, missing

__all__ = [
    "running_nadir",
    "progression_markers",
]

_SERUM_PD_MIN_G_L = 5.0
_SERUM_PD_HIGH_NADIR_G_L = 50.0  # from a nadir this high, +10 g/L alone is PD (Kumar 2016)
_SERUM_PD_HIGH_NADIR_MIN_G_L = 10.0
_URINE_PD_MIN_MG = 200.0
_FLC_PD_MIN_MG_L = 100.0  # strictly more than this
_BM_PD_MIN_POINTS = 10.0


def running_nadir(history: Sequence[float], confirmed: bool) -> float:
    """Lowest earlier value (baseline first); with ``confirmed``, the lowest value held at two
    consecutive post-baseline assessments (Kumar 2016's "lowest confirmed value")."""
    values = [v for v in history if not missing(v)]
    if not values:
        return math.nan
    if not confirmed:
        return min(values)
    held = [max(a, b) for a, b in zip(values[1:], values[2:], strict=False)]
    return min([values[0], *held])


def _rise(value: float, nadir: float) -> float:
    """value - nadir; -inf when either is unknown (never a progression)."""
    return -math.inf if missing(value) or missing(nadir) else value - nadir


def _increase_is_pd(value: float, nadir: float, min_abs: float, strict: bool = False) -> bool:
    if missing(value) or missing(nadir):
        return False
    rise = value - nadir
    absolute = rise > min_abs if strict else rise >= min_abs
    return rise >= 0.25 * nadir and absolute


def _serum_is_pd(value: float, nadir: float) -> bool:
    """+25% and +5 g/L from the nadir; from a nadir >= 50 g/L, +10 g/L suffices."""
    if missing(value) or missing(nadir):
        return False
    if nadir >= _SERUM_PD_HIGH_NADIR_G_L and value - nadir >= _SERUM_PD_HIGH_NADIR_MIN_G_L:
        return True
    return _increase_is_pd(value, nadir, _SERUM_PD_MIN_G_L)


def progression_markers(d: Disease, new_lesion: str | None, x: dict, nadir: dict) -> list[str]:
    """The markers showing PD at this assessment (empty: no PD). ``x`` and ``nadir`` are keyed
    serum, urine, dflc, bm, spd; dFLC counts only without measurable serum/urine, marrow only
    with nothing else measurable (Kumar 2016)."""
    found = []
    if _serum_is_pd(x["serum"], nadir["serum"]):
        found.append("serum")
    if _increase_is_pd(x["urine"], nadir["urine"], _URINE_PD_MIN_MG):
        found.append("urine")
    if not (d.serum or d.urine) and _increase_is_pd(
        x["dflc"], nadir["dflc"], _FLC_PD_MIN_MG_L, strict=True
    ):
        found.append("flc")
    bm_only = not (d.serum or d.urine or d.flc)
    if bm_only and _rise(x["bm"], nadir["bm"]) >= _BM_PD_MIN_POINTS:
        found.append("bone_marrow")
    if new_lesion == "yes":
        found.append("new_lesion")
    spd_nadir = nadir["spd"]
    if not missing(spd_nadir) and spd_nadir > 0 and _rise(x["spd"], spd_nadir) >= 0.5 * spd_nadir:
        found.append("plasmacytoma")
    return found
