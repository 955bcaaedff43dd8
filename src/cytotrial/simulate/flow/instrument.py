"""The simulated cytometer: spillover, per-batch drift and detector noise.

Signal path of one event (linear units):

    true signal T (fluorochrome space, reference instrument)
      -> drift: D = T * gain            (per batch and channel; PMT voltage / laser drift)
      -> spillover: detector = D @ S_b  (S_b = batch spillover, row = source fluorochrome)
      -> + photon-counting and electronic noise -> raw value written to the FCS file

With detector gains g, single-stain controls of that session measure
S_b = diag(1/g) @ S0 @ diag(g), which is what the file's $SPILLOVER records. Compensating
with it gives back D (plus noise), so drift survives compensation as a per-channel gain,
as it does on a real instrument without bead normalisation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cytotrial.simulate.flow.populations import FLUOR_CHANNELS, rng_for

__all__ = [
    "batch_name",
    "assign_batches",
    "BatchDrift",
    "batch_drift",
    "detect_fluorescence",
    "measure_scatter",
]


def batch_name(acquisition_date: str) -> str:
    """One batch per calendar month of acquisition: '2016-07-14' -> 'B2016-07'."""
    return f"B{str(acquisition_date)[:7]}"


def assign_batches(samples: pd.DataFrame) -> pd.Series:
    """Acquisition batch per sample (one per calendar month of `acquisition_date`)."""
    return samples["acquisition_date"].astype(str).map(batch_name).rename("batch")


STREAM_BATCH = 31

# Reference spillover (rows: source fluorochrome, columns: detector), LSRFortessa-like.
# Order: FITC, PE, PerCP-Cy5.5, PE-Cy7, APC, APC-H7, BV421, BV510.
SPILLOVER_REFERENCE = np.array(
    [
        [1.0, 0.20, 0.03, 0.005, 0.0, 0.0, 0.0, 0.01],
        [0.01, 1.0, 0.12, 0.05, 0.002, 0.001, 0.0, 0.005],
        [0.0, 0.01, 1.0, 0.15, 0.03, 0.05, 0.0, 0.0],
        [0.0, 0.02, 0.03, 1.0, 0.002, 0.04, 0.0, 0.0],
        [0.0, 0.0, 0.02, 0.01, 1.0, 0.10, 0.0, 0.0],
        [0.0, 0.0, 0.01, 0.03, 0.04, 1.0, 0.0, 0.0],
        [0.02, 0.005, 0.0, 0.0, 0.0, 0.0, 1.0, 0.15],
        [0.08, 0.03, 0.01, 0.0, 0.0, 0.0, 0.02, 1.0],
    ]
)
assert SPILLOVER_REFERENCE.shape == (len(FLUOR_CHANNELS), len(FLUOR_CHANNELS))

# Detector noise: value units per photoelectron (photon-counting spread grows with
# sqrt(signal)) and Gaussian electronic noise SD (spreads compensated negatives around 0).
UNITS_PER_PHOTOELECTRON = np.array([30.0, 25.0, 40.0, 35.0, 30.0, 40.0, 20.0, 25.0])
ELECTRONIC_SD = np.array([25.0, 25.0, 30.0, 30.0, 20.0, 25.0, 30.0, 35.0])
SCATTER_NOISE = (0.01, 250.0)  # relative and additive SD of scatter measurements

DRIFT_SD = 0.07  # log-SD of per-batch fluorescence gain ...
DRIFT_MAX = 0.14  # ... clipped to about +-15%
SCATTER_DRIFT_SD = 0.02
SPILLOVER_DECIMALS = 6  # what $SPILLOVER records, and what the data are made with


@dataclass(frozen=True)
class BatchDrift:
    """Instrument state of one acquisition batch."""

    batch: str
    gains: np.ndarray  # per fluorescence channel, multiplies the compensated signal
    fsc_factor: float
    ssc_factor: float
    spillover: np.ndarray  # the session's spillover matrix (as written to $SPILLOVER)


def batch_drift(batch: str, seed: int, step: Mapping[str, float] | None = None) -> BatchDrift:
    """Deterministic instrument drift of a batch (same batch name and seed, same drift).

    `step`: detector -> signal multiplier on top of the drift (a voltage change, e.g. the
    instrument-change scenario); the session's spillover follows it, as its controls would.
    """
    rng = rng_for(seed, STREAM_BATCH, batch)
    log_gain = np.clip(rng.normal(0.0, DRIFT_SD, len(FLUOR_CHANNELS)), -DRIFT_MAX, DRIFT_MAX)
    gains = np.exp(log_gain)
    for channel, factor in (step or {}).items():
        gains[FLUOR_CHANNELS.index(channel)] *= factor
    fsc_factor, ssc_factor = np.exp(rng.normal(0.0, SCATTER_DRIFT_SD, 2))
    spill = SPILLOVER_REFERENCE * gains[np.newaxis, :] / gains[:, np.newaxis]
    spill = np.round(spill, SPILLOVER_DECIMALS)
    np.fill_diagonal(spill, 1.0)
    return BatchDrift(batch, gains, float(fsc_factor), float(ssc_factor), spill)


def detect_fluorescence(
    true_signal: np.ndarray, drift: BatchDrift, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Raw detector values and the pre-spillover signals they encode (both float32).

    `prespill` is drift-scaled signal plus the detector noise mapped back through the
    inverse spillover, i.e. exactly what compensation with $SPILLOVER recovers.
    """
    # float32 throughout: the file stores float32, and it halves memory traffic at 1M events.
    f32 = np.float32
    drifted = true_signal.astype(f32) * drift.gains.astype(f32)
    detector = _mix(drifted, drift.spillover.astype(f32))
    sd = np.maximum(detector, 0.0)
    sd *= UNITS_PER_PHOTOELECTRON.astype(f32)
    sd += (ELECTRONIC_SD**2).astype(f32)
    np.sqrt(sd, out=sd)
    noise = rng.standard_normal(detector.shape, dtype=f32)
    noise *= sd
    detector += noise
    prespill = _mix(noise, np.linalg.inv(drift.spillover).astype(f32))
    prespill += drifted
    return detector, prespill


def _mix(values: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """values @ matrix, summed over the rows of `matrix` in a fixed order.

    Not BLAS: its float32 sums split differently with its thread count (Snakemake sets
    it from the job's threads), so `--cores 1` and `--cores 2` wrote different bytes
    for the same seed. Eight multiply-adds per value are cheap next to the noise draws.
    """
    out = np.zeros((values.shape[0], matrix.shape[1]), dtype=values.dtype)
    for row in range(matrix.shape[0]):
        out += values[:, row : row + 1] * matrix[row]
    return out


def measure_scatter(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Add measurement noise to scatter pulse heights/areas."""
    rel, add = SCATTER_NOISE
    sd = np.sqrt((values * rel) ** 2 + add**2)
    return values + sd * rng.standard_normal(values.shape)
