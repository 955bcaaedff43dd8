"""FlowJo 10 workspaces (.wsp) of the final gates, one per batch, for review in FlowJo.

Each sample of a batch gets its own gate tree (FlowJo "custom" sample gates: owningGroup
empty), its own spillover matrix (FlowJo `Comp-` parameters) and its panel's transforms
as FlowJo display transforms, so a reviewer sees exactly the gates our engine placed on
that file. FlowJo stores gate coordinates untransformed: our gates live in transformed
units, so every coordinate is written through the inverse transform (flowutils, the
library FlowKit uses), as `repr` of the float. A reader applying the same transform
(FlowKit's Workspace does; FlowJo draws and gates in its display transform) gets the
shape back; a per-axis affine rescaling of the display (FlowJo's 256-channel `length`)
does not change which events a polygon or rectangle holds.

Conversions (each is written to the job's log, per sample and gate):
* ellipse -> polygon of ELLIPSE_VERTICES points on the ellipse in transformed units
  (FlowJo's own EllipsoidGate is defined in its 256-channel display space, which we do
  not control; FlowJo too gates ellipses as polygons);
* boolean with a complemented reference inside and/or -> a helper NotNode `NOT <gate>`
  under the same parent (FlowJo booleans have no complement flag), same events;
* a complemented shape -> eventsInside="0".
What FlowJo cannot hold stops that sample (ExportError): two spillover matrices, the
file's own $SPILLOVER (not in our files), ratio dimensions, transforms other than linear,
logicle and asinh, a channel drawn in two transforms, '/' in a gate name.

FCS files are referenced by a relative URI `fcs/<sample_id>.fcs` (next to the
workspace), never by their path: file names may identify patients (README, "Patient
data"); the sheet's pseudonymous IDs are all the workspace holds.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from cytotrial.errors import InputError
from cytotrial.flow.interop.gatingml_export import DATATYPES, GATING, TRANSFORMS, qualified
from cytotrial.flow.interop.gatingml_strategy import (
    UNCOMPENSATED,
    Dimension,
    StaticGate,
    StaticStrategy,
)
from cytotrial.io.atomic import atomic_path

__all__ = [
    "ELLIPSE_VERTICES",
    "WorkspaceSample",
    "batch_file_stem",
    "batch_file_stems",
    "sample_uri",
    "ellipse_polygon",
    "write_workspace",
    "ExportError",
]

COMP_PREFIX = "Comp-"
FCS_FOLDER = "fcs"  # the URI folder, relative to the workspace
# 256 points: the polygon's edge is within 1 - cos(pi/256) = 7.5e-5 of a half-axis
ELLIPSE_VERTICES = 256
UNTRANSFORMED_TOP = 262144.0  # display range of a dimension that has no transform
KEYWORDS = ("sample_id", "patient_id", "part", "timepoint", "batch")
FLOWJO_VERSION = "10.7.1"

ET.register_namespace("gating", GATING)
ET.register_namespace("transforms", TRANSFORMS)
ET.register_namespace("data-type", DATATYPES)


class ExportError(InputError):
    """A sample's gates have something a FlowJo workspace cannot hold."""


@dataclass(frozen=True)
class WorkspaceSample:
    """One sample's final gates, its counts per gate and the sheet's keywords."""

    sample_id: str
    strategy: StaticStrategy
    counts: dict[str, int] = field(default_factory=dict)
    keywords: dict[str, str] = field(default_factory=dict)


_g, _t, _d = (partial(qualified, space) for space in (GATING, TRANSFORMS, DATATYPES))


def batch_file_stem(batch: str) -> str:
    """A file name for a batch: letters, digits, '-', '_', '.' kept, anything else '_'."""
    stem = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in batch)
    return f"batch_{stem or '_'}"


def batch_file_stems(batches: list[str]) -> dict[str, str]:
    """Batch -> file stem; two batches that would share a file stop the run."""
    stems: dict[str, str] = {}
    for batch in sorted(set(batches)):
        stem = batch_file_stem(batch)
        clash = [b for b, s in stems.items() if s == stem]
        if clash:
            raise InputError(
                f"sample sheet, column batch: {clash[0]!r} and {batch!r} give the same "
                f"FlowJo workspace name {stem}.wsp; rename one batch"
            )
        stems[batch] = stem
    return stems


