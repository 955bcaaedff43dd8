"""The clinical half of the demo trial.

* ``trial``: ``simulate_clinical(seed)``: the six clinical tables (and which samples exist).
* ``cohort``: who the 63 patients are: their path through the trial and fixed traits.
* ``design``: numbers whose median, range and class counts equal the published ones.
* ``baseline``: baseline.csv, matching every Table 1 column.
* ``events``: responses, adverse events and subsequent therapies.
* ``survival``: dates, calibrated to the paper's Kaplan-Meier medians (``km``: a tiny
  numpy Kaplan-Meier median for that calibration).
* ``labs``: serial lab values consistent with the reported responses.
* ``subsequent``: the subsequent line's best response and progression (its ORR and PFS).
"""

__all__ = [
    "baseline",
    "cohort",
    "design",
    "events",
    "km",
    "labs",
    "subsequent",
    "survival",
    "trial",
]
