"""Gate kinds added by issue 15 (item 2), each in its own module.

* ``boolean`` (boolean.py): and / or / not over gates listed above; Gating-ML BooleanGate.
* ``polygon`` and ``ellipse`` (fixed.py): static shapes on any two dimensions.
* ``cluster`` (cluster.py): the density cluster around a ranked or located peak of a
  2-D KDE, bounded by a density contour and exported as a polygon.
* ``tail`` (tail.py): a one-sided cut where the negative peak's density falls to a
  fraction of its height, or at a quantile of the parent or of a control gate.
* ``singlets`` with ``width`` (singlets_hw.py): height x width singlets.

`syntax` parses and cross-checks the template entries (no numpy); `resolve` places the
gates per sample. gating.py and gating_template.py only dispatch to these modules.
"""

KINDS = ("boolean", "polygon", "ellipse", "cluster", "tail")
