"""The config's defaults, declared once: in config/schemas/config.schema.yaml.

Snakemake fills a missing key from the schema when it validates the config; the settings
objects, one per section (cytotrial.report.settings.RunSettings gathers them: flow.settings,
flow.prepare.qc, clinical.settings, clinical.imwg.settings, simulate.settings,
report.settings), take their defaults from here too, so the package used without the
workflow behaves the same, and no default is written twice (tests/unit/io/test_config_settings.py
holds code and schema together: every section has a class, every key a field).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Any

from cytotrial.errors import InputError
from cytotrial.io.schemas import load_schema

__all__ = [
    "schema_default",
    "section_defaults",
    "section_keys",
    "section_values",
]


@cache
def _config_schema() -> dict[str, Any]:
    return load_schema("config")


def _node(path: tuple[str, ...]) -> dict[str, Any]:
    node = _config_schema()
    for key in path:
        properties = node.get("properties") or {}
        if key not in properties:
            raise KeyError(f"config schema: no key {'.'.join(path)}")
        node = properties[key]
    return node


def schema_default(*path: str) -> Any:
    """The schema's default of config key `path` ("flow", "qc", "min_events"); a list
    comes back as a tuple (settings are frozen)."""
    node = _node(path)
    if "default" not in node:
        raise KeyError(f"config schema: {'.'.join(path)} declares no default")
    value = copy.deepcopy(node["default"])
    return tuple(value) if isinstance(value, list) else value


def section_keys(*path: str) -> set[str]:
    """The keys the schema allows in config section `path`."""
    return set(_node(path).get("properties") or {})


def section_defaults(*path: str) -> dict[str, Any]:
    """Section `path` as the schema fills it when the config leaves it out."""
    properties = _node(path).get("properties") or {}
    return {k: copy.deepcopy(v["default"]) for k, v in properties.items() if "default" in v}


def section_values(section: Mapping[str, Any] | None, *path: str) -> dict[str, Any]:
    """Every key of config section `path`: `section`'s value, else the schema's default
    (lists as tuples: settings are frozen). A key the schema does not know is an error
    naming it (Snakemake's validation says the same; a caller without it must hear it too)."""
    given = dict(section or {})
    unknown = sorted(set(given) - section_keys(*path))
    if unknown:
        where = " ".join(["config", ".".join(path)]).strip()
        raise InputError(f"{where}: unknown key(s) {unknown}")
    merged = {**section_defaults(*path), **given}
    return {k: tuple(v) if isinstance(v, list) else v for k, v in merged.items()}
