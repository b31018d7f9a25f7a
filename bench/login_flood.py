"""The public board while `/login` is flooded (issue 12): gunicorn with 4 workers on loopback.

`python -m bench login_flood`. Seeds an SQLite board of 100,000 varied names (`tongbao db upgrade`,
then the search benchmark's bulk insert) and serves it like `make serve` (4 sync workers, access log
on) behind one trusted proxy (`TONGBAO_TRUSTED_PROXIES=1`, so the app reads the client address from
`X-Forwarded-For`, as it does behind nginx), with the rate-limit counters in Redis when
`BENCH_REDIS_URL` (default redis://127.0.0.1:6379/0) answers, else in each worker's memory.

The board is loaded with wrk (public search, fragments of every class) alone, then while 50
connections each post one login a second (50 a second in all) from 20 loopback addresses,
127.0.0.2–127.0.0.21, each bound as the connection's source address and sent as `X-Forwarded-For`,
then alone again (the baseline is the mean of the two quiet runs: the machine is shared). Every
flooding connection first gets the login page (its session cookie and CSRF token) and then posts
wrong passwords for USCCs listed on the board, as an attacker would. Goal: the board keeps ≥ 50 %
of its unflooded requests per second, p99 ≤ 500 ms, no 5xx anywhere (429s for the flood are expected).
"""

from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import subprocess
import threading
import time
import urllib.parse
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from . import common, search

WORKERS = 4
SECONDS = 20  # per phase
BOARD_CONNECTIONS = 4  # one request in flight per worker
FLOOD_CONNECTIONS = 50
FLOOD_ADDRESSES = [f"127.0.0.{n}" for n in range(2, 22)]
FLOOD_INTERVAL = 1.0  # seconds between one connection's logins
GOAL_RATIO, GOAL_P99_MS = 0.50, 500.0
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def redis_url() -> str | None:
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001 - Redis is optional: counters then stay in each worker
        return None
    return url


class Flooder(threading.Thread):
    """One connection from `address`: the login page once, then a wrong password every second."""

    def __init__(self, port: int, address: str, usccs: list[str], stop: threading.Event, seed: int) -> None:
        super().__init__(daemon=True)
        self.port, self.address, self.usccs, self.stop_event = port, address, usccs, stop
        self.rng = random.Random(seed)
        self.statuses: Counter[int] = Counter()
        self.errors = 0
        self.latencies: list[float] = []

    def _request(self, conn: http.client.HTTPConnection, method: str, body: str | None, cookie: str) -> Any:
        headers = {"X-Forwarded-For": self.address, "Host": f"127.0.0.1:{self.port}"}
        if cookie:
            headers["Cookie"] = cookie
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, "/login", body=body, headers=headers)
        response = conn.getresponse()
        return response, response.read().decode("utf-8", "replace")

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.address, 0))
        try:
            response, page = self._request(conn, "GET", None, "")
            cookie = (response.getheader("Set-Cookie") or "").split(";", 1)[0]
            token = _CSRF.search(page)
            if response.status != 200 or token is None:
                self.statuses[response.status] += 1
                return
            due = time.monotonic() + self.rng.random() * FLOOD_INTERVAL  # spread the connections over a second
            while not self.stop_event.is_set():
                time.sleep(max(0.0, due - time.monotonic()))
                due += FLOOD_INTERVAL
                form = {
                    "csrf_token": token.group(1),
                    "identifier": self.rng.choice(self.usccs),
                    "password": "guess-123",
                }
                start = time.perf_counter()
                try:
                    response, _page = self._request(conn, "POST", urllib.parse.urlencode(form), cookie)
                except (OSError, http.client.HTTPException):
                    self.errors += 1
                    conn.close()
                    continue
                self.latencies.append(time.perf_counter() - start)
                self.statuses[response.status] += 1
        finally:
            conn.close()


def flood(port: int, usccs: list[str], stop: threading.Event) -> list[Flooder]:
    flooders = [
        Flooder(port, FLOOD_ADDRESSES[i % len(FLOOD_ADDRESSES)], usccs, stop, seed=i) for i in range(FLOOD_CONNECTIONS)
    ]
    for flooder in flooders:
        flooder.start()
    return flooders


def board_paths(names: list[str], usccs: list[str]) -> list[str]:
    """Every fragment class of the search benchmark's varied board, interleaved."""
    classes = search.varied_classes(names, usccs, n=300)
    return [path for group in zip(*classes.values(), strict=True) for path in group]


