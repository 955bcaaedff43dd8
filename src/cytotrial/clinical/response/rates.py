"""Best overall response: n (%) per IMWG category, ORR/CBR/DCR with exact CIs, primary endpoint.

Populations: part A = every patient enrolled (patients.csv); part B = the patients treated at
the RP2D (efficacy population). A patient of the population without a response row counts as
NE (not evaluable), and NE counts as a non-responder in every rate (intention to treat).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from cytotrial.clinical.formatting import percent
from cytotrial.clinical.population import best_response, rp2d_patients
from cytotrial.clinical.settings import RESPONSE_ORDER, ClinicalSettings
from cytotrial.stats.proportions import (
    PrimaryEndpoint,
    SingleStageDesign,
    arcsine_sample_size,
    clopper_pearson,
    design_at_n,
    primary_endpoint,
    single_stage_design,
)

__all__ = [
    "populations",
    "response_categories",
    "response_rates",
    "evaluate_primary_endpoint",
    "primary_endpoint_table",
    "Population",
    "PrimaryEndpointResult",
]

# Rate -> (label, responses that count).
_RATES = {
    "ORR": ("Overall response rate (>= PR)", ("sCR", "CR", "VGPR", "PR")),
    "CBR": ("Clinical benefit rate (>= MR)", ("sCR", "CR", "VGPR", "PR", "MR")),
    "DCR": ("Disease control rate (>= SD)", ("sCR", "CR", "VGPR", "PR", "MR", "SD")),
}
_RESPONSE_LABELS = {
    "sCR": "Stringent complete response (sCR)",
    "CR": "Complete response (CR)",
    "VGPR": "Very good partial response (VGPR)",
    "PR": "Partial response (PR)",
    "MR": "Minimal response (MR)",
    "SD": "Stable disease (SD)",
    "PD": "Progressive disease (PD)",
    "NE": "Not evaluable (NE)",
}


@dataclass(frozen=True)
class Population:
    """A named set of patients whose best responses are tabulated."""

    key: str
    label: str
    responses: pd.Series  # best response per patient_id

    @property
    def n(self) -> int:
        return len(self.responses)


def populations(
    patients: pd.DataFrame, responses: pd.DataFrame, settings: ClinicalSettings
) -> list[Population]:
    """Part A (all enrolled) and part B at the RP2D."""
    everyone = patients["patient_id"].tolist()
    rp2d = rp2d_patients(patients, settings.rp2d_atra_mg_m2)
    return [
        Population("A", "Part A (daratumumab)", best_response(responses, "A", everyone)),
        Population(
            "B_RP2D",
            f"Part B at RP2D ({settings.rp2d_atra_mg_m2:g} mg/m2)",
            best_response(responses, "B", rp2d),
        ),
    ]


def response_categories(pops: list[Population]) -> pd.DataFrame:
    """One row per category and population: n, N, percent and 'n (%)' text."""
    rows = []
    for pop in pops:
        counts = pop.responses.value_counts()
        for category in RESPONSE_ORDER:
            x = int(counts.get(category, 0))
            rows.append(
                {
                    "population": pop.key,
                    "population_label": pop.label,
                    "category": category,
                    "category_label": _RESPONSE_LABELS[category],
                    "n": x,
                    "N": pop.n,
                    "percent": 100 * x / pop.n if pop.n else float("nan"),
                    "text": f"{x} ({percent(x, pop.n)}%)",
                }
            )
    return pd.DataFrame(rows)


def response_rates(pops: list[Population], confidence: float = 0.95) -> pd.DataFrame:
    """ORR, CBR, DCR per population with exact Clopper-Pearson CIs (NaN when N = 0)."""
    rows = []
    for pop in pops:
        for key, (label, counted) in _RATES.items():
            x = int(pop.responses.isin(counted).sum())
            ci = clopper_pearson(x, pop.n, confidence)
            rows.append(
                {
                    "population": pop.key,
                    "population_label": pop.label,
                    "rate": key,
                    "rate_label": label,
                    "x": x,
                    "N": pop.n,
                    "estimate": ci.estimate,
                    "ci_lower": ci.lower,
                    "ci_upper": ci.upper,
                    "ci_method": "Clopper-Pearson exact",
                    "text": ci.format(digits=1) if pop.n else "no patients",
                }
            )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class PrimaryEndpointResult:
    """The primary endpoint at the RP2D with the design checks."""

    result: PrimaryEndpoint
    design: SingleStageDesign  # the exact design for p0, p1, alpha, power
    at_planned_n: SingleStageDesign  # operating characteristics at the protocol's n
    at_observed_n: SingleStageDesign  # ... and at the n actually treated
    arcsine_n: float  # the protocol's calculation: normal approximation, arcsine, unrounded
    planned_n: int  # the protocol's n (config clinical.primary_endpoint.planned_n)


def evaluate_primary_endpoint(
    pops: list[Population], settings: ClinicalSettings
) -> PrimaryEndpointResult:
    """ORR at the RP2D against the configured threshold and design (exact binomial)."""
    s = settings.primary
    pop = next(p for p in pops if p.key == "B_RP2D")
    x = int(pop.responses.isin(_RATES["ORR"][1]).sum())
    result = primary_endpoint(x, pop.n, s.p0, s.alpha_one_sided, s.orr_threshold)
    return PrimaryEndpointResult(
        result=result,
        design=single_stage_design(s.p0, s.p1, s.alpha_one_sided, s.power),
        at_planned_n=design_at_n(s.planned_n, s.p0, s.p1, s.alpha_one_sided),
        at_observed_n=design_at_n(pop.n, s.p0, s.p1, s.alpha_one_sided),
        arcsine_n=arcsine_sample_size(s.p0, s.p1, s.alpha_one_sided, s.power),
        planned_n=s.planned_n,
    )


def _short_verdict(r: PrimaryEndpoint) -> str:
    """'met', 'not met', or 'met under one reading only' (test vs point estimate)."""
    if r.met_by_test and r.met_by_point_estimate:
        return "met"
    if not r.met_by_test and not r.met_by_point_estimate:
        return "not met"
    return "met under one reading only (exact test vs point estimate; see the verdict)"


def primary_endpoint_table(pe: PrimaryEndpointResult) -> pd.DataFrame:
    """Two-column (item, value) table: the result, the verdict and the design check."""
    r, d = pe.result, pe.design
    rows = [
        ("Endpoint", f"ORR (>= PR) at the RP2D, threshold {100 * r.threshold:g}%"),
        ("Responders / treated (x/n)", f"{r.ci.x}/{r.ci.n}"),
        ("ORR (95% CI, Clopper-Pearson)", r.ci.format(digits=1)),
        ("Null rate p0", f"{100 * r.p0:g}%"),
        ("One-sided alpha", f"{r.alpha_one_sided:g}"),
        ("Exact one-sided binomial P(X >= x | p0)", f"{r.p_value:.4g}"),
        ("Responders needed to reject p0 at this n (r)", _r_text(r.r, r.ci.n)),
        (
            f"One-sided {100 * (1 - r.alpha_one_sided):g}% lower bound",
            f"{100 * r.one_sided_lower:.1f}%",
        ),
        ("Met by the exact test", "yes" if r.met_by_test else "no"),
        (
            "Met by the point estimate (ORR >= threshold)",
            "yes" if r.met_by_point_estimate else "no",
        ),
        ("Verdict", f"Primary endpoint {_short_verdict(r)}."),
        ("Verdict in words", r.verdict),
        (
            "Exact single-stage design (A'Hern)",
            f"p0 {d.p0:g}, p1 {d.p1:g}, one-sided alpha {d.alpha_one_sided:g}, power "
            f"{d.power_target:g}: n = {d.n}, reject p0 with >= {d.r} responders "
            f"(actual alpha {d.alpha_actual:.4f}, power {d.power_actual:.3f})",
        ),
        (
            "Normal approximation with arcsine transformation (the protocol's method)",
            _arcsine_text(pe, d),
        ),
        (
            f"Design at the protocol's n = {pe.at_planned_n.n}",
            _at_n_text(pe.at_planned_n),
        ),
        (f"Design at the treated n = {pe.at_observed_n.n}", _at_n_text(pe.at_observed_n)),
    ]
    return pd.DataFrame(rows, columns=["item", "value"])


def _arcsine_text(pe: PrimaryEndpointResult, d: SingleStageDesign) -> str:
    n = pe.arcsine_n
    nearest, up = round(n), math.ceil(n)
    agrees = (
        f"the protocol's n = {pe.planned_n}"
        if nearest == pe.planned_n
        else f"not the protocol's n = {pe.planned_n}"
    )
    return (
        f"p0 {d.p0:g}, p1 {d.p1:g}, one-sided alpha {d.alpha_one_sided:g}, power "
        f"{d.power_target:g}: n = {n:.1f}, to the nearest integer {nearest} ({agrees}; "
        f"rounded up {up}); the exact design above needs n = {d.n}"
    )


def _r_text(r: int, n: int) -> str:
    return f">= {r}" if r <= n else "none (p0 cannot be rejected at this n)"


def _at_n_text(d: SingleStageDesign) -> str:
    return (
        f"reject p0 with >= {d.r} responders; actual alpha {d.alpha_actual:.4f}, power at p1 "
        f"{d.power_actual:.3f}"
    )
