"""The simulated demo trial, calibrated to the paper (what the workflow runs without data).

* ``trial``: the whole trial: ``plan_demo_samples`` (the sample sheet, cheap, at parse
  time) and ``simulate_trial`` (every file), from one seed.
* ``clinical``: the six clinical tables and lab values, matching every count of the paper.
* ``flow``: one raw FCS 3.1 file per blood sample, with per-event truth.
* ``paper_targets``: the published numbers, transcribed (the simulator's and the paper
  check's one source).
* ``settings``: the config's ``demo:`` section as a typed object.

The simulator never imports scipy: the workflow plans the demo at parse time.
"""

__all__ = ["clinical", "flow", "paper_targets", "settings", "trial"]
