"""The tests keep their tiers: every test module sits in a tier folder, the unit tier
mirrors the package's subpackages, and no test module imports another (shared code lives
in tests/helpers)."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers.paths import REPO

TESTS = REPO / "tests"
TIERS = ("unit", "integration", "workflow")
PACKAGE = REPO / "src" / "cytotrial"
# unit/project holds the tests of the repository itself (import layers, these tiers)
UNIT_FOLDERS = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()} | {"project"}


def _test_modules() -> list[Path]:
    return sorted(TESTS.rglob("test_*.py"))


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_every_test_module_is_in_a_tier():
    misplaced = [
        str(path.relative_to(TESTS))
        for path in _test_modules()
        if path.relative_to(TESTS).parts[0] not in TIERS
    ]
    assert misplaced == []


def test_unit_tests_sit_under_a_subpackage_of_the_package():
    folders = {p.relative_to(TESTS / "unit").parts[0] for p in (TESTS / "unit").rglob("test_*.py")}
    assert folders <= UNIT_FOLDERS, folders - UNIT_FOLDERS


def test_no_test_module_imports_another_or_the_conftest():
    offenders = {}
    for path in [*_test_modules(), *(TESTS / "helpers").glob("*.py")]:
        bad = {
            name
            for name in _imported_modules(path)
            if name.split(".")[-1].startswith("test_") or name.split(".")[0] == "conftest"
        }
        if bad:
            offenders[str(path.relative_to(TESTS))] = sorted(bad)
    assert offenders == {}


def test_the_checks_above_can_fail(tmp_path):
    module = tmp_path / "test_probe.py"
    module.write_text("from test_workflow import run\nimport conftest\n", encoding="utf-8")
    assert {"test_workflow", "conftest"} <= _imported_modules(module)
