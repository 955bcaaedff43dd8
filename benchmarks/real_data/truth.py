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


# --- a2004 (flowWorkspaceData): FlowJo 9.2 XML, gates rebuilt as fixed FlowKit gates --

A2004_DIR = CORPUS / "RGLab_flowWorkspaceData" / "extdata"
A2004_XML = A2004_DIR / "A2004Analysis.xml"
A2004_FCS = A2004_DIR / "a2004_O1T2pb05i_A2_A02.fcs"
A2004_EVENTS = 45363  # the workspace's two samples share a name; this one's eventCount
FLOWJO9_SHAPES = ("Polygon", "PolyRect", "Range", "Ellipse")


@dataclass(frozen=True)
class FlowJo9Gate:
    """One population of a FlowJo 9 XML sample: its gate as stored."""

    path: tuple[str, ...]  # the parents' names below the sample ("Live", "APC")
    name: str
    shape: str  # Polygon, PolyRect, Range or Ellipse
    x: str  # axis names as FlowJo 9 writes them: "FSC-A", "<PE-CY7-A>" (compensated)
    y: str | None  # None for a Range (1-D)
    vertices: np.ndarray  # (n, 2), in the axes' raw (compensated, untransformed) values
    count: int | None  # FlowJo's stored count (None: not stored)

    @property
    def key(self) -> str:
        return "/".join((*self.path, self.name))


@dataclass(frozen=True)
class FlowJo9Sample:
    """What the benchmark needs from a FlowJo 9 XML workspace for one sample."""

    compensation: tuple[str, str, str]  # matrix name, prefix and suffix ("<", ">")
    channels: tuple[str, ...]  # the compensation matrix's channels, in its order
    spillover: np.ndarray  # rows: source channel, columns: detector (spill fractions)
    tables: dict[str, np.ndarray]  # channel -> CalibrationTable (display channel, raw value)
    gates: tuple[FlowJo9Gate, ...]  # parents before children


def read_flowjo9(path: Path, event_count: int) -> FlowJo9Sample:
    """The sample with `event_count` events of a FlowJo 9 XML workspace (FlowKit reads
    only FlowJo 10): its compensation matrix, the display CalibrationTable of every
    compensated channel and its gate tree."""
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    samples = [s for s in root.iter("Sample") if s.get("eventCount") == str(event_count)]
    if len(samples) != 1:
        raise ValueError(f"{path}: {len(samples)} samples with eventCount {event_count}")
    sample = samples[0]
    matrices = {m.get("name"): m for m in root.iter("CompensationMatrix")}
    matrix = matrices[next(iter(matrices))] if len(matrices) == 1 else None
    if matrix is None:
        raise ValueError(f"{path}: expected one CompensationMatrix, found {len(matrices)}")
    channels = tuple(c.get("name") for c in matrix.findall("Channel"))
    rows = []
    for channel in matrix.findall("Channel"):
        values = channel.findall("ChannelValue")
        if tuple(v.get("name") for v in values) != channels:
            raise ValueError(f"{path}: compensation row {channel.get('name')} out of order")
        rows.append([float(v.get("value")) for v in values])
    name, prefix, suffix = matrix.get("name"), matrix.get("prefix"), matrix.get("suffix")
    tables = {}
    for table in root.iter("Table"):
        for channel in channels:
            if table.get("name") == f"{name} {prefix}{channel}{suffix}":
                numbers = [float(v) for v in table.text.split(",") if v.strip()]
                tables[channel] = np.array(numbers).reshape(-1, 2)
    missing = [c for c in channels if c not in tables]
    if missing:
        raise ValueError(f"{path}: no CalibrationTable for {missing}")
    gates: list[FlowJo9Gate] = []

    def walk(node, parents: tuple[str, ...]) -> None:
        for population in node.findall("Population"):
            gate = population.find("PolygonGate")
            (shape,) = [c for c in gate if c.tag in FLOWJO9_SHAPES]
            vertices = np.array(
                [[float(v.get("x")), float(v.get("y"))] for v in shape.iter("Vertex")]
            )
            count = population.get("count")
            gates.append(
                FlowJo9Gate(
                    parents,
                    population.get("name"),
                    shape.tag,
                    shape.get("xAxisName"),
                    None if shape.tag == "Range" else shape.get("yAxisName"),
                    vertices,
                    None if count is None else int(count),
                )
            )
            walk(population, (*parents, population.get("name")))

    walk(sample.find("SampleNode"), ())
    return FlowJo9Sample((name, prefix, suffix), channels, np.array(rows), tables, tuple(gates))


def calibration_transform(table: np.ndarray):
    """A FlowKit transform from FlowJo 9's CalibrationTable of one channel: raw value ->
    display channel (0-4096) by linear interpolation between the table's 4,097 points
    (FlowJo 9's biex display; values beyond the table sit on its first or last
    channel, as FlowJo draws off-scale events on the axis)."""
    from flowkit._models.transforms._base_transform import Transform

    class CalibrationTableTransform(Transform):
        def __init__(self, channels: np.ndarray, raw: np.ndarray) -> None:
            super().__init__()
            if not np.all(np.diff(raw) > 0):
                raise ValueError("CalibrationTable values are not increasing")
            self.channels, self.raw = channels, raw

        def apply(self, events_or_sample):
            return np.interp(events_or_sample, self.raw, self.channels)

        def inverse(self, events):
            return np.interp(events, self.channels, self.raw)

    return CalibrationTableTransform(table[:, 0].copy(), table[:, 1].copy())


