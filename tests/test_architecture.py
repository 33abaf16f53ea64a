"""The package's shape: the import contracts of pyproject.toml (``[tool.importlinter]``)
hold: no package or module of ``blogapp/`` sits in an import cycle (a package's
``__init__`` counts as the package), and the outbox, privacy, admin and models import
no feature. ``scripts/test`` runs the same ``lint-imports``; this test shows it fails
on a cycle, so a green run means something."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "blogapp"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_contracts_hold():
    result = lint_imports(PACKAGE.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_the_cycle_contract_finds_a_cycle_between_packages(tmp_path):
    """The same contract type, on a throwaway package whose two subpackages import each
    other only through their ``__init__``: broken."""
    root = tmp_path / "knot"
    for name, other in (("a", "b"), ("b", "a")):
        (root / name).mkdir(parents=True)
        (root / name / "__init__.py").write_text(f"from knot.{other} import helper\n")
        (root / name / "helper.py").write_text("")
    (root / "__init__.py").write_text("")
    (tmp_path / ".importlinter").write_text(
        textwrap.dedent("""\
        [importlinter]
        root_package = knot

        [importlinter:contract:acyclic]
        name = no cycles
        type = acyclic_siblings
        ancestors = knot
    """)
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = lint_imports(tmp_path, env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 kept, 1 broken" in result.stdout


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
            found += [
                f"{path.relative_to(folder)}: {n}"
                for n in names
                if n == package or n.startswith(f"{package}.")
            ]
    return found


def test_benchmarks_never_import_the_tests():
    """The benchmarks bring their own pieces (a demo site, a gunicorn on loopback, a
    form-filling client) and never import tests."""
    assert imports_of_package(PACKAGE.parent / "benchmarks", "tests") == []


def test_the_tests_never_import_the_benchmarks():
    """The tests have their own support (``tests/servers.py``, ``tests/sites.py``), so a
    benchmark can change, or go, without breaking a test."""
    assert imports_of_package(PACKAGE.parent / "tests", "benchmarks") == []
