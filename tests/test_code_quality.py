"""The lint and type gates run with the suite, so CI refuses code that ruff or mypy would refuse."""

from __future__ import annotations

import subprocess
import sys
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
