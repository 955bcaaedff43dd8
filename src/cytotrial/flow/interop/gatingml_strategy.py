"""Fixed gates imported from Gating-ML 2.0 or a FlowJo workspace, and how to apply them.

`StaticStrategy` is our own plain-data form of an imported gating (JSON-able, no FlowKit):
compensation matrices, transforms and gates whose dimensions say which channel, which
compensation ('uncompensated', 'FCS' = the file's own $SPILLOVER, or a matrix id) and
which transform they are drawn in. The import rule writes it once
(cytotrial.flow.interop.gatingml_import, which needs FlowKit); every per-sample job reads it and
gates with `gate_static` here, which imports neither FlowKit nor pandas.

Semantics are Gating-ML 2.0's, computed as FlowKit 1.3.2 computes them, in float64, so
that membership matches event by event (tests/integration/test_gatingml_conformance.py checks every
gate of the compliance set against its truth vector):
* events are the FCS channel values after $PnE/$PnG scaling; compensation solves
  x = c @ S for the matrix's detector columns (np.linalg.solve, as flowutils does);
* rectangles: min inclusive, max exclusive; polygons: flowutils' winding number;
  ellipsoids: flowutils' Mahalanobis test; quadrants become one rectangle per quadrant;
  boolean gates combine the full memberships of the gates they reference;
* transforms: flin, flog, fasinh, hyperlog, logicle, fratio (Gating-ML) and FlowJo's
  log and biex (the biex as its lookup table, interpolated linearly like FlowKit).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cytotrial.errors import InputError

__all__ = [
    "FORMAT",
    "VERSION",
    "UNCOMPENSATED",
    "FILE_SPILLOVER",
    "Dimension",
    "StaticGate",
    "Matrix",
    "StaticStrategy",
    "strategy_from_dict",
    "dimension_values",
    "display_values",
    "gate_static",
    "read_events_float64",
    "display_shape",
    "write_strategy_json",
    "EventSource",
    "DeferredLogicle",
    "FixedRegion",
]

FORMAT = "cytotrial-static-gating"
VERSION = 1
GATE_KINDS = ("rectangle", "polygon", "ellipsoid", "boolean")
TRANSFORM_TYPES = ("flin", "flog", "fasinh", "hyperlog", "logicle", "fratio", "flowjo_log", "biex")
UNCOMPENSATED = "uncompensated"
FILE_SPILLOVER = "FCS"


@dataclass(frozen=True)
class Dimension:
    """One gate dimension: a channel (or a ratio transform), its compensation and transform."""

    channel: str  # $PnN (or a matrix fluorochrome); for a ratio dimension the ratio's id
    compensation: str = UNCOMPENSATED
    transform: str | None = None
    ratio: bool = False

    @property
    def key(self) -> str:
        """The name of this dimension's values (unique per channel/compensation/transform)."""
        parts = [f"ratio:{self.channel}" if self.ratio else self.channel]
        if self.compensation != UNCOMPENSATED:
            parts.append(f"comp={self.compensation}")
        if self.transform:
            parts.append(f"xform={self.transform}")
        return " ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "compensation": self.compensation,
            "transform": self.transform,
            "ratio": self.ratio,
        }


@dataclass(frozen=True)
class StaticGate:
    """A fixed gate. `params` by kind: rectangle {min, max} (None = open), polygon
    {vertices}, ellipsoid {mean, covariance, distance_square}, boolean {op: and|or|not,
    refs: [[gate name, complement], ...]}."""

    name: str
    parent: str  # a gate name or "root"
    kind: str
    dims: tuple[Dimension, ...]
    params: dict[str, Any]

    @property
    def keys(self) -> list[str]:
        return [d.key for d in self.dims]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "parent": self.parent,
            "kind": self.kind,
            "dims": [d.as_dict() for d in self.dims],
            **self.params,
        }


@dataclass(frozen=True)
class Matrix:
    """A spillover matrix: rows = fluorochromes, columns = detectors ($PnN)."""

    detectors: tuple[str, ...]
    fluorochromes: tuple[str, ...]
    values: np.ndarray

    def as_dict(self) -> dict[str, Any]:
        return {
            "detectors": list(self.detectors),
            "fluorochromes": list(self.fluorochromes),
            "matrix": self.values.tolist(),
        }


