"""Cox proportional-hazards hazard ratios of each group against a reference group.

Fitted with lifelines ``CoxPHFitter`` (Efron ties -- lifelines' only method, and R ``coxph``'s
default), one 0/1 indicator per non-reference level, like R
``coxph(Surv(time, event) ~ relevel(group, ref))``. HR = exp(coef), CI = exp(coef +- z se),
Wald p = 2 (1 - Phi(|coef / se|)).

lifelines' default stopping rule (``precision=1e-7``, relative log-likelihood change
``r_precision=1e-9``) stops before R does: on veteran the coefficient differed from R by 0.25 %
(2.5e-3 relative). It is fitted here with ``precision=1e-12, r_precision=1e-14``, which agrees
with R 3.5.3 to < 1e-7 relative on lung, veteran and aml.

lifelines is imported inside ``hazard_ratio`` (its import costs about 1.4 s).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from cytotrial.errors import InputError
from cytotrial.stats._common import group_levels, survival_arrays

__all__ = [
    "HazardRatio",
    "CoxResult",
    "hazard_ratio",
    "format_hr",
]

NAN = float("nan")


def format_hr(value: float) -> str:
    """A hazard ratio or its limit as printed: two decimals from 0.1, two significant
    digits below (0.011, 0.0019: '0.01 (0.00-0.06)' read as a zero limit)."""
    if math.isnan(value):
        return "NA"
    return f"{value:.2f}" if value >= 0.095 else f"{value:.2g}"


FIT_OPTIONS = {"precision": 1e-12, "r_precision": 1e-14, "max_steps": 200}


@dataclass(frozen=True)
class HazardRatio:
    """One Cox term: ``level`` against ``reference``."""

    level: object
    reference: object
    coef: float
    se: float
    hr: float
    lower: float
    upper: float
    z: float
    p_value: float


@dataclass(frozen=True)
class CoxResult:
    """Cox model on a grouping; ``terms`` follow the level order (reference left out).

    With two groups the single term is also reachable as ``result.hr``, ``.lower``,
    ``.upper``, ``.p_value``. NaN values with ``reason`` when no model can be fitted.
    """

    terms: tuple[HazardRatio, ...]
    reference: object
    n: int
    n_events: int
    log_likelihood: float
    alpha: float = 0.05
    ties: str = "efron"
    reason: str = ""

    def term(self, level) -> HazardRatio:
        for t in self.terms:
            if t.level == level:
                return t
        raise KeyError(f"no term for level {level!r}; levels: {[t.level for t in self.terms]}")

    def _single(self) -> HazardRatio:
        if len(self.terms) != 1:
            raise ValueError(f"{len(self.terms)} terms: use .term(level)")
        return self.terms[0]

    @property
    def hr(self) -> float:
        return self._single().hr

    @property
    def lower(self) -> float:
        return self._single().lower

    @property
    def upper(self) -> float:
        return self._single().upper

    @property
    def p_value(self) -> float:
        return self._single().p_value


def _nan_terms(levels: list, reference) -> tuple[HazardRatio, ...]:
    return tuple(HazardRatio(lv, reference, NAN, NAN, NAN, NAN, NAN, NAN, NAN) for lv in levels)


def hazard_ratio(
    time,
    event,
    group,
    reference,
    levels: Sequence | None = None,
    alpha: float = 0.05,
) -> CoxResult:
    """Hazard ratio (Cox, Efron ties) of every group vs ``reference`` with (1 - alpha) Wald CI.

    Mirrors R ``coxph(Surv(time, event) ~ group, ties = "efron")`` with ``reference`` as the
    first factor level. Levels without subjects get no term. Degenerate inputs (one group, an
    empty reference, no events, a group without events, no convergence) return NaN terms with
    ``reason`` instead of raising.
    """
    t, e = survival_arrays(time, event)
    g, lv = group_levels(group, levels)
    if g.size != t.size:
        raise InputError(f"group has {g.size} values but time has {t.size}")
    present = set(g.tolist())
    others = [x for x in lv if x != reference and x in present]
    base = dict(reference=reference, n=int(t.size), n_events=int(e.sum()), alpha=alpha)
    if reference not in present:
        reason = f"reference group {reference!r} has no subjects"
        return CoxResult(_nan_terms(others, reference), log_likelihood=NAN, reason=reason, **base)
    if not others:
        return CoxResult((), log_likelihood=NAN, reason="only one group: no comparison", **base)
    if not e.any():
        return CoxResult(
            _nan_terms(others, reference), log_likelihood=NAN, reason="no events", **base
        )
    no_events = [lvl for lvl in [reference, *others] if not e[g == lvl].any()]
    if no_events:
        reason = (
            f"group(s) {no_events} without events: HR not estimable (monotone likelihood; "
            "R would print a huge coefficient with a convergence warning)"
        )
        return CoxResult(_nan_terms(others, reference), log_likelihood=NAN, reason=reason, **base)

    import pandas as pd
    from lifelines import CoxPHFitter

    columns = {f"g{i}": lvl for i, lvl in enumerate(others)}
    frame = pd.DataFrame({name: (g == lvl).astype(float) for name, lvl in columns.items()})
    frame["_time"] = t
    frame["_event"] = e.astype(int)
    fitter = CoxPHFitter(alpha=alpha)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fitter.fit(frame, "_time", "_event", fit_options=dict(FIT_OPTIONS))
        except Exception as exc:  # lifelines raises ConvergenceError on separation
            return CoxResult(
                _nan_terms(others, reference),
                log_likelihood=NAN,
                reason=f"Cox model not fitted: {exc}".splitlines()[0],
                **base,
            )
    notes = sorted({str(w.message).split(". ")[0] for w in caught if "onverg" in str(w.message)})
    z_crit = float(stats.norm.ppf(1 - alpha / 2))
    terms = []
    for name, lvl in columns.items():
        coef = float(fitter.params_[name])
        se = float(fitter.standard_errors_[name])
        z = coef / se if se > 0 else NAN
        with np.errstate(over="ignore"):  # a huge coefficient gives HR inf, which is the answer
            hr, lower, upper = np.exp([coef, coef - z_crit * se, coef + z_crit * se])
        terms.append(
            HazardRatio(
                level=lvl,
                reference=reference,
                coef=coef,
                se=se,
                hr=float(hr),
                lower=float(lower),
                upper=float(upper),
                z=z,
                p_value=float(2 * stats.norm.sf(abs(z))),
            )
        )
    return CoxResult(
        tuple(terms),
        log_likelihood=float(fitter.log_likelihood_),
        reason="; ".join(notes),
        **base,
    )
