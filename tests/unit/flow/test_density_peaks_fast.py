"""density.peaks and local_peaks skip work, not peaks: the vectorised local maxima and
the height pre-filter (a peak rises at most its height above its basin) keep exactly the
peaks that testing every local maximum's prominence keeps."""

from __future__ import annotations

import numpy as np
import pytest

import cytotrial.flow.gating.density as dn


def _every_maximum(dens: dn.Density, min_share, min_prominence, noise_sds, min_events):
    y = dens.values
    if len(y) < 2:
        return []
    candidates = [i for i in range(1, len(y) - 1) if y[i] > y[i - 1] and y[i] >= y[i + 1]]
    candidates = [0] * bool(y[0] > y[1]) + candidates + [len(y) - 1] * bool(y[-1] > y[-2])
    top = float(y.max())
    if top <= 0:
        return []
    kept = []
    for index in candidates:
        prominence, left, right = dn._prominence(y, index)
        mass = float(y[left : right + 1].sum() * dens.step)
        if mass < min_share:
            continue
        noise = dens.noise(index)
        if prominence >= min_prominence * top or (
            dens.n and prominence >= noise_sds * noise and mass * dens.n >= min_events and noise > 0
        ):
            kept.append(index)
    return kept


def _basin_peaks(dens: dn.Density, min_share: float) -> list[int]:
    y = dens.values
    candidates = [i for i in range(1, len(y) - 1) if y[i] > y[i - 1] and y[i] >= y[i + 1]]
    if len(y) > 1 and y[0] > y[1]:
        candidates.insert(0, 0)
    if len(y) > 1 and y[-1] > y[-2]:
        candidates.append(len(y) - 1)
    kept = []
    for i in candidates:
        left, right = i, i
        while left > 0 and y[left - 1] <= y[left]:
            left -= 1
        while right < len(y) - 1 and y[right + 1] <= y[right]:
            right += 1
        if y[left : right + 1].sum() * dens.step >= min_share:
            kept.append(i)
    return kept


@pytest.mark.parametrize("kind", ["plateaus", "spiky", "mixtures"])
def test_peaks_are_those_of_every_local_maximum(kind):
    rng = np.random.default_rng({"plateaus": 1, "spiky": 2, "mixtures": 3}[kind])
    options = [(0.001, 0.05, 4.0, 30), (0.0, 0.2, 2.0, 5), (0.01, 0.0, 0.0, 0)]
    for _ in range(300):
        if kind == "plateaus":  # ties between neighbours
            y = rng.integers(0, 4, int(rng.integers(2, 200))).astype(float)
        elif kind == "spiky":
            y = rng.random(int(rng.integers(2, 200))) ** 3
        else:  # a noisy small density: many low maxima in the tails
            values = np.concatenate(
                [rng.normal(0, 1, int(rng.integers(50, 3000))), rng.normal(4, 0.5, 40)]
            )
            y = dn.density(values, values.min() - 1, values.max() + 1).values
        dens = dn.Density(np.arange(len(y)) * 0.01, y, 0.05, int(rng.choice([0, 2000])))
        for option in options:
            assert dn.peaks(dens, *option) == _every_maximum(dens, *option)
        assert dn.local_peaks(dens) == _basin_peaks(dens, 0.01)