def flowjo9_strategy(workspace: FlowJo9Sample):
    """Fixed FlowKit gates for the FlowJo 9 gates that have a stored count.

    * Compensation: the workspace's matrix (fk.Matrix, ref "workspace") on every axis
      FlowJo names with the matrix's prefix/suffix ("<PE-CY7-A>").
    * Polygons: FlowJo 9 stores vertices in raw (compensated, untransformed) values but
      draws the polygon on its display; the vertices are mapped through the channel's
      CalibrationTable and the polygon applied in display channels (linear scatter
      axes need no transform: a linear map keeps a polygon's members).
    * PolyRect (a rectangle drawn as a 4-vertex polygon): as a polygon in display
      channels, so that events below the display's first channel, drawn on the axis,
      stay inside a rectangle whose edge lies below the axis (pDC: 82 vs FlowJo's 81;
      as a rectangle in raw values 75).
    * Range (1-D): a rectangle gate on the raw compensated values.
    * Ellipse: not rebuilt (FlowJo 9 stores no count for the one ellipse here).
    """
    import flowkit as fk

    strategy = fk.GatingStrategy()
    name, prefix, suffix = workspace.compensation
    channels = list(workspace.channels)
    strategy.add_comp_matrix("workspace", fk.Matrix(workspace.spillover, channels, channels))
    for channel in channels:
        strategy.add_transform(
            f"display {channel}", calibration_transform(workspace.tables[channel])
        )

    def axis(label: str):
        if label.startswith(prefix) and label.endswith(suffix):
            channel = label[len(prefix) : len(label) - len(suffix)]
            transform = strategy.get_transform(f"display {channel}")
            return channel, "workspace", transform
        return label, None, None

    built = set()
    for gate in workspace.gates:
        if gate.count is None or gate.shape == "Ellipse" or gate.path not in built | {()}:
            continue  # not counted by FlowJo (or below a gate not rebuilt)
        path = ("root", *gate.path)
        if gate.shape == "Range":
            channel, comp, _ = axis(gate.x)
            low, high = gate.vertices[:, 0].min(), gate.vertices[:, 0].max()
            dims = [fk.Dimension(channel, compensation_ref=comp, range_min=low, range_max=high)]
            strategy.add_gate(fk.gates.RectangleGate(gate.name, dims), gate_path=path)
        else:
            dims, columns = [], []
            for label, values in ((gate.x, gate.vertices[:, 0]), (gate.y, gate.vertices[:, 1])):
                channel, comp, transform = axis(label)
                ref = None if transform is None else f"display {channel}"
                dims.append(fk.Dimension(channel, compensation_ref=comp, transformation_ref=ref))
                columns.append(values if transform is None else transform.apply(values))
            vertices = [list(v) for v in np.column_stack(columns)]
            strategy.add_gate(fk.gates.PolygonGate(gate.name, dims, vertices), gate_path=path)
        built.add((*gate.path, gate.name))
    return strategy


def a2004_flowjo_counts() -> dict[str, int]:
    """FlowJo 9's stored counts of the 45,363-event sample, by population path."""
    workspace = read_flowjo9(A2004_XML, A2004_EVENTS)
    return {g.key: g.count for g in workspace.gates if g.count is not None}


def load_a2004(cache: Path | None = None) -> Iterator[TruthFile]:
    """FlowKit gates the file with the workspace's gates rebuilt as fixed gates
    (flowjo9_strategy). Populations are named by their path ("Live/APC/mDC")."""
    import flowkit as fk

    workspace = read_flowjo9(A2004_XML, A2004_EVENTS)
    strategy = flowjo9_strategy(workspace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate $PnS (-A and -H share a stain)
        sample = fk.Sample(str(A2004_FCS))
        result = strategy.gate_sample(sample)
    masks = {}
    for name, path in strategy.get_gate_ids():
        key = "/".join((*path[1:], name))
        masks[key] = np.asarray(result.get_gate_membership(name, gate_path=path), dtype=bool)
    yield TruthFile("a2004", A2004_FCS.name, A2004_FCS, masks)


LOADERS = {
    "68983": load_68983,
    "cytoexplorer": load_cytoexplorer,
    "flowcap1": load_flowcap,
    "aurora": load_aurora,
    "a2004": load_a2004,
}
# Where each dataset's data must be for it to run (skipped with a message otherwise).
SOURCES = {
    "68983": FLOWSOM_DIR / "68983.fcs",
    "cytoexplorer": CYTOEXPLORER_DIR,
    "flowcap1": FLOWCAP_DIR,
    "aurora": AURORA_WSP,
    "a2004": A2004_XML,
}


def write_a2004_spillover(path: Path) -> Path:
    """The workspace's compensation matrix as the panel's spillover CSV (a header of channel
    names, one row per source channel). Written at run time from ../shared, never committed:
    the data's licence is its source's."""
    workspace = read_flowjo9(A2004_XML, A2004_EVENTS)
    lines = ["," + ",".join(workspace.channels)]
    for channel, row in zip(workspace.channels, workspace.spillover, strict=True):
        lines.append(channel + "," + ",".join(repr(float(v)) for v in row))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# Inputs a dataset's panel names that come from ../shared: file name -> writer.
DERIVED_INPUTS = {"a2004": {"spillover.csv": write_a2004_spillover}}
