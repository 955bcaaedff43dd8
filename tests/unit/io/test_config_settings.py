"""Config sections, settings objects and the schema agree; each default is declared once.

The schema (config/schemas/config.schema.yaml) is the one home of every default: Snakemake
fills them when it validates the config, and the settings objects read them from it
(cytotrial.io.config_schema). These tests fail when a settings object gains or loses a key
the schema does not have, when code writes a default of its own, or when a rule or the
package falls back on a default of its own with `.get(key, default)`.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re

import pytest
from helpers.paths import REPO

from cytotrial.clinical.imwg.settings import ImwgSettings
from cytotrial.clinical.settings import ClinicalSettings, PrimaryEndpointSettings
from cytotrial.flow.prepare.qc import QCSettings
from cytotrial.io.config_schema import (
    config_section,
    schema_default,
    section_defaults,
    section_keys,
)

# settings class -> its config section, and the section's keys it does not hold (with why)
SETTINGS = [
    (QCSettings, ("flow", "qc"), set()),
    (ImwgSettings, ("clinical", "imwg"), set()),
    (PrimaryEndpointSettings, ("clinical", "primary_endpoint"), set()),
    # ae_table_rows is a file the Table 2 rule reads; primary/imwg are the nested objects
    (ClinicalSettings, ("clinical",), {"ae_table_rows", "primary_endpoint", "imwg"}),
]


@pytest.mark.parametrize(("cls", "path", "elsewhere"), SETTINGS, ids=lambda v: str(v))
def test_settings_fields_are_the_schema_keys(cls, path, elsewhere):
    names = {f.name for f in dataclasses.fields(cls)} - {"cutoff", "primary", "imwg"}
    assert names == section_keys(*path) - elsewhere


@pytest.mark.parametrize(("cls", "path", "elsewhere"), SETTINGS, ids=lambda v: str(v))
def test_settings_defaults_are_the_schema_defaults(cls, path, elsewhere):
    made = cls()
    for key, value in section_defaults(*path).items():
        if key in elsewhere:
            continue
        have = getattr(made, key)
        if key == "response_groups":
            value = tuple((g["label"], tuple(g["responses"])) for g in value)
        elif isinstance(value, list):
            value = tuple(value)
        assert have == value, f"{cls.__name__}.{key}: {have!r} != schema {value!r}"


@pytest.mark.parametrize(("cls", "path", "elsewhere"), SETTINGS, ids=lambda v: str(v))
def test_no_settings_field_writes_its_own_default(cls, path, elsewhere):
    """Every field default is read from the schema, never a literal in the code."""
    tree = ast.parse(inspect.getsource(cls))
    literal = [
        node.target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and isinstance(node.value, ast.Constant)
        and "ClassVar" not in ast.unparse(node.annotation)
    ]
    assert not literal, f"{cls.__name__}: literal defaults {literal}; read them from the schema"


def test_from_config_fills_only_what_is_missing():
    assert QCSettings.from_config({"min_events": 250}).min_events == 250
    assert QCSettings.from_config({}) == QCSettings()
    assert ClinicalSettings.from_config({}).cutoff == ClinicalSettings().cutoff
    section = config_section({"report": {"trial_id": "NCT0"}}, "report")
    assert section == {**section_defaults("report"), "trial_id": "NCT0"}
    assert config_section({}, "flow", "cohort_qc") == section_defaults("flow", "cohort_qc")


def test_schema_default_names_a_missing_key():
    with pytest.raises(KeyError, match="flow.qc.no_such_key"):
        schema_default("flow", "qc", "no_such_key")


# `.get("key", default)` on a config mapping: the schema's default is the only one.
FALLBACK = re.compile(
    r"\b(config|clinical|flow|report)(\[[^\]]+\])*\.get\(\s*['\"]\w+['\"]\s*,\s*[^)\s]"
)


def test_no_config_default_fallbacks_in_rules_scripts_or_package():
    files = [
        *sorted((REPO / "rules").glob("*.smk")),
        *sorted((REPO / "scripts").glob("*.py")),
        *sorted((REPO / "src" / "cytotrial").rglob("*.py")),
    ]
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if FALLBACK.search(line)
    ]
    assert not found, "config defaults written in code:\n" + "\n".join(found)
