"""Kaplan-Meier estimate, median and quantiles with confidence intervals, survival at fixed times.

Every number here follows a named reference implementation:

* Curve and Greenwood SE: R ``survival::survfit`` (3.5.3). One row per distinct observed time
  (event or censoring), ``S(t) = prod_{t_j <= t} (1 - d_j / n_j)``,
  ``Var[log S] = sum d_j / (n_j (n_j - d_j))`` (``fit$std.err``), ``SE[S] = S * sqrt(Var[log S])``
  (what ``summary.survfit`` prints). Where S drops to 0 both SEs are NaN, as in R.
* Pointwise bands: R ``survfit_confint`` -- ``"log"``: ``exp(log S +- z se)`` (upper cut at 1);
  ``"log-log"``: ``exp(-exp(log(-log S) -+ z se / log S))`` (undefined at S = 1 and S = 0);
  ``"plain"``: ``S +- z S se`` cut to [0, 1].
* Median and its CI (``median_survival``): R ``print.survfit`` (``survmean``/``minmin``): the
  first row with ``y < 0.5 + sqrt(eps)``; if ``y == 0.5`` (within that tolerance) and a later row
  is lower, the midpoint of the two times. The same scan of the lower/upper band gives the
  lower/upper limit (Brookmeyer & Crowley, Biometrics 1982;38:29-41).
* Other quantiles (``quantile_survival``): R ``quantile.survfit`` (``findq``), which can differ
  from the print rule when a band is not monotone (aml overall, log band: 45 vs 48).
* SPSS (``conf_type="spss"``): symmetric Wald interval ``t_p +- z SE(t_p)``,
  ``SE(t_p) = SE_G[S(t_p)] / f(t_p)``, ``f = (S(u) - S(l)) / (l - u)``,
  ``u = max{t_j : S(t_j) >= 1 - p + 0.05}``, ``l = min{t_j : S(t_j) <= 1 - p - 0.05}`` over event
  times (Klein & Moeschberger 2nd ed. p.122; Collett, Modelling Survival Data, section 2.4;
  docs: clinical-methods guide section 3.1). The point estimate is ``min{t_j : S(t_j) <= 1 - p}``
  (no midpoint rule).

Not-reached convention: every estimate or limit that is not reached/not estimable is
``float("nan")`` (never ``inf`` as lifelines, never ``None``); ``QuantileEstimate.note`` says why,
and ``QuantileEstimate.format()`` prints ``"NR"``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cytotrial.errors import InputError
from cytotrial.stats._common import survival_arrays, z_value

__all__ = [
    "KMTable",
    "QuantileEstimate",
    "MedianEstimate",
    "kaplan_meier",
    "confidence_band",
    "median_survival",
    "quantile_survival",
    "survival_at",
    "median_followup",
]

CONF_TYPES = ("log", "log-log", "plain")
#: R's ``sqrt(.Machine$double.eps)`` tolerance used by ``minmin`` and ``findq``.
R_TOL = math.sqrt(np.finfo(float).eps)
#: SPSS/Klein-Moeschberger window half-width around the percentile.
SPSS_EPSILON = 0.05
NAN = float("nan")


@dataclass(frozen=True, eq=False)
class KMTable:
    """Kaplan-Meier table, one row per distinct observed time (R ``summary(fit, censored=TRUE)``).

    ``std_err`` is the Greenwood SE of S(t); ``std_err_log`` the SE of log S(t) (R
    ``fit$std.err``); ``cumhaz`` the Nelson-Aalen cumulative hazard (R ``fit$cumhaz``).
    """

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    surv: np.ndarray
    std_err: np.ndarray
    std_err_log: np.ndarray
    cumhaz: np.ndarray
    n: int

    def __post_init__(self) -> None:
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)  # frozen means frozen: the arrays too

    @property
    def n_events(self) -> int:
        return int(self.n_event.sum())

    @property
    def max_time(self) -> float:
        """Last observed time (event or censoring); NaN for an empty table."""
        return float(self.time[-1]) if self.time.size else NAN

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "time": self.time,
                "n_risk": self.n_risk,
                "n_event": self.n_event,
                "n_censor": self.n_censor,
                "surv": self.surv,
                "std_err": self.std_err,
                "std_err_log": self.std_err_log,
                "cumhaz": self.cumhaz,
            }
        )


@dataclass(frozen=True)
class QuantileEstimate:
    """A survival-time quantile with its confidence interval.

    ``p`` is the event probability (0.5 = median, 0.25 = first quartile: time where S = 0.75),
    as in R's ``quantile(fit, probs)``. ``method`` is the CI type (``log``, ``log-log``,
    ``plain``, ``spss``). For ``spss`` also ``se`` (SE of the time), ``raw_lower`` (``t - z se``,
    may be negative) and ``lower_truncated`` (``lower = max(0, raw_lower)`` was applied).
    NaN = not reached / not estimable, explained in ``note``.
    """

    p: float
    estimate: float
    lower: float
    upper: float
    method: str
    alpha: float = 0.05
    rule: str = ""
    se: float = NAN
    raw_lower: float = NAN
    lower_truncated: bool = False
    note: str = ""

    @property
    def reached(self) -> bool:
        return not math.isnan(self.estimate)

    def format(self, digits: int = 1, sep: str = "-", nr: str = "NR") -> str:
        """``"17.9 (0.0-48.8)"``; ``"NR"`` for anything not reached."""

        def f(v: float) -> str:
            return nr if math.isnan(v) else f"{v:.{digits}f}"

        if not self.reached:
            return nr
        return f"{f(self.estimate)} ({f(self.lower)}{sep}{f(self.upper)})"


@dataclass(frozen=True)
class MedianEstimate(QuantileEstimate):
    """Median survival time (``p = 0.5``) with its confidence interval; see QuantileEstimate."""


def kaplan_meier(time, event) -> KMTable:
    """Kaplan-Meier product-limit estimate with Greenwood standard errors (R ``survfit``).

    ``event``: boolean or 0/1 (1 = event). Tied event and censoring times: events first, the
    censored are still at risk at that time (the usual convention, R and lifelines alike).
    """
    t, e = survival_arrays(time, event)
    if t.size == 0:
        empty_f = np.empty(0, dtype=float)
        empty_i = np.empty(0, dtype=int)
        return KMTable(empty_f, empty_i, empty_i, empty_i, empty_f, empty_f, empty_f, empty_f, n=0)
    utimes, inverse = np.unique(t, return_inverse=True)
    n_event = np.bincount(inverse, weights=e.astype(float), minlength=utimes.size).astype(int)
    n_all = np.bincount(inverse, minlength=utimes.size)
    n_censor = n_all - n_event
    # n at risk at t_k = number with T >= t_k.
    n_risk = t.size - np.concatenate(([0], np.cumsum(n_all)[:-1]))
    d = n_event.astype(float)
    r = n_risk.astype(float)
    surv = np.cumprod(1.0 - d / r)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(d > 0, d / (r * (r - d)), 0.0)
    var_log = np.cumsum(term)
    std_err_log = np.sqrt(var_log)
    dead = surv <= 0.0
    std_err_log = np.where(dead | ~np.isfinite(std_err_log), NAN, std_err_log)
    std_err = surv * std_err_log
    cumhaz = np.cumsum(d / r)
    return KMTable(
        time=utimes,
        n_risk=n_risk.astype(int),
        n_event=n_event,
        n_censor=n_censor.astype(int),
        surv=surv,
        std_err=std_err,
        std_err_log=std_err_log,
        cumhaz=cumhaz,
        n=int(t.size),
    )


def _check_conf_type(conf_type: str, allow_spss: bool = False) -> None:
    allowed = CONF_TYPES + (("spss",) if allow_spss else ())
    if conf_type not in allowed:
        raise InputError(f"conf_type must be one of {allowed}, got {conf_type!r}")


def confidence_band(
    km: KMTable, conf_type: str = "log", alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise (1 - alpha) band of S(t) at each row, as R ``survfit_confint``.

    NaN where R gives NA (S = 0; for log-log also S = 1).
    """
    _check_conf_type(conf_type)
    z = z_value(alpha)
    p = km.surv
    se = km.std_err_log
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "plain":
            ok = p > 0
            half = z * se * p
            lower = np.where(ok, np.maximum(p - half, 0.0), NAN)
            upper = np.where(ok, np.minimum(p + half, 1.0), NAN)
        elif conf_type == "log":
            xx = np.where(p == 0, NAN, p)
            lower = np.exp(np.log(xx) - z * se)
            upper = np.minimum(np.exp(np.log(xx) + z * se), 1.0)
        else:  # log-log
            xx = np.where((p == 0) | (p == 1), NAN, p)
            se2 = z * se / np.log(xx)
            lower = np.exp(-np.exp(np.log(-np.log(xx)) - se2))
            upper = np.exp(-np.exp(np.log(-np.log(xx)) + se2))
    return lower, upper


