"""Read back our own Gating-ML export (cytotrial.flow.interop.gatingml_export) without FlowKit.

The per-batch FlowJo job reads dozens of these files; importing FlowKit costs ~1.8 s
per job, parsing a file with xml.etree ~5 ms. Only what `write_gatingml` writes is
read (transforms, one spectrumMatrix per id, rectangle / polygon / ellipsoid / boolean
gates, names from custom_info); anything else is an InputError naming the file, so a
file from elsewhere is never half read. tests/unit/flow/test_flowjo_export.py checks that this
gives the StaticStrategy FlowKit's parser gives (cytotrial.flow.interop.gatingml_import).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from cytotrial.errors import InputError
from cytotrial.flow.interop.gatingml_export import DATATYPES, GATE_ELEMENTS, GATING, TRANSFORMS
from cytotrial.flow.interop.gatingml_export import qualified as _q
from cytotrial.flow.interop.gatingml_strategy import (
    UNCOMPENSATED,
    Dimension,
    Matrix,
    StaticGate,
    StaticStrategy,
)

__all__ = [
    "read_exported_gatingml",
    "export_comment",
]

KINDS = {element: kind for kind, element in GATE_ELEMENTS.items()}
PARAMETERS = {"flin": "TA", "flog": "TM", "fasinh": "TMA", "hyperlog": "TWMA", "logicle": "TWMA"}


def _float(text: str | None, where: str) -> float:
    try:
        return float(text)  # also "INF" / "-INF", as the writer writes infinities
    except (TypeError, ValueError):
        raise InputError(f"{where}: {text!r} is not a number") from None


def read_exported_gatingml(path: str | Path) -> StaticStrategy:
    """The StaticStrategy of a file written by `write_gatingml`."""
    path = Path(path)
    try:
        return _read(path, ET.parse(path).getroot())
    except ET.ParseError as exc:
        raise InputError(f"{path}: not XML ({exc})") from exc
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # a missing part
        raise InputError(f"{path}: not a cytotrial Gating-ML export ({exc!r})") from exc


def export_comment(path: str | Path) -> str:
    """The file's top-level custom_info: why a sample's export holds no gates."""
    info = ET.parse(path).getroot().find(_q(DATATYPES, "custom_info"))
    return "" if info is None or not info.text else info.text


def _read(path: Path, root: ET.Element) -> StaticStrategy:
    transforms: dict[str, dict[str, Any]] = {}
    matrices: dict[str, Matrix] = {}
    elements = []
    for element in root:
        namespace, _, tag = element.tag[1:].partition("}")
        if (namespace, tag) == (DATATYPES, "custom_info"):
            continue
        key = element.get(_q(TRANSFORMS, "id"))
        if (namespace, tag) == (TRANSFORMS, "transformation"):
            transforms[key] = _transform(element, f"{path}, transform {key}")
        elif (namespace, tag) == (TRANSFORMS, "spectrumMatrix"):
            matrices[key] = _matrix(element, f"{path}, matrix {key}")
        elif namespace == GATING and tag in KINDS:
            elements.append(element)
        else:
            raise InputError(f"{path}: element {tag!r} is not one cytotrial writes")
    ids = {e.get(_q(GATING, "id")): _name(e) for e in elements}
    gates = tuple(_gate(e, ids, f"{path}, gate {_name(e)}") for e in elements)
    return StaticStrategy(gates, transforms, matrices)


def _name(element: ET.Element) -> str:
    info = element.find(_q(DATATYPES, "custom_info"))
    return info.text if info is not None and info.text else element.get(_q(GATING, "id"))


def _transform(element: ET.Element, where: str) -> dict[str, Any]:
    (body,) = list(element)
    kind = body.tag.partition("}")[2]
    if kind not in PARAMETERS:
        raise InputError(f"{where}: transform {kind!r} is not read here")
    return {
        "type": kind,
        **{p: _float(body.get(_q(TRANSFORMS, p)), where) for p in PARAMETERS[kind]},
    }


def _matrix(element: ET.Element, where: str) -> Matrix:
    def names(tag: str) -> tuple[str, ...]:
        group = element.find(_q(TRANSFORMS, tag))
        return tuple(d.get(_q(DATATYPES, "name")) for d in group)

    rows = [
        [_float(c.get(_q(TRANSFORMS, "value")), where) for c in spectrum]
        for spectrum in element.findall(_q(TRANSFORMS, "spectrum"))
    ]
    return Matrix(names("detectors"), names("fluorochromes"), np.asarray(rows, dtype=np.float64))


def _gate(element: ET.Element, ids: dict[str, str], where: str) -> StaticGate:
    kind = KINDS[element.tag.partition("}")[2]]
    parent_id = element.get(_q(GATING, "parent_id"))
    parent = "root" if parent_id is None else ids[parent_id]
    if kind == "boolean":
        (operation,) = [e for e in element if e.tag.startswith(f"{{{GATING}}}")]
        refs = [
            [ids[r.get(_q(GATING, "ref"))], r.get(_q(GATING, "use-as-complement")) == "true"]
            for r in operation
        ]
        op = operation.tag.partition("}")[2]
        return StaticGate(_name(element), parent, kind, (), {"op": op, "refs": refs})
    dims, lows, highs = [], [], []
    for dim in element.findall(_q(GATING, "dimension")):
        comp = dim.get(_q(GATING, "compensation-ref"), UNCOMPENSATED)
        transform = dim.get(_q(GATING, "transformation-ref"))
        channel = dim.find(_q(DATATYPES, "fcs-dimension"))
        if channel is None:
            raise InputError(f"{where}: a ratio dimension is not read here")
        dims.append(Dimension(channel.get(_q(DATATYPES, "name")), comp, transform))
        low, high = dim.get(_q(GATING, "min")), dim.get(_q(GATING, "max"))
        lows.append(None if low is None else _float(low, where))
        highs.append(None if high is None else _float(high, where))

    def values(node: ET.Element) -> list[float]:
        return [_float(c.get(_q(DATATYPES, "value")), where) for c in node]

    if kind == "rectangle":
        params: dict[str, Any] = {"min": lows, "max": highs}
    elif kind == "polygon":
        params = {"vertices": [values(v) for v in element.findall(_q(GATING, "vertex"))]}
    else:
        covariance = element.find(_q(GATING, "covarianceMatrix"))
        distance = element.find(_q(GATING, "distanceSquare"))
        params = {
            "mean": values(element.find(_q(GATING, "mean"))),
            "covariance": [values(row) for row in covariance],
            "distance_square": _float(distance.get(_q(DATATYPES, "value")), where),
        }
    return StaticGate(_name(element), parent, kind, tuple(dims), params)
