"""Expert truth per dataset: one boolean mask per expert population (guide §7.4).

Never a multi-class vector for overlapping gates: every population, including every
ancestor, is its own mask over all the file's events (in file order). Shared data is
read from ../shared (SHARED); derived files (FCS written from CSV) go to `cache`, a
temporary folder of the caller, never into the repository.
"""

from __future__ import annotations

import csv
import gzip
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
REAL_GATED = SHARED / "data" / "real-gated"
CORPUS = SHARED / "data" / "fcs-corpus"


@dataclass
class TruthFile:
    """One expert-gated file."""

    dataset: str
    file: str  # the file's name (as the source names it)
    fcs_path: Path
    masks: dict[str, np.ndarray]  # expert population -> boolean mask over the events

    @property
    def n_events(self) -> int:
        return len(next(iter(self.masks.values())))


# --- 68983 (FlowSOM): per-event leaf labels --------------------------------------------

FLOWSOM_DIR = CORPUS / "SofieVG_FlowSOM" / "extdata"


def load_68983(cache: Path | None = None) -> Iterator[TruthFile]:
    """gatingResult.csv: one label per event, file order (leaves + "Unlabeled").

    The leaves of FlowJo's tree are disjoint, so one label per event is exact here;
    each leaf becomes its own mask. "Unlabeled" is not a population.
    """
    with open(FLOWSOM_DIR / "gatingResult.csv", encoding="utf-8") as handle:
        labels = np.array([row[0] for row in csv.reader(handle)])
    masks = {str(n): labels == n for n in sorted(set(labels)) if n != "Unlabeled"}
    yield TruthFile("68983", "68983.fcs", FLOWSOM_DIR / "68983.fcs", masks)


# --- CytoExploreR mouse activation: per-event 0/1 columns ------------------------------

CYTOEXPLORER_DIR = REAL_GATED / "cytoexplorer_mouse_activation"


def load_cytoexplorer(cache: Path | None = None) -> Iterator[TruthFile]:
    """labels/Activation_N_labels.csv.gz: one 0/1 column per gate path, rows in event
    order. Populations are named by their last path element ("CD4 T Cells")."""
    for labels in sorted(
        (CYTOEXPLORER_DIR / "labels").glob("Activation_*_labels.csv.gz"),
        key=lambda p: int(p.name.split("_")[1]),
    ):
        with gzip.open(labels, "rt", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            rows = list(reader)
        columns = [i for i, name in enumerate(header) if name.startswith("/")]
        values = np.array([[row[i] for i in columns] for row in rows], dtype=np.int8)
        masks = {header[i].rsplit("/", 1)[1]: values[:, j] == 1 for j, i in enumerate(columns)}
        fcs = labels.name.replace("_labels.csv.gz", ".fcs")
        yield TruthFile("cytoexplorer", fcs, CYTOEXPLORER_DIR / fcs, masks)


# --- FlowCAP-I GvHD: CSV events + one label per event ----------------------------------

FLOWCAP_DIR = REAL_GATED / "flowcap1_gvhd"
# FlowCAP-I's description of the FACSCalibur channels (data/real-gated/README.md).
FLOWCAP_STAINS = {"FL1.H": "CD4", "FL2.H": "CD8b", "FL3.H": "CD3", "FL4.H": "CD8"}


def flowcap_label_name(label: int) -> str:
    return f"label_{label}"


def load_flowcap(cache: Path | None = None) -> Iterator[TruthFile]:
    """sampleN.csv + labelsN.csv. Label 0 = not labelled by the experts: per-population
    binary truth (§7.2), so label 0 is negative for every population. Each sample is
    written as an FCS file into `cache` (required) for the engine to read."""
    if cache is None:
        raise ValueError("flowcap1 needs a cache folder to write FCS files into")
    cache.mkdir(parents=True, exist_ok=True)
    samples = sorted(FLOWCAP_DIR.glob("sample*.csv"), key=lambda p: int(p.stem[6:]))
    for sample in samples:
        number = sample.stem[6:]
        with open(sample, encoding="utf-8") as handle:
            channels = [c.strip('"') for c in handle.readline().strip().split(",")]
        events = np.loadtxt(sample, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
        labels = np.loadtxt(FLOWCAP_DIR / f"labels{number}.csv", dtype=np.int64, ndmin=1)
        if len(labels) != len(events):
            raise ValueError(f"{sample.name}: {len(events)} events but {len(labels)} labels")
        fcs = cache / f"flowcap1_sample{number}.fcs"
        write_flowcap_fcs(fcs, events, channels)
        # Labels 1-4 in every file; a label 5 in samples 7 and 9 (not in label_counts.tsv).
        present = sorted(set(labels.tolist()) | {1, 2, 3, 4})
        masks = {flowcap_label_name(k): labels == k for k in present if k > 0}
        yield TruthFile("flowcap1", sample.name, fcs, masks)


def write_flowcap_fcs(path: Path, events: np.ndarray, channels: list[str]) -> None:
    """An FCS 3.1 float file of the CSV's events: $PnN as in the CSV, $PnS the stain
    FlowCAP-I names, $PnR 1024 (FACSCalibur channel numbers, already log-scaled)."""
    import flowio

    stains = [FLOWCAP_STAINS.get(c, "") for c in channels]
    with open(path, "wb") as handle:
        flowio.create_fcs(
            handle,
            events.astype(np.float32).ravel().tolist(),
            channels,
            opt_channel_names=stains,
            metadata_dict={"$CYT": "FACSCalibur (FlowCAP-I GvHD, from CSV)"},
        )


def flowcap_label_counts() -> dict[str, dict[str, int]]:
    """label_counts.tsv: file -> {label_k: count}."""
    with open(FLOWCAP_DIR / "label_counts.tsv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return {r["file"]: {k: int(v) for k, v in r.items() if k.startswith("label_")} for r in rows}


# --- Aurora human T cells: FlowJo 10 workspace, gated by FlowKit -----------------------

AURORA_DIR = REAL_GATED / "aurora_human_tcells"
AURORA_WSP = AURORA_DIR / "FlowJoWSP_OpenedCopy.wsp"


def load_aurora(cache: Path | None = None) -> Iterator[TruthFile]:
    """FlowKit gates every sample of the workspace (filename_as_id: the $FIL values
    collide). Populations are named by their path below root ("Scatter/Singlets")."""
    import flowkit as fk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        workspace = fk.Workspace(str(AURORA_WSP), fcs_samples=str(AURORA_DIR), filename_as_id=True)
        for sample_id in sorted(workspace.get_sample_ids()):
            workspace.analyze_samples(sample_id=sample_id)
            masks = {}
            for name, path in workspace.get_gate_ids(sample_id):
                key = "/".join((*path[1:], name))
                masks[key] = np.asarray(
                    workspace.get_gate_membership(sample_id, name, gate_path=path), dtype=bool
                )
            yield TruthFile("aurora", sample_id, AURORA_DIR / sample_id, masks)


def aurora_flowjo_counts() -> list[dict[str, str]]:
    with open(AURORA_DIR / "flowjo_counts.tsv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


LOADERS = {
    "68983": load_68983,
    "cytoexplorer": load_cytoexplorer,
    "flowcap1": load_flowcap,
    "aurora": load_aurora,
}
# Where each dataset's data must be for it to run (skipped with a message otherwise).
SOURCES = {
    "68983": FLOWSOM_DIR / "68983.fcs",
    "cytoexplorer": CYTOEXPLORER_DIR,
    "flowcap1": FLOWCAP_DIR,
    "aurora": AURORA_WSP,
}
