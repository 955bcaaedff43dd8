"""A small two-dimensional Gaussian mixture (EM), for scatter populations.

Lymphocytes, monocytes and granulocytes form three overlapping clouds on
forward/side scatter. A Gaussian mixture finds them per sample; each fitted
component becomes an ellipse gate (Gating-ML's ellipsoid gate). Deterministic:
components start at fixed quantiles of the sorting dimension, no random state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "fit_mixture",
    "Mixture",
]

MAX_FIT_EVENTS = 10_000  # EM on an even subsample: enough for 3 clouds, bounded cost
MAX_ITERATIONS = 100
TOLERANCE = 1e-6
RIDGE = 1e-6  # keeps covariances invertible for tight clouds


@dataclass(frozen=True)
class Mixture:
    """Fitted components, ordered by their mean on the sorting dimension."""

    weights: np.ndarray  # (k,)
    means: np.ndarray  # (k, 2)
    covariances: np.ndarray  # (k, 2, 2)
    converged: bool

    def log_densities(self, points: np.ndarray) -> np.ndarray:
        """log(weight_k * N(point | mean_k, cov_k)) for every point and component."""
        result = np.empty((len(points), len(self.weights)))
        for k in range(len(self.weights)):
            result[:, k] = np.log(self.weights[k]) + _log_normal(
                points, self.means[k], self.covariances[k]
            )
        return result

    def assign(self, points: np.ndarray) -> np.ndarray:
        """Most probable component per point."""
        return np.argmax(self.log_densities(points), axis=1)


def _log_normal(points: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    delta = points - mean
    precision = np.linalg.inv(cov)
    squared = np.einsum("ij,jk,ik->i", delta, precision, delta)
    _, logdet = np.linalg.slogdet(cov)
    return -0.5 * (squared + logdet + 2 * np.log(2 * np.pi))


def fit_mixture(points: np.ndarray, components: int, sort_dim: int = 1) -> Mixture:
    """Fit a `components`-cloud Gaussian mixture to (n, 2) points by EM."""
    points = points[np.all(np.isfinite(points), axis=1)].astype(np.float64)
    if len(points) < components * 10:
        raise ValueError(f"too few events ({len(points)}) to fit {components} populations")
    if len(points) > MAX_FIT_EVENTS:
        points = points[:: int(np.ceil(len(points) / MAX_FIT_EVENTS))]
    weights, means, covs = _initial(points, components, sort_dim)
    previous = -np.inf
    converged = False
    for _ in range(MAX_ITERATIONS):
        mixture = Mixture(weights, means, covs, False)
        log_dens = mixture.log_densities(points)
        top = log_dens.max(axis=1, keepdims=True)
        log_total = top[:, 0] + np.log(np.exp(log_dens - top).sum(axis=1))
        resp = np.exp(log_dens - log_total[:, None])
        weights, means, covs = _maximise(points, resp)
        likelihood = float(log_total.mean())
        if abs(likelihood - previous) < TOLERANCE:
            converged = True
            break
        previous = likelihood
    order = np.argsort(means[:, sort_dim])
    return Mixture(weights[order], means[order], covs[order], converged)


def _initial(points: np.ndarray, k: int, sort_dim: int):
    order = np.argsort(points[:, sort_dim], kind="stable")
    chunks = np.array_split(order, k)
    means = np.array([points[c].mean(axis=0) for c in chunks])
    covs = np.array([np.cov(points[c].T) + RIDGE * np.eye(2) for c in chunks])
    weights = np.full(k, 1.0 / k)
    return weights, means, covs


def _maximise(points: np.ndarray, resp: np.ndarray):
    totals = resp.sum(axis=0) + 1e-12
    weights = totals / totals.sum()
    means = (resp.T @ points) / totals[:, None]
    covs = np.empty((resp.shape[1], 2, 2))
    for k in range(resp.shape[1]):
        delta = points - means[k]
        covs[k] = (resp[:, k, None] * delta).T @ delta / totals[k] + RIDGE * np.eye(2)
    return weights, means, covs