def sample_uri(sample_id: str) -> str:
    """The FCS file's URI in the workspace: relative, named by the pseudonymous ID."""
    return quote(f"{FCS_FOLDER}/{sample_id}.fcs")


def _number(value: float) -> str:
    return repr(float(value))


def _inverse(spec: dict[str, Any] | None, values) -> np.ndarray:
    """Transformed units -> untransformed values (what FlowJo stores)."""
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    if spec is None:
        return x
    from flowutils import transforms as fu

    kind = spec["type"]
    if kind == "flin":
        return x * (spec["T"] + spec["A"]) - spec["A"]
    column = x.reshape(-1, 1)
    if kind == "logicle":
        p = {k.lower(): spec[k] for k in "TWMA"}
        return fu.logicle_inverse(column, [0], **p).reshape(-1)
    if kind == "fasinh":
        p = {k.lower(): spec[k] for k in "TMA"}
        return fu.asinh_inverse(column, [0], **p).reshape(-1)
    raise ExportError(f"transform {kind!r} has no FlowJo workspace form here")


class _SampleWriter:
    """Parameters, transforms and gates of one sample, checked for what FlowJo can hold."""

    def __init__(self, sample: WorkspaceSample, index: int, notes: list[str]):
        self.sample, self.index, self.notes = sample, index, notes
        self.strategy = sample.strategy
        self.gates = {g.name: g for g in self.strategy.gates}
        self.matrix_id = self._matrix_id()
        self.parameters: dict[str, str | None] = {}  # FlowJo parameter -> transform id
        self.next_id = 0
        for gate in self.strategy.gates:
            if "/" in gate.name:
                raise ExportError(f"gate {gate.name!r}: '/' separates FlowJo gate paths")
            for dim in gate.dims:
                self._parameter(gate, dim)

    def _matrix_id(self) -> str | None:
        used = {d.compensation for g in self.strategy.gates for d in g.dims} - {UNCOMPENSATED}
        if len(used) > 1:
            raise ExportError(f"gates drawn in {len(used)} compensations; FlowJo holds one")
        if not used:
            return None
        key = used.pop()
        if key not in self.strategy.matrices:
            raise ExportError(
                f"compensation {key!r} (the file's own $SPILLOVER) is not in the gates' file"
            )
        matrix = self.strategy.matrices[key]
        if tuple(matrix.fluorochromes) != tuple(matrix.detectors):
            raise ExportError(f"matrix {key!r}: fluorochromes differ from detectors")
        return key

    def _parameter(self, gate: StaticGate, dim: Dimension) -> str:
        if dim.ratio:
            raise ExportError(f"gate {gate.name}: a ratio dimension has no FlowJo form")
        name = dim.channel
        if dim.compensation != UNCOMPENSATED:
            name = COMP_PREFIX + name
        # one transform per channel: FlowKit looks Comp-X's transform up under X too
        others = {
            t for n, t in self.parameters.items() if n.removeprefix(COMP_PREFIX) == dim.channel
        }
        if others - {dim.transform}:
            raise ExportError(f"gate {gate.name}: {dim.channel} is drawn in two transforms")
        if dim.transform is not None:
            kind = self.strategy.transforms[dim.transform]["type"]
            if kind not in ("flin", "logicle", "fasinh"):
                raise ExportError(f"gate {gate.name}: transform {kind!r} has no FlowJo form")
        self.parameters[name] = dim.transform
        return name

    def _spec(self, dim: Dimension) -> dict[str, Any] | None:
        return None if dim.transform is None else self.strategy.transforms[dim.transform]

    def gate_id(self) -> str:
        self.next_id += 1
        return f"ID{self.index}{self.next_id:04d}"

    def note(self, text: str) -> None:
        self.notes.append(f"{self.sample.sample_id}: {text}")

    # --- XML ---------------------------------------------------------------------------

    def sample_element(self, parent: ET.Element) -> None:
        sample = self.sample
        element = ET.SubElement(parent, "Sample")
        ET.SubElement(
            element, "DataSet", {"uri": sample_uri(sample.sample_id), "sampleID": str(self.index)}
        )
        if self.matrix_id is not None:
            self._matrix(element)
        self._transforms(ET.SubElement(element, "Transformations"))
        keywords = ET.SubElement(element, "Keywords")
        for key in KEYWORDS:
            if sample.keywords.get(key, "") != "":
                ET.SubElement(
                    keywords, "Keyword", {"name": key, "value": str(sample.keywords[key])}
                )
        node = ET.SubElement(
            element,
            "SampleNode",
            {
                "name": f"{sample.sample_id}.fcs",
                "annotation": "",
                "owningGroup": "",
                "sortPriority": "10",
                "count": str(sample.counts.get("root", -1)),
                "sampleID": str(self.index),
            },
        )
        self._subpopulations(node, "root", None, ("root",))

    def _matrix(self, parent: ET.Element) -> None:
        matrix = self.strategy.matrices[self.matrix_id]
        attributes = {
            "spectral": "0",
            "prefix": COMP_PREFIX,
            "name": f"{self.sample.sample_id} spillover",
            "editable": "0",
            "version": f"FlowJo-{FLOWJO_VERSION}",
            "status": "FINALIZED",
            _t("id"): f"cytotrial-{self.index}",
            "suffix": "",
        }
        element = ET.SubElement(parent, _t("spilloverMatrix"), attributes)
        params = ET.SubElement(element, _d("parameters"))
        for channel in matrix.detectors:
            infix = {"userProvidedCompInfix": COMP_PREFIX + channel}
            ET.SubElement(params, _d("parameter"), {_d("name"): channel, **infix})
        for row, channel in zip(matrix.values, matrix.detectors, strict=True):
            attrs = {_d("parameter"): channel, "userProvidedCompInfix": COMP_PREFIX + channel}
            spill = ET.SubElement(element, _t("spillover"), attrs)
            for value, column in zip(row, matrix.detectors, strict=True):
                coefficient = {_d("parameter"): column, _t("value"): _number(value)}
                ET.SubElement(spill, _t("coefficient"), coefficient)

    def _transforms(self, parent: ET.Element) -> None:
        # one per parameter; compensated ones also under the bare channel name (FlowKit
        # looks a gate's transform up by the channel without its Comp- prefix)
        names: dict[str, str | None] = {}
        for name, transform in self.parameters.items():
            names[name] = transform
            if name.startswith(COMP_PREFIX):
                names.setdefault(name[len(COMP_PREFIX) :], transform)
        for name, transform in names.items():
            spec = None if transform is None else self.strategy.transforms[transform]
            _transform_element(parent, name, spec)

    def _subpopulations(self, parent_el, parent: str, parent_id, path: tuple[str, ...]) -> None:
        children = [g for g in self.strategy.gates if g.parent == parent]
        if not children:
            return
        subpops = ET.SubElement(parent_el, "Subpopulations")
        helpers: dict[str, str] = {}  # complemented ref -> helper NotNode name
        for gate in children:
            if gate.kind == "boolean" and gate.params["op"] != "not":
                for ref, complement in gate.params["refs"]:
                    if complement and ref not in helpers:
                        helpers[ref] = self._helper_not(subpops, ref, parent, path)
        for gate in children:
            gate_id = parent_id  # a boolean node has no Gate of its own
            if gate.kind == "boolean":
                element = self._boolean(subpops, gate, path, helpers)
            else:
                element = ET.SubElement(subpops, "Population", self._node_attributes(gate.name))
                gate_el = ET.SubElement(element, "Gate", self._ids(parent_id))
                gate_id = gate_el.get(_g("id"))
                self._shape(gate_el, gate)
            self._subpopulations(element, gate.name, gate_id, (*path, gate.name))

    def _node_attributes(self, name: str, count: int | None = None) -> dict[str, str]:
        if count is None:
            count = self.sample.counts.get(name, -1)
        return {"name": name, "annotation": "", "owningGroup": "", "count": str(count)}

    def _ids(self, parent_id: str | None) -> dict[str, str]:
        ids = {_g("id"): self.gate_id()}
        if parent_id is not None:
            ids[_g("parent_id")] = parent_id
        return ids

    def _helper_not(self, subpops, ref: str, parent: str, path) -> str:
        name = f"NOT {ref}"
        while name in self.gates:
            name = f"NOT {name}"
        node = ET.SubElement(subpops, "NotNode", self._node_attributes(name, -1))
        self._dependents(node, [ref])
        self.note(f"boolean use of NOT {ref} under {parent}: helper FlowJo NotNode {name!r}")
        return name

    def _boolean(self, subpops, gate: StaticGate, path, helpers: dict[str, str]) -> ET.Element:
        op, refs = gate.params["op"], gate.params["refs"]
        if op == "not" and any(complement for _, complement in refs):
            raise ExportError(f"gate {gate.name}: NOT of a complement has no FlowJo form")
        names = [helpers[ref] if complement else ref for ref, complement in refs]
        tag = {"and": "AndNode", "or": "OrNode", "not": "NotNode"}[op]
        node = ET.SubElement(subpops, tag, self._node_attributes(gate.name))
        self._dependents(node, names, helpers_under=path)
        return node

    def _dependents(self, node: ET.Element, names: list[str], helpers_under=None) -> None:
        dependents = ET.SubElement(node, "Dependents")
        for name in names:
            if name in self.gates:
                full = self._path(name)
            else:  # a helper NotNode: it sits among the boolean gate's siblings
                full = [*helpers_under[1:], name]
            ET.SubElement(dependents, "Dependent", {"name": "/".join(full)})

    def _path(self, name: str) -> list[str]:
        path = [name]
        while self.gates[path[0]].parent != "root":
            path.insert(0, self.gates[path[0]].parent)
        return path

    def _shape(self, gate_el: ET.Element, gate: StaticGate) -> None:
        """The shape inside a FlowJo <Gate> (which holds the ids, as FlowJo writes it)."""
        p = gate.params
        names = [self._parameter(gate, d) for d in gate.dims]
        specs = [self._spec(d) for d in gate.dims]
        inside = "0" if p.get("complement") else "1"
        if gate.kind == "rectangle":
            attrs = {"eventsInside": inside, "percentX": "0", "percentY": "0"}
            element = ET.SubElement(gate_el, _g("RectangleGate"), attrs)
            for name, spec, low, high in zip(names, specs, p["min"], p["max"], strict=True):
                bounds = {}
                for key, value in (("min", low), ("max", high)):
                    if value is not None and math.isfinite(value):
                        bounds[_g(key)] = _number(_inverse(spec, [value])[0])
                dim_el = ET.SubElement(element, _g("dimension"), bounds)
                ET.SubElement(dim_el, _d("fcs-dimension"), {_d("name"): name})
            return
        if gate.kind == "polygon":
            vertices = np.asarray(p["vertices"], dtype=np.float64)
        elif gate.kind == "ellipsoid":
            vertices = ellipse_polygon(p["mean"], p["covariance"], p["distance_square"])
            self.note(f"ellipse {gate.name} written as a {ELLIPSE_VERTICES}-vertex polygon")
        else:
            raise ExportError(f"gate {gate.name}: {gate.kind} has no FlowJo form")
        raw = np.column_stack([_inverse(s, vertices[:, i]) for i, s in enumerate(specs)])
        attrs = {"eventsInside": inside, "quadID": "-1", "gateResolution": "256"}
        element = ET.SubElement(gate_el, _g("PolygonGate"), attrs)
        for name in names:
            dim_el = ET.SubElement(element, _g("dimension"))
            ET.SubElement(dim_el, _d("fcs-dimension"), {_d("name"): name})
        for vertex in raw:
            vertex_el = ET.SubElement(element, _g("vertex"))
            for value in vertex:
                ET.SubElement(vertex_el, _g("coordinate"), {_d("value"): _number(value)})


