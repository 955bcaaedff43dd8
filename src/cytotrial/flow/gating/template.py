"""The gating template: the gate hierarchy and how each gate adapts.

Three forms (by file suffix):
* .yaml/.yml: our adaptive template, see resources/gating/pbmc_cd38.yaml and its schema
  config/schemas/gating_template.schema.yaml. Parsing checks everything a typo could
  break (unknown or misspelt keys, wrong types, parents listed after children, markers
  not in the panel) and names the file, gate and key in its error.
* .json: fixed gates imported from Gating-ML 2.0 or a FlowJo workspace by the
  workflow's flow_import_gating rule (cytotrial.flow.interop.gatingml_import); each gate is of
  kind "static" and carries its StaticGate (channel, compensation, transform per dim).
* .xml/.wsp: imported here on the fly (needs FlowKit, ~3 s); the workflow never does
  this in a per-sample job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cytotrial.errors import InputError
from cytotrial.flow.gating.kinds import KINDS as NEW_KINDS
from cytotrial.flow.gating.kinds.syntax import parse_kind
from cytotrial.flow.gating.template_checks import check_template_document, population_problems
from cytotrial.flow.interop.gatingml_strategy import (
    FORMAT,
    VERSION,
    StaticStrategy,
    strategy_from_dict,
)
from cytotrial.io.document_checks import read_yaml
from cytotrial.io.problems import raise_problems

__all__ = [
    "IMPORTED_SUFFIXES",
    "ThresholdSpec",
    "GateSpec",
    "GatingTemplate",
    "read_gating_template",
]

KINDS = ("threshold", "quadrant", "singlets", "scatter_cluster", "rectangle", *NEW_KINDS)
IMPORTED_SUFFIXES = (".xml", ".wsp")


@dataclass(frozen=True)
class ThresholdSpec:
    """A cut on one marker."""

    marker: str
    side: str
    method: str = "valley"  # valley | static
    valley: str = "deepest"  # deepest | first | last
    value: float | None = None  # static cut, or fallback when no valley is found
    fallback_sd: float = 4.0
    negative_below: float | None = None  # negative cells peak below this (transformed units)
    # Expected negative level of a lone peak (guide §1.4): a mode (and SD) in transformed
    # units, or the marker's lowest peak on another gate's population (a control or an
    # internal negative); default: the negative peak of the nearest ancestor where the
    # marker is bimodal.
    negative_level: float | None = None
    negative_sd: float | None = None
    negative_from: str | None = None
    cut_from: str | None = None  # reuse that (earlier) gate's cut on the same marker
    # Peak detection (cytotrial.flow.gating.density.peaks) and cut confidence (gating._confidence)
    min_peak_share: float = 0.001
    peak_prominence: float = 0.05
    peak_noise_sds: float = 4.0
    peak_min_events: int = 30
    max_valley_depth: float = 0.7
    max_cut_moved: float = 0.05
    # issue 16: the negative level from this gate's events in the batch's control file
    negative_control: str | None = None


@dataclass(frozen=True)
class GateSpec:
    """One gate of the template."""

    name: str
    parent: str
    kind: str
    params: dict[str, Any]
    pool: str | None = None  # patient | batch | timepoint: the cut is the group's (issue 16)

    @property
    def markers(self) -> list[str]:
        """Markers (dimensions) this gate is drawn on."""
        p = self.params
        if self.kind == "threshold":
            return [p["threshold"].marker]
        if self.kind == "quadrant":
            return [p["x"].marker, p["y"].marker]
        if self.kind == "singlets":
            if p.get("width"):  # issue 15: height x width
                return [p["height"], p["width"]]
            return [p["area"], p["height"]]
        if self.kind == "scatter_cluster":
            return [p["x"], p["y"]]
        return list(p["dims"])  # rectangle; static: dimension keys (none for boolean gates)


@dataclass(frozen=True)
class GatingTemplate:
    """The parsed template."""

    name: str
    gates: tuple[GateSpec, ...]
    populations: dict[str, str]  # reported population -> gate (any names, in report order)
    mfi_marker: str | None  # None: no MFI is reported
    leukocyte_gate: str | None  # a gate or "root"; None: no "% of leukocytes", no counts/uL
    strategy: StaticStrategy | None = None  # imported fixed gates (kind "static")
    source: str = ""  # the Gating-ML / FlowJo file an imported template came from
    # issue 16: events each member gives its group's pooled cut; how far a cut moves
    # before the members read it (the schema's defaults)
    pooling: tuple[int, float] = (50000, 0.01)

    @property
    def pool(self) -> str | None:
        """The sample-sheet grouping of the pooled gates (one per template), or None."""
        return next((g.pool for g in self.gates if g.pool), None)

    def gate(self, name: str) -> GateSpec:
        return next(g for g in self.gates if g.name == name)

    @property
    def markers(self) -> list[str]:
        seen: list[str] = []
        for gate in self.gates:
            seen += [m for m in gate.markers if m not in seen]
        return seen


def read_gating_template(
    path: str | Path, panel_markers: list[str] | None = None
) -> GatingTemplate:
    """Parse and check a gating template (YAML, imported JSON, or .xml/.wsp).

    A YAML template is checked against config/schemas/gating_template.schema.yaml and
    cross-checked (cytotrial.flow.gating.template_checks) before anything is built from it;
    every problem is listed, each naming the file, gate and key.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".json":
        return _read_imported_template(path, panel_markers)
    if suffix in IMPORTED_SUFFIXES:
        from cytotrial.flow.interop.gatingml_import import import_gating

        content = import_gating(path, panel_markers=panel_markers)
        return _imported_template(content, str(path), panel_markers)
    content = read_yaml(path)
    content = {} if content is None else content
    check_template_document(content, str(path), panel_markers)
    gates = [_parse_gate(entry) for entry in content["gates"]]
    _check_references(gates, str(path))
    mfi_marker = (content.get("mfi") or {}).get("marker")
    pooling = content.get("pooling") or {}
    return GatingTemplate(
        str(content.get("name", Path(path).stem)),
        tuple(gates),
        dict(content.get("populations") or {}),
        mfi_marker,
        content.get("leukocyte_gate"),
        pooling=(
            int(pooling.get("events_per_member", 50000)),
            float(pooling.get("tolerance", 0.01)),
        ),
    )