def _minmin(y: np.ndarray, x: np.ndarray) -> float:
    """R ``survival:::survmean`` inner ``minmin``: first time a curve reaches 0.5 (midpoints)."""
    keep = ~np.isnan(y) & (y < 0.5 + R_TOL)
    if not keep.any():
        return NAN
    xs, ys = x[keep], y[keep]
    if abs(ys[0] - 0.5) < R_TOL and (ys < ys[0]).any():
        return float((xs[0] + xs[np.argmax(ys < ys[0])]) / 2.0)
    return float(xs[0])


def _approx_constant_right(xv: np.ndarray, yv: np.ndarray, v: float) -> float:
    """R ``approx(xv, yv, v, method="constant", f=1)`` (rule 1: NaN outside the range)."""
    ok = ~(np.isnan(xv) | np.isnan(yv))
    xv, yv = xv[ok], yv[ok]
    if xv.size == 0:
        return NAN
    order = np.argsort(xv, kind="stable")
    xv, yv = xv[order], yv[order]
    if v < xv[0] or v > xv[-1]:
        return NAN
    i, j = 0, xv.size - 1
    while i < j - 1:
        ij = (i + j) // 2
        if v < xv[ij]:
            j = ij
        else:
            i = ij
    if v == xv[j]:
        return float(yv[j])
    if v == xv[i]:
        return float(yv[i])
    return float(yv[j])


