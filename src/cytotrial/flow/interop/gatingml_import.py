"""Import a Gating-ML 2.0 file or a FlowJo 10 workspace as our own fixed gating.

FlowKit parses the file (fk.parse_gating_xml, fk.parse_wsp); everything is converted
into a `StaticStrategy` (cytotrial.flow.interop.gatingml_strategy) and written as JSON by the
import rule, once, so that per-sample jobs never import FlowKit (~2.7 s).

Naming: a gate keeps its Gating-ML id / FlowJo population name when that name is unique
in the file; otherwise it is named by its path from the root ("CD3+/CD4+"). A quadrant
gate becomes one rectangle per quadrant, named by the quadrant's id; gates below a
quadrant have that quadrant as parent.

Which imported gates are the report's subsets comes from a small YAML file next to the
template (`<template>.populations.yaml`, see `read_population_map`).
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Any

from cytotrial.errors import InputError
from cytotrial.flow.interop.gatingml_strategy import (
    FILE_SPILLOVER,
    FORMAT,
    UNCOMPENSATED,
    VERSION,
    Dimension,
    Matrix,
    StaticGate,
    StaticStrategy,
    strategy_from_dict,
)

__all__ = [
    "SUFFIXES",
    "population_map_path",
    "read_population_map",
    "import_gating",
    "load_strategy",
    "run_import_job",
]

SUFFIXES = (".xml", ".wsp")
FLOWJO_COMP_PREFIX = "Comp-"


def population_map_path(template_path: str | Path) -> Path:
    """Where the subset mapping of an imported template lives: next to it."""
    path = Path(template_path)
    return path.with_name(path.stem + ".populations.yaml")


def read_population_map(path: str | Path, panel_markers: list[str] | None = None) -> dict[str, Any]:
    """The YAML that says which imported gates are reported (schema:
    config/schemas/population_map.schema.yaml).

    populations: {cd4_t: CD4+, ...}   # reported population (any name) -> imported gate
    mfi: {marker: CD38}          # optional: panel marker whose median is the MFI
    leukocyte_gate: CD45+        # optional: the gate percentages 'of leukocytes' refer to
    sample: name.fcs             # .wsp only, optional: whose gates (default: the first)
    """
    from cytotrial.flow.gating.template_checks import check_population_map_document
    from cytotrial.io.document_checks import read_yaml

    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"{path}: not found. An imported gating template needs this file next to it, "
            "naming which gates are the reported populations, and optionally the MFI "
            "marker and the leukocyte gate (see README, 'Use your FlowJo gates')"
        )
    content = read_yaml(path)
    content = {} if content is None else content
    check_population_map_document(content, str(path), panel_markers)
    marker = (content.get("mfi") or {}).get("marker")
    return {
        "mfi_marker": marker,
        "leukocyte_gate": content.get("leukocyte_gate"),
        "populations": dict(content["populations"]),
        "sample": content.get("sample"),
    }


def import_gating(
    template_path: str | Path,
    map_path: str | Path | None = None,
    panel_markers: list[str] | None = None,
) -> dict[str, Any]:
    """The imported template (JSON-able): strategy, subset mapping, provenance."""
    template_path = Path(template_path)
    where = str(map_path or population_map_path(template_path))
    mapping = read_population_map(where, panel_markers)
    strategy, _ = load_strategy(template_path, mapping["sample"])
    names = {g.name for g in strategy.gates}
    wanted = list(mapping["populations"].items())
    if mapping["leukocyte_gate"] not in (None, "root"):
        wanted.append(("leukocyte_gate", mapping["leukocyte_gate"]))
    for population, gate in wanted:
        if gate not in names:
            raise InputError(
                f"{where}: {population} refers to gate {gate!r}, which {template_path.name} "
                f"does not have (its gates: {', '.join(sorted(names))})"
            )
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": template_path.stem,
        "source": template_path.name,
        "source_sha256": hashlib.sha256(template_path.read_bytes()).hexdigest(),
        # no workspace sample name: FlowJo names samples by FCS file name, which may be
        # identifying; the mapping file says which sample was meant
        "mfi_marker": mapping["mfi_marker"],
        "leukocyte_gate": mapping["leukocyte_gate"],
        "populations": mapping["populations"],
        "strategy": strategy.as_dict(),
    }


def load_strategy(path: str | Path, sample: str | None = None) -> tuple[StaticStrategy, str | None]:
    """Parse a Gating-ML 2.0 (.xml) or FlowJo 10 (.wsp) file into a StaticStrategy.

    For a workspace, the gates of `sample` (default: the first sample listed), which
    include its custom gates; returns that sample's name too.
    """
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(f"{path}: expected a Gating-ML 2.0 .xml or a FlowJo 10 .wsp file")
    warnings.simplefilter("ignore")  # FlowKit warns about things that do not concern us
    import flowkit as fk

    try:
        if path.suffix.lower() == ".xml":
            return convert(fk.parse_gating_xml(str(path)), str(path)), None
        samples = fk.parse_wsp(str(path))["samples"]
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - FlowKit raises many types; name the file
        raise InputError(f"{path}: FlowKit cannot read it ({type(exc).__name__}: {exc})") from exc
    if not samples:
        raise InputError(f"{path}: the workspace holds no samples, so no gates")
    if sample is None:
        sample = next(iter(samples))
    if sample not in samples:
        raise InputError(  # sample names are file names: not listed (privacy)
            f"{path}: no sample {sample!r} in the workspace ({len(samples)} samples; give "
            "'sample:' exactly as FlowJo shows the sample's name)"
        )
    strategy = samples[sample]["gating_strategy"]
    return convert(strategy, f"{path}, sample {sample}", sample), sample


def convert(strategy, where: str, sample_id: str | None = None) -> StaticStrategy:
    """A FlowKit GatingStrategy as a StaticStrategy (unsupported features: InputError)."""
    from flowkit import exceptions as fk_errors

    nodes = []  # (full path tuple, gate or Quadrant gate owner, quadrant id or None)
    for name, ancestors in strategy.get_gate_ids():
        full = (*ancestors, name)
        try:
            gate = strategy.get_gate(name, ancestors, sample_id=sample_id)
        except fk_errors.QuadrantReferenceError:
            owner = strategy.get_gate(ancestors[-1], ancestors[:-1], sample_id=sample_id)
            nodes.append((full, owner, name))
            continue
        nodes.append((full, gate, None))
    quadrant_gates = {n[0] for n in nodes if type(n[1]).__name__ == "QuadrantGate" and not n[2]}
    populations = [n for n in nodes if n[0] not in quadrant_gates]
    names = _names([n[0] for n in populations], quadrant_gates)
    transforms = {key: _transform(key, t, where) for key, t in strategy.transformations.items()}
    matrices = {key: _matrix(key, m, where) for key, m in strategy.comp_matrices.items()}
    gates = [
        _gate(full, gate, quadrant, names, quadrant_gates, where)
        for full, gate, quadrant in populations
    ]
    return StaticStrategy(tuple(_parents_first(gates)), transforms, matrices)


def _names(paths: list[tuple[str, ...]], hidden: set[tuple[str, ...]]) -> dict[tuple, str]:
    """Unique short names: the gate's own name, or its path when that name repeats."""
    counts: dict[str, int] = {}
    for path in paths:
        counts[path[-1]] = counts.get(path[-1], 0) + 1
    names = {}
    for path in paths:
        visible = [p for i, p in enumerate(path[1:], 1) if path[: i + 1] not in hidden]
        names[path] = path[-1] if counts[path[-1]] == 1 else "/".join(visible)
    return names


