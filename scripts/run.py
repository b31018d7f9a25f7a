"""`make run`: the intranet, the notifier and one task worker side by side; Ctrl-C stops all three."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # links in messages, certificates and QR codes point at this port unless a base URL is set
    env.setdefault("TONGBAO_BASE_URL", f"http://127.0.0.1:{args.port}")
    web = subprocess.Popen(  # noqa: S603
        [str(BIN / "tongbao"), "run", "--host", "127.0.0.1", "--port", str(args.port), "--with-threads"], env=env
    )
    notifier = subprocess.Popen([str(BIN / "tongbao"), "notifier", "run"], env=env)  # noqa: S603
    worker = subprocess.Popen([str(BIN / "tongbao"), "worker", "--workers", "1"], env=env)  # noqa: S603
    print(f"Tongbao intranet on http://127.0.0.1:{args.port}  (Ctrl-C stops the intranet, notifier and worker)")
    procs = [web, notifier, worker]
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        deadline = time.time() + 10
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
