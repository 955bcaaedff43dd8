"""The trial's statistics, each matching a named reference implementation.

* ``kaplan_meier``: KM curve, Greenwood SE, medians/quantiles with CIs (R survfit rules and
  SPSS's symmetric CI), survival at fixed times, reverse-KM median follow-up.
* ``logrank``: log-rank test (R survdiff) overall and SPSS "pairwise over strata".
* ``multiplicity``: Holm and Benjamini-Hochberg adjusted P values (R ``p.adjust``).
* ``cox``: hazard ratios (lifelines CoxPHFitter, Efron ties, checked against R coxph).
* ``proportions``: Clopper-Pearson CIs, exact binomial tests, A'Hern single-stage design
  (and the arcsine normal-approximation sample size),
  primary-endpoint verdict.
* ``paired``: Wilcoxon matched pairs (GraphPad Prism exact-with-ties and R wilcox.test), stars,
  Prism quartiles.

Not-reached / not-estimable values are ``float("nan")`` throughout, with a ``reason``/``note``.
lifelines is imported lazily (only by ``hazard_ratio``).
"""

from cytotrial.stats.cox import CoxResult, HazardRatio, hazard_ratio
from cytotrial.stats.kaplan_meier import (
    KMTable,
    MedianEstimate,
    QuantileEstimate,
    confidence_band,
    kaplan_meier,
    median_followup,
    median_survival,
    quantile_survival,
    survival_at,
)
from cytotrial.stats.logrank import (
    LogrankResult,
    PairwiseLogrank,
    format_p,
    logrank,
    pairwise_logrank,
)
from cytotrial.stats.multiplicity import benjamini_hochberg, holm
from cytotrial.stats.paired import (
    Quartiles,
    WilcoxonResult,
    prism_quartiles,
    significance_stars,
    wilcoxon_matched_pairs,
)
from cytotrial.stats.proportions import (
    PrimaryEndpoint,
    ProportionCI,
    SingleStageDesign,
    arcsine_sample_size,
    binomial_p_at_least,
    binomial_p_at_most,
    binomial_p_two_sided,
    clopper_pearson,
    design_at_n,
    primary_endpoint,
    rejection_count,
    single_stage_design,
)

__all__ = [
    "CoxResult",
    "HazardRatio",
    "KMTable",
    "LogrankResult",
    "MedianEstimate",
    "PairwiseLogrank",
    "PrimaryEndpoint",
    "ProportionCI",
    "QuantileEstimate",
    "Quartiles",
    "SingleStageDesign",
    "WilcoxonResult",
    "arcsine_sample_size",
    "benjamini_hochberg",
    "binomial_p_at_least",
    "binomial_p_at_most",
    "binomial_p_two_sided",
    "clopper_pearson",
    "confidence_band",
    "design_at_n",
    "format_p",
    "hazard_ratio",
    "holm",
    "kaplan_meier",
    "logrank",
    "median_followup",
    "median_survival",
    "pairwise_logrank",
    "prism_quartiles",
    "primary_endpoint",
    "quantile_survival",
    "rejection_count",
    "significance_stars",
    "single_stage_design",
    "survival_at",
    "wilcoxon_matched_pairs",
]
