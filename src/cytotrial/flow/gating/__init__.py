"""The gating engine: a template's gates placed on one sample's transformed events.

* ``template``: the gating template (YAML, or an imported Gating-ML/FlowJo strategy) read
  into gate specifications; ``template_checks`` checks a document against its schema and
  the panel, naming file, gate and key; ``inputs`` is the workflow's parse-time check.
* ``engine``: the hierarchy applied to one sample: cuts, flags, masks (``gate_events``).
* ``density``: 1-D densities, their peaks and the valleys between them.
* ``mixture``: a small 2-D Gaussian mixture for scatter populations.
* ``gates``: concrete gate geometry (rectangles, polygons, ellipses, quadrants).
* ``kinds``: the tail, cluster, boolean, fixed-shape and height x width singlet gates.
"""

__all__ = [
    "density",
    "engine",
    "gates",
    "inputs",
    "kinds",
    "mixture",
    "template",
    "template_checks",
]
