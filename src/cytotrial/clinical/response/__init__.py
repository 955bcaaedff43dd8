"""Best overall response: n (%) per category, ORR/CBR/DCR with exact CIs, the primary endpoint.

* ``rates``: the response tables of part A and of the RP2D population, and the primary
  endpoint against the trial's exact single-stage design.
"""

from cytotrial.clinical.response.rates import (
    evaluate_primary_endpoint,
    populations,
    primary_endpoint_table,
    response_categories,
    response_rates,
)

__all__ = [
    "evaluate_primary_endpoint",
    "populations",
    "primary_endpoint_table",
    "response_categories",
    "response_rates",
]
