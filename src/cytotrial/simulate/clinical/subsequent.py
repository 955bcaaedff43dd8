"""Outcome of the first subsequent line (after part B) in the demo trial.

The paper: ORR 61% and median PFS 6.2 months (95% CI 2.2-10.3) on the first subsequent
line of the 38 treated RP2D patients. Each first line gets a best_response and, when
progression comes before death and before the last follow-up, a progression_date.

PFS times are Weibull quantiles of stratified uniforms ((rank + jitter) / n); a short
fixed-point iteration moves the scale to the paper's median and the shape to its CI
half-width (SPSS SE, as the report computes it; numpy only: this runs at parse time).
The 23 longest-PFS patients (after a rank shuffle) are the responders (61% of 38).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cytotrial.simulate import paper_targets as pt
from cytotrial.simulate.clinical.km import km_median, spss_median_halfwidth

__all__ = [
    "line_outcomes",
]

MPD = pt.DAYS_PER_MONTH
ROUNDS = 40
RESPONSES = {"responder": ("PR", "VGPR", "CR"), "other": ("SD", "PD", "MR")}


def _weibull_q(u: np.ndarray, shape: float) -> np.ndarray:
    return (np.log1p(-u) / np.log(0.5)) ** (1.0 / shape)


def _pfs(
    u: np.ndarray, scale: float, shape: float, room: np.ndarray, dead: np.ndarray, cap: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(days to progression or NaN, PFS days, event) given days of follow-up `room`;
    progression comes at the latest at `cap` (a week before the next line, if any)."""
    t = np.fmin(np.maximum(14.0, np.round(scale * _weibull_q(u, shape))), cap)
    progressed = t <= room - 1  # a progression is seen before death / the last visit
    days = np.where(progressed, t, room)
    return np.where(progressed, t, np.nan), days, progressed | dead


def line_outcomes(
    rng: np.random.Generator, therapies: pd.DataFrame, dates: pd.DataFrame
) -> pd.DataFrame:
    """`therapies` with best_response and progression_date on the first lines."""
    out = therapies.copy()
    out["best_response"] = None
    out["progression_date"] = pd.NaT
    first = out.index[out["line"] == 1]
    d = dates.set_index("patient_id").loc[out.loc[first, "patient_id"]]
    start = out.loc[first, "start_date"].to_numpy()
    dead = d["death"].notna().to_numpy()
    end = np.where(dead, d["death"].to_numpy(), d["last_followup"].to_numpy())
    room = ((end - start) / np.timedelta64(1, "D")).astype(float)
    # the next line starts after progression on this one
    nxt = out[out["line"] == 2].set_index("patient_id")["start_date"]
    nxt_days = (nxt.reindex(d.index).to_numpy() - start) / np.timedelta64(1, "D")
    cap = nxt_days.astype(float) - 7
    n = len(first)
    u = (rng.permutation(n) + rng.uniform(0.1, 0.9, n)) / n
    target, _, hi = pt.SUBSEQUENT_LINE_PFS  # the symmetric CI: its upper half-width
    half_target = hi - target
    scale, shape, best = target * MPD, 1.2, None
    for _ in range(ROUNDS):
        prog, days, event = _pfs(u, scale, shape, room, dead, cap)
        median = km_median(days / MPD, event)
        half = spss_median_halfwidth(days / MPD, event)
        error = max(abs(median / target - 1), abs(half / half_target - 1))
        if best is None or error < best[0]:
            best = (error, prog, days)
        scale *= target / median
        shape = float(np.clip(shape * (half / half_target) ** 0.7, 0.5, 8.0))
    _, prog, days = best
    # responders: the longest PFS, ranks shuffled a little (not a perfect ordering)
    score = np.argsort(np.argsort(days)) + rng.normal(0, 4, n)
    responders = np.argsort(-score)[: pt.SUBSEQUENT_LINE_RESPONDERS]
    kind = np.full(n, "other", dtype=object)
    kind[responders] = "responder"
    response = [str(rng.choice(RESPONSES[k], p=[0.55, 0.3, 0.15])) for k in kind]
    out.loc[first, "best_response"] = response
    when = start + np.where(np.isnan(prog), 0, prog).astype("timedelta64[D]")
    out.loc[first, "progression_date"] = np.where(np.isnan(prog), np.datetime64("NaT"), when)
    out["progression_date"] = pd.to_datetime(out["progression_date"])
    return out
