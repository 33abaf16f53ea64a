"""The package's shape: no module in ``blogapp/`` sits in an import cycle, counting
imports made inside functions (read with the standard library's ``ast``)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "blogapp"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The blogapp modules ``path`` imports, anywhere in it: ``from a import b`` counts
    ``a.b`` when that is a module, else ``a``."""
    found: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return {name for name in found if name in known}


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(files)
    # A package's __init__ counts when it is imported by name (``from blogapp.posts
    # import post_url``), not for each of its modules: a blueprint package that
    # re-exports ``bp`` is no knot.
    graph = {name: imports_of(path, known) - {name} for name, path in files.items()}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_blogapp_sits_in_an_import_cycle():
    assert cycles(import_graph()) == []


def imports_of_package(folder: Path, package: str) -> list[str]:
    """Every import of ``package`` (or a module in it) by a module under ``folder``."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            found += [f"{path.relative_to(folder)}: {n}" for n in names
                      if n == package or n.startswith(f"{package}.")]  # fmt: skip
    return found


def test_benchmarks_never_import_the_tests():
    """The benchmarks bring their own pieces (a demo site, a gunicorn on loopback, a
    form-filling client) and never import tests."""
    assert imports_of_package(PACKAGE.parent / "benchmarks", "tests") == []


def test_the_tests_never_import_the_benchmarks():
    """The tests have their own support (``tests/servers.py``, ``tests/sites.py``), so a
    benchmark can change, or go, without breaking a test."""
    assert imports_of_package(PACKAGE.parent / "tests", "benchmarks") == []
