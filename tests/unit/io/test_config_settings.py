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

import pandas as pd
import pytest
from helpers.paths import REPO

from cytotrial.clinical.imwg.settings import ImwgSettings
from cytotrial.clinical.settings import ClinicalSettings, PrimaryEndpointSettings
from cytotrial.errors import InputError
from cytotrial.flow.prepare.qc import QCSettings
from cytotrial.flow.settings import CohortQCSettings, FlowSettings, StatisticsSettings
from cytotrial.io.config_schema import schema_default, section_defaults, section_keys
from cytotrial.io.schemas import load_schema
from cytotrial.report.settings import ReportSettings, RunSettings
from cytotrial.simulate.settings import DemoSettings

# settings class -> its config section; the section's keys it does not hold (with why); its
# fields named otherwise than their key (field -> key); its fields that are no key of it.
SETTINGS = [
    (RunSettings, (), set(), {}, set()),
    (FlowSettings, ("flow",), set(), {}, set()),
    (QCSettings, ("flow", "qc"), set(), {}, set()),
    (CohortQCSettings, ("flow", "cohort_qc"), set(), {}, set()),
    (StatisticsSettings, ("flow", "statistics"), set(), {}, set()),
    # ae_table_rows is a file only the Table 2 rule reads; the cut-off is the root's
    # cutoff_date, which the clinical analyses need as a date
    (
        ClinicalSettings,
        ("clinical",),
        {"ae_table_rows"},
        {"primary": "primary_endpoint"},
        {"cutoff"},
    ),
    (PrimaryEndpointSettings, ("clinical", "primary_endpoint"), set(), {}, set()),
    (ImwgSettings, ("clinical", "imwg"), set(), {}, set()),
    (ReportSettings, ("report",), set(), {}, set()),
    (DemoSettings, ("demo",), set(), {}, set()),
]
IDS = [cls.__name__ for cls, *_ in SETTINGS]


def schema_sections() -> list[tuple[str, ...]]:
    """The path of every object section of the config schema, the root () first."""
    found: list[tuple[str, ...]] = []

    def walk(node: dict, path: tuple[str, ...]) -> None:
        if node.get("type") == "object" and "properties" in node:
            found.append(path)
            for key, child in node["properties"].items():
                walk(child, (*path, key))

    walk(load_schema("config"), ())
    return found


def test_every_schema_section_has_a_settings_class():
    """A section added to the schema without a settings object (or an object whose section
    has gone) fails here."""
    have = [path for _, path, *_ in SETTINGS]
    missing = [".".join(p) or "(root)" for p in schema_sections() if p not in have]
    gone = [".".join(p) or "(root)" for p in have if p not in schema_sections()]
    assert not missing, f"config sections without a settings class: {missing}"
    assert not gone and len(have) == len(set(have)), (
        f"classes of no (or a repeated) section: {gone}"
    )


@pytest.mark.parametrize(("cls", "path", "elsewhere", "renamed", "extra"), SETTINGS, ids=IDS)
def test_settings_fields_are_the_schema_keys(cls, path, elsewhere, renamed, extra):
    names = {renamed.get(f.name, f.name) for f in dataclasses.fields(cls)} - extra
    assert names == section_keys(*path) - elsewhere


def _plain(value):
    """A settings value as the schema writes it (tuples as lists, objects as mappings)."""
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


@pytest.mark.parametrize(("cls", "path", "elsewhere", "renamed", "extra"), SETTINGS, ids=IDS)
def test_settings_defaults_are_the_schema_defaults(cls, path, elsewhere, renamed, extra):
    made = cls()
    field_of = {key: name for name, key in renamed.items()}
    for key, value in section_defaults(*path).items():
        if key in elsewhere:
            continue
        have = getattr(made, field_of.get(key, key))
        if (*path, key) in schema_sections():  # a nested section: its own class's defaults
            assert value == {} and have == type(have)(), f"{cls.__name__}.{key}"
            continue
        if key == "response_groups":
            have = [{"label": label, "responses": list(rs)} for label, rs in have]
        assert _plain(have) == value, f"{cls.__name__}.{key}: {have!r} != schema {value!r}"


@pytest.mark.parametrize(("cls", "path", "elsewhere", "renamed", "extra"), SETTINGS, ids=IDS)
def test_no_settings_field_writes_its_own_default(cls, path, elsewhere, renamed, extra):
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


@pytest.mark.parametrize(
    ("cls", "path"),
    [(c, p) for c, p, *_ in SETTINGS if c not in (ClinicalSettings, PrimaryEndpointSettings)],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_from_config_of_an_empty_section_is_the_defaults_and_a_typo_is_named(cls, path):
    assert cls.from_config({}) == cls()
    where = " ".join(["config", ".".join(path)]).strip()
    with pytest.raises(InputError, match=rf"{where}: unknown key\(s\) \['no_such_key'\]"):
        cls.from_config({"no_such_key": 1})


def test_run_settings_read_the_workflow_config():
    """config/config.yaml as the workflow passes it, every section typed (the report's view)."""
    import yaml

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["flow"]["cohort_qc"] = {"z_limit": 4.0}
    config["flow"]["statistics"] = {"include_flagged": True}
    config["report"]["trial_id"] = "NCT01234567"
    run = RunSettings.from_config(config)
    assert run.cutoff_date == config["cutoff_date"] and run.panel == config["panel"]
    assert run.clinical.cutoff == pd.Timestamp(config["cutoff_date"])
    assert run.flow.cohort_qc.z_limit == 4.0 and run.flow.cohort_qc.min_group_size == 8
    assert run.flow.statistics.include_flagged is True
    assert [(c.part, c.before, c.after) for c in run.flow.comparisons] == [
        (c["part"], c["before"], c["after"]) for c in config["flow"]["comparisons"]
    ]
    assert run.flow.report_keywords == ("$CYT",)
    assert run.report.trial_id == "NCT01234567" and run.demo == DemoSettings()


def test_from_config_fills_only_what_is_missing():
    assert QCSettings.from_config({"min_events": 250}).min_events == 250
    assert QCSettings.from_config({}) == QCSettings()
    assert ClinicalSettings.from_config({}).cutoff == ClinicalSettings().cutoff
    assert ReportSettings.from_config({"trial_id": "NCT0"}) == ReportSettings(trial_id="NCT0")
    assert CohortQCSettings.from_config({"jump_fold": 5}).z_limit == schema_default(
        "flow", "cohort_qc", "z_limit"
    )


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
