"""The code stays typed (mypy --strict) and lint-clean (ruff), and its layers import only
downwards: CI fails otherwise."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "stanceline"


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"{name} is not installed (it is part of the [test] extra)")
    return found


def test_ruff() -> None:
    out = subprocess.run([_tool("ruff"), "check", "src", "tests"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_strict() -> None:
    out = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def imported(path: Path) -> set[str]:
    """Every module a file imports, at any level (function-level imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def imports_of(folder_or_file: str) -> dict[str, set[str]]:
    target = PACKAGE / folder_or_file
    files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
    return {str(f.relative_to(PACKAGE)): imported(f) for f in files}


def _reaching(imports: dict[str, set[str]], *prefixes: str) -> dict[str, list[str]]:
    found = {name: sorted(m for m in modules if any(m == p or m.startswith(p + ".")
                                                    for p in prefixes))
             for name, modules in imports.items()}
    return {name: modules for name, modules in found.items() if modules}


@pytest.mark.parametrize(("layer", "forbidden"), [
    ("web", ("stanceline.api",)),  # the page shares dependencies through stanceline.deps
    ("deps.py", ("stanceline.api", "stanceline.web")),
    ("service.py", ("stanceline.api", "stanceline.web", "fastapi", "starlette")),
    ("answers.py", ("stanceline.api", "stanceline.web", "fastapi", "sqlalchemy")),
    ("ingest.py", ("stanceline.api", "stanceline.web", "stanceline.store", "fastapi")),
    ("exports", ("stanceline.api", "stanceline.web", "stanceline.store", "stanceline.service",
                 "fastapi", "starlette", "sqlalchemy")),  # pure conversions of answers
    ("domain", ("stanceline.api", "stanceline.web", "stanceline.store", "stanceline.service",
                "fastapi", "starlette", "sqlalchemy")),
])
def test_layers_import_only_downwards(layer: str, forbidden: tuple[str, ...]) -> None:
    assert _reaching(imports_of(layer), *forbidden) == {}


def test_no_store_module_is_over_400_lines() -> None:
    # Issue 9: the store is small modules named after one concept, not one large file.
    store = Path(__file__).resolve().parents[1] / "src" / "stanceline" / "store"
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines())
             for p in store.rglob("*.py")}
    assert all(n <= 400 for n in sizes.values()), sizes
