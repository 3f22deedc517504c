"""The package's data flows one way: no module imports from a stage above its own.

The stages, lowest first, are the pipeline of the README's map: the ground floor (errors,
spans, values, LIKE patterns, percent-encoding), the AST, text (query text <-> AST), schemas,
validation, what builds on a valid query (the builder, URLs, export files), the engines
(memory, SQL), the service, and the public surface (``__init__``, the CLI). Engines stand side
by side: neither imports the other. Every import counts, those inside functions included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "querylang"

STAGES: list[set[str]] = [
    {"errors", "source", "values", "like", "percent"},
    {"ast"},
    {"text"},
    {"schema"},
    {"validate"},
    {"builder", "url", "records", "output", "page"},
    {"memory", "sql"},
    {"service"},
    {"__init__", "__main__", "cli"},
]
BESIDE = [("memory", "sql")]  # engines: neither imports the other
LARK_ONLY_IN = {"querylang.text.params"}


def _stage(unit: str) -> int:
    for rank, units in enumerate(STAGES):
        if unit in units:
            return rank
    raise AssertionError(f"querylang.{unit} is in no stage: add it to STAGES in {__file__}")


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _unit(module: str) -> str:
    """The top-level piece a module belongs to: ``querylang.text.read`` -> ``text``."""
    parts = module.split(".")
    if parts == ["querylang"] or parts == ["querylang", "__init__"]:
        return "__init__"
    return parts[1]


def _imports(module: str) -> set[str]:
    """The querylang modules (and other top-level packages) that ``module`` imports."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # `from . import files` imports a module, not the package
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    return found


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_from_a_higher_stage(module: str) -> None:
    mine = _stage(_unit(module))
    for target in _imports(module):
        if target != "querylang" and not target.startswith("querylang."):
            continue
        if target == "querylang" and module == "querylang.cli":
            continue  # the CLI reads __version__; both are the surface
        theirs = _stage(_unit(target))
        assert theirs <= mine, f"{module} (stage {mine}) imports {target} (stage {theirs}), a higher stage"
        for a, b in BESIDE:
            assert {_unit(module), _unit(target)} != {a, b}, f"{module} imports {target}: engines stand side by side"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_lark_is_run_in_one_module_only(module: str) -> None:
    uses_lark = any(t == "lark" or t.startswith("lark.") for t in _imports(module))
    assert not uses_lark or module in LARK_ONLY_IN, f"{module} imports lark; only {sorted(LARK_ONLY_IN)} may"


def test_no_import_cycles_between_modules() -> None:
    graph = {m: {t for t in _imports(m) if t in MODULES and t != m} for m in MODULES}
    # A package's __init__ re-exports its modules; an edge into a package is an edge to __init__.
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path[path.index(t) :], t]))
            if t not in state:
                visit(t)
        path.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_the_checks_see_every_stage_and_catch_an_upward_import() -> None:
    units = {_unit(m) for m in MODULES}
    assert {"text", "memory", "service", "schema"} <= units
    assert "querylang.text.params" in MODULES and "querylang.memory.compile" in MODULES
    assert _stage("text") < _stage("memory") < _stage("service")
    # validate reads text, and the service runs the memory engine: both point down.
    assert "querylang.text.read" in _imports("querylang.validate")
    assert any(t.startswith("querylang.memory") for t in _imports("querylang.service.endpoint"))
