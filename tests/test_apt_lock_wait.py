"""`make` waits (bounded) for the package lock another apt/dpkg process holds, instead of failing
at once (scripts/wait-apt-lock.sh, called by scripts/system-deps.sh before each apt-get)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import threading
import time
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "wait-apt-lock.sh"


def run(lock: Path, limit: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "APT_LOCK_FILES": f"{lock} {lock.parent / 'absent-lock'}"}
    return subprocess.run(  # noqa: S603
        [str(SCRIPT), str(limit)], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def held_by_another_process(lock: Path) -> subprocess.Popen[bytes]:
    """A process that holds the fcntl lock (as apt does) until its stdin closes."""
    code = (
        "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR); fcntl.lockf(fd, fcntl.LOCK_EX); "
        "print('locked', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(  # noqa: S603
        ["python3", "-c", code, str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
    return holder


def test_a_free_lock_passes_at_once(tmp_path):
    lock = tmp_path / "lock-frontend"
    lock.touch()
    started = time.monotonic()
    result = run(lock, 300)
    assert result.returncode == 0 and result.stderr == ""
    assert time.monotonic() - started < 5
    with lock.open("r+") as fh:  # and it did not keep the lock
        fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_a_held_lock_is_waited_for_then_taken_over(tmp_path):
    lock = tmp_path / "lock-frontend"
    lock.touch()
    holder = held_by_another_process(lock)
    threading.Timer(2.5, lambda: holder.communicate(b"")).start()  # the other apt finishes
    started = time.monotonic()
    result = run(lock, 300)
    assert result.returncode == 0, result.stderr
    assert 2 <= time.monotonic() - started < 30
    assert "another apt/dpkg process holds the package lock; waiting" in result.stderr
    assert "the package lock is free after" in result.stderr


def test_a_lock_held_too_long_fails_with_a_message(tmp_path):
    lock = tmp_path / "lock-frontend"
    lock.touch()
    holder = held_by_another_process(lock)
    try:
        result = run(lock, 2)
    finally:
        holder.communicate(b"")
    assert result.returncode == 1
    assert "still held after 2s" in result.stderr
