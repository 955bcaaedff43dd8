"""A file's events made ready to gate (no gating here).

* ``transforms``: linear, logicle and asinh per channel (a fast logicle lookup table).
* ``compensation``: a spillover matrix applied to the fluorescence channels.
* ``spillover``: which matrix compensates a sample ($SPILL, the panel's, a control's) and
  what must be flagged about the choice.
* ``qc``: event count, flow-rate anomalies, saturation, non-finite values: flags, never a crash.
* ``stains``: does each panel channel stain the panel's marker ($PnS against the panel).
"""

__all__ = ["compensation", "qc", "spillover", "stains", "transforms"]
