"""Gating templates and population maps checked before any job runs.

The schema (config/schemas/gating_template.schema.yaml, population_map.schema.yaml)
catches unknown keys, wrong types and values; this module adds what a schema cannot
say: gate names unique, parents listed above their children, markers in the panel,
populations and leukocyte_gate naming gates. Messages name file, gate and key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cytotrial.flow.gating.kinds.syntax import kind_markers, kind_problems
from cytotrial.io.document_checks import (
    did_you_mean,
    problem,
    schema_problems,
)
from cytotrial.io.problems import raise_problems

__all__ = [
    "check_template_document",
    "population_problems",
    "check_population_map_document",
]

ROOT = "root"


def _gate_label(content: Any, index: int) -> str:
    """ "gate 'name'" of the index-th entry (or "gate 3" when it has no usable name)."""
    gates = content.get("gates") if isinstance(content, dict) else None
    entry = gates[index] if isinstance(gates, list) and index < len(gates) else None
    name = entry.get("name") if isinstance(entry, dict) else None
    return f"gate {name!r}" if isinstance(name, str) and name else f"gate {index + 1}"


def check_template_document(
    content: Any, source: str, panel_markers: list[str] | None = None
) -> None:
    """Raise InputError listing every problem of a YAML template's content."""

    def locate(path: list[Any]) -> tuple[str, list[Any]]:
        if len(path) >= 2 and path[0] == "gates" and isinstance(path[1], int):
            return _gate_label(content, path[1]), path[2:]
        return "", path

    problems = schema_problems(content, "gating_template", source, locate)
    if not problems:  # cross-checks need a well-formed document
        problems = _cross_check(content, source, panel_markers)
    raise_problems(problems, source)


def _cross_check(content: dict, source: str, panel_markers: list[str] | None) -> list[str]:
    problems: list[str] = []
    earlier: list[str] = []
    everything = [str(g["name"]) for g in content["gates"]]
    for index, entry in enumerate(content["gates"]):
        label, name, parent = _gate_label(content, index), entry["name"], entry["parent"]
        if name in earlier:
            problems.append(problem(source, label, ["name"], f"gate name {name!r} is used twice"))
        if parent != ROOT and parent not in earlier:
            text = f"{parent!r} must be 'root' or a gate listed above"
            if parent in everything:
                text += f" ({parent!r} is listed below {name!r}: list parents first)"
            else:
                text += did_you_mean(parent, [ROOT, *earlier])
            problems.append(problem(source, label, ["parent"], text))
        for key, marker in _gate_markers(entry):
            if panel_markers is not None and marker not in panel_markers:
                problems.append(problem(source, label, key, _not_in_panel(marker, panel_markers)))
        body = entry.get("scatter_cluster")
        if body and body.get("pick", 1) > body.get("components", 3):
            text = f"{body['pick']} is more than components ({body.get('components', 3)})"
            problems.append(problem(source, label, ["scatter_cluster", "pick"], text))
        body = entry.get("rectangle")
        if body and not len(body["dims"]) == len(body["min"]) == len(body["max"]):
            text = "dims, min and max must have the same length"
            problems.append(problem(source, label, ["rectangle"], text))
        problems += kind_problems(entry, source, label, earlier, everything)  # issue 15
        earlier.append(name)
    problems += _pool_problems(content, source)
    problems += population_problems(content, everything, source)
    marker = (content.get("mfi") or {}).get("marker")
    if marker is not None and panel_markers is not None and marker not in panel_markers:
        problems.append(
            problem(source, "", ["mfi", "marker"], _not_in_panel(marker, panel_markers))
        )
    return problems


