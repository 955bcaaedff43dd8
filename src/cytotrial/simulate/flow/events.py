"""Vectorised synthesis of one file's events: labels, true fluorescence, scatter, time.

Cells are drawn from the phenotype tables in `flow_populations`; dead cells and doublets
are built from real leukocytes of the same sample (a doublet is the sum of two cells),
so they overlap the live singlets the way they do in real data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cytotrial.simulate.flow.instrument import BatchDrift, measure_scatter
from cytotrial.simulate.flow.populations import (
    AUTOFLUORESCENCE,
    CD38_COL,
    CD38_LEVEL,
    DEAD_FSC_FACTOR,
    DEAD_SOURCE_WEIGHT,
    DEAD_STAIN_FACTOR,
    DEAD_VIABILITY,
    FLUOR_MARKERS,
    GENERATED,
    LABEL,
    LEUKOCYTE_CODES,
    LEUKOCYTES,
    POPULATIONS,
    PROFILES,
    VIABILITY_COL,
)

__all__ = [
    "SCATTER_MAX",
    "TIMESTEP",
    "cd38_by_row",
    "leukocyte_cd38",
    "synthesize",
    "acquisition_time",
    "Cells",
]

SCATTER_MAX = 262_143.0  # ADC saturation of the scatter channels
FSC_THRESHOLD = 2_000.0  # trigger threshold: nothing dimmer is recorded
WIDTH_SCALE = 65_536.0  # BD-style width: W = A / H * 65536
AREA_FACTOR = 1.1  # A / H of a typical singlet pulse
SIDE_BY_SIDE = 0.2  # share of doublets passing side by side (normal width, taller pulse)
TIMESTEP = 0.01  # seconds per Time unit ($TIMESTEP)
EVENT_RATE = (1_500.0, 0.25)  # median events/s and log-SD between acquisitions
MIN_EVENT_RATE = 500.0


def _phenotype_tables() -> tuple[np.ndarray, np.ndarray]:
    """Median and per-cell log-SD per generated type (GENERATED rows) and channel."""
    median = np.zeros((len(GENERATED), len(FLUOR_MARKERS)))
    sd = np.zeros_like(median)
    for row, name in enumerate(GENERATED):
        profile = PROFILES[name]
        median[row] = AUTOFLUORESCENCE * profile.autofluorescence
        sd[row] = profile.neg_sd
        for marker, (stain, stain_sd) in profile.stains.items():
            col = FLUOR_MARKERS.index(marker)
            median[row, col] += stain
            sd[row, col] = stain_sd
        sd[row, CD38_COL] = profile.cd38_sd
        median[row, CD38_COL] = 1.0  # placeholder: the CD38 level is set per sample
    return median.astype(np.float32), sd.astype(np.float32)


_MEDIAN, _SD = _phenotype_tables()  # float32: halves the memory traffic at 1M events
_SCATTER = np.array(
    [[PROFILES[g].fsc, PROFILES[g].fsc_sd, PROFILES[g].ssc, PROFILES[g].ssc_sd] for g in GENERATED]
)
# Label code -> row of GENERATED for the populations that are generated directly.
_GEN_ROW = np.full(len(POPULATIONS), -1)
for _row, _name in enumerate(GENERATED):
    _GEN_ROW[LABEL[_name]] = _row
_LEUK_ROWS = _GEN_ROW[LEUKOCYTE_CODES]


@dataclass
class Cells:
    """Events of one file before detection; rows are in acquisition order."""

    labels: np.ndarray  # uint8 (n,)
    true_signal: np.ndarray  # (n, 8) fluorescence before drift and spillover
    scatter: np.ndarray  # (n, 5) FSC-A, FSC-H, FSC-W, SSC-A, SSC-H as measured


def cd38_by_row(cd38: np.ndarray) -> np.ndarray:
    """CD38 level per GENERATED row from the sample's levels (LEUKOCYTES order)."""
    table = np.empty(len(GENERATED))
    table[0] = CD38_LEVEL["debris"]
    table[_LEUK_ROWS] = cd38
    return table


