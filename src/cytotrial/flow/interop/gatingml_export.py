"""Write a sample's gates as Gating-ML 2.0 (xml.etree only: per-sample jobs stay light).

`strategy_from_applied` turns the gates our adaptive engine placed on one sample
(transformed units, one dimension per panel marker) into a StaticStrategy: the panel's
transforms (linear scatter as flin, logicle, asinh as fasinh), the spillover matrix that
was applied (as a Gating-ML spectrumMatrix over the panel's compensated channels) and
every gate with its coordinates written exactly (repr of the float). `write_gatingml`
writes any StaticStrategy, so an imported gating is exported the same way.

FlowKit reads the file back (fk.parse_gating_xml) and gate_sample gives the counts our
engine reported: tests/unit/flow/test_gatingml_export.py checks exactly that.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from functools import partial
from pathlib import Path
from typing import Any

from cytotrial.errors import InputError
from cytotrial.flow.gating.gates import EllipseGate, PolygonGate, RectangleGate
from cytotrial.flow.gating.kinds.boolean import BooleanGate
from cytotrial.flow.interop.gatingml_strategy import (
    UNCOMPENSATED,
    Dimension,
    Matrix,
    StaticGate,
    StaticStrategy,
)
from cytotrial.flow.prepare.compensation import Spillover
from cytotrial.flow.prepare.transforms import transform_parameters
from cytotrial.io.atomic import atomic_path

__all__ = [
    "GATING",
    "TRANSFORMS",
    "DATATYPES",
    "GATE_ELEMENTS",
    "qualified",
    "panel_transform",
    "strategy_from_applied",
    "write_gatingml",
    "xml_id",
    "write_sample_gatingml",
]

GATING = "http://www.isac-net.org/std/Gating-ML/v2.0/gating"
TRANSFORMS = "http://www.isac-net.org/std/Gating-ML/v2.0/transformations"
DATATYPES = "http://www.isac-net.org/std/Gating-ML/v2.0/datatypes"
SPILLOVER_ID = "spillover"  # id of the applied spillover matrix in exported files
GATE_ELEMENTS = {
    "rectangle": "RectangleGate",
    "polygon": "PolygonGate",
    "ellipsoid": "EllipsoidGate",
    "boolean": "BooleanGate",
}

ET.register_namespace("gating", GATING)
ET.register_namespace("transforms", TRANSFORMS)
ET.register_namespace("data-type", DATATYPES)


def qualified(namespace: str, tag: str) -> str:
    """An ElementTree name: '{namespace}tag'."""
    return f"{{{namespace}}}{tag}"


_g, _t, _d = (partial(qualified, space) for space in (GATING, TRANSFORMS, DATATYPES))


def _number(value: float) -> str:
    """Exact decimal of a float (repr round-trips); infinities as Gating-ML-readable text."""
    value = float(value)
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    return repr(value)


def panel_transform(spec: dict[str, Any] | None, where: str = "panel") -> dict[str, Any]:
    """A panel transform ({type: linear|logicle|asinh, ...}) as a Gating-ML transform,
    with the same parameters (and documented defaults) the gating used.

    asinh(x / c) = fasinh with T = c * sinh(1), M = 1 / ln(10), A = 0.
    """
    kind, p = transform_parameters(spec, where)
    if kind == "linear":
        return {"type": "flin", "T": p["scale"], "A": 0.0}
    if kind == "logicle":
        return {"type": "logicle", "T": p["T"], "W": p["W"], "M": p["M"], "A": p["A"]}
    cofactor = p["cofactor"]
    return {"type": "fasinh", "T": cofactor * math.sinh(1.0), "M": 1 / math.log(10), "A": 0.0}


def strategy_from_applied(applied: dict, panel, spillover: Spillover | None) -> StaticStrategy:
    """The gates as applied to one sample (AppliedGate per name, parents first)."""
    transforms: dict[str, dict[str, Any]] = {}
    dims: dict[str, Dimension] = {}
    compensated = set(spillover.channels) if spillover is not None else set()
    for channel in panel.channels:
        # an id, not a name: xs:ID cannot hold the spaces, parentheses or commas channel
        # names may ('FL5 INT', 'Cd(110,111,112,114)Di'); fcs-dimension keeps the name
        kind = (channel.transform or {}).get("type", "linear")
        xform_id = xml_id(f"{channel.channel}_{kind}", set(transforms))
        transforms[xform_id] = panel_transform(channel.transform, f"panel, {channel.channel}")
        comp = SPILLOVER_ID if channel.channel in compensated else UNCOMPENSATED
        dims[channel.marker] = Dimension(channel.channel, comp, xform_id)
    gates = []
    for name, gate in applied.items():
        shape = gate.shape
        gate_dims = tuple(dims[m] for m in shape.dims)
        if isinstance(shape, RectangleGate):
            kind, params = "rectangle", {"min": list(shape.minimum), "max": list(shape.maximum)}
        elif isinstance(shape, PolygonGate):
            kind, params = "polygon", {"vertices": [list(v) for v in shape.vertices]}
        elif isinstance(shape, BooleanGate):  # issue 15: and/or/not of gateReferences
            kind, params = "boolean", {"op": shape.op, "refs": [list(r) for r in shape.refs]}
        elif isinstance(shape, EllipseGate):
            kind = "ellipsoid"
            params = {
                "mean": list(shape.mean),
                "covariance": [list(r) for r in shape.covariance],
                "distance_square": shape.distance_squared,
            }
        else:
            raise InputError(f"gate {name}: {type(shape).__name__} has no Gating-ML export")
        gates.append(StaticGate(name, gate.spec.parent, kind, gate_dims, params))
    used = {d.transform for g in gates for d in g.dims}
    matrices = {}
    if spillover is not None:
        channels = tuple(spillover.channels)
        matrices[SPILLOVER_ID] = Matrix(channels, channels, spillover.matrix)
    return StaticStrategy(
        tuple(gates), {k: v for k, v in transforms.items() if k in used}, matrices
    )


def _gatingml_tree(strategy: StaticStrategy, comment: str = "") -> ET.ElementTree:
    """The Gating-ML 2.0 document of a StaticStrategy."""
    root = ET.Element(_g("Gating-ML"))
    if comment:
        ET.SubElement(root, _d("custom_info")).text = comment
    for key, spec in strategy.transforms.items():
        _add_transform(root, key, spec)
    for key, matrix in strategy.matrices.items():
        _add_matrix(root, key, matrix)
    ids = _gate_ids(strategy)
    for gate in strategy.gates:
        _add_gate(root, gate, ids)
    ET.indent(root)
    return ET.ElementTree(root)


def write_gatingml(strategy: StaticStrategy, path: str | Path, comment: str = "") -> None:
    """Write the strategy as a Gating-ML 2.0 file (atomically)."""
    tree = _gatingml_tree(strategy, comment)
    with atomic_path(path) as tmp:
        tree.write(tmp, encoding="UTF-8", xml_declaration=True)


def _gate_ids(strategy: StaticStrategy) -> dict[str, str]:
    """Gating-ML ids are xs:ID-like: our names, with characters such ids cannot hold
    replaced (the original name stays in the gate's custom_info)."""
    ids: dict[str, str] = {}
    for gate in strategy.gates:
        ids[gate.name] = xml_id(gate.name, set(ids.values()), "g_")
    return ids


def xml_id(text: str, taken: set[str], prefix: str = "t_") -> str:
    """An xs:ID (an NCName: a letter or '_' first, then letters, digits, '_', '-', '.')
    made from `text`, unique among `taken`."""
    base = "".join(c if c.isascii() and (c.isalnum() or c in "_-.") else "_" for c in text)
    base = base or "id"
    if not (base[0].isalpha() or base[0] == "_"):
        base = f"{prefix}{base}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def _add_transform(root: ET.Element, key: str, spec: dict[str, Any]) -> None:
    kind = spec["type"]
    if kind not in ("flin", "flog", "fasinh", "hyperlog", "logicle", "fratio"):
        raise InputError(f"transform {key!r} ({kind}) has no Gating-ML 2.0 form")
    element = ET.SubElement(root, _t("transformation"), {_t("id"): key})
    names = {"flin": "TA", "flog": "TM", "fasinh": "TMA", "hyperlog": "TWMA", "logicle": "TWMA"}
    if kind == "fratio":
        attributes = {_t(p): _number(spec[p]) for p in "ABC"}
        body = ET.SubElement(element, _t("fratio"), attributes)
        for channel in spec["channels"]:
            ET.SubElement(body, _d("fcs-dimension"), {_d("name"): channel})
        return
    ET.SubElement(element, _t(kind), {_t(p): _number(spec[p]) for p in names[kind]})


def _add_matrix(root: ET.Element, key: str, matrix: Matrix) -> None:
    element = ET.SubElement(root, _t("spectrumMatrix"), {_t("id"): key})
    for tag, names in (("fluorochromes", matrix.fluorochromes), ("detectors", matrix.detectors)):
        group = ET.SubElement(element, _t(tag))
        for name in names:
            ET.SubElement(group, _d("fcs-dimension"), {_d("name"): name})
    for row in matrix.values:
        spectrum = ET.SubElement(element, _t("spectrum"))
        for value in row:
            ET.SubElement(spectrum, _t("coefficient"), {_t("value"): _number(value)})


def _add_gate(root: ET.Element, gate: StaticGate, ids: dict[str, str]) -> None:
    attributes = {_g("id"): ids[gate.name]}
    if gate.parent != "root":
        attributes[_g("parent_id")] = ids[gate.parent]
    element = ET.SubElement(root, _g(GATE_ELEMENTS[gate.kind]), attributes)
    if ids[gate.name] != gate.name:
        ET.SubElement(element, _d("custom_info")).text = gate.name
    p = gate.params
    if p.get("complement"):
        raise InputError(f"gate {gate.name}: a complemented gate has no Gating-ML 2.0 form")
    if gate.kind == "boolean":
        operation = ET.SubElement(element, _g(p["op"]))
        for ref, complement in p["refs"]:
            ref_attributes = {_g("ref"): ids[ref]}
            if complement:
                ref_attributes[_g("use-as-complement")] = "true"
            ET.SubElement(operation, _g("gateReference"), ref_attributes)
        return
    bounds = zip(p["min"], p["max"], strict=True) if gate.kind == "rectangle" else None
    for dim in gate.dims:
        low, high = next(bounds) if bounds is not None else (None, None)
        _add_dimension(element, dim, low, high)
    if gate.kind == "polygon":
        for vertex in p["vertices"]:
            node = ET.SubElement(element, _g("vertex"))
            for value in vertex:
                ET.SubElement(node, _g("coordinate"), {_d("value"): _number(value)})
    elif gate.kind == "ellipsoid":
        mean = ET.SubElement(element, _g("mean"))
        for value in p["mean"]:
            ET.SubElement(mean, _g("coordinate"), {_d("value"): _number(value)})
        covariance = ET.SubElement(element, _g("covarianceMatrix"))
        for row in p["covariance"]:
            node = ET.SubElement(covariance, _g("row"))
            for value in row:
                ET.SubElement(node, _g("entry"), {_d("value"): _number(value)})
        distance = {_d("value"): _number(p["distance_square"])}
        ET.SubElement(element, _g("distanceSquare"), distance)


def _add_dimension(parent: ET.Element, dim: Dimension, low, high) -> None:
    attributes = {_g("compensation-ref"): dim.compensation}
    if dim.transform:
        attributes[_g("transformation-ref")] = dim.transform
    if low is not None:
        attributes[_g("min")] = _number(low)
    if high is not None:
        attributes[_g("max")] = _number(high)
    element = ET.SubElement(parent, _g("dimension"), attributes)
    if dim.ratio:
        ET.SubElement(element, _d("new-dimension"), {_d("transformation-ref"): dim.channel})
    else:
        ET.SubElement(element, _d("fcs-dimension"), {_d("name"): dim.channel})


def write_sample_gatingml(result, template, panel, path: str | Path) -> str:
    """A sample's final gates as Gating-ML 2.0; returns a note when they cannot be.

    Adaptive gates are exported as placed on this sample; imported fixed gates as
    imported. A failed sample, or gates with no Gating-ML form (FlowJo's biex and log
    transforms, complemented gates), give a file that holds only the reason.
    """
    header = f"cytotrial: gates applied to sample {result.sample_id}"
    if template.source:
        header += f" (imported from {template.source})"
    if result.status != "ok" or result.applied is None:
        reason = f"{header}: no gates, sample status {result.status}"
        write_gatingml(StaticStrategy(()), path, reason)
        return reason
    try:
        if template.strategy is not None:
            strategy = template.strategy
        else:
            strategy = strategy_from_applied(result.applied, panel, result.spillover)
        write_gatingml(strategy, path, header)
    except InputError as exc:
        reason = f"no Gating-ML export: {exc}"
        write_gatingml(StaticStrategy(()), path, f"{header}: {reason}")
        return reason
    return ""
