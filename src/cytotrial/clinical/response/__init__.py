"""Best overall response: n (%) per category, ORR/CBR/DCR with exact CIs, the primary endpoint.

* ``rates``: the response tables of part A and of the RP2D population, and the primary
  endpoint against the trial's exact single-stage design.
"""

__all__ = ["rates"]