@dataclass(frozen=True)
class StaticStrategy:
    """Matrices, transforms and gates (parents before children)."""

    gates: tuple[StaticGate, ...]
    transforms: dict[str, dict[str, Any]] = field(default_factory=dict)
    matrices: dict[str, Matrix] = field(default_factory=dict)

    def gate(self, name: str) -> StaticGate:
        return next(g for g in self.gates if g.name == name)

    @property
    def dimensions(self) -> list[Dimension]:
        seen: dict[str, Dimension] = {}
        for gate in self.gates:
            for dim in gate.dims:
                seen.setdefault(dim.key, dim)
        return list(seen.values())

    def channels(self) -> list[str]:
        """The $PnN channels the gates read (ratio transforms included)."""
        names: list[str] = []
        for dim in self.dimensions:
            wanted = self.transforms[dim.channel]["channels"] if dim.ratio else [dim.channel]
            names += [self.detector_of(dim, c) for c in wanted if c not in names]
        return list(dict.fromkeys(names))

    def detector_of(self, dim: Dimension, channel: str) -> str:
        """A matrix fluorochrome used as a dimension name means its detector channel."""
        matrix = self.matrices.get(dim.compensation)
        if matrix and channel not in matrix.detectors and channel in matrix.fluorochromes:
            return matrix.detectors[matrix.fluorochromes.index(channel)]
        return channel

    def as_dict(self) -> dict[str, Any]:
        return {
            "transforms": self.transforms,
            "matrices": {k: m.as_dict() for k, m in self.matrices.items()},
            "gates": [g.as_dict() for g in self.gates],
        }


