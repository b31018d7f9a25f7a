#!/usr/bin/env bash
# Waits (bounded) while another apt/dpkg process holds the package lock, instead of failing at once.
#   scripts/wait-apt-lock.sh [SECONDS]   (default 300; exit 0 once the lock is free, 1 if it never was)
# The locks are the ones apt and dpkg take (fcntl locks); APT_LOCK_FILES overrides them (tests).
set -euo pipefail
limit="${1:-300}"
locks="${APT_LOCK_FILES:-/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock}"

held() {
  # 0 when some lock is held by another process: try each one without blocking and let it go at once
  python3 - $locks <<'PY'
import fcntl, os, sys
for path in sys.argv[1:]:
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        continue  # absent (or unreadable): nobody holds it through us
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        sys.exit(0)
    finally:
        os.close(fd)
sys.exit(1)
PY
}

waited=0
while held; do
  if [ "$waited" -eq 0 ]; then
    echo "another apt/dpkg process holds the package lock; waiting for it (up to ${limit}s)..." >&2
  fi
  if [ "$waited" -ge "$limit" ]; then
    echo "the package lock is still held after ${limit}s: let the other apt/dpkg process finish, then run make again" >&2
    exit 1
  fi
  sleep 1
  waited=$((waited + 1))
  if [ $((waited % 30)) -eq 0 ]; then echo "still waiting for the package lock (${waited}s)..." >&2; fi
done
if [ "$waited" -gt 0 ]; then echo "the package lock is free after ${waited}s" >&2; fi
