"""The flow half of the demo trial: one raw FCS 3.1 file per blood sample, with truth.

* ``sample``: one sample simulated and written (``simulate_sample``, ``write_sample``).
* ``populations``: the blood tube's cell populations, phenotypes and treatment effects.
* ``instrument``: the simulated cytometer: spillover, per-batch drift, detector noise.
* ``events``: one file's events: labels, true fluorescence, scatter, time.
* ``fcs``: FCS 3.1 keywords and the file writer.
* ``scenarios``: what real trials have, planted (failed files, small files, a T-cell
  collapse, an instrument change) and recorded in truth/scenarios.tsv.
* ``findings``: the paper's flow findings as checkable statements.
"""

__all__ = ["events", "fcs", "findings", "instrument", "populations", "sample", "scenarios"]
