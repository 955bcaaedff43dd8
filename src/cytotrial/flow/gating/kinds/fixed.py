"""Fixed polygons and ellipses on any two dimensions (scatter or markers).

Static like the rectangle: the coordinates are the template's, in transformed units.
An ellipse is given by its centre, half-axes and the angle of the first half-axis
(degrees, counter-clockwise from the x axis); it becomes a Gating-ML ellipsoid with
distance 1 (covariance R diag(a^2, b^2) R^T).
"""

from __future__ import annotations

import math

from cytotrial.flow.gating.gates import EllipseGate, PolygonGate

__all__ = [
    "fixed_polygon",
    "fixed_ellipse",
]


def fixed_polygon(p: dict) -> PolygonGate:
    return PolygonGate(tuple(p["dims"]), tuple(p["vertices"]))


def fixed_ellipse(p: dict) -> EllipseGate:
    (a, b), angle = p["half_axes"], math.radians(p["angle"])
    c, s = math.cos(angle), math.sin(angle)
    xx = a * a * c * c + b * b * s * s
    yy = a * a * s * s + b * b * c * c
    xy = (a * a - b * b) * c * s
    return EllipseGate(tuple(p["dims"]), tuple(p["center"]), ((xx, xy), (xy, yy)), 1.0)
