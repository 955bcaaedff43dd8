"""Flow cytometry part of the demo-trial simulator: one raw FCS 3.1 file per blood sample.

Each file holds `events` events of an 8-colour peripheral-blood tube (panel in
resources/panel.yaml): scatter, 8 fluorescence channels with spillover applied, Time.
Biology (population sizes, CD38 levels) follows the trial's published findings through
patient random effects x treatment effects (`flow_populations`); the instrument adds
per-batch drift, spillover and detector noise (`flow_instrument`). Ground truth (labels
per event and a per-population table) goes to a separate folder the pipeline never reads.

Same (sample, seed, events) -> byte-identical files: every random draw comes from
`np.random.default_rng([seed, stream, crc32(ID)])`, nothing depends on the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cytotrial.io.atomic import atomic_path
from cytotrial.simulate.flow.events import TIMESTEP, acquisition_time, synthesize
from cytotrial.simulate.flow.fcs import build_keywords, write_fcs
from cytotrial.simulate.flow.instrument import (
    assign_batches,
    batch_drift,
    batch_name,
    detect_fluorescence,
)
from cytotrial.simulate.flow.populations import (
    CD38_COL,
    FLUOR_CHANNELS,
    FLUOR_MARKERS,
    LABEL,
    LEUKOCYTES,
    LYMPHOCYTES,
    NK_CELLS,
    POPULATIONS,
    analyser_leukocytes,
    cd38_cell_rng,
    cd38_levels,
    event_probabilities,
    event_rng,
)
from cytotrial.simulate.flow.scenarios import apply_faults, events_of, gain_step

__all__ = [
    "CHANNELS",
    "MARKERS",
    "POPULATIONS",
    "SPILLOVER_CHANNELS",
    "TRUTH_COLUMNS",
    "SimulatedSample",
    "assign_batches",
    "leukocytes_per_ul",
    "simulate_sample",
    "write_sample",
]

SCATTER_CHANNELS = ("FSC-A", "FSC-H", "FSC-W", "SSC-A", "SSC-H")
CHANNELS: tuple[str, ...] = (*SCATTER_CHANNELS, *FLUOR_CHANNELS, "Time")
MARKERS: dict[str, str] = dict(zip(FLUOR_CHANNELS, FLUOR_MARKERS, strict=True))
SPILLOVER_CHANNELS: tuple[str, ...] = FLUOR_CHANNELS
TRUTH_COLUMNS = (
    "population",
    "label",
    "events",
    "cd38_median_true",
    "cd38_median_acquired",
    "fraction_of_leukocytes",
)
# Unions reported in the truth table as extra rows (label -1): what a gate on "NK cells"
# (CD3-CD56+) or on all lymphocytes / leukocytes would contain with perfect gating.
AGGREGATES: dict[str, tuple[str, ...]] = {
    "nk_cell": NK_CELLS,
    "lymphocyte": LYMPHOCYTES,
    "leukocyte": LEUKOCYTES,
}


@dataclass
class SimulatedSample:
    """One simulated acquisition, before writing."""

    sample_id: str
    events: np.ndarray  # float32 (n, 14), raw (spillover applied), CHANNELS order
    labels: np.ndarray  # uint8 (n,), index into POPULATIONS
    spillover: np.ndarray  # (8, 8), rows = source fluorochrome, as in $SPILLOVER
    spillover_channels: tuple[str, ...]
    keywords: dict[str, str]  # TEXT keywords ($FIL is replaced by the real file name)
    truth: pd.DataFrame  # TRUTH_COLUMNS, one row per population + AGGREGATES rows
    true_signal: np.ndarray = field(repr=False)  # float32 (n, 8): biology, pre drift/spill
    prespill: np.ndarray = field(repr=False)  # float32 (n, 8): what exact compensation gives


def leukocytes_per_ul(samples: pd.DataFrame, seed: int) -> pd.Series:
    """Haematology-analyser leukocyte count per sample (per uL).

    It is the sum of the simulated true subset counts (which also set the population
    shares in the FCS file) times a 3% analyser error, so leukocytes_per_ul x fraction
    of CD45+ viable singlets estimates each subset's absolute count.
    """
    values = [analyser_leukocytes(row, seed) for row in samples.to_dict("records")]
    return pd.Series(values, index=samples.index, name="leukocytes_per_ul", dtype=float)


def _batch_of(sample: Mapping[str, object]) -> str:
    batch = sample.get("batch")
    if batch is None or (isinstance(batch, float) and np.isnan(batch)) or str(batch) == "":
        return batch_name(str(sample["acquisition_date"]))
    return str(batch)


def simulate_sample(sample: Mapping[str, object], seed: int, events: int) -> SimulatedSample:
    """Simulate one FCS acquisition with exactly `events` events.

    `sample` needs sample_id, patient_id, part, timepoint, acquisition_date (YYYY-MM-DD)
    and batch (derived from the date when missing); optional scenario, scenario_events and
    instrument_step (flow_scenarios) plant a demo scenario; other keys are ignored.
    """
    if events < 1:
        raise ValueError(f"events must be >= 1, got {events}")
    events = events_of(sample, events)  # a too-small scenario file has its own count
    sample_id = str(sample["sample_id"])
    drift = batch_drift(_batch_of(sample), seed, gain_step(sample))
    rng = event_rng(sample, seed)
    cells = synthesize(
        rng,
        cd38_cell_rng(sample, seed),
        events,
        event_probabilities(sample, seed),
        cd38_levels(sample, seed),
        drift,
    )
    raw_fluor, prespill = detect_fluorescence(cells.true_signal, drift, rng)
    time, duration = acquisition_time(rng, events)

    data = np.empty((events, len(CHANNELS)), dtype=np.float32)
    data[:, : len(SCATTER_CHANNELS)] = cells.scatter
    data[:, len(SCATTER_CHANNELS) : -1] = raw_fluor
    data[:, -1] = time
    duration = apply_faults(sample, seed, data, CHANNELS) or duration  # failed acquisitions

    keywords = build_keywords(
        sample_id=sample_id,
        patient_id=str(sample["patient_id"]),
        acquisition_date=str(sample["acquisition_date"]),
        seed=seed,
        duration_s=duration,
        channels=CHANNELS,
        markers=MARKERS,
        spill_channels=SPILLOVER_CHANNELS,
        spillover=drift.spillover,
        timestep=TIMESTEP,
    )
    truth = _truth_table(cells.labels, cells.true_signal, raw_fluor, drift.spillover)
    return SimulatedSample(
        sample_id=sample_id,
        events=data,
        labels=cells.labels,
        spillover=drift.spillover,
        spillover_channels=SPILLOVER_CHANNELS,
        keywords=keywords,
        truth=truth,
        true_signal=cells.true_signal,
        prespill=prespill,
    )


def _truth_table(
    labels: np.ndarray, true_signal: np.ndarray, raw_fluor: np.ndarray, spillover: np.ndarray
) -> pd.DataFrame:
    """Events, CD38 medians (true and as acquired) and leukocyte share per population."""
    # Exact compensation of the CD38 channel only: the written float32 values times the
    # CD38 column of the inverse spillover.
    unmix = np.linalg.inv(spillover)[:, CD38_COL]
    acquired = np.zeros(len(labels))
    for col, weight in enumerate(unmix):
        if weight != 0.0:  # column by column: no float64 copy of the whole (n, 8) matrix
            acquired += weight * raw_fluor[:, col].astype(np.float64)
    true_cd38 = true_signal[:, CD38_COL]
    order = np.argsort(labels, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=len(POPULATIONS)))])
    by_label = [order[bounds[k] : bounds[k + 1]] for k in range(len(POPULATIONS))]
    n_leukocytes = sum(len(by_label[LABEL[p]]) for p in LEUKOCYTES)

    groups = [(name, code, (name,)) for code, name in enumerate(POPULATIONS)]
    groups += [(name, -1, members) for name, members in AGGREGATES.items()]
    rows = []
    for name, code, members in groups:
        index = np.concatenate([by_label[LABEL[m]] for m in members])
        in_leukocytes = all(m in LEUKOCYTES for m in members)
        rows.append(
            {
                "population": name,
                "label": code,
                "events": len(index),
                "cd38_median_true": _median(true_cd38, index),
                "cd38_median_acquired": _median(acquired, index),
                "fraction_of_leukocytes": (
                    len(index) / n_leukocytes if in_leukocytes and n_leukocytes else np.nan
                ),
            }
        )
    return pd.DataFrame(rows, columns=list(TRUTH_COLUMNS))


def _median(values: np.ndarray, index: np.ndarray) -> float:
    return float(np.median(values[index])) if len(index) else float("nan")


def write_sample(sim: SimulatedSample, fcs_path: Path, truth_dir: Path) -> None:
    """Write the FCS file and, in `truth_dir`, {sample_id}.labels.npy and .truth.tsv.

    $FIL is set to the FCS file's name. Files appear atomically (complete or not at all).
    """
    fcs_path, truth_dir = Path(fcs_path), Path(truth_dir)
    keywords = {**sim.keywords, "$FIL": fcs_path.name}
    write_fcs(fcs_path, sim.events, keywords)
    with atomic_path(truth_dir / f"{sim.sample_id}.labels.npy") as tmp, open(tmp, "wb") as fh:
        np.save(fh, np.ascontiguousarray(sim.labels, dtype=np.uint8), allow_pickle=False)
    with atomic_path(truth_dir / f"{sim.sample_id}.truth.tsv") as tmp:
        sim.truth.to_csv(
            tmp, sep="\t", index=False, float_format="%.6g", na_rep="NA", lineterminator="\n"
        )