def _findq(x: np.ndarray, y: np.ndarray, p: float, tol: float = R_TOL) -> float:
    """R ``survival:::findq``: where the CDF curve ``y`` (= 1 - S or 1 - band) crosses ``p``."""
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return NAN
    xmax = x[-1]
    # duplicated(y): drop repeats of an earlier value (NaN repeats NaN).
    keep = np.ones(y.size, dtype=bool)
    seen: set = set()
    seen_nan = False
    for k, val in enumerate(y):
        if math.isnan(val):
            keep[k] = not seen_nan
            seen_nan = True
        elif val in seen:
            keep[k] = False
        else:
            seen.add(val)
    x, y = x[keep], y[keep]
    idx = np.arange(1.0, y.size + 1.0)
    i1 = _approx_constant_right(y + tol, idx, p)
    i2 = _approx_constant_right(y - tol, idx, p)

    def at(i: float) -> float:
        return NAN if math.isnan(i) else float(x[int(i) - 1])

    quant = (at(i1) + at(i2)) / 2.0
    if p == 0:
        quant = float(x[0])
    if not math.isnan(y[-1]) and abs(p - y[-1]) < tol:
        quant = (at(i1) + xmax) / 2.0
    return quant


def _spss_quantile(km: KMTable, p: float, alpha: float) -> QuantileEstimate:
    """SPSS KM percentile with symmetric Wald CI (formula in the module docstring)."""
    rule = "SPSS: t_p = min{t_j: S <= 1-p}; CI t_p +- z SE_G/f, f from u/l with eps=0.05"
    target = 1.0 - p
    ev = km.n_event > 0
    times, surv, se_g = km.time[ev], km.surv[ev], km.std_err[ev]
    hit = np.flatnonzero(surv <= target + R_TOL)
    cls = QuantileEstimate if p != 0.5 else MedianEstimate
    if hit.size == 0:
        note = "no observations" if km.n == 0 else "not reached: S(t) never falls to 1 - p"
        return cls(p, NAN, NAN, NAN, "spss", alpha, rule, note=note)
    k = int(hit[0])
    estimate = float(times[k])
    upper_side = np.flatnonzero(surv >= target + SPSS_EPSILON - R_TOL)
    if upper_side.size:
        u_time, u_surv = float(times[upper_side[-1]]), float(surv[upper_side[-1]])
    else:
        u_time, u_surv = 0.0, 1.0
    lower_side = np.flatnonzero(surv <= target - SPSS_EPSILON + R_TOL)
    if lower_side.size == 0:
        note = f"SE not estimable: S(t) never falls to {target - SPSS_EPSILON:.2f} (SPSS '.')"
        return cls(p, estimate, NAN, NAN, "spss", alpha, rule, note=note)
    l_time, l_surv = float(times[lower_side[0]]), float(surv[lower_side[0]])
    density = (u_surv - l_surv) / (l_time - u_time)
    se = float(se_g[k]) / density
    if math.isnan(se):
        note = "SE not estimable: Greenwood SE undefined where S(t) = 0"
        return cls(p, estimate, NAN, NAN, "spss", alpha, rule, note=note)
    z = z_value(alpha)
    raw_lower = estimate - z * se
    truncated = raw_lower < 0
    note = "lower limit cut at 0 (raw value kept in raw_lower)" if truncated else ""
    return cls(
        p,
        estimate,
        max(0.0, raw_lower),
        estimate + z * se,
        "spss",
        alpha,
        rule,
        se=se,
        raw_lower=raw_lower,
        lower_truncated=bool(truncated),
        note=note,
    )


