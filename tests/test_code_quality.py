"""The lint and type gates run with the suite, so CI refuses code that ruff or mypy would refuse."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)  # noqa: S603


def test_ruff_finds_nothing():
    paths = ("intranet", "notifier", "tests", "bench", "scripts", "migrations")
    result = _run(str(BIN / "ruff"), "check", "--no-cache", *paths)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing():
    result = _run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


# declared in pyproject.toml, used without being imported (see the comments there)
USED_WITHOUT_IMPORT = {"psycopg", "gunicorn", "tzdata", "babel"}


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>~! ;]", requirement, maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")


def test_pyproject_declares_exactly_the_packages_the_code_imports():
    """intranet/, notifier/ and migrations/ import only declared packages, and every declared
    package is imported (or listed above); the lock files are generated from these."""
    distributions = importlib.metadata.packages_distributions()
    imported: dict[str, str] = {}
    for folder in ("intranet", "notifier", "migrations"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in sys.stdlib_module_names or top in {"intranet", "notifier", "__future__"}:
                        continue
                    for dist in distributions.get(top, [f"unknown module {top}"]):
                        imported.setdefault(_name(dist), f"{path.relative_to(ROOT)}: import {module}")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_name(requirement) for requirement in project["dependencies"]}
    undeclared = {name: where for name, where in imported.items() if name not in declared}
    assert not undeclared, f"imported but not in pyproject.toml's dependencies: {undeclared}"
    assert declared - set(imported) == USED_WITHOUT_IMPORT, "declared but never imported"