def _parse_gate(entry: dict[str, Any]) -> GateSpec:
    """A schema-checked gate entry; defaults as documented in the schema."""
    kind = next(k for k in KINDS if k in entry)
    body = entry[kind]
    if kind == "threshold":
        params: dict[str, Any] = {"threshold": _threshold(body)}
    elif kind == "quadrant":
        params = {axis: _threshold(body[axis]) for axis in "xy"}
    elif kind == "singlets":
        params = {
            "area": body.get("area"),  # issue 15: or width (height x width singlets)
            "height": body["height"],
            "width": body.get("width"),
            "width_mad": float(body.get("width_mad", 4)),
        }
    elif kind == "scatter_cluster":
        params = {
            "x": body["x"],
            "y": body["y"],
            "components": int(body.get("components", 3)),
            "pick": int(body.get("pick", 1)),
            "distance": float(body.get("distance", 2.5)),
            "widen": float(body.get("widen", 0.0)),
        }
    elif kind in NEW_KINDS:  # issue 15: cytotrial.flow.gating.kinds
        params = parse_kind(kind, body)
    else:
        params = {k: body[k] for k in ("dims", "min", "max")}
    return GateSpec(str(entry["name"]), str(entry["parent"]), kind, params, entry.get("pool"))


def _threshold(body: dict[str, Any]) -> ThresholdSpec:
    value = body.get("value")
    negative_below = body.get("negative_below")
    return ThresholdSpec(
        str(body["marker"]),
        body.get("side", "above"),
        body.get("method", "valley"),
        body.get("valley", "deepest"),
        None if value is None else float(value),
        float(body.get("fallback_sd", 4.0)),
        None if negative_below is None else float(negative_below),
        *(
            None if body.get(k) is None else float(body[k])
            for k in ("negative_level", "negative_sd")
        ),
        *(None if body.get(k) is None else str(body[k]) for k in ("negative_from", "cut_from")),
        *(float(body.get(k, d)) for k, d in _NUMBERS.items()),
        negative_control=body.get("negative_control"),
    )


# Numeric threshold options (peak detection, cut confidence), in ThresholdSpec's order.
_NUMBERS = {
    name: ThresholdSpec.__dataclass_fields__[name].default
    for name in (
        "min_peak_share",
        "peak_prominence",
        "peak_noise_sds",
        "peak_min_events",
        "max_valley_depth",
        "max_cut_moved",
    )
}


def _check_references(gates: list[GateSpec], where: str) -> None:
    """cut_from / negative_from / negative_control name a gate listed above (cut_from:
    one with a cut on the same marker)."""
    seen: dict[str, GateSpec] = {}
    for gate in gates:
        axes = [gate.params["threshold"]] if gate.kind == "threshold" else []
        axes += [gate.params[a] for a in "xy"] if gate.kind == "quadrant" else []
        for t in axes:
            for option in ("cut_from", "negative_from", "negative_control"):
                name = getattr(t, option)
                if name is not None and name not in seen:
                    raise InputError(
                        f"{where} ({gate.name}): {option} {name!r} is not a gate listed above"
                    )
            source = seen.get(t.cut_from) if t.cut_from is not None else None
            if source is not None and (
                source.kind not in ("threshold", "quadrant") or t.marker not in source.markers
            ):
                raise InputError(
                    f"{where} ({gate.name}): cut_from {t.cut_from!r} has no cut on {t.marker}"
                )
        seen[gate.name] = gate


def _read_imported_template(
    path: str | Path, panel_markers: list[str] | None = None
) -> GatingTemplate:
    """The JSON written by the import rule (see cytotrial.flow.interop.gatingml_import)."""
    import json

    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}, line {exc.lineno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise InputError(f"{path}: not an imported gating template (format {FORMAT!r})")
    if content.get("version") != VERSION:
        raise InputError(
            f"{path}: imported template version {content.get('version')!r}, expected "
            f"{VERSION}: rerun the flow_import_gating rule"
        )
    return _imported_template(content, str(path), panel_markers)


def _imported_template(
    content: dict[str, Any], where: str, panel_markers: list[str] | None = None
) -> GatingTemplate:
    """A GatingTemplate of "static" gates from the imported content."""
    strategy = strategy_from_dict(content.get("strategy") or {}, where)
    gates = tuple(
        GateSpec(g.name, g.parent, "static", {"gate": g, "dims": g.keys}) for g in strategy.gates
    )
    names = [g.name for g in gates]
    problems = population_problems(content, names, where)
    mfi_marker = content.get("mfi_marker") or None
    if mfi_marker is not None and panel_markers is not None and mfi_marker not in panel_markers:
        problems.append(f"{where}: MFI marker {mfi_marker!r} is not a panel marker")
    raise_problems(problems, where)
    populations = dict(content.get("populations") or {})
    leukocyte_gate = content.get("leukocyte_gate") or None
    return GatingTemplate(
        str(content.get("name", "imported gates")),
        gates,
        populations,
        mfi_marker,
        leukocyte_gate,
        strategy,
        str(content.get("source", "")),
    )
