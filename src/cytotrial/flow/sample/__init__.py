"""One sample (or one group of samples) analysed end to end.

* ``analysis``: one FCS file from raw events to gated populations, counts and CD38 MFI.
* ``job``: the per-sample Snakemake job; ``outputs`` writes its files atomically;
  ``audit_plot`` draws every gate on its parent's events (``plot_ticks``: its ticks in
  data units).
* ``pooling``: pooled cuts placed once on a group's events; ``pool_groups`` groups the
  sample sheet at parse time (no numpy).
* ``controls``: per-batch control files and the negative levels they show.
* ``review``: a reviewer's decisions on flagged gates and what each changes.
* ``status``: each population's status for the statistics (ok, flagged, failed, excluded).
"""

__all__ = [
    "analysis",
    "audit_plot",
    "controls",
    "job",
    "outputs",
    "plot_ticks",
    "pool_groups",
    "pooling",
    "review",
    "status",
]
