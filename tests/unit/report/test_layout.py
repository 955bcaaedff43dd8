"""The repository follows the layout of DEVELOPERS.md and the workflow-habits guide."""

from __future__ import annotations

import ast
import re
import tomllib

import pytest
import yaml
from helpers.paths import REPO

REQUIRED = [
    "Snakefile",
    "rules/common.smk",
    "rules/simulate.smk",
    "rules/flow.smk",
    "rules/clinical.smk",
    "rules/report.smk",
    "config/config.yaml",
    "config/schemas/config.schema.yaml",
    "config/schemas/samples.schema.yaml",
    "resources/panel.yaml",
    "resources/gating/pbmc_cd38.yaml",
    "profiles/default/config.yaml",
    "report/workflow.rst",
    "src/cytotrial/__init__.py",
    "README.md",
    ".ci/run",
]


@pytest.mark.parametrize("path", REQUIRED)
def test_required_path_exists(path):
    assert (REPO / path).exists(), f"{path} is part of the documented layout"


def test_snakefile_holds_declarations_and_includes_only():
    allowed = re.compile(
        r"^(#.*|from snakemake\.utils import .*|min_version\(.*\)|configfile: .*|report: .*"
        r"|include: .*|rule all:|    default_target: True|    input:"
        r"|        get_final_output\(\),)$"
    )
    for line in (REPO / "Snakefile").read_text().splitlines():
        if line.strip():
            assert allowed.match(line), f"Snakefile line is not a declaration: {line!r}"


def pinned(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for requirement in requirements:
        match = re.fullmatch(
            r"\s*([A-Za-z0-9_.-]+)\s*={1,2}\s*([0-9][0-9A-Za-z.]*)\s*", requirement
        )
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def test_conda_envs_pin_the_same_versions_as_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reference = pinned(project["dependencies"])
    assert len(reference) == len(project["dependencies"]), "every dependency is pinned exactly"
    envs = sorted((REPO / "envs").glob("*.yaml"))
    assert envs
    for env in envs:
        content = yaml.safe_load(env.read_text())
        specs = []
        for dependency in content["dependencies"]:
            if isinstance(dependency, dict):
                specs += dependency.get("pip", [])
            else:
                specs.append(dependency)
        pins = pinned(specs)
        pins.pop("python", None)
        assert pins, f"{env.name} pins nothing"
        for name, version in pins.items():
            assert reference.get(name) == version, f"{env.name}: {name} {version} != pyproject"
        assert "nodefaults" in content["channels"], f"{env.name} should exclude defaults"


@pytest.mark.parametrize(
    "script", sorted((REPO / "scripts").glob("[!_]*.py")), ids=lambda p: p.name
)
def test_scripts_are_thin_adapters(script):
    tree = ast.parse(script.read_text())
    functions = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert functions == ["main"], f"{script.name}: logic belongs in src/cytotrial"
    main = tree.body[[isinstance(n, ast.FunctionDef) for n in tree.body].index(True)]
    assert len(main.body) <= 8, f"{script.name}: main() should only unpack and call the package"


def test_readme_test_command_is_what_ci_runs():
    readme = (REPO / "README.md").read_text()
    commands = re.findall(r"```(?:sh|bash)\n(.*?)\n```", readme, flags=re.S)
    test_commands = [c for c in commands if "pytest" in c]
    assert test_commands, "README has a test command"
    assert test_commands[0].strip() in (REPO / ".ci" / "run").read_text()


def test_readme_documents_every_input_column():
    readme = (REPO / "README.md").read_text()
    for schema_file in sorted((REPO / "config" / "schemas").glob("*.schema.yaml")):
        if schema_file.name == "config.schema.yaml":
            continue
        schema = yaml.safe_load(schema_file.read_text())
        if schema.get("type") == "array":  # a list of entries (the review file)
            ref = schema["items"]["$ref"].rpartition("/")[2]
            schema = schema["$defs"][ref]
        for column in schema["properties"]:
            assert f"`{column}`" in readme, f"README does not document {schema_file.name}: {column}"