def _parent_name(full: tuple, names: dict, quadrant_gates: set) -> str:
    parent = full[:-1]
    while parent in quadrant_gates:  # a quadrant's parent is its quadrant gate's parent
        parent = parent[:-1]
    return "root" if parent == ("root",) else names[parent]


def _dimension(dim, where: str) -> Dimension:
    comp = dim.compensation_ref or UNCOMPENSATED
    if type(dim).__name__ == "RatioDimension":
        return Dimension(dim.ratio_ref, comp, dim.transformation_ref, ratio=True)
    channel = dim.dimension_ref if type(dim).__name__ == "QuadrantDivider" else dim.id
    if comp == UNCOMPENSATED and channel.startswith(FLOWJO_COMP_PREFIX):
        # FlowJo names compensated parameters "Comp-<channel>". A workspace whose matrix
        # FlowKit did not attach (e.g. one FlowKit wrote itself) means the acquisition
        # matrix: the file's own $SPILLOVER.
        return Dimension(channel[len(FLOWJO_COMP_PREFIX) :], FILE_SPILLOVER, dim.transformation_ref)
    return Dimension(channel, comp, dim.transformation_ref)


def _gate(full, gate, quadrant, names, quadrant_gates, where) -> StaticGate:
    kind = type(gate).__name__
    name, parent = names[full], _parent_name(full, names, quadrant_gates)
    here = f"{where}, gate {'/'.join(full[1:])}"
    if quadrant is not None:  # one quadrant of a QuadrantGate: a rectangle
        q = gate.quadrants[quadrant]
        dividers = {d.id: d for d in gate.dimensions}
        dims, lows, highs = [], [], []
        for ref in q.divider_refs:
            low, high = q.get_divider_range(ref)
            dims.append(_dimension(dividers[ref], here))
            lows.append(None if low is None else float(low))
            highs.append(None if high is None else float(high))
        return StaticGate(name, parent, "rectangle", tuple(dims), {"min": lows, "max": highs})
    if kind == "BooleanGate":
        refs = []
        for ref in gate.gate_refs:
            target = (*ref["path"], ref["ref"])
            if target not in names:
                raise InputError(f"{here}: boolean gate refers to unknown gate {ref['ref']!r}")
            refs.append([names[target], bool(ref["complement"])])
        return StaticGate(name, parent, "boolean", (), {"op": gate.type, "refs": refs})
    dims = tuple(_dimension(d, here) for d in gate.dimensions)
    complement = bool(getattr(gate, "use_complement", False))
    extra = {"complement": True} if complement else {}
    if kind == "RectangleGate":
        lows = [_bound(d, "min") for d in gate.dimensions]
        highs = [_bound(d, "max") for d in gate.dimensions]
        return StaticGate(name, parent, "rectangle", dims, {"min": lows, "max": highs, **extra})
    if kind == "PolygonGate":
        vertices = [[float(v) for v in vertex] for vertex in gate.vertices]
        return StaticGate(name, parent, "polygon", dims, {"vertices": vertices, **extra})
    if kind == "EllipsoidGate":
        params = {
            "mean": [float(v) for v in gate.coordinates],
            "covariance": [[float(v) for v in row] for row in gate.covariance_matrix],
            "distance_square": float(gate.distance_square),
        }
        return StaticGate(name, parent, "ellipsoid", dims, params)
    raise InputError(f"{here}: {kind} gates are not supported")


