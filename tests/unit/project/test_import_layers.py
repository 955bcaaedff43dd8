"""The package's import structure: layers io -> domain -> report, and no import cycles.

Every import counts, also one inside a function (that is how cycles hide). Layers:

* io: reading, checking and writing inputs and results (and the FCS reader);
* domain: statistics, flow cytometry, clinical analyses, the simulator;
* report: the report model, its sections, methods, provenance and PDF;
* entry points (cli, __main__) may import anything.

A lower layer never imports a higher one. The violations that exist today are listed in
KNOWN, each with the issue that removes it (issue 17, the package restructure): the test
fails on any new violation, and on a listed one that has gone (delete it from KNOWN), so
the list can only shrink.
"""

from __future__ import annotations

import ast
from pathlib import Path

from helpers.paths import REPO

SRC = REPO / "src"

IO = ("cytotrial.io", "cytotrial.errors", "cytotrial.fcs")
REPORT = ("cytotrial.report",)
DOMAIN = (
    "cytotrial.stats",
    "cytotrial.flow",
    "cytotrial.clinical",
    "cytotrial.simulate",
    "cytotrial.cohort",
)
ENTRY = ("cytotrial", "cytotrial.cli", "cytotrial.__main__")

# Accepted violations: none since the package restructure (issue 17). A new one fails the
# test; list one here only with the issue that removes it.
KNOWN: set[tuple[str, ...]] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the cytotrial modules it imports (from-imports resolved to a submodule
    where the imported name is one, else to the module itself)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                for alias in node.names:
                    sub = f"{module}.{alias.name}"
                    if sub in modules:
                        found.add(sub)
                    elif module in modules:
                        found.add(module)
        found.discard(name)
        graph[name] = found
    return graph


def _layer(module: str) -> str:
    def under(prefixes: tuple[str, ...]) -> bool:
        return any(module == p or module.startswith(p + ".") for p in prefixes)

    if module in ENTRY:
        return "entry"
    if under(REPORT):
        return "report"
    if under(IO):
        return "io"
    if under(DOMAIN):
        return "domain"
    raise AssertionError(f"{module}: in no layer (add it to IO, DOMAIN or REPORT)")


_RANK = {"io": 0, "domain": 1, "report": 2, "entry": 3}


def _cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(tuple(sorted(component)))
    return found


def violations() -> set[tuple[str, ...]]:
    modules = {_module_name(p): p for p in (SRC / "cytotrial").rglob("*.py")}
    graph = _imports(modules)
    found: set[tuple[str, ...]] = set()
    for importer, imported in graph.items():
        for target in imported:
            if _RANK[_layer(target)] > _RANK[_layer(importer)]:
                found.add(("upward", importer, target))
    found |= {("cycle", *component) for component in _cycles(graph)}
    return found


def test_no_new_upward_import_or_cycle_and_known_ones_listed():
    found = violations()
    new = found - KNOWN
    assert not new, "new upward imports or cycles:\n" + "\n".join(map(str, sorted(new)))
    gone = KNOWN - found
    assert not gone, "fixed, delete from KNOWN:\n" + "\n".join(map(str, sorted(gone)))


def test_the_checker_sees_a_cycle_inside_a_function_and_an_upward_import(tmp_path):
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _cycles(graph) == [("a", "b", "c")]
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def f():\n    from pkg.high import g\n")
    (package / "high.py").write_text("from pkg import low\n")
    modules = {
        "pkg": package / "__init__.py",
        "pkg.low": package / "low.py",
        "pkg.high": package / "high.py",
    }
    graph = _imports(modules)
    assert graph["pkg.low"] == {"pkg.high"} and graph["pkg.high"] == {"pkg.low"}
    assert _cycles(graph) == [("pkg.high", "pkg.low")]


# The flow subpackages in the order the data pass through them (cytotrial/flow/__init__.py):
# each imports only earlier ones, except these (importer, imported) pairs.
FLOW_ORDER = ("prepare", "gating", "interop", "sample", "cohort")
FLOW_EXCEPTIONS = {
    # the template reader reads imported Gating-ML / FlowJo strategies
    ("cytotrial.flow.gating.template", "cytotrial.flow.interop.gatingml_strategy"),
    ("cytotrial.flow.gating.template", "cytotrial.flow.interop.gatingml_import"),
    ("cytotrial.flow.gating.inputs", "cytotrial.flow.interop.gatingml_import"),
    # the exact float bound for saturation (one definition, in the gate geometry)
    ("cytotrial.flow.prepare.qc", "cytotrial.flow.gating.gates"),
}


def flow_order_violations() -> set[tuple[str, str]]:
    modules = {_module_name(p): p for p in (SRC / "cytotrial").rglob("*.py")}
    found = set()
    for importer, imported in _imports(modules).items():
        for target in imported:
            a, b = importer.split("."), target.split(".")
            if a[:2] != ["cytotrial", "flow"] or b[:2] != ["cytotrial", "flow"]:
                continue
            if len(a) < 4 or len(b) < 3 or a[2] == b[2] or b[2] not in FLOW_ORDER:
                continue
            if FLOW_ORDER.index(b[2]) > FLOW_ORDER.index(a[2]):
                found.add((importer, target))
    return found


def test_flow_subpackages_import_only_earlier_ones():
    found = flow_order_violations()
    assert found <= FLOW_EXCEPTIONS, "flow import against the order:\n" + "\n".join(
        map(str, sorted(found - FLOW_EXCEPTIONS))
    )
    assert found >= FLOW_EXCEPTIONS, "exception gone, delete it:\n" + "\n".join(
        map(str, sorted(FLOW_EXCEPTIONS - found))
    )


def test_the_package_names_no_result_folder():
    """The rules own every path (issue 17 item 3): no string of the package, report text
    included, says "results/..."; the report names a file by its download or its rule."""
    found = [
        f"{path.relative_to(REPO)}:{node.lineno}: {node.value[:60]!r}"
        for path in sorted((SRC / "cytotrial").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if "results/" in node.value
    ]
    assert not found, "result paths built in the package:\n" + "\n".join(found)