def _not_reached_note(km: KMTable, estimate: float, lower: float, upper: float) -> str:
    if km.n == 0:
        return "no observations"
    parts = []
    if math.isnan(estimate):
        parts.append("median not reached")
    if math.isnan(lower) and not math.isnan(estimate):
        parts.append("lower limit not reached")
    if math.isnan(upper) and not math.isnan(estimate):
        parts.append("upper limit not reached")
    return "; ".join(parts)


def median_survival(km: KMTable, conf_type: str = "log", alpha: float = 0.05) -> MedianEstimate:
    """Median survival time with (1 - alpha) CI.

    ``conf_type`` ``"log"`` (R default), ``"log-log"`` (SAS/lifelines band), ``"plain"``: R
    ``print(survfit(..., conf.type=...))`` -- point estimate = first time S <= 0.5 (midpoint if S
    is exactly 0.5 on an interval); limits = the same rule on the pointwise band (Brookmeyer &
    Crowley). ``"spss"``: SPSS symmetric interval, lower limit cut at 0 (``raw_lower`` kept).
    """
    _check_conf_type(conf_type, allow_spss=True)
    if conf_type == "spss":
        return _spss_quantile(km, 0.5, alpha)  # a MedianEstimate for p = 0.5
    rule = "R print.survfit (survmean/minmin), Brookmeyer-Crowley limits"
    if km.n == 0:
        return MedianEstimate(0.5, NAN, NAN, NAN, conf_type, alpha, rule, note="no observations")
    lower_band, upper_band = confidence_band(km, conf_type, alpha)
    estimate = _minmin(km.surv, km.time)
    lower = _minmin(lower_band, km.time)
    upper = _minmin(upper_band, km.time)
    note = _not_reached_note(km, estimate, lower, upper)
    return MedianEstimate(0.5, estimate, lower, upper, conf_type, alpha, rule, note=note)


