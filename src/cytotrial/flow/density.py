"""One-dimensional densities and the valleys between their peaks.

A marker's negative and positive cells form two peaks in transformed units; the
gate threshold goes at the lowest density between them. Found per sample, the
threshold follows instrument drift and staining differences that a fixed gate
would miss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BINS = 256
MIN_SMOOTHING_BINS = 2.0  # floor of the Gaussian kernel SD, in bins
MIN_PEAK_SHARE = 0.01  # a peak must hold at least this share of the density's mass
MIN_PROMINENCE = 0.05  # ... and rise this far (share of the highest peak) above its valleys


@dataclass(frozen=True)
class Density:
    """Smoothed histogram density on an even grid."""

    centers: np.ndarray
    values: np.ndarray

    @property
    def step(self) -> float:
        return float(self.centers[1] - self.centers[0])


def bandwidth(values: np.ndarray) -> float:
    """Silverman's rule of thumb: wider kernels for fewer events, so noise makes no peaks."""
    if len(values) < 2:
        return 0.0
    q75, q25 = np.percentile(values, [75, 25])
    spread = min(float(np.std(values)), float(q75 - q25) / 1.34) or float(np.std(values))
    return 0.9 * spread * len(values) ** -0.2


def density(values: np.ndarray, low: float, high: float, bins: int = BINS) -> Density:
    """Histogram over [low, high] smoothed with a Gaussian kernel; integrates to 1."""
    values = values[np.isfinite(values)]
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    sigma = max(MIN_SMOOTHING_BINS, bandwidth(values) / (edges[1] - edges[0]))
    radius = int(4 * sigma)
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    smoothed = np.convolve(counts.astype(np.float64), kernel / kernel.sum(), mode="same")
    total = smoothed.sum()
    step = edges[1] - edges[0]
    values_out = smoothed / (total * step) if total > 0 else smoothed
    return Density((edges[:-1] + edges[1:]) / 2, values_out)


def peaks(
    dens: Density, min_share: float = MIN_PEAK_SHARE, min_prominence: float = MIN_PROMINENCE
) -> list[int]:
    """Indices of local maxima that hold `min_share` of the mass and stand out.

    Prominence is topographic: how far a peak rises above the higher of the two
    lowest points separating it from higher ground on either side.
    """
    y = dens.values
    candidates = [i for i in range(1, len(y) - 1) if y[i] > y[i - 1] and y[i] >= y[i + 1]]
    if len(y) > 1 and y[0] > y[1]:
        candidates.insert(0, 0)
    if len(y) > 1 and y[-1] > y[-2]:
        candidates.append(len(y) - 1)
    kept = []
    for index in candidates:
        left, right = _basin(y, index)
        if y[left : right + 1].sum() * dens.step >= min_share:
            kept.append(index)
    return kept


def _basin(y: np.ndarray, index: int) -> tuple[int, int]:
    """Walk downhill from a peak to the nearest rise on each side."""
    left = index
    while left > 0 and y[left - 1] <= y[left]:
        left -= 1
    right = index
    while right < len(y) - 1 and y[right + 1] <= y[right]:
        right += 1
    return left, right


def valley_between(dens: Density, first: int, second: int) -> float:
    """Position of the lowest density between two peak indices."""
    low, high = sorted((first, second))
    segment = dens.values[low : high + 1]
    lowest = np.flatnonzero(segment == segment.min())
    return float(dens.centers[low + lowest[len(lowest) // 2]])


def prominent_pair(dens: Density, found: list[int]) -> tuple[int, int] | None:
    """The two peaks with the deepest valley between them (most clearly separate)."""
    best, best_depth = None, -1.0
    for a_pos, a in enumerate(found):
        for b in found[a_pos + 1 :]:
            floor = dens.values[a : b + 1].min()
            depth = min(dens.values[a], dens.values[b]) - floor
            if depth > best_depth:
                best, best_depth = (a, b), depth
    return best