def _cd38_cells(z: np.ndarray, rows: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Per-cell CD38 signal (float32) of cells of GENERATED `rows` from normals `z`."""
    signal = z.astype(np.float32) * _SD[rows, CD38_COL]
    np.exp(signal, out=signal)
    signal *= levels[rows].astype(np.float32)
    return signal


def leukocyte_cd38(counts: np.ndarray, z: np.ndarray, levels: np.ndarray) -> dict[str, np.ndarray]:
    """True CD38 of each leukocyte population's cells, exactly as `synthesize` draws them.

    `counts` are the label counts, `z` the first len(events) normals of the CD38 stream.
    """
    start = np.concatenate([[0], np.cumsum(counts)])
    out = {}
    for name in LEUKOCYTES:
        code = LABEL[name]
        part = slice(start[code], start[code + 1])
        out[name] = _cd38_cells(z[part], np.full(counts[code], _GEN_ROW[code]), levels)
    return out


def _draw_cells(
    rng: np.random.Generator, rows: np.ndarray, cd38_z: np.ndarray, levels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fluorescence (m, 8), FSC-H, SSC-H and relative pulse width of single cells."""
    fluor = rng.standard_normal((len(rows), len(FLUOR_MARKERS)), dtype=np.float32)
    fluor *= _SD[rows]
    np.exp(fluor, out=fluor)
    fluor *= _MEDIAN[rows]
    fluor[:, CD38_COL] = _cd38_cells(cd38_z, rows, levels)
    z = rng.standard_normal((3, len(rows)))
    scat = _SCATTER[rows]
    fsc_h = scat[:, 0] * np.exp(scat[:, 1] * z[0])
    ssc_h = scat[:, 2] * np.exp(scat[:, 3] * z[1])
    # Bigger cells give slightly longer pulses.
    width = (fsc_h / 60_000.0) ** 0.25 * np.exp(0.04 * z[2])
    return fluor, fsc_h, ssc_h, width


def synthesize(
    rng: np.random.Generator,
    cd38_rng: np.random.Generator,
    n: int,
    probs: np.ndarray,
    cd38: np.ndarray,
    drift: BatchDrift,
) -> Cells:
    """Draw exactly `n` events with label probabilities `probs` (POPULATIONS order).

    `cd38` is the sample's CD38 level per leukocyte population (LEUKOCYTES order).
    The first draw from `rng` is the label counts, and the first `n` normals of `cd38_rng`
    are the label-sorted events' CD38 spread: `leukocyte_cd38` relies on both.
    """
    counts = rng.multinomial(n, probs)
    labels = np.repeat(np.arange(len(POPULATIONS), dtype=np.uint8), counts)
    start = np.concatenate([[0], np.cumsum(counts)])
    dead = slice(start[LABEL["dead"]], start[LABEL["dead"] + 1])
    doublet = slice(start[LABEL["doublet"]], start[LABEL["doublet"] + 1])
    n_doublet = counts[LABEL["doublet"]]

    leuk_p = probs[LEUKOCYTE_CODES] / probs[LEUKOCYTE_CODES].sum()
    dead_p = leuk_p * np.array([DEAD_SOURCE_WEIGHT.get(p, 1.0) for p in LEUKOCYTES])
    rows = _GEN_ROW[labels]
    rows[dead] = rng.choice(_LEUK_ROWS, size=counts[LABEL["dead"]], p=dead_p / dead_p.sum())
    rows[doublet] = rng.choice(_LEUK_ROWS, size=n_doublet, p=leuk_p)
    partner_rows = rng.choice(_LEUK_ROWS, size=n_doublet, p=leuk_p)

    cd38_z = np.concatenate(
        [
            cd38_rng.standard_normal(n, dtype=np.float32),
            cd38_rng.standard_normal(n_doublet, dtype=np.float32),
        ]
    )
    fluor, fsc_h, ssc_h, width = _draw_cells(
        rng, np.concatenate([rows, partner_rows]), cd38_z, cd38_by_row(cd38)
    )
    fsc_a = fsc_h * width * AREA_FACTOR
    ssc_a = ssc_h * width * AREA_FACTOR

    # Dead cells: shrunken (low FSC), stains dim, viability dye bright.
    fluor[dead] *= DEAD_STAIN_FACTOR
    fluor[dead, VIABILITY_COL] = DEAD_VIABILITY[0] * np.exp(
        DEAD_VIABILITY[1] * rng.standard_normal(dead.stop - dead.start)
    )
    for arr in (fsc_h, fsc_a):
        arr[dead] *= DEAD_FSC_FACTOR

    _merge_doublets(rng, doublet, n, fluor, fsc_h, fsc_a, ssc_h, ssc_a)
    fluor, fsc_h, fsc_a, ssc_h, ssc_a = (a[:n] for a in (fluor, fsc_h, fsc_a, ssc_h, ssc_a))

    scatter = _measure(rng, drift, fsc_a, fsc_h, ssc_a, ssc_h)
    order = rng.permutation(n)  # acquisition order: populations interleaved at random
    return Cells(labels[order], fluor[order], scatter[order])


def _merge_doublets(
    rng: np.random.Generator,
    doublet: slice,
    n: int,
    fluor: np.ndarray,
    fsc_h: np.ndarray,
    fsc_a: np.ndarray,
    ssc_h: np.ndarray,
    ssc_a: np.ndarray,
) -> None:
    """Turn rows `doublet` into two-cell events with their partners (rows n, n+1, ...)."""
    m = doublet.stop - doublet.start
    partner = slice(n, n + m)
    fluor[doublet] += fluor[partner]
    # In tandem the pulse is about as tall as the bigger cell but twice as long; side by
    # side it is taller and barely longer, so some doublets sit in the singlet gate.
    side = rng.random(m) < SIDE_BY_SIDE
    tall = np.exp(rng.normal(0.08, 0.05, m))
    for h, a in ((fsc_h, fsc_a), (ssc_h, ssc_a)):
        a[doublet] += a[partner]
        tandem_h = np.maximum(h[doublet], h[partner]) * tall
        side_h = (h[doublet] + h[partner]) * 0.85
        h[doublet] = np.where(side, side_h, tandem_h)
        a[doublet] = np.maximum(a[doublet], h[doublet] * AREA_FACTOR * 0.9)


def _measure(
    rng: np.random.Generator,
    drift: BatchDrift,
    fsc_a: np.ndarray,
    fsc_h: np.ndarray,
    ssc_a: np.ndarray,
    ssc_h: np.ndarray,
) -> np.ndarray:
    """Measured FSC-A, FSC-H, FSC-W, SSC-A, SSC-H: drift, noise, threshold, saturation."""
    area_height = np.stack(
        [
            fsc_a * drift.fsc_factor,
            fsc_h * drift.fsc_factor,
            ssc_a * drift.ssc_factor,
            ssc_h * drift.ssc_factor,
        ],
        axis=1,
    )
    measured = np.clip(measure_scatter(area_height, rng), 1.0, SCATTER_MAX)
    measured[:, 1] = np.maximum(measured[:, 1], FSC_THRESHOLD)
    # Width is derived by the instrument from the pulse, so A = H * W / 65536 holds.
    fsc_w = np.minimum(measured[:, 0] / measured[:, 1] * WIDTH_SCALE, SCATTER_MAX)
    return np.column_stack([measured[:, 0], measured[:, 1], fsc_w, measured[:, 2], measured[:, 3]])


def acquisition_time(rng: np.random.Generator, n: int) -> tuple[np.ndarray, float]:
    """Time channel (units of TIMESTEP, non-decreasing) and acquisition duration in s."""
    rate = max(EVENT_RATE[0] * np.exp(rng.normal(0.0, EVENT_RATE[1])), MIN_EVENT_RATE)
    seconds = np.cumsum(rng.exponential(1.0 / rate, n))
    return (seconds / TIMESTEP).astype(np.float32), float(seconds[-1]) if n else 0.0
