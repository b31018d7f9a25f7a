"""The `tongbao` console script as CONTRACT.md promises it: any working directory, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TONGBAO = shutil.which("tongbao", path=str(Path(sys.executable).parent)) or "tongbao"


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAO_")}
    environment = {
        **inherited,
        "TONGBAO_INSTANCE_PATH": str(tmp_path / "instance"),
        "TONGBAO_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        **env,
    }
    return subprocess.run(
        [TONGBAO, *args], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def test_console_script_from_another_directory(tmp_path):
    upgraded = run(["db", "upgrade"], tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    shown = run(["programme", "show", "2024", "--json"], tmp_path, TONGBAO_NOW="2024-06-30T23:59:00+08:00")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["threshold_usd"] == "8000000.00"
    assert data["claim_deadline"] == "2024-06-30"
    assert data["cover_start"] == "2024-07-01"
    assert data["cover_end"] == "2025-06-30"
    assert data["issuance_lag_days"] == 7
    assert data["per_buyer_limit_usd"] == "150000.00"
    assert data["free_credit_reports"] == 3
    assert (data["hotline_consult"], data["hotline_claims"]) == ("83165355", "88325700")
    assert data["state"]["claim_phase"] == "before_deadline"


def test_exit_status_1_on_refused_input_and_2_on_usage(tmp_path):
    assert run(["db", "upgrade"], tmp_path).returncode == 0
    unknown_year = run(["programme", "show", "1999"], tmp_path)
    assert unknown_year.returncode == 1
    assert "1999" in unknown_year.stderr
    bad_country = run(["programme", "exclude", "2024", "XX"], tmp_path)
    assert bad_country.returncode == 1
    assert "XX" in bad_country.stderr
    usage = run(["programme", "show"], tmp_path)
    assert usage.returncode == 2
    no_such = run(["no-such-command"], tmp_path)
    assert no_such.returncode == 2


@pytest.mark.parametrize("role", ["bureau", "insurer"])
def test_user_create_then_login(tmp_path, role):
    assert run(["db", "upgrade"], tmp_path).returncode == 0
    made = run(["user", "create", "--role", role, "--email", "a@b.test", "--password", "long enough pw"], tmp_path)
    assert made.returncode == 0, made.stderr
    again = run(["user", "create", "--role", role, "--email", "A@b.test", "--password", "long enough pw"], tmp_path)
    assert again.returncode == 1
    assert "a@b.test" in again.stderr.lower()
    short = run(["user", "create", "--role", role, "--email", "c@b.test", "--password", "short"], tmp_path)
    assert short.returncode == 1


def test_demo_loads_once(tmp_path):
    assert run(["db", "upgrade"], tmp_path).returncode == 0
    first = run(["demo"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "bureau@demo.tongbao.cn" in first.stdout
    second = run(["demo"], tmp_path)
    assert second.returncode == 1
    assert "not empty" in second.stderr
    quiet = run(["demo", "--if-empty"], tmp_path)
    assert quiet.returncode == 0