def _pool_problems(content: Mapping[str, Any], source: str) -> list[str]:
    """`pool` (issue 16): only on data-driven cuts of threshold and quadrant gates (a
    pooled cut is a value every member applies), and one pool per template (each
    sample belongs to one group, whose job places all its pooled cuts)."""
    problems: list[str] = []
    pools: dict[str, str] = {}
    for index, entry in enumerate(content["gates"]):
        pool = entry.get("pool")
        if pool is None:
            continue
        label = _gate_label(content, index)
        pools.setdefault(pool, str(entry["name"]))
        axes = [entry["threshold"]] if "threshold" in entry else []
        axes += [entry["quadrant"][a] for a in "xy"] if "quadrant" in entry else []
        if not axes:
            text = "pool is for threshold and quadrant gates (their cuts are pooled)"
            problems.append(problem(source, label, ["pool"], text))
        for axis in axes:
            if axis.get("negative_control") is not None:
                text = (
                    f"{axis['marker']} has negative_control: a group may span batches, "
                    "each with its own control; drop pool, or negative_control"
                )
                problems.append(problem(source, label, ["pool"], text))
            if axis.get("method") == "static" or axis.get("cut_from") is not None:
                text = (
                    f"a pooled cut is placed on the group's events; {axis['marker']} has "
                    "method: static or cut_from: drop pool, or those"
                )
                problems.append(problem(source, label, ["pool"], text))
    if len(pools) > 1:
        named = ", ".join(f"{p} (gate {g!r} first)" for p, g in pools.items())
        text = f"gates pool by more than one group: {named}; use one pool per template"
        problems.append(problem(source, "", ["gates"], text))
    return problems


def population_problems(content: Mapping[str, Any], gates: list[str], source: str) -> list[str]:
    """populations and leukocyte_gate name gates (of the template or the imported file)."""
    problems = []
    for population, gate in (content.get("populations") or {}).items():
        if gate not in gates:
            text = f"{gate!r} is not a gate{did_you_mean(gate, gates)}"
            problems.append(problem(source, "", ["populations", population], text))
    leukocyte_gate = content.get("leukocyte_gate")
    if leukocyte_gate is not None and leukocyte_gate != ROOT and leukocyte_gate not in gates:
        text = f"{leukocyte_gate!r} is not a gate (or 'root'){did_you_mean(leukocyte_gate, gates)}"
        problems.append(problem(source, "", ["leukocyte_gate"], text))
    return problems


def _gate_markers(entry: Mapping[str, Any]) -> list[tuple[list[Any], str]]:
    """(key path, marker) of every dimension a gate entry names."""
    if "threshold" in entry:
        return [(["threshold", "marker"], entry["threshold"]["marker"])]
    if "quadrant" in entry:
        return [(["quadrant", axis, "marker"], entry["quadrant"][axis]["marker"]) for axis in "xy"]
    if "singlets" in entry:
        keys = ("area", "height", "width")  # area or width (issue 15)
        return [(["singlets", k], entry["singlets"][k]) for k in keys if k in entry["singlets"]]
    new_kind = kind_markers(entry)  # issue 15: cytotrial.flow.gating.kinds
    if new_kind is not None:
        return new_kind
    if "scatter_cluster" in entry:
        return [(["scatter_cluster", k], entry["scatter_cluster"][k]) for k in "xy"]
    return [(["rectangle", "dims", i], d) for i, d in enumerate(entry["rectangle"]["dims"])]


def _not_in_panel(marker: str, panel_markers: list[str]) -> str:
    return (
        f"marker {marker!r} is not in the panel (panel markers: {', '.join(panel_markers)})"
        + did_you_mean(marker, panel_markers)
    )


def check_population_map_document(
    content: Any, source: str, panel_markers: list[str] | None = None
) -> None:
    """The map beside an imported template: schema and MFI marker (its gate names are
    checked against the imported file when it is imported)."""
    problems = schema_problems(content, "population_map", source, lambda path: ("", path))
    if not problems and panel_markers is not None:
        marker = (content.get("mfi") or {}).get("marker")
        if marker is not None and marker not in panel_markers:
            problems.append(
                problem(source, "", ["mfi", "marker"], _not_in_panel(marker, panel_markers))
            )
    raise_problems(problems, source)
