"""Density valleys and the Gaussian mixture find known structure in synthetic data."""

from __future__ import annotations

import numpy as np

from cytotrial.flow.gating.density import density, peaks, prominent_pair, valley_between
from cytotrial.flow.gating.gates import EllipseGate, PolygonGate, RectangleGate
from cytotrial.flow.gating.mixture import fit_mixture


def test_valley_lies_between_negative_and_positive_peaks():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(0.2, 0.04, 8000), rng.normal(0.7, 0.06, 2000)])
    dens = density(values, 0, 1)
    found = peaks(dens)
    pair = prominent_pair(dens, found)
    assert pair is not None
    threshold = valley_between(dens, *pair)
    assert 0.35 < threshold < 0.55
    # a misclassification rate close to the Bayes-optimal one for these two normals
    wrong = np.mean(values[:8000] > threshold) + np.mean(values[8000:] < threshold)
    assert wrong < 0.01


def test_single_population_has_no_pair():
    values = np.random.default_rng(1).normal(0.5, 0.05, 5000)
    dens = density(values, 0, 1)
    assert prominent_pair(dens, peaks(dens)) is None


def test_mixture_recovers_three_scatter_clouds():
    rng = np.random.default_rng(2)
    clouds = [((0.3, 0.1), 0.03, 3000), ((0.45, 0.3), 0.04, 600), ((0.5, 0.6), 0.06, 6000)]
    points = np.vstack([rng.normal(m, s, (n, 2)) for m, s, n in clouds])
    truth = np.repeat([0, 1, 2], [n for _, _, n in clouds])
    mixture = fit_mixture(points, 3, sort_dim=1)
    assert mixture.converged
    assert np.allclose(mixture.means, [m for m, _, _ in clouds], atol=0.02)
    assert np.mean(mixture.assign(points) == truth) > 0.98


def test_gate_shapes_contain_what_they_should():
    data = {"x": np.array([0.1, 0.5, 0.9]), "y": np.array([0.1, 0.5, 0.9])}
    assert RectangleGate(("x",), (0.3,), (None,)).contains(data).tolist() == [False, True, True]
    square = PolygonGate(("x", "y"), ((0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8)))
    assert square.contains(data).tolist() == [False, True, False]
    ellipse = EllipseGate(("x", "y"), (0.5, 0.5), ((0.01, 0.0), (0.0, 0.01)), 4.0)
    assert ellipse.contains(data).tolist() == [False, True, False]
    outline = ellipse.outline(8)
    assert np.allclose(np.hypot(*(outline - 0.5).T), 0.2)
