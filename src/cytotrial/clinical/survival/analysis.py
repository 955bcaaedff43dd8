"""Kaplan-Meier analyses of the RP2D population, overall and by part A best-response group.

Input: the per-patient endpoint table (``endpoint_table``), one row per patient and endpoint
with ``months``, ``event`` and ``group``. Output tables:

* medians: n, events, the median with the CI of the configured method, and every method's
  median and CI side by side (SPSS symmetric with its SE and raw lower limit; R's log, log-log
  and plain Brookmeyer-Crowley), SPSS lower limits cut at 0 flagged;
* log-rank: overall across the groups with patients, and each group against the reference
  group (SPSS "pairwise over strata"), with Holm and Benjamini-Hochberg adjusted P values;
* Cox hazard ratios (Efron ties) of each group against the reference;
* S(t) at the configured times; median follow-up by reverse Kaplan-Meier.

A group without patients or without events gives a row with NaN and a note, never an error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cytotrial.clinical.population import (
    NOT_GROUPED,
    best_response,
    response_groups,
    rp2d_patients,
)
from cytotrial.clinical.settings import MEDIAN_CI_METHODS, ClinicalSettings
from cytotrial.clinical.survival.endpoints import (
    ENDPOINTS,
    FOLLOWUP_ENDPOINT,
    derive_endpoints,
)
from cytotrial.stats.cox import hazard_ratio
from cytotrial.stats.kaplan_meier import (
    kaplan_meier,
    median_followup,
    median_survival,
    survival_at,
)
from cytotrial.stats.logrank import format_p, logrank, pairwise_logrank
from cytotrial.stats.multiplicity import benjamini_hochberg, holm

__all__ = [
    "ALL",
    "endpoint_table",
    "median_row",
    "survival_tables",
    "SurvivalTables",
]

ALL = "All"
# S(t) bands: SPSS prints S(t) with its Greenwood SE only; S +- 1.96 SE is R's "plain".
_BAND_FOR_METHOD = {"spss": "plain", "log": "log", "log-log": "log-log", "plain": "plain"}


def endpoint_table(tables: dict[str, pd.DataFrame], settings: ClinicalSettings) -> pd.DataFrame:
    """Per-patient times and events: PFS/OS-B/AB for the RP2D population, OS-A for everyone.

    Columns: patient_id, endpoint, population, part_a_response, group, origin, end, event,
    months, status.
    """
    patients, dates, responses = tables["patients"], tables["dates"], tables["responses"]
    rp2d = rp2d_patients(patients, settings.rp2d_atra_mg_m2)
    everyone = patients["patient_id"].tolist()
    main = derive_endpoints(dates, settings.cutoff, rp2d).assign(population="RP2D")
    follow = derive_endpoints(dates, settings.cutoff, everyone, endpoints=[FOLLOWUP_ENDPOINT])
    follow = follow.assign(population="all enrolled")
    table = pd.concat([main, follow], ignore_index=True)
    part_a = best_response(responses, "A", everyone)
    groups = response_groups(responses, everyone, settings)
    table.insert(3, "part_a_response", table["patient_id"].map(part_a))
    table.insert(4, "group", table["patient_id"].map(groups))
    table.insert(2, "population", table.pop("population"))
    return table


def _column(method: str) -> str:
    return method.replace("-", "")


def _fmt(value: float, digits: int = 1) -> str:
    return "NR" if math.isnan(value) else f"{value:.{digits}f}"


def median_row(
    months: np.ndarray, event: np.ndarray, method: str, endpoint: str, group: str
) -> dict:
    """One row of the medians table (all CI methods, the chosen one up front)."""
    km = kaplan_meier(months, event)
    row: dict = {
        "endpoint": endpoint,
        "group": group,
        "n": km.n,
        "events": km.n_events,
        "censored": km.n - km.n_events,
    }
    estimates = {m: median_survival(km, conf_type=m) for m in MEDIAN_CI_METHODS}
    chosen = estimates[method]
    row.update(
        method=method,
        median=chosen.estimate,
        lower=chosen.lower,
        upper=chosen.upper,
        median_ci=_median_text(chosen),
        lower_cut_at_0=bool(chosen.lower_truncated),
        note="no patients" if km.n == 0 else ("no events" if km.n_events == 0 else chosen.note),
    )
    for m, est in estimates.items():
        c = _column(m)
        row[f"{c}_median"] = est.estimate
        row[f"{c}_lower"] = est.lower
        row[f"{c}_upper"] = est.upper
        if m == "spss":
            row["spss_se"] = est.se
            row["spss_raw_lower"] = est.raw_lower
            row["spss_lower_cut_at_0"] = bool(est.lower_truncated)
    return row


def _median_text(est) -> str:
    if not est.reached:
        return "NR"
    if math.isnan(est.lower) and math.isnan(est.upper):
        return f"{_fmt(est.estimate)} (CI not estimable)"
    lower = "0*" if est.lower_truncated else _fmt(est.lower)  # * = SPSS lower limit cut at 0
    return f"{_fmt(est.estimate)} ({lower}-{_fmt(est.upper)})"


@dataclass(frozen=True)
class SurvivalTables:
    """The survival result tables (see the module docstring)."""

    medians: pd.DataFrame
    logrank: pd.DataFrame
    hazard_ratios: pd.DataFrame
    at_times: pd.DataFrame
    followup: pd.DataFrame


def _subsets(frame: pd.DataFrame, labels: list[str]) -> list[tuple[str, pd.DataFrame]]:
    return [(ALL, frame)] + [(label, frame[frame["group"] == label]) for label in labels]


def survival_tables(endpoints: pd.DataFrame, settings: ClinicalSettings) -> SurvivalTables:
    """Every survival table for the RP2D population (``endpoint_table`` output)."""
    labels = settings.group_labels
    rp2d = endpoints[endpoints["population"] == "RP2D"]
    medians, tests, hrs, at_times = [], [], [], []
    band = _BAND_FOR_METHOD[settings.median_ci]
    for endpoint in ENDPOINTS:
        frame = rp2d[rp2d["endpoint"] == endpoint]
        for group, sub in _subsets(frame, labels):
            t, e = sub["months"].to_numpy(float), sub["event"].to_numpy(int)
            medians.append(median_row(t, e, settings.median_ci, endpoint, group))
            at = survival_at(kaplan_meier(t, e), settings.survival_times_months, conf_type=band)
            at_times.append(at.assign(endpoint=endpoint, group=group, band=band))
        grouped = frame[frame["group"] != NOT_GROUPED]
        tests += _logrank_rows(grouped, endpoint, labels, settings.reference_group)
        hrs += _hazard_rows(grouped, endpoint, labels, settings.reference_group)
    at_table = pd.concat(at_times, ignore_index=True)
    at_table = at_table[
        ["endpoint", "group", "time", "estimable", "n_risk", "surv", "std_err"]
        + ["lower", "upper", "band"]
    ]
    at_table = at_table.rename(columns={"time": "months"})
    return SurvivalTables(
        medians=pd.DataFrame(medians),
        logrank=pd.DataFrame(tests),
        hazard_ratios=pd.DataFrame(hrs),
        at_times=at_table,
        followup=_followup_table(endpoints),
    )


def _logrank_rows(frame: pd.DataFrame, endpoint: str, labels: list[str], reference: str) -> list:
    t, e, g = frame["months"].to_numpy(float), frame["event"].to_numpy(int), frame["group"]
    present = [lv for lv in labels if (g == lv).any()]
    overall = logrank(t, e, g.to_numpy(object), levels=present)
    rows = [
        _test_row(endpoint, "overall", " vs ".join(present), "", overall, len(frame), int(e.sum()))
    ]
    pairs = pairwise_logrank(t, e, g.to_numpy(object), reference=reference, levels=labels)
    # The pairwise tests of one endpoint are one family: Holm (family-wise error) and
    # Benjamini-Hochberg (false discovery rate), comparisons not made left out (R p.adjust).
    family = [pair.result.p_value for pair in pairs]
    adjusted = zip(holm(family), benjamini_hochberg(family), strict=True)
    rows[0] |= {"p_holm": math.nan, "p_holm_text": "", "p_bh": math.nan, "p_bh_text": ""}
    for pair, (p_holm, p_bh) in zip(pairs, adjusted, strict=True):
        m = (g == pair.group1) | (g == pair.group2)
        rows.append(
            _test_row(
                endpoint,
                f"{pair.group1} vs {pair.group2}",
                pair.group1,
                pair.group2,
                pair.result,
                int(m.sum()),
                int(e[m.to_numpy()].sum()),
            )
            | {
                "p_holm": p_holm,
                "p_holm_text": format_p(p_holm),
                "p_bh": p_bh,
                "p_bh_text": format_p(p_bh),
            }
        )
    return rows


def _test_row(endpoint, comparison, group, reference, result, n, events) -> dict:
    return {
        "endpoint": endpoint,
        "comparison": comparison,
        "group": group,
        "reference": reference,
        "n": n,
        "events": events,
        "chisq": result.chisq,
        "df": result.df,
        "p_value": result.p_value,
        "p_text": format_p(result.p_value),
        "note": result.reason,
    }


def _hazard_rows(frame: pd.DataFrame, endpoint: str, labels: list[str], reference: str) -> list:
    t, e, g = frame["months"].to_numpy(float), frame["event"].to_numpy(int), frame["group"]
    result = hazard_ratio(t, e, g.to_numpy(object), reference=reference, levels=labels)
    terms = {term.level: term for term in result.terms}
    rows = []
    for label in labels:
        if label == reference:
            continue
        term = terms.get(label)
        n = int((g == label).sum())
        note = "no patients in this group" if n == 0 else result.reason
        rows.append(
            {
                "endpoint": endpoint,
                "group": label,
                "reference": reference,
                "n_group": n,
                "n_reference": int((g == reference).sum()),
                "hr": term.hr if term else float("nan"),
                "lower": term.lower if term else float("nan"),
                "upper": term.upper if term else float("nan"),
                "p_value": term.p_value if term else float("nan"),
                "p_text": format_p(term.p_value) if term else "NA",
                "method": "Cox PH, Efron ties, Wald CI and P",
                "note": note,
            }
        )
    return rows


def _followup_table(endpoints: pd.DataFrame) -> pd.DataFrame:
    """Median follow-up by reverse Kaplan-Meier (deaths censored, censoring the 'event')."""
    specs = [
        ("all enrolled", FOLLOWUP_ENDPOINT, "start of part A"),
        ("RP2D", "OS-AB", "start of part A"),
        ("RP2D", "OS-B", "part B registration"),
    ]
    rows = []
    for population, endpoint, origin in specs:
        sub = endpoints[
            (endpoints["population"] == population) & (endpoints["endpoint"] == endpoint)
        ]
        est = median_followup(sub["months"].to_numpy(float), sub["event"].to_numpy(int))
        rows.append(
            {
                "population": population,
                "from": origin,
                "n": len(sub),
                "deaths": int(sub["event"].sum()),
                "median_followup_months": est.estimate,
                "lower": est.lower,
                "upper": est.upper,
                "method": "reverse Kaplan-Meier (R survfit, log CI)",
                "note": est.note,
            }
        )
    return pd.DataFrame(rows)