def ellipse_polygon(mean, covariance, distance_square: float) -> np.ndarray:
    """ELLIPSE_VERTICES points on the 2-D ellipse (x-m)' C^-1 (x-m) = d^2."""
    mean = np.asarray(mean, dtype=np.float64)
    if mean.shape != (2,):
        raise ExportError(f"a {mean.size}-D ellipsoid has no FlowJo form (2-D only)")
    values, vectors = np.linalg.eigh(np.asarray(covariance, dtype=np.float64))
    angles = np.linspace(0.0, 2 * math.pi, ELLIPSE_VERTICES, endpoint=False)
    unit = np.column_stack([np.cos(angles), np.sin(angles)])
    return mean + (unit * np.sqrt(values * distance_square)) @ vectors.T


def _transform_element(parent: ET.Element, name: str, spec: dict[str, Any] | None) -> None:
    """A FlowJo display transform for one parameter."""
    if spec is None or spec["type"] == "flin":
        # FlowKit reads linear as Gating-ML flin with A = minRange, T = maxRange
        low, top = (0.0, UNTRANSFORMED_TOP) if spec is None else (spec["A"], spec["T"])
        attrs = {_t("minRange"): _number(low), _t("maxRange"): _number(top), _t("gain"): "1"}
        element = ET.SubElement(parent, _t("linear"), attrs)
    elif spec["type"] == "logicle":
        attrs = {_t("length"): "256", **{_t(k): _number(spec[k]) for k in "TWMA"}}
        element = ET.SubElement(parent, _t("logicle"), attrs)
    else:  # fasinh: FlowJo's ArcSinh element, Gating-ML parameters
        attrs = {_t("length"): "256", _t("maxRange"): _number(spec["T"])}
        attrs.update({_t(k): _number(spec[k]) for k in "TMA"})
        element = ET.SubElement(parent, _t("fasinh"), {**attrs, _t("W"): "0"})
    ET.SubElement(element, _d("parameter"), {_d("name"): name})


