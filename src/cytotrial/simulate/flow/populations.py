"""Cell populations of the simulated blood tube, their phenotypes and the treatment effects.

Everything here is a plain table so the calibration can be read in one place:

* `PROFILES`: scatter and marker phenotype of each generated cell type (linear units,
  i.e. what an ideal detector at the reference gain records, before spillover).
* `CD38_LEVEL`, `CD38_EFFECT`: CD38 (APC) level per population and the multiplicative
  treatment effect per (part, timepoint). Daratumumab masks/removes CD38, three days of
  ATRA raise it, and the rise fades while ATRA continues (monocytes fade more slowly).
* `COUNT_PER_UL`, `COUNT_EFFECT`: absolute counts per uL and treatment effects on them
  (NK depletion by daratumumab, T-cell expansion, a transient monocyte dip under ATRA).

Patient random effects (same for all a patient's samples, in both parts) and sample-level
noise are drawn from streams keyed by the seed and a CRC32 of the ID, so any sample can be
simulated alone, in any order, on any thread, with the same result.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "POPULATIONS",
    "LABEL",
    "LEUKOCYTES",
    "LEUKOCYTE_CODES",
    "LYMPHOCYTES",
    "NK_CELLS",
    "FLUOR_CHANNELS",
    "FLUOR_MARKERS",
    "CD38_COL",
    "VIABILITY_COL",
    "AUTOFLUORESCENCE",
    "rng_for",
    "PROFILES",
    "GENERATED",
    "DEAD_SOURCE_WEIGHT",
    "DEAD_STAIN_FACTOR",
    "DEAD_VIABILITY",
    "DEAD_FSC_FACTOR",
    "CD38_LEVEL",
    "SCENARIO_COUNT_EFFECT",
    "SCENARIO_DEBRIS_SHARE",
    "cd38_levels",
    "counts_per_ul",
    "analyser_leukocytes",
    "event_rng",
    "cd38_cell_rng",
    "event_probabilities",
    "CellProfile",
]

# Ground-truth labels; the label code is the index.
POPULATIONS: tuple[str, ...] = (
    "debris",
    "doublet",
    "dead",
    "granulocyte",
    "monocyte",
    "t_cell",
    "b_cell",
    "nk_cd56bright",
    "nk_cd56dim_cd16pos",
    "other_lymphocyte",
)
LABEL = {name: code for code, name in enumerate(POPULATIONS)}
# CD45+ viable singlets: the denominator of "fraction of leukocytes".
LEUKOCYTES: tuple[str, ...] = POPULATIONS[3:]
LEUKOCYTE_CODES = np.array([LABEL[p] for p in LEUKOCYTES])
LYMPHOCYTES: tuple[str, ...] = (
    "t_cell",
    "b_cell",
    "nk_cd56bright",
    "nk_cd56dim_cd16pos",
    "other_lymphocyte",
)
NK_CELLS: tuple[str, ...] = ("nk_cd56bright", "nk_cd56dim_cd16pos")

# Fluorescence channels in file order and the marker each carries.
FLUOR_CHANNELS: tuple[str, ...] = (
    "FITC-A",
    "PE-A",
    "PerCP-Cy5.5-A",
    "PE-Cy7-A",
    "APC-A",
    "APC-H7-A",
    "BV421-A",
    "BV510-A",
)
FLUOR_MARKERS: tuple[str, ...] = (
    "CD16",
    "CD56",
    "CD45",
    "CD19",
    "CD38",
    "CD3",
    "CD14",
    "Viability",
)
CD38_COL = FLUOR_MARKERS.index("CD38")
VIABILITY_COL = FLUOR_MARKERS.index("Viability")

# Autofluorescence of a lymphocyte per channel; other cells scale it (granulocytes are
# the most autofluorescent, most visibly in the violet channels).
AUTOFLUORESCENCE = np.array([120.0, 90.0, 110.0, 60.0, 50.0, 50.0, 140.0, 160.0])

# Random-stream identifiers: one per kind of draw, so adding a draw of one kind never
# shifts another kind's numbers.
STREAM_PATIENT_CD38 = 11
STREAM_PATIENT_COUNT = 12
STREAM_SAMPLE_CD38 = 21
STREAM_SAMPLE_COUNT = 22
STREAM_SAMPLE_DEBRIS = 23
STREAM_ANALYSER = 24
STREAM_EVENTS = 51
STREAM_CD38_CELLS = 52


def _stable_int(text: str) -> int:
    """A platform-independent integer for an ID (Python's hash() is salted per process)."""
    return zlib.crc32(str(text).encode("utf-8"))


def rng_for(seed: int, stream: int, key: str) -> np.random.Generator:
    """An independent random stream for (seed, kind of draw, ID)."""
    return np.random.default_rng([int(seed), stream, _stable_int(key)])


@dataclass(frozen=True)
class CellProfile:
    """Phenotype of a generated cell type (medians and per-cell log-SDs, linear units)."""

    fsc: float  # FSC-H median
    fsc_sd: float
    ssc: float  # SSC-H median
    ssc_sd: float
    autofluorescence: float  # multiple of AUTOFLUORESCENCE
    stains: Mapping[str, tuple[float, float]]  # marker -> (stain median, per-cell log-SD)
    cd38_sd: float  # per-cell log-SD of CD38 (the level comes from CD38_LEVEL)
    neg_sd: float = 0.3  # per-cell log-SD of unstained channels


_LYMPH_SCATTER = {"fsc": 60_000.0, "fsc_sd": 0.09, "ssc": 14_000.0, "ssc_sd": 0.2}

# Debris and the seven leukocyte types; dead cells and doublets are derived from these.
PROFILES: dict[str, CellProfile] = {
    "debris": CellProfile(
        fsc=14_000,
        fsc_sd=0.5,
        ssc=9_000,
        ssc_sd=0.6,
        autofluorescence=0.6,
        stains={"CD45": (250.0, 0.8), "Viability": (1_500.0, 0.8)},
        cd38_sd=0.5,
    ),
    # Neutrophils: high SSC, CD45 dim, CD16 bright, CD14 dim, CD38 low.
    "granulocyte": CellProfile(
        fsc=90_000,
        fsc_sd=0.1,
        ssc=85_000,
        ssc_sd=0.17,
        autofluorescence=2.5,
        stains={"CD16": (18_000.0, 0.35), "CD45": (3_500.0, 0.25), "CD14": (250.0, 0.4)},
        cd38_sd=0.35,
    ),
    "monocyte": CellProfile(
        fsc=97_000,
        fsc_sd=0.1,
        ssc=36_000,
        ssc_sd=0.18,
        autofluorescence=1.8,
        stains={"CD45": (9_000.0, 0.25), "CD14": (14_000.0, 0.4), "CD16": (300.0, 0.7)},
        cd38_sd=0.3,
    ),
    "t_cell": CellProfile(
        **_LYMPH_SCATTER,
        autofluorescence=1.0,
        stains={"CD45": (14_000.0, 0.22), "CD3": (7_000.0, 0.3)},
        cd38_sd=0.55,
    ),
    "b_cell": CellProfile(
        **_LYMPH_SCATTER,
        autofluorescence=1.0,
        stains={"CD45": (11_000.0, 0.22), "CD19": (5_000.0, 0.35)},
        cd38_sd=0.45,
    ),
    "nk_cd56bright": CellProfile(
        fsc=63_000,
        fsc_sd=0.09,
        ssc=18_000,
        ssc_sd=0.2,
        autofluorescence=1.0,
        stains={"CD45": (12_000.0, 0.22), "CD56": (14_000.0, 0.3), "CD16": (150.0, 0.6)},
        cd38_sd=0.3,
    ),
    "nk_cd56dim_cd16pos": CellProfile(
        fsc=63_000,
        fsc_sd=0.09,
        ssc=19_000,
        ssc_sd=0.2,
        autofluorescence=1.0,
        stains={"CD45": (12_000.0, 0.22), "CD56": (2_200.0, 0.3), "CD16": (7_000.0, 0.4)},
        cd38_sd=0.35,
    ),
    # CD3-CD19-CD56- lymphocyte-gate events (ILCs, basophils, DCs): CD45+ only.
    "other_lymphocyte": CellProfile(
        **_LYMPH_SCATTER,
        autofluorescence=1.0,
        stains={"CD45": (9_000.0, 0.3)},
        cd38_sd=0.6,
    ),
}
GENERATED: tuple[str, ...] = ("debris", *LEUKOCYTES)  # row order of the profile tables

# Dead cells: mostly granulocytes in stored blood; stains dim, viability dye bright.
DEAD_SOURCE_WEIGHT = {"granulocyte": 3.0}
DEAD_STAIN_FACTOR = 0.4
DEAD_VIABILITY = (25_000.0, 0.35)
DEAD_FSC_FACTOR = 0.55

# --- CD38 -------------------------------------------------------------------------------
# Median CD38 (APC) signal per population before daratumumab (part A C1D1).
CD38_LEVEL: dict[str, float] = {
    "debris": 60.0,
    "granulocyte": 700.0,
    "monocyte": 6_000.0,
    "t_cell": 1_100.0,
    "b_cell": 3_500.0,
    "nk_cd56bright": 7_000.0,
    "nk_cd56dim_cd16pos": 5_000.0,
    "other_lymphocyte": 2_500.0,
}
CD38_PATIENT_SD = (0.2, 0.15)  # log-SD shared by all populations, population-specific
CD38_SAMPLE_SD = (0.08, 0.08)  # same, per sample (day-to-day biology and staining)


def _effect(factors: Mapping[str, float], times: float = 1.0) -> dict[str, float]:
    """Multiplier per leukocyte population: `factors` (default 1) times `times`."""
    return {p: factors.get(p, 1.0) * times for p in LEUKOCYTES}


# Daratumumab masks/removes CD38 (strongest on NK cells, weakest on granulocytes).
_DARA_CD38 = {
    "granulocyte": 0.6,
    "monocyte": 0.30,
    "t_cell": 0.35,
    "b_cell": 0.25,
    "nk_cd56bright": 0.15,
    "nk_cd56dim_cd16pos": 0.15,
    "other_lymphocyte": 0.4,
}
_ATRA_RISE = 1.7  # three days of ATRA, relative to part B C1D1
_MONO_C2D3 = 1.3  # monocytes stay between C1D1 and C1D3 at C2D3

CD38_EFFECT: dict[tuple[str, str], dict[str, float]] = {
    ("A", "C1D1"): _effect({}),
    ("A", "C2D1"): _effect(_DARA_CD38),
    ("B", "C1D1"): _effect(_DARA_CD38),  # still on daratumumab: low, like part A C2D1
    ("B", "C1D3"): _effect(_DARA_CD38, _ATRA_RISE),
    ("B", "C2D3"): _effect({**_DARA_CD38, "monocyte": _DARA_CD38["monocyte"] * _MONO_C2D3}),
    ("B", "EOT"): _effect(_DARA_CD38),
}

# --- Absolute counts ----------------------------------------------------------------------
# Median cells/uL before daratumumab in pretreated myeloma patients: leukocytes ~5,000,
# granulocytes ~64%, lymphocytes ~27% (T ~74%, B ~7%, NK ~13%), monocytes ~9%.
COUNT_PER_UL: dict[str, float] = {
    "granulocyte": 3_200.0,
    "monocyte": 450.0,
    "t_cell": 1_000.0,
    "b_cell": 95.0,
    "nk_cd56bright": 22.0,
    "nk_cd56dim_cd16pos": 150.0,
    "other_lymphocyte": 55.0,
}
COUNT_PATIENT_SD = (0.15, 0.3)  # log-SD shared by all populations, population-specific
COUNT_SAMPLE_SD = (0.1, 0.25)

# Daratumumab depletes NK cells (CD16+CD56dim most) and T cells expand.
_DARA_COUNT = {"nk_cd56bright": 0.6, "nk_cd56dim_cd16pos": 0.25, "t_cell": 1.3}
_ATRA_NK = 0.86  # NK fall a little further once ATRA starts, and stay there
_ATRA_MONO = 0.78  # transient monocyte dip in the first ATRA cycle
_ON_ATRA = {
    **_DARA_COUNT,
    "nk_cd56bright": _DARA_COUNT["nk_cd56bright"] * _ATRA_NK,
    "nk_cd56dim_cd16pos": _DARA_COUNT["nk_cd56dim_cd16pos"] * _ATRA_NK,
}
COUNT_EFFECT: dict[tuple[str, str], dict[str, float]] = {
    ("A", "C1D1"): _effect({}),
    ("A", "C2D1"): _effect(_DARA_COUNT),
    ("B", "C1D1"): _effect(_DARA_COUNT),
    ("B", "C1D3"): _effect({**_ON_ATRA, "monocyte": _ATRA_MONO}),
    ("B", "C2D3"): _effect(_ON_ATRA),  # monocytes recovered; B cells never change
    ("B", "EOT"): _effect(_ON_ATRA),
}

# Scenario samples (flow_scenarios): count multipliers on top of the treatment effects.
SCENARIO_COUNT_EFFECT: dict[str, dict[str, float]] = {"t_cell_collapse": {"t_cell": 0.03}}
# A clotted sample's debris share of all events (instead of NON_LEUKOCYTE_SHARE's draw).
SCENARIO_DEBRIS_SHARE: dict[str, float] = {"failed_debris": 0.8}

# Non-leukocyte events per file: uniform ranges of their share of all events.
NON_LEUKOCYTE_SHARE = {"debris": (0.015, 0.05), "doublet": (0.015, 0.04), "dead": (0.01, 0.04)}
ANALYSER_CV = 0.03  # haematology analyser's leukocyte count error


def _key(sample: Mapping[str, object]) -> tuple[str, str]:
    key = (str(sample["part"]), str(sample["timepoint"]))
    if key not in CD38_EFFECT:
        raise ValueError(f"unknown part/timepoint {key} for sample {sample.get('sample_id')}")
    return key


def _random_effects(rng: np.random.Generator, sds: tuple[float, float]) -> np.ndarray:
    """Log-scale effects per leukocyte population: one shared draw plus one per population."""
    shared = rng.normal(0.0, sds[0])
    return shared + rng.normal(0.0, sds[1], size=len(LEUKOCYTES))


def cd38_levels(sample: Mapping[str, object], seed: int) -> np.ndarray:
    """Median CD38 signal per leukocyte population (LEUKOCYTES order) for this sample."""
    patient = _random_effects(
        rng_for(seed, STREAM_PATIENT_CD38, str(sample["patient_id"])), CD38_PATIENT_SD
    )
    noise = _random_effects(
        rng_for(seed, STREAM_SAMPLE_CD38, str(sample["sample_id"])), CD38_SAMPLE_SD
    )
    effect = CD38_EFFECT[_key(sample)]
    base = np.array([CD38_LEVEL[p] * effect[p] for p in LEUKOCYTES])
    return base * np.exp(patient + noise)


def counts_per_ul(sample: Mapping[str, object], seed: int) -> np.ndarray:
    """True absolute count per uL of each leukocyte population (LEUKOCYTES order)."""
    patient = _random_effects(
        rng_for(seed, STREAM_PATIENT_COUNT, str(sample["patient_id"])), COUNT_PATIENT_SD
    )
    noise = _random_effects(
        rng_for(seed, STREAM_SAMPLE_COUNT, str(sample["sample_id"])), COUNT_SAMPLE_SD
    )
    effect = COUNT_EFFECT[_key(sample)]
    scenario = SCENARIO_COUNT_EFFECT.get(str(sample.get("scenario") or ""), {})
    base = np.array([COUNT_PER_UL[p] * effect[p] * scenario.get(p, 1.0) for p in LEUKOCYTES])
    return base * np.exp(patient + noise)


def analyser_leukocytes(sample: Mapping[str, object], seed: int) -> float:
    """The haematology analyser's leukocyte count: true total with a small measurement error."""
    rng = rng_for(seed, STREAM_ANALYSER, str(sample["sample_id"]))
    return float(counts_per_ul(sample, seed).sum() * np.exp(rng.normal(0.0, ANALYSER_CV)))


def event_rng(sample: Mapping[str, object], seed: int) -> np.random.Generator:
    """The stream of one file's events; its first draw is the multinomial label counts."""
    return rng_for(seed, STREAM_EVENTS, str(sample["sample_id"]))


def cd38_cell_rng(sample: Mapping[str, object], seed: int) -> np.random.Generator:
    """Per-cell CD38 spread has its own stream, so its truth can be recomputed cheaply."""
    return rng_for(seed, STREAM_CD38_CELLS, str(sample["sample_id"]))


def event_probabilities(sample: Mapping[str, object], seed: int) -> np.ndarray:
    """Probability of each label (POPULATIONS order) for one event of this sample's file."""
    rng = rng_for(seed, STREAM_SAMPLE_DEBRIS, str(sample["sample_id"]))
    shares = {p: rng.uniform(lo, hi) for p, (lo, hi) in NON_LEUKOCYTE_SHARE.items()}
    debris = SCENARIO_DEBRIS_SHARE.get(str(sample.get("scenario") or ""))
    if debris is not None:  # a clotted sample
        shares["debris"] = debris
    leuk = counts_per_ul(sample, seed)
    probs = np.zeros(len(POPULATIONS))
    for name, share in shares.items():
        probs[LABEL[name]] = share
    probs[LEUKOCYTE_CODES] = leuk / leuk.sum() * (1.0 - sum(shares.values()))
    return probs
