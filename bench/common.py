"""Shared benchmark helpers: timing, peak RSS, and recording results into bench/RESULTS.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent


def out_dir(name: str) -> Path:
    path = OUT / name
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def timer() -> Iterator[dict[str, float]]:
    box: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - start


def children_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run `cmd` under /usr/bin/time -v: (wall seconds, peak RSS MB, stdout)."""
    start = time.perf_counter()
    proc = subprocess.run(  # noqa: S603
        ["/usr/bin/time", "-v", *cmd], env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    rss = int(match.group(1)) / 1024 if match else float("nan")
    return wall, rss, proc.stdout


def uscc_for(n: int) -> str:
    """A valid USCC (GB 32100-2015 check digit) numbered n, for synthetic enterprises."""
    from intranet.uscc import ALPHABET, check_digit

    body, value = "", n
    for _ in range(9):
        body = ALPHABET[value % 31] + body
        value //= 31
    first17 = "91440300" + body
    return first17 + check_digit(first17)


def listed_enterprises(roster: Any, count: int, stamp: dt.datetime) -> list[int]:
    """`count` enterprises (with email and mobile) listed, eligible, on `roster`, in the app's
    session (bulk inserts, not flushed one by one); returns their ids in order."""
    from sqlalchemy import insert, select

    from intranet.districts.models import District
    from intranet.enterprises.models import Enterprise
    from intranet.extensions import db
    from intranet.roster.models import RosterEntry

    districts = list(db.session.scalars(select(District.id)))
    names = {n: f"深圳市基准{n}号进出口贸易有限公司" for n in range(1, count + 1)}
    db.session.execute(
        insert(Enterprise),
        [
            {"uscc": uscc_for(n), "name": name, "district_id": districts[n % len(districts)],
             "email": f"e{n}@bench.example.cn", "mobile": f"138{n:08d}", "created_at": stamp, "updated_at": stamp}
            for n, name in names.items()
        ],  # fmt: skip
    )
    ids = list(db.session.scalars(select(Enterprise.id).order_by(Enterprise.id)))[-count:]
    db.session.execute(
        insert(RosterEntry),
        [
            {"roster_id": roster.id, "programme_id": roster.programme_id, "enterprise_id": eid, "name": names[n],
             "uscc": uscc_for(n), "district_id": districts[n % len(districts)], "export_amount_usd": 1_000_000,
             "eligible": True, "status": "listed", "created_at": stamp, "updated_at": stamp}
            for n, eid in enumerate(ids, start=1)
        ],  # fmt: skip
    )
    return ids


def machine() -> str:
    return f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}"


def record(section: str, body: str) -> None:
    """Replace (or add) `## section` in RESULTS.md with `body` and a timestamp."""
    intro = "`make bench` writes these sections; each compares against a baseline measured in the same run."
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else f"# Benchmark results\n\n{intro}\n"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = f"## {section}\n\n_Measured {stamp} on {machine()}._\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(section)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(block + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + block
    RESULTS.write_text(text, encoding="utf-8")
    print(body)


def confirmed_roster(programme_id: int, stamp: dt.datetime) -> Any:
    """The 2024 main roster, confirmed (notice 20-26 May), added and flushed in the app's session."""
    from intranet.extensions import db
    from intranet.roster.models import Roster

    roster = Roster(
        programme_id=programme_id,
        seq=1,
        status="confirmed",
        notice_start=dt.date(2024, 5, 20),
        notice_end=dt.date(2024, 5, 26),
        created_at=stamp,
        published_at=stamp,
        confirmed_at=stamp,
    )
    db.session.add(roster)
    db.session.flush()
    return roster


PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def fresh_pg_database(name: str) -> str | None:
    """The URL of an empty PostgreSQL database `name` (dropped and created anew), or None when
    BENCH_PG=0 or no PostgreSQL answers (the benchmark then runs on SQLite only)."""
    from sqlalchemy import create_engine, text

    if os.environ.get("BENCH_PG", "1") == "0":
        return None
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001 - PostgreSQL is optional for benchmarks
        print(f"   (PostgreSQL skipped: {exc.__class__.__name__})")
        return None
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
