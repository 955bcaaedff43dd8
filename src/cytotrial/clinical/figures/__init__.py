"""The clinical figures (PNG + SVG); matplotlib is imported only when one is drawn.

* ``common``: headless matplotlib and the palette (``cytotrial.io.results.save_figure``
  writes every figure).
* ``km``: Kaplan-Meier plots with numbers at risk and log-rank P.
* ``response``: response bars and the part B swimmer plot.
* ``waterfall``: best change in the measurable marker per patient.
* ``patient_flow``: CONSORT-style boxes, checked, and their drawing.
"""

__all__ = ["common", "km", "patient_flow", "response", "waterfall"]
