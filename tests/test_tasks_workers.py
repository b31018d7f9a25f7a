"""Real `tongbao worker` processes on both queue storages: the embedded one (SQLite database, SQLite
queue file) and production's (PostgreSQL, Redis). A worker SIGKILLed in the middle of a bulk
issuance or of a roster import loses nothing: a second worker finishes it; every policy is issued
once with one certificate, and the roster is imported once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from intranet import create_app
from intranet.actors import cli_actor
from intranet.audit.models import AuditLog
from intranet.certificates.models import Certificate
from intranet.clock import SHANGHAI
from intranet.extensions import db
from intranet.policies import bulk
from intranet.policies.models import Policy
from intranet.tasks import service as tasks

from . import factories as f
from . import sheets
from .conftest import make_config

BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("TONGBAO_TEST_REDIS", "redis://127.0.0.1:6379/0")
POLICIES = int(os.environ.get("TONGBAO_TEST_BULK_POLICIES", "1000"))
IMPORT_ROWS = 20_000

# a thousand certificates rendered by two processes, a dead worker's lease to run out: minutes
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture
def queued_app(database_url: str, backend: str, tmp_path: Path) -> Iterator[Flask]:
    """The app with a real queue: SQLite → the SQLite queue file; PostgreSQL → Redis."""
    extra: dict[str, object] = {"TASKS_IMMEDIATE": False}
    if backend == "postgresql":
        if not redis_available():
            pytest.skip("no Redis on 127.0.0.1:6379")
        extra["TONGBAO_REDIS_URL"] = REDIS_URL
    application = create_app(make_config(database_url, tmp_path / "instance", **extra))
    with application.app_context():
        if backend == "postgresql":
            from .conftest import reset_postgres

            reset_postgres(application)
        huey = application.extensions["tongbao_huey"]
        huey.flush()  # a queue of its own (named after the database): nothing left from before
        yield application
        huey.flush()
        db.session.remove()
        db.engine.dispose()


def start_worker(app: Flask, workers: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TONGBAO_DATABASE_URL": str(app.config["SQLALCHEMY_DATABASE_URI"]),
        "TONGBAO_INSTANCE_PATH": app.instance_path,
        "TONGBAO_SECRET_KEY": "test-secret-key",
        "TONGBAO_BASE_URL": "http://tongbao.test",
    }
    env.pop("TONGBAO_NOW", None)
    if app.config.get("TONGBAO_REDIS_URL"):
        env["TONGBAO_REDIS_URL"] = app.config["TONGBAO_REDIS_URL"]
    else:
        env.pop("TONGBAO_REDIS_URL", None)
    return subprocess.Popen(  # noqa: S603
        [str(BIN / "tongbao"), "worker", "--workers", str(workers)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: SIGKILL reaches the consumer and its children
    )


def kill_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    proc.wait(timeout=60)


def wait_until(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def claimed_policies(n: int, moment: datetime) -> list[int]:
    prog = f.programme()
    return [f.make_policy(f.confirmed_enterprise(i), prog, claimed_at=moment).id for i in range(1, n + 1)]


def test_a_killed_worker_loses_no_policy_and_issues_none_twice(queued_app, tmp_path):
    moment = datetime(2024, 7, 3, 10, tzinfo=SHANGHAI)
    ids = claimed_policies(POLICIES, moment)
    db.session.commit()
    log = tmp_path / "workers.log"
    first = start_worker(queued_app, 2, log)
    second = None
    try:
        submitted = bulk.queue_issue_all(cli_actor(), now=moment)
        assert submitted.queued == POLICIES
        # the first worker dies mid-way, as a host would: no signal handler runs
        wait_until(lambda: tasks.batch_progress(submitted.batch).done >= POLICIES // 4, 600, "a quarter issued")
        kill_group(first, signal.SIGKILL)
        db.session.rollback()
        stranded = tasks.batch_progress(submitted.batch)
        assert stranded.done < POLICIES, "the first worker finished before it was killed"
        second = start_worker(queued_app, 2, log)
        wait_until(lambda: tasks.batch_progress(submitted.batch).finished, 900, "the batch to finish")
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                kill_group(proc, signal.SIGTERM)

    progress = tasks.batch_progress(submitted.batch)
    assert (progress.done, progress.failed) == (POLICIES, 0), log.read_text(errors="replace")[-3000:]
    assert sum(1 for r in tasks.batch_results(submitted.batch) if r.get("issued")) == POLICIES
    statuses = db.session.execute(select(Policy.status, func.count()).group_by(Policy.status)).all()
    assert [tuple(row) for row in statuses] == [("issued", POLICIES)]
    numbers = sorted(db.session.scalars(select(Policy.policy_no)))
    assert numbers == [f"TB2024-SZ-{n:06d}" for n in range(1, POLICIES + 1)]
    per_policy = db.session.execute(
        select(Certificate.policy_id, func.count()).group_by(Certificate.policy_id).having(func.count() != 1)
    ).all()
    assert per_policy == [] and db.session.scalar(select(func.count(Certificate.id))) == POLICIES
    issued_records = db.session.execute(
        select(AuditLog.object_id, func.count())
        .where(AuditLog.action == "policy.issue")
        .group_by(AuditLog.object_id)
        .having(func.count() != 1)
    ).all()
    assert issued_records == []
    assert db.session.scalar(select(func.count()).where(AuditLog.action == "policy.issue")) == len(ids)


def test_a_worker_killed_mid_import_leaves_a_roster_imported_once(queued_app, tmp_path):
    import io

    from werkzeug.datastructures import FileStorage

    from intranet.roster.importing import jobs
    from intranet.roster.models import ImportJob, RosterEntry

    officer = f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    upload = FileStorage(io.BytesIO(sheets.csv_bytes([sheets.row(n) for n in range(1, IMPORT_ROWS + 1)])), "roster.csv")
    moment = datetime.now(SHANGHAI)
    log = tmp_path / "workers.log"
    first = start_worker(queued_app, 1, log)
    second = None
    try:
        job_id = jobs.upload(officer, f.programme(), upload, now=moment).id

        def job() -> ImportJob:
            found = db.session.get(ImportJob, job_id, populate_existing=True)
            assert found is not None
            return found

        wait_until(lambda: job().status == "checked", 300, "the check")
        assert job().good_rows == IMPORT_ROWS
        jobs.apply(officer, job_id, accept_good_rows=False, accepted_rows=[], now=moment)
        wait_until(lambda: job().phase == "apply" and job().status == "running", 120, "the write to start")
        kill_group(first, signal.SIGKILL)  # mid-way: the one write transaction dies with it
        db.session.rollback()
        assert job().status == "running", "the first worker finished before it was killed"
        assert db.session.scalar(select(func.count(RosterEntry.id))) == 0  # all or nothing
        second = start_worker(queued_app, 1, log)
        wait_until(lambda: job().status not in ("queued", "running"), 300, "the import to finish")
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                kill_group(proc, signal.SIGTERM)

    done = job()
    assert (done.status, done.imported) == ("done", IMPORT_ROWS), log.read_text(errors="replace")[-3000:]
    assert db.session.scalar(select(func.count(RosterEntry.id))) == IMPORT_ROWS
    imports = db.session.scalar(select(func.count()).where(AuditLog.action == "roster.import"))
    assert imports == 1


def start_web(app: Flask, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TONGBAO_DATABASE_URL": str(app.config["SQLALCHEMY_DATABASE_URI"]),
        "TONGBAO_INSTANCE_PATH": app.instance_path,
        "TONGBAO_SECRET_KEY": "test-secret-key",
        "TONGBAO_BASE_URL": f"http://127.0.0.1:{port}",
        "TONGBAO_REDIS_URL": str(app.config["TONGBAO_REDIS_URL"]),
    }
    env.pop("TONGBAO_NOW", None)
    return subprocess.Popen(  # noqa: S603
        [str(BIN / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{port}", "intranet:create_app()"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_an_import_started_through_one_web_worker_shows_its_progress_through_another(queued_app, backend, tmp_path):
    """Two web workers (gunicorn on two ports) and two task workers on PostgreSQL + Redis."""
    import requests
    from bs4 import BeautifulSoup

    if backend != "postgresql":
        pytest.skip("the many-hosts set-up: PostgreSQL and Redis")
    f.make_user("bureau", "officer@bureau.test")
    f.programme()
    db.session.commit()
    log = tmp_path / "servers.log"
    ports = [free_port(), free_port()]
    procs = [start_web(queued_app, port, log) for port in ports]
    procs += [start_worker(queued_app, 1, log), start_worker(queued_app, 1, log)]
    one, other = (f"http://127.0.0.1:{port}" for port in ports)
    try:
        for base in (one, other):
            wait_until(lambda base=base: _answers(base), 60, f"{base} to answer")
        browser = requests.Session()
        page = browser.get(f"{one}/login", timeout=30)
        token = BeautifulSoup(page.text, "html.parser").select_one("input[name=csrf_token]")["value"]
        login = {"csrf_token": token, "identifier": "officer@bureau.test", "password": f.PASSWORD}
        assert browser.post(f"{one}/login", data=login, timeout=30).status_code == 200
        form = BeautifulSoup(browser.get(f"{one}/staff/roster/import/", timeout=30).text, "html.parser")
        data = {
            "csrf_token": form.select_one("form[enctype] input[name=csrf_token]")["value"],
            "programme": form.select_one("select[name=programme] option[value]")["value"],
        }
        content = sheets.csv_bytes([sheets.row(n) for n in range(1, IMPORT_ROWS + 1)])
        sent = browser.post(
            f"{one}/staff/roster/import/",
            data=data,
            files={"file": ("roster.csv", content, "text/csv")},
            allow_redirects=False,
            timeout=60,
        )
        assert sent.status_code == 302, sent.text[:500]
        job_path = sent.headers["Location"].removeprefix(one)
        seen = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            status = browser.get(f"{other}{job_path}/status", timeout=30).json()  # the other web worker
            seen.append((status["status"], status["progress"], status["done"]))
            if status["done"]:
                break
            time.sleep(0.05)
        assert seen[-1][:1] == ("checked",) and seen[-1][2], seen[-5:]
        assert any(not done for _, _, done in seen), "the other web worker never saw the job at work"
        report = BeautifulSoup(browser.get(f"{other}{job_path}", timeout=30).text, "html.parser")
        total = report.select_one(".import-counts dd.count-total")
        assert total is not None and total.get_text(strip=True) == str(IMPORT_ROWS)
    finally:
        for proc in procs:
            if proc.poll() is None:
                kill_group(proc, signal.SIGTERM)


def _answers(base: str) -> bool:
    import requests

    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