def quantile_survival(
    km: KMTable, p: float, conf_type: str = "log", alpha: float = 0.05
) -> QuantileEstimate:
    """Time by which a fraction ``p`` has had the event (S = 1 - p), with (1 - alpha) CI.

    R ``quantile(survfit(...), probs=p, conf.int=TRUE)`` (``findq``); ``conf_type="spss"`` gives
    the SPSS percentile with its symmetric CI. For p = 0.5 R's quantile() may differ from
    ``median_survival`` (print rule) when a band is not monotone; both are R.
    """
    if not 0.0 <= p <= 1.0:
        raise InputError(f"p must be in [0, 1], got {p!r}")
    _check_conf_type(conf_type, allow_spss=True)
    if conf_type == "spss":
        return _spss_quantile(km, p, alpha)
    rule = "R quantile.survfit (findq)"
    if km.n == 0:
        return QuantileEstimate(p, NAN, NAN, NAN, conf_type, alpha, rule, note="no observations")
    lower_band, upper_band = confidence_band(km, conf_type, alpha)
    x = np.concatenate(([0.0], km.time))
    estimate = _findq(x, np.concatenate(([0.0], 1.0 - km.surv)), p)
    lower = _findq(x, np.concatenate(([0.0], 1.0 - lower_band)), p)
    upper = _findq(x, np.concatenate(([0.0], 1.0 - upper_band)), p)
    note = _not_reached_note(km, estimate, lower, upper).replace("median", "quantile")
    return QuantileEstimate(p, estimate, lower, upper, conf_type, alpha, rule, note=note)


def survival_at(
    km: KMTable, times: Iterable[float], conf_type: str = "log", alpha: float = 0.05
) -> pd.DataFrame:
    """S(t), Greenwood SE and pointwise CI at given times (R ``summary(fit, times=...)``).

    Columns: ``time, estimable, n_risk, surv, std_err, lower, upper``. A time after the last
    observed time is not estimable (R drops it; here the row stays with NaN values) unless the
    curve has reached 0, where S = 0 is known (R ``extend = TRUE``; no CI). Before the
    first observed time S = 1 with SE 0 and CI 1 to 1 for every conf_type (R's start row;
    log-log is NA at later rows where S is still 1, as in R). ``n_risk`` = number with T >= t.
    """
    _check_conf_type(conf_type)
    lower_band, upper_band = confidence_band(km, conf_type, alpha)
    rows = []
    for t in times:
        t = float(t)
        if km.n == 0 or math.isnan(t):
            rows.append((t, False, NAN, NAN, NAN, NAN, NAN))
            continue
        if t > km.max_time:
            if km.surv[-1] == 0.0:  # everyone had the event: S(t) = 0 is known (R extend=TRUE)
                rows.append((t, True, 0.0, 0.0, float(km.std_err[-1]), NAN, NAN))
            else:  # last patient censored before t: the curve is undefined there
                rows.append((t, False, NAN, NAN, NAN, NAN, NAN))
            continue
        k = int(np.searchsorted(km.time, t, side="right")) - 1
        at_or_after = int(np.searchsorted(km.time, t, side="left"))
        n_risk = float(km.n_risk[at_or_after]) if at_or_after < km.time.size else 0.0
        if k < 0:  # R summary.survfit: the curve's start row, S = lower = upper = 1
            rows.append((t, True, n_risk, 1.0, 0.0, 1.0, 1.0))
            continue
        rows.append(
            (
                t,
                True,
                n_risk,
                float(km.surv[k]),
                float(km.std_err[k]),
                float(lower_band[k]),
                float(upper_band[k]),
            )
        )
    table = pd.DataFrame(
        rows, columns=["time", "estimable", "n_risk", "surv", "std_err", "lower", "upper"]
    )
    table["estimable"] = table["estimable"].astype(bool)
    return table


def median_followup(time, event, conf_type: str = "log", alpha: float = 0.05) -> MedianEstimate:
    """Median follow-up by reverse Kaplan-Meier (Schemper & Smith, Control Clin Trials 1996).

    R: ``survfit(Surv(time, 1 - event) ~ 1)`` -- the status is simply flipped (censoring is the
    "event", deaths are censored) and the median is read with R's print rule; NaN if the
    reverse curve never reaches 0.5.
    """
    t, e = survival_arrays(time, event)
    return median_survival(kaplan_meier(t, ~e), conf_type=conf_type, alpha=alpha)
