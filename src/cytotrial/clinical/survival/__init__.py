"""Time-to-event endpoints and their Kaplan-Meier, log-rank and Cox analyses.

* ``endpoints``: PFS-B, OS-B, PFS-AB, OS-AB (and OS-A) times and events from dates.csv and
  the data cut-off.
* ``analysis``: medians with every CI method, log-rank, hazard ratios, S(t), follow-up.
"""

__all__ = ["endpoints", "analysis"]