def _bound(dim, which: str) -> float | None:
    value = getattr(dim, which, None)  # FlowKit leaves it unset on open ratio dimensions
    return None if value is None else float(value)


def _transform(key: str, transform, where: str) -> dict[str, Any]:
    kind = type(transform).__name__
    t = transform
    if kind == "LinearTransform":
        return {"type": "flin", "T": float(t.param_t), "A": float(t.param_a)}
    if kind == "LogTransform":
        return {"type": "flog", "T": float(t.param_t), "M": float(t.param_m)}
    if kind == "AsinhTransform":
        parameters = {"T": float(t.param_t), "M": float(t.param_m), "A": float(t.param_a)}
        return {"type": "fasinh", **parameters}
    if kind in ("HyperlogTransform", "LogicleTransform"):
        return {
            "type": "hyperlog" if kind == "HyperlogTransform" else "logicle",
            "T": float(t.param_t),
            "W": float(t.param_w),
            "M": float(t.param_m),
            "A": float(t.param_a),
        }
    if kind == "RatioTransform":
        return {
            "type": "fratio",
            "channels": list(t.dimensions),
            "A": float(t.param_a),
            "B": float(t.param_b),
            "C": float(t.param_c),
        }
    if kind == "WSPLogTransform":
        return {"type": "flowjo_log", "offset": float(t.offset), "decades": float(t.decades)}
    if kind == "WSPBiexTransform":
        from flowkit._models.transforms._wsp_transforms import generate_biex_lut

        x, y = generate_biex_lut(
            neg=t.negative, width_basis=t.width, pos=t.positive, max_value=t.max_value
        )
        parameters = {"negative": t.negative, "width": t.width, "positive": t.positive}
        return {"type": "biex", **parameters, "x": x.tolist(), "y": y.tolist()}
    raise InputError(f"{where}: transform {key!r} ({kind}) is not supported")


def _matrix(key: str, matrix, where: str) -> Matrix:
    if type(matrix).__name__ != "Matrix":
        kind = type(matrix).__name__
        raise InputError(f"{where}: compensation {key!r} ({kind}) is not supported")
    fluorochromes = tuple(matrix.fluorochromes or matrix.detectors)
    return Matrix(tuple(matrix.detectors), fluorochromes, matrix.matrix.astype(float))


def _parents_first(gates: list[StaticGate]) -> list[StaticGate]:
    """Order so that parents and boolean references come before the gates that use them."""
    done: list[StaticGate] = []
    placed = {"root"}
    waiting = list(gates)
    while waiting:
        ready = [
            g
            for g in waiting
            if g.parent in placed and all(r in placed for r, _ in g.params.get("refs", []))
        ]
        if not ready:
            raise InputError(f"gates {', '.join(g.name for g in waiting)}: circular references")
        for gate in ready:
            done.append(gate)
            placed.add(gate.name)
        waiting = [g for g in waiting if g.name not in placed]
    return done


def run_import_job(
    template_path: str | Path,
    map_path: str | Path,
    panel_path: str | Path,
    out_path: str | Path,
) -> dict[str, Any]:
    """The import rule: parse once, check against the panel, write our JSON template."""
    import logging

    from cytotrial.flow.interop.gatingml_strategy import write_strategy_json
    from cytotrial.io.panel import read_panel

    panel = read_panel(panel_path)
    content = import_gating(template_path, map_path, [c.marker for c in panel.channels])
    wanted = strategy_from_dict(content["strategy"], str(template_path)).channels()
    known = set(panel.channel_names)
    matrices = content["strategy"]["matrices"].values()
    known |= {f for m in matrices for f in m["fluorochromes"]}
    missing = [c for c in wanted if c not in known]
    if missing:
        raise InputError(
            f"{template_path}: the gates use channel(s) {', '.join(missing)} that the panel "
            f"does not list (panel channels: {', '.join(panel.channel_names)})"
        )
    write_strategy_json(content, out_path)
    logging.getLogger(__name__).info(
        "%s: %d gates imported (%s)",
        Path(template_path).name,
        len(content["strategy"]["gates"]),
        ", ".join(f"{k} = {v}" for k, v in content["populations"].items()),
    )
    return content