def strategy_from_dict(content: Mapping[str, Any], where: str) -> StaticStrategy:
    """Parse (and check) the JSON form written by `StaticStrategy.as_dict`."""
    try:
        matrices = {
            key: Matrix(
                tuple(m["detectors"]),
                tuple(m["fluorochromes"]),
                np.asarray(m["matrix"], dtype=np.float64),
            )
            for key, m in (content.get("matrices") or {}).items()
        }
        transforms = {key: dict(spec) for key, spec in (content.get("transforms") or {}).items()}
        gates = []
        for number, entry in enumerate(content["gates"], start=1):
            entry = dict(entry)
            name, parent, kind = entry.pop("name"), entry.pop("parent"), entry.pop("kind")
            dims = tuple(Dimension(**d) for d in entry.pop("dims"))
            gates.append(StaticGate(name, parent, kind, dims, entry))
            _check_gate(gates[-1], gates[:-1], transforms, matrices, f"{where}, gate {number}")
    except (KeyError, TypeError, ValueError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
        raise InputError(f"{where}: not a valid imported gating ({problem})") from exc
    for spec_id, spec in transforms.items():
        if spec.get("type") not in TRANSFORM_TYPES:
            raise InputError(
                f"{where}: transform {spec_id!r} has type {spec.get('type')!r}, expected one of "
                f"{', '.join(TRANSFORM_TYPES)}"
            )
    return StaticStrategy(tuple(gates), transforms, matrices)


def _check_gate(gate: StaticGate, earlier: list[StaticGate], transforms, matrices, where) -> None:
    names = {g.name for g in earlier}
    if gate.kind not in GATE_KINDS:
        raise InputError(f"{where} ({gate.name}): kind {gate.kind!r} is not one of {GATE_KINDS}")
    if gate.name in names or gate.name == "root":
        raise InputError(f"{where}: gate name {gate.name!r} is used twice")
    if gate.parent != "root" and gate.parent not in names:
        raise InputError(f"{where} ({gate.name}): parent {gate.parent!r} is not listed above")
    for dim in gate.dims:
        if dim.transform is not None and dim.transform not in transforms:
            raise InputError(f"{where} ({gate.name}): unknown transform {dim.transform!r}")
        if dim.ratio and dim.channel not in transforms:
            raise InputError(f"{where} ({gate.name}): unknown ratio transform {dim.channel!r}")
        if dim.compensation not in (UNCOMPENSATED, FILE_SPILLOVER, *matrices):
            raise InputError(f"{where} ({gate.name}): unknown compensation {dim.compensation!r}")
    for ref, _ in gate.params.get("refs", []):
        if ref not in names:
            raise InputError(f"{where} ({gate.name}): boolean gate refers to unknown gate {ref!r}")


def _apply_transform(spec: Mapping[str, Any], values: np.ndarray) -> np.ndarray:
    """One Gating-ML / FlowJo transform on float64 values (not fratio: see `_ratio`)."""
    from flowutils import transforms as fu

    kind = spec["type"]
    x = np.asarray(values, dtype=np.float64)
    if kind == "flin":
        return (x + spec["A"]) / (spec["T"] + spec["A"])
    if kind == "flog":
        return fu.log(x.reshape(-1, 1), [0], t=spec["T"], m=spec["M"]).reshape(-1)
    if kind == "fasinh":
        column = x.reshape(-1, 1)
        return fu.asinh(column, [0], t=spec["T"], m=spec["M"], a=spec["A"]).reshape(-1)
    if kind in ("hyperlog", "logicle"):
        function = fu.hyperlog if kind == "hyperlog" else fu.logicle
        column = x.reshape(-1, 1)
        result = function(column, [0], t=spec["T"], m=spec["M"], w=spec["W"], a=spec["A"])
        return result.reshape(-1)
    if kind == "flowjo_log":  # FlowJo 10's log: values below the offset sit at 0
        clipped = np.maximum(x, spec["offset"])
        return (np.log10(clipped) - math.log10(spec["offset"])) / spec["decades"]
    if kind == "biex":  # FlowJo's biex lookup table, clamped at both ends like FlowKit
        return np.interp(x, np.asarray(spec["x"]), np.asarray(spec["y"]))
    raise InputError(f"transform type {kind!r} cannot be applied to one channel")


@dataclass
class EventSource:
    """A sample's scaled events (float64, n x p) and what compensation needs."""

    channels: tuple[str, ...]
    events: np.ndarray
    file_spillover: tuple[tuple[str, ...], np.ndarray] | None
    keywords: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    _compensated: dict[str, tuple] = field(default_factory=dict)

    def column(self, channel: str, compensation: str, matrices: Mapping[str, Matrix]) -> np.ndarray:
        if channel not in self.channels:
            raise InputError(
                f"the gates need channel {channel!r}, which the file does not have "
                f"(file channels: {', '.join(self.channels)})"
            )
        if compensation != UNCOMPENSATED:
            detectors, solved = self._compensated_columns(compensation, matrices)
            if channel in detectors:
                return solved[:, detectors.index(channel)]
        return self.events[:, self.channels.index(channel)]

    def _compensated_columns(
        self, ref: str, matrices: Mapping[str, Matrix]
    ) -> tuple[tuple[str, ...], np.ndarray]:
        """The matrix's detector channels, compensated (n x k); other channels as read."""
        if ref not in self._compensated:
            if ref == FILE_SPILLOVER:
                if self.file_spillover is None:  # Gating-ML: no spillover = uncompensated
                    return (), self.events[:, :0]
                detectors, values = self.file_spillover
            else:
                detectors, values = matrices[ref].detectors, matrices[ref].values
            missing = [d for d in detectors if d not in self.channels]
            if missing:
                raise InputError(
                    f"compensation {ref!r} names detector(s) {', '.join(missing)} "
                    "that the file does not have"
                )
            index = [self.channels.index(d) for d in detectors]
            # As flowutils.compensate: solve x = c @ S for c (not a product with inv(S)),
            # so that values, and membership at gate boundaries, are FlowKit's.
            acquired = np.ascontiguousarray(self.events[:, index].T)
            solved = np.linalg.solve(np.asarray(values, dtype=np.float64).T, acquired).T
            self._compensated[ref] = (tuple(detectors), solved)
        return self._compensated[ref]


def dimension_values(strategy: StaticStrategy, source: EventSource) -> dict[str, Any]:
    """Every dimension the gates use: compensated and transformed values (float64).

    A logicle dimension that only rectangle gates use is not transformed (exact logicle
    costs ~130 ns per value): it stays a `DeferredLogicle` of the compensated values,
    and each bound is compared in raw units instead (see there).
    """
    rectangles_only = _rectangle_only_keys(strategy)
    data: dict[str, Any] = {}
    for dim in strategy.dimensions:
        if dim.ratio:
            values = _ratio(strategy.transforms[dim.channel], source, strategy, dim)
        else:
            channel = strategy.detector_of(dim, dim.channel)
            values = source.column(channel, dim.compensation, strategy.matrices)
        spec = strategy.transforms.get(dim.transform) if dim.transform else None
        if spec is not None and spec["type"] == "logicle" and dim.key in rectangles_only:
            data[dim.key] = DeferredLogicle(np.ascontiguousarray(values, np.float64), spec)
            continue
        if spec is not None:
            values = _apply_transform(spec, values)
        data[dim.key] = np.ascontiguousarray(values, dtype=np.float64)
    return data


def _rectangle_only_keys(strategy: StaticStrategy) -> set[str]:
    used_elsewhere = {k for g in strategy.gates if g.kind != "rectangle" for k in g.keys}
    return {k for g in strategy.gates if g.kind == "rectangle" for k in g.keys} - used_elsewhere


@dataclass(frozen=True)
class DeferredLogicle:
    """Raw (compensated) values of a logicle dimension, compared with bounds in raw units.

    Logicle is strictly increasing, so logicle(x) >= b <=> x >= logicle_inverse(b). Events
    within a relative 1e-9 of the inverted bound (far beyond the ~1e-15 error of
    flowutils' logicle and its inverse) get the exact logicle and the comparison in
    logicle units: membership is exactly what transforming every event gives.
    """

    raw: np.ndarray
    spec: Mapping[str, Any]

    def __len__(self) -> int:
        return len(self.raw)

    def at_least(self, bound: float) -> np.ndarray:
        return self._compare(bound, above=True)

    def below(self, bound: float) -> np.ndarray:
        return ~self._compare(bound, above=True) & ~np.isnan(self.raw)

    def _compare(self, bound: float, above: bool) -> np.ndarray:
        from flowutils import transforms as fu

        s = self.spec
        if not np.isfinite(bound):
            return _apply_transform(s, self.raw) >= bound
        inverse = fu.logicle_inverse(np.array([[bound]]), [0], s["T"], s["M"], s["W"], s["A"])
        edge = float(inverse[0, 0])
        slack = 1e-9 * (abs(edge) + s["T"] * 1e-6)
        inside = self.raw >= edge + slack
        near = np.flatnonzero(np.abs(self.raw - edge) <= slack)
        if len(near):
            inside[near] = _apply_transform(s, self.raw[near]) >= bound
        return inside

    def display(self) -> np.ndarray:
        """Table logicle (float32), for plots only."""
        from cytotrial.flow.prepare.transforms import logicle_lut

        s = self.spec
        return logicle_lut(self.raw.astype(np.float32), s["T"], s["W"], s["M"], s["A"])


def display_values(data: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Plain arrays of every dimension (deferred logicle by table), for audit plots."""
    return {k: v.display() if isinstance(v, DeferredLogicle) else v for k, v in data.items()}


def _ratio(spec, source: EventSource, strategy: StaticStrategy, dim: Dimension) -> np.ndarray:
    """fratio: A * (x - B) / (y - C) on uncompensated values, as FlowKit computes it."""
    x_channel, y_channel = spec["channels"]
    x = source.column(x_channel, UNCOMPENSATED, strategy.matrices)
    y = source.column(y_channel, UNCOMPENSATED, strategy.matrices)
    with np.errstate(divide="ignore", invalid="ignore"):
        return spec["A"] * ((x - spec["B"]) / (y - spec["C"]))


def gate_static(strategy: StaticStrategy, data: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Membership of every gate (parents applied), in strategy order."""
    n = len(next(iter(data.values()))) if data else 0
    masks: dict[str, np.ndarray] = {"root": np.ones(n, dtype=bool)}
    for gate in strategy.gates:
        inside = _gate_shape_mask(gate, data, masks)
        masks[gate.name] = np.logical_and(inside, masks[gate.parent])
    del masks["root"]
    return masks


def _gate_shape_mask(
    gate: StaticGate, data: Mapping[str, Any], masks: Mapping[str, np.ndarray]
) -> np.ndarray:
    """The gate's own region (before its parent is applied)."""
    from flowutils import gating

    p = gate.params
    if gate.kind == "boolean":
        parts = [~masks[ref] if complement else masks[ref] for ref, complement in p["refs"]]
        if p["op"] == "not":
            return ~parts[0]
        reduce = np.logical_and if p["op"] == "and" else np.logical_or
        return reduce.reduce(parts)
    columns = [data[key] for key in gate.keys]
    if gate.kind == "rectangle":
        inside = np.ones(len(columns[0]), dtype=bool)
        for values, low, high in zip(columns, p["min"], p["max"], strict=True):
            deferred = isinstance(values, DeferredLogicle)
            if low is not None:
                inside &= values.at_least(low) if deferred else values >= low
            if high is not None:
                inside &= values.below(high) if deferred else values < high
    elif gate.kind == "polygon":
        points = np.column_stack(columns)
        inside = gating.points_in_polygon(np.asarray(p["vertices"], dtype=np.float64), points)
    else:
        points = np.column_stack(columns)
        inside = gating.points_in_ellipsoid(
            np.asarray(p["covariance"], dtype=np.float64),
            np.asarray(p["mean"], dtype=np.float64),
            float(p["distance_square"]),
            points,
        )
    return ~inside if p.get("complement") else np.asarray(inside, dtype=bool)


def read_events_float64(path: str | Path) -> EventSource:
    """A file's events after the standard FCS scaling ($PnE, $PnG), in float64.

    The raw (stored) values are read and scaled here in float64: read_fcs(scale=True)
    would round scaled values to float32, which moves events across gate boundaries.
    """
    from cytotrial.fcs import parse_spillover, read_fcs
    from cytotrial.fcs.scale import apply_scales, channel_scales

    data_set = read_fcs(path, scale=False)
    raw = data_set.events
    events = raw.astype(np.float64)
    integer = data_set.keywords.get("$DATATYPE", "").strip().upper() == "I"
    numbers = list(range(1, len(data_set.channels) + 1))
    notes = list(data_set.notes)
    scales = channel_scales(data_set.keywords, numbers, list(data_set.channels), integer, notes)
    apply_scales(events, raw, scales)
    # The path goes into the error's message for the log; a failure record quotes its
    # path-free detail (file names can identify patients).
    spillover = parse_spillover(data_set.keywords, source=os.fspath(path))
    return EventSource(data_set.channels, events, spillover, data_set.keywords, tuple(notes))


@dataclass(frozen=True)
class FixedRegion:
    """A boolean gate or an ellipsoid in more than 2 dimensions, for records and plots."""

    gate: StaticGate

    @property
    def dims(self) -> tuple[str, ...]:
        return tuple(self.gate.keys)

    def describe(self) -> dict[str, Any]:
        described = self.gate.as_dict()
        del described["name"], described["parent"]
        described["shape"] = described.pop("kind")
        described["dims"] = self.gate.keys
        return described


def display_shape(gate: StaticGate):
    """Our gate shape for a fixed gate (records, audit plots), FixedRegion otherwise."""
    from cytotrial.flow.gating.gates import EllipseGate, PolygonGate, RectangleGate

    p, keys = gate.params, tuple(gate.keys)
    if p.get("complement") or gate.kind == "boolean":
        return FixedRegion(gate)
    if gate.kind == "rectangle":
        return RectangleGate(keys, tuple(p["min"]), tuple(p["max"]))
    if gate.kind == "polygon":
        return PolygonGate(keys, tuple(tuple(v) for v in p["vertices"]))
    if len(keys) == 2:
        covariance = tuple(tuple(row) for row in p["covariance"])
        return EllipseGate(keys, tuple(p["mean"]), covariance, p["distance_square"])
    return FixedRegion(gate)


def write_strategy_json(content: dict[str, Any], path: str | Path) -> None:
    """The imported template as JSON (floats written exactly: repr round-trips)."""
    from cytotrial.io.atomic import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(content, indent=1) + "\n", encoding="utf-8")