def main() -> None:
    if not Path(search.WRK).exists():
        raise RuntimeError(f"{search.WRK} is missing (apt-get install wrk)")
    work = common.out_dir("login_flood")
    from .search_data import build, uscc_for

    instance = work / "instance"
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    redis = redis_url()
    extra = {"TONGBAO_TRUSTED_PROXIES": "1", **({"TONGBAO_REDIS_URL": redis} if redis else {})}
    subprocess.run(
        [str(common.BIN / "tongbao"), "db", "upgrade"], env=search.env_for(instance), check=True, capture_output=True
    )
    names = build(
        instance / "tongbao.db",
        count=search.ENTRIES,
        year=search.YEAR,
        notice_start=date(2024, 5, 20),
        notice_end=date(2024, 5, 26),
    )
    usccs = [uscc_for(n) for n in range(1, search.ENTRIES + 1)]
    script = search.lua_script(work / "board.lua", board_paths(names, usccs))
    port = common.free_port()
    server = search.serve(instance, port, work / "gunicorn.log", workers=WORKERS, **extra)
    stop = threading.Event()
    flooders: list[Flooder] = []
    try:
        search.wrk(port, script, 3, server.pid, BOARD_CONNECTIONS)  # warm-up: every worker, every template
        quiet = [search.wrk(port, script, SECONDS, server.pid, BOARD_CONNECTIONS)]
        flooders = flood(port, usccs, stop)
        time.sleep(3)  # every flooding connection has its page and posts
        flooded = search.wrk(port, script, SECONDS, server.pid, BOARD_CONNECTIONS)
        stop.set()
        for flooder in flooders:
            flooder.join(timeout=40)
        quiet.append(search.wrk(port, script, SECONDS, server.pid, BOARD_CONNECTIONS))
    finally:
        stop.set()
        search.stop(server)
    record(quiet, flooded, flooders, redis)


def record(quiet: list[dict[str, Any]], flooded: dict[str, Any], flooders: list[Flooder], redis: str | None) -> None:
    alone = search.combine(quiet)
    under = search.combine([flooded])
    statuses: Counter[int] = Counter()
    for flooder in flooders:
        statuses.update(flooder.statuses)
    latencies = sorted(lat for flooder in flooders for lat in flooder.latencies)
    posts = sum(statuses.values())
    flood_seconds = SECONDS + 3
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    connection_errors = sum(flooder.errors for flooder in flooders)
    share = under["rps"] / alone["rps"]
    ok = (
        share >= GOAL_RATIO
        and under["p99_ms"] <= GOAL_P99_MS
        and not server_errors
        and not under["failed"]
        and not alone["failed"]
    )
    p99_login = 1000 * latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan")
    codes = ", ".join(f"{status}: {count:,}" for status, count in sorted(statuses.items()))
    load = os.getloadavg()
    body = f"""
gunicorn with {WORKERS} sync workers (access log on) on loopback, behind one trusted proxy
(`TONGBAO_TRUSTED_PROXIES=1`), rate-limit counters {"in Redis" if redis else "in each worker's memory"},
an SQLite board of {search.ENTRIES:,} varied names. The board is loaded by `wrk -t1 -c{BOARD_CONNECTIONS}` with the
search benchmark's fragments of every class (1,200 paths), {SECONDS} s per phase: alone, flooded, alone
again (baseline: both quiet phases together). The flood: {FLOOD_CONNECTIONS} connections, each posting one login a
second (the login page's CSRF token and cookie, a listed USCC, a wrong password) from {len(FLOOD_ADDRESSES)} loopback
addresses 127.0.0.2–127.0.0.21, bound as source address and sent as `X-Forwarded-For`.

| board search | req/s | vs alone | p50 ms | p99 ms | max ms | requests | failed |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| alone (before and after) | {alone["rps"]:.0f} | 100% | {alone["p50_ms"]:.1f} | {alone["p99_ms"]:.1f} \
| {alone["max_ms"]:.1f} | {alone["requests"]:.0f} | {alone["failed"]:.0f} |
| while /login is flooded | {under["rps"]:.0f} | **{share:.0%}** | {under["p50_ms"]:.1f} | {under["p99_ms"]:.1f} \
| {under["max_ms"]:.1f} | {under["requests"]:.0f} | {under["failed"]:.0f} |

The flood: {posts:,} login posts in about {flood_seconds} s ({posts / flood_seconds:.0f}/s), answers {codes};
p99 {p99_login:.0f} ms; {connection_errors} connection errors.

Load average at the end: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} on {os.cpu_count()} cores (shared with others).
Goal: the board keeps ≥ {GOAL_RATIO:.0%} of its unflooded requests per second, p99 ≤ {GOAL_P99_MS:.0f} ms, no 5xx — \
**{"met" if ok else "NOT met"}**.
"""
    common.record("Public board under a login flood", body)
