"""Bulk issuance: 3,000 claimed policies issued through the task queue, each certificate rendered
and stored by its task, by `tongbao worker --workers 1` and then `--workers 2` (a fresh database
each time), against the bare render: 3,000 × one bare WeasyPrint render of the same certificate.

Production's stores when they answer (PostgreSQL + Redis), else SQLite + the SQLite queue file.
The workers start first and warm up; the clock runs from "issue all" (one statement to queue
3,000 tasks) to the last task finished.
Goals: 2 processes ≥ 1.7× the throughput of 1; 2 processes' total ≤ 1.15 × (3,000 × bare ÷ 2)."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import BIN, ROOT, drop_pg_database, fresh_pg_database, listed_enterprises, machine, record

POLICIES = int(os.environ.get("BENCH_BULK_POLICIES", "3000"))
SPEEDUP_GOAL = 1.7
TOTAL_GOAL = 1.15
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
PG_NAME = "tongbao_bench_bulk"


def _redis() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001 - Redis is optional for benchmarks
        return None
    return REDIS_URL


def _env(url: str, instance: Path, redis_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "TONGBAO_INSTANCE_PATH": str(instance),
        "TONGBAO_DATABASE_URL": url,
        "TONGBAO_SECRET_KEY": "bench-bulk-secret",
        "TONGBAO_BASE_URL": "https://tongbao.example.gov.cn",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("TONGBAO_NOW", None)
    env.pop("TONGBAO_REDIS_URL", None)
    if redis_url:
        env["TONGBAO_REDIS_URL"] = redis_url
    return env


def _app(env: dict[str, str]) -> Any:
    from intranet import create_app
    from intranet.config import Config

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return create_app(Config.from_env())
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v



def _seed(app: Any) -> None:
    """POLICIES enterprises on the confirmed 2024 roster, each with a claimed policy."""
    from sqlalchemy import insert, select

    from bench.common import confirmed_roster
    from intranet.extensions import db
    from intranet.policies.models import Policy
    from intranet.programmes.models import Programme

    stamp = datetime(2024, 6, 20, 2, tzinfo=UTC)
    with app.app_context():
        programme = db.session.scalar(select(Programme).where(Programme.year == 2024))
        ids = listed_enterprises(confirmed_roster(programme.id, stamp), POLICIES, stamp)
        db.session.execute(
            insert(Policy),
            [
                {"programme_id": programme.id, "enterprise_id": eid, "status": "claimed", "claimed_at": stamp,
                 "claimed_via": "web", "claimed_on_time": True, "version": 1}  # fmt: skip
                for eid in ids
            ],
        )
        db.session.commit()


def _bare_render_seconds(app: Any) -> float:
    """Median of 9 bare WeasyPrint renders of one issued policy's certificate HTML (after a warm-up)."""
    from sqlalchemy import select
    from weasyprint import HTML

    from intranet.certificates import render
    from intranet.extensions import db
    from intranet.policies.models import Policy

    with app.app_context():  # a policy the run issued: its certificate's very HTML
        policy = db.session.scalar(select(Policy).where(Policy.status == "issued").order_by(Policy.id).limit(1))
        html = render.build(policy, base_url=app.config["TONGBAO_BASE_URL"], now=datetime.now(UTC)).html
        HTML(string=html, base_url=render.BASE_URL).write_pdf()
        times = []
        for _ in range(9):
            start = time.perf_counter()
            HTML(string=html, base_url=render.BASE_URL).write_pdf()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def _run(workers: int, url_for: Any, redis_url: str | None) -> tuple[float, Any]:
    """Fresh database, seed, start `tongbao worker --workers N`, issue all; seconds to the last task."""
    with tempfile.TemporaryDirectory(prefix="tongbao-bench-bulk-") as tmp:
        instance = Path(tmp)
        url = url_for(instance)
        env = _env(url, instance, redis_url)
        subprocess.run([str(BIN / "tongbao"), "db", "upgrade"], env=env, check=True, capture_output=True)  # noqa: S603
        app = _app(env)
        _seed(app)
        with app.app_context():
            app.extensions["tongbao_huey"].flush()
        log = (instance / "worker.log").open("wb")
        worker = subprocess.Popen(  # noqa: S603
            [str(BIN / "tongbao"), "worker", "--workers", str(workers)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            time.sleep(4)  # the consumer and its processes are up and idle
            from intranet.actors import SystemActor
            from intranet.extensions import db
            from intranet.policies import bulk
            from intranet.tasks import service as tasks

            with app.app_context():
                start = time.perf_counter()
                submitted = bulk.queue_issue_all(SystemActor(name="bench"), now=datetime(2024, 7, 5, 2, tzinfo=UTC))
                while True:
                    db.session.rollback()
                    progress = tasks.batch_progress(submitted.batch)
                    if progress.finished:
                        break
                    time.sleep(0.2)
                seconds = time.perf_counter() - start
                assert (progress.done, progress.failed) == (POLICIES, 0), progress
                from sqlalchemy import func, select

                from intranet.certificates.models import Certificate

                assert db.session.scalar(select(func.count(Certificate.id))) == POLICIES
                bare = _bare_render_seconds(app) if workers == 2 else None
                db.session.remove()
                db.engine.dispose()
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=120)
            log.close()
        return seconds, bare


def main() -> None:
    redis_url = _redis()
    pg = fresh_pg_database(PG_NAME) if redis_url else None
    if pg and redis_url:
        store = "PostgreSQL + Redis"

        def url_for(_instance: Path) -> str:
            return fresh_pg_database(PG_NAME) or pg
    else:
        store, redis_url = "SQLite + SQLite queue", None

        def url_for(instance: Path) -> str:
            return f"sqlite:///{instance / 'tongbao.db'}"

    one, _ = _run(1, url_for, redis_url)
    two, bare = _run(2, url_for, redis_url)
    if pg:
        drop_pg_database(PG_NAME)
    speedup = one / two
    floor = POLICIES * bare / 2
    total_ratio = two / floor
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    speed_verdict = "met" if speedup >= SPEEDUP_GOAL else "MISSED"
    total_verdict = "met" if total_ratio <= TOTAL_GOAL else "MISSED"
    at_scale = 30_000 / (POLICIES / two) / 60
    body = f"""_Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}._ Stores: {store}.

{POLICIES:,} claimed policies, "issue all" queues one task per policy; each task issues its policy and
renders and stores its certificate (WeasyPrint, PDF/A-3u). Clock from the click to the last task done.

| | seconds | policies/s |
| --- | ---: | ---: |
| `tongbao worker --workers 1` | {one:.1f} | {POLICIES / one:.1f} |
| `tongbao worker --workers 2` | {two:.1f} | {POLICIES / two:.1f} |
| floor: {POLICIES:,} × bare render ({bare * 1000:.0f} ms) ÷ 2 | {floor:.1f} | {POLICIES / floor:.1f} |

- **2 processes vs 1: {speedup:.2f}× the throughput** (goal ≥ {SPEEDUP_GOAL}×): {speed_verdict}.
- **2 processes vs the floor: {total_ratio:.2f}×** (goal ≤ {TOTAL_GOAL}×): {total_verdict}.
- 30,000 policies at this rate: {at_scale:.0f} min on one 2-core host; workers on more hosts divide it.

Load average after the run: {load}.
"""
    record("Bulk issuance", body)