def _workspace_tree(samples: list[WorkspaceSample], group: str) -> tuple[ET.ElementTree, list[str]]:
    """A FlowJo 10 workspace holding `samples` in one group; notes say what was converted
    and which samples were left out (and why)."""
    root = ET.Element(
        "Workspace",
        {"version": "20.0", "flowJoVersion": FLOWJO_VERSION, "curGroup": "All Samples"},
    )
    ET.SubElement(root, "Matrices")
    groups = ET.SubElement(root, "Groups")
    sample_list = ET.Element("SampleList")
    notes: list[str] = []
    written: list[int] = []
    for index, sample in enumerate(samples, start=1):
        sample_notes: list[str] = []
        try:
            writer = _SampleWriter(sample, index, sample_notes)
            holder = ET.Element("holder")
            writer.sample_element(holder)
        except ExportError as exc:
            notes.append(f"{sample.sample_id}: left out of the workspace: {exc}")
            continue
        sample_list.extend(list(holder))
        notes.extend(sample_notes)
        written.append(index)
    for name in ("All Samples", group) if group != "All Samples" else ("All Samples",):
        node = ET.SubElement(
            groups, "GroupNode", {"name": name, "annotation": "", "owningGroup": name}
        )
        refs = ET.SubElement(ET.SubElement(node, "Group", {"name": name}), "SampleRefs")
        for index in written:
            ET.SubElement(refs, "SampleRef", {"sampleID": str(index)})
    root.append(sample_list)
    ET.indent(root)
    return ET.ElementTree(root), notes


def write_workspace(samples: list[WorkspaceSample], path: str | Path, group: str) -> list[str]:
    """Write the workspace (atomically); returns the conversion / left-out notes."""
    tree, notes = _workspace_tree(samples, group)
    with atomic_path(path) as tmp:
        tree.write(tmp, encoding="UTF-8", xml_declaration=True)
    return notes
