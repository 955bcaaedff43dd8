"""Template syntax of the new gate kinds: parsed parameters and cross-checks.

The schema (config/schemas/gating_template.schema.yaml) checks keys and types; this
module adds what it cannot say: referenced gates exist and are listed above, vertices
and dimensions agree. Every parsed kind carries `dims`, the markers it is drawn on
(none for a boolean gate), so GateSpec.markers needs no branch per kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cytotrial.io.document_checks import did_you_mean, problem

__all__ = [
    "parse_kind",
    "kind_markers",
    "kind_problems",
]

ROOT = "root"


def parse_kind(kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters of a schema-checked entry; defaults as documented in the schema."""
    if kind == "boolean":
        op = next(k for k in ("and", "or", "not") if k in body)
        operands = [body[op]] if op == "not" else list(body[op])
        return {"dims": [], "op": op, "refs": tuple(_reference(o) for o in operands)}
    if kind == "polygon":
        vertices = tuple((float(x), float(y)) for x, y in body["vertices"])
        return {"dims": list(body["dims"]), "vertices": vertices}
    if kind == "ellipse":
        return {
            "dims": list(body["dims"]),
            "center": tuple(float(v) for v in body["center"]),
            "half_axes": tuple(float(v) for v in body["half_axes"]),
            "angle": float(body.get("angle", 0.0)),
        }
    if kind == "cluster":
        near, within = body.get("near"), body.get("within")
        return {
            "dims": [body["x"], body["y"]],
            "pick": int(body.get("pick", 1)),
            "by": body.get("by", "height"),
            "near": None if near is None else (float(near[0]), float(near[1])),
            "within": None if within is None else float(within),
            # None: descend from 5% to 1% of the peak along the cluster's own flank
            "level": None if body.get("level") is None else float(body["level"]),
            "min_height": float(body.get("min_height", 0.05)),
            "grid": int(body.get("grid", 128)),
            "adjust": float(body.get("adjust", 1.0)),
        }
    if kind == "tail":
        fraction, quantile = body.get("fraction"), body.get("quantile")
        if fraction is None and quantile is None:
            fraction = 0.01
        return {
            "dims": [body["marker"]],
            "marker": body["marker"],
            "side": body.get("side", "above"),
            "fraction": None if fraction is None else float(fraction),
            "quantile": None if quantile is None else float(quantile),
            "control": body.get("control"),
            "min_events": int(body.get("min_events", 20)),
            "shoulder": float(body.get("shoulder", 0.02)),
        }
    raise ValueError(f"not a new gate kind: {kind}")


def _reference(operand: Any) -> tuple[str, bool]:
    """(gate name, complement) of an and/or/not operand: a name or {not: name}."""
    if isinstance(operand, Mapping):
        return str(operand["not"]), True
    return str(operand), False


def kind_markers(entry: Mapping[str, Any]) -> list[tuple[list[Any], str]] | None:
    """(key path, marker) of every dimension a new-kind entry names; None: not a new kind."""
    if "boolean" in entry:
        return []
    for kind in ("polygon", "ellipse"):
        if kind in entry:
            return [([kind, "dims", i], d) for i, d in enumerate(entry[kind]["dims"])]
    if "cluster" in entry:
        return [(["cluster", k], entry["cluster"][k]) for k in "xy"]
    if "tail" in entry:
        return [(["tail", "marker"], entry["tail"]["marker"])]
    return None


def _referenced_gates(entry: Mapping[str, Any]) -> list[tuple[list[Any], str]]:
    """(key path, gate name) of every other gate an entry refers to."""
    refs: list[tuple[list[Any], str]] = []
    body = entry.get("boolean")
    if isinstance(body, Mapping):
        for op in ("and", "or"):
            for i, operand in enumerate(body.get(op) or []):
                if isinstance(operand, Mapping):
                    refs.append((["boolean", op, i, "not"], str(operand["not"])))
                else:
                    refs.append((["boolean", op, i], str(operand)))
        if "not" in body:
            refs.append((["boolean", "not"], str(body["not"])))
    body = entry.get("tail")
    if isinstance(body, Mapping) and body.get("control") is not None:
        refs.append((["tail", "control"], str(body["control"])))
    return refs


def kind_problems(
    entry: Mapping[str, Any], source: str, label: str, earlier: list[str], everything: list[str]
) -> list[str]:
    """Cross-checks of one entry (already schema-valid) given the gates listed above it."""
    problems = []
    for key, ref in _referenced_gates(entry):
        if key[0] == "boolean" and ref == entry.get("parent"):
            # redundant (the gate lies within its parent), and FlowKit cannot read it back
            text = f"{ref!r} is this gate's parent, which it is already within: leave it out"
            problems.append(problem(source, label, key, text))
            continue
        if ref in earlier:
            continue
        text = f"{ref!r} must be a gate listed above"
        if ref == entry.get("name"):
            text = f"{ref!r} is this gate itself: refer to gates listed above"
        elif ref in everything:
            text += f" ({ref!r} is listed below {entry.get('name')!r}: list it first)"
        else:
            text += did_you_mean(ref, earlier)
        problems.append(problem(source, label, key, text))
    body = entry.get("cluster")
    if isinstance(body, Mapping) and "near" in body and "pick" in body:
        text = "give either pick (with by) or near, not both"
        problems.append(problem(source, label, ["cluster", "near"], text))
    if isinstance(body, Mapping) and "within" in body and "near" not in body:
        problems.append(problem(source, label, ["cluster", "within"], "within needs near"))
    body = entry.get("tail")
    if isinstance(body, Mapping) and "fraction" in body and "quantile" in body:
        text = "give either fraction or quantile, not both"
        problems.append(problem(source, label, ["tail", "quantile"], text))
    return problems
