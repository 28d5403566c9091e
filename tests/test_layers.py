"""The code's layering, as the README's Development section draws it: imports run downward only,
no two modules import each other (even through others), the store never imports the request
parser, and only the store writes SQL."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SOURCE = Path(__file__).parent.parent / "src"
# top first; a module may import its own layer or any layer below
LAYERS = (
    ("intragraph.cli", "intragraph.api", "intragraph.__main__"),
    (
        "intragraph.graphs",
        "intragraph.cache",
        "intragraph.auth",
        "intragraph.ingest",
        "intragraph.sync",
    ),
    ("intragraph.query",),
    ("intragraph.store",),
    (
        "intragraph.conditions",
        "intragraph.answer",
        "intragraph.periods",
        "intragraph.zones",
        "intragraph.resources",
        "intragraph.errors",
        "intragraph.config",
        "intragraph.formats",
        "intragraph.ports",
        "intragraph.metrics",
    ),
)
_SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT INTO|DELETE FROM|UPDATE \w+ SET|CREATE TABLE)\b")


def _modules() -> dict[str, Path]:
    found = {}
    for path in SOURCE.rglob("*.py"):
        name = ".".join(path.relative_to(SOURCE).with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """The intragraph modules `name` imports, at run time or for type checking alike."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {module for module in found if module in MODULES and module != name}


def _layer(name: str) -> int:
    for depth, prefixes in enumerate(LAYERS):
        if any(name == p or name.startswith(f"{p}.") for p in prefixes):
            return depth
    raise AssertionError(f"{name} is in no layer: add it to LAYERS (and to the README)")


def test_every_module_has_a_layer() -> None:
    for name in MODULES:
        if name != "intragraph":
            _layer(name)


@pytest.mark.parametrize("name", sorted(set(MODULES) - {"intragraph"}))
def test_imports_run_downward(name: str) -> None:
    upward = [m for m in _imports(name) if m != "intragraph" and _layer(m) < _layer(name)]
    assert upward == [], f"{name} imports a layer above its own"


def test_no_import_cycle() -> None:
    graph = {name: _imports(name) for name in MODULES}
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            cycle = (*path[path.index(name) :], name)
            pytest.fail(f"import cycle: {' -> '.join(cycle)}")
        if name in done:
            return
        for imported in graph[name]:
            visit(imported, (*path, name))
        done.add(name)

    for name in graph:
        visit(name, ())


def test_the_store_never_imports_the_parser() -> None:
    for name in MODULES:
        if name.startswith("intragraph.store"):
            assert "intragraph.query" not in _imports(name), name


def test_only_the_store_writes_sql() -> None:
    for name, path in MODULES.items():
        if name.startswith("intragraph.store"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not _SQL.search(node.value), f"{name} holds SQL: {node.value[:80]!r}"
