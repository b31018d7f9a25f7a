"""Fixtures: `app`, `client`, `runner` on SQLite and PostgreSQL; databases built by the real migrations."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from intranet import create_app
from intranet.config import Config
from intranet.extensions import db

PG_ADMIN_URL = os.environ.get("TONGBAO_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_PREFIX = os.environ.get("TONGBAO_TEST_PG_DB", "tongbao_test")
FAST_HASH = "pbkdf2:sha256:1000"


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001
        return False


PG_AVAILABLE = _pg_available()
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not PG_AVAILABLE, reason="no PostgreSQL"))]


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (own `g`, own session), as in production.

    Before a request the test's session is committed (factory rows become visible, any read
    snapshot ends); afterwards it is committed again so the test reads what the request wrote."""

    def run_wsgi_app(self, environ, buffered=False):  # type: ignore[no-untyped-def,override]
        db.session.commit()
        with self.application.app_context():
            result = super().run_wsgi_app(environ, buffered=True)
        db.session.commit()
        return result


def make_config(url: str, instance: Path, **extra: object) -> Config:
    # background tasks run where they are submitted, once the transaction commits (tests of the
    # real workers turn this off)
    settings = {"PASSWORD_HASH_METHOD": FAST_HASH, "TASKS_IMMEDIATE": True, **extra}
    return Config(
        database_url=url,
        secret_key="test-secret-key",
        base_url="http://tongbao.test",
        instance_path=instance,
        testing=True,
        extra=settings,
    )


def migrate(url: str, instance: Path) -> None:
    import flask_migrate

    from intranet.extensions import ensure_migrate

    app = create_app(make_config(url, instance))
    ensure_migrate(app)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def worker_tag(request: pytest.FixtureRequest) -> str:
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    return str(worker)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("sqlite-template")
    path = base / "template.db"
    migrate(f"sqlite:///{path}", base / "instance")
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
    engine.dispose()
    return path


def _drop_stale_databases(conn: Any) -> None:
    """Databases of earlier runs on this machine whose process is gone (killed runs leave them)."""
    pattern = re.compile(rf"{re.escape(PG_PREFIX.lower())}_.+_(\d+)$")
    for (datname,) in conn.execute(text("SELECT datname FROM pg_database")):
        match = pattern.match(datname)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            conn.execute(text(f'DROP DATABASE IF EXISTS "{datname}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_url(worker_tag: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # the pid keeps two test runs on one machine (two checkouts, two engineers) off each other's database
    name = f"{PG_PREFIX}_{worker_tag}_{os.getpid()}".lower()
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if urlsplit(PG_ADMIN_URL).hostname in {"127.0.0.1", "localhost"}:
            _drop_stale_databases(conn)
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    migrate(url, tmp_path_factory.mktemp("pg-instance"))
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_EMPTY_ALL: dict[str, str] = {}  # database URL → the statements that empty it


def _empty_all_sql() -> str:
    """DELETE from every table, dependants first, and restart every sequence: on the few rows a test
    leaves this takes 0.05 s where TRUNCATE … RESTART IDENTITY (new files for 34 tables and their
    indexes) took 0.3 s — a minute and a half of the suite."""
    url = str(db.engine.url)
    if url not in _EMPTY_ALL:
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        sequences = db.session.scalars(
            text(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences "
                "WHERE schemaname = current_schema()"
            )
        ).all()
        deletes = "".join(f'DELETE FROM "{t}";' for t in tables)
        _EMPTY_ALL[url] = deletes + "".join(f"ALTER SEQUENCE {s} RESTART;" for s in sequences)
    return _EMPTY_ALL[url]


def reset_postgres(app: Flask) -> None:
    """Empty every table and put the seed data back (the migrations' seed, via the same JSON)."""
    from intranet.clock import now
    from intranet.programmes.seed import seed_all

    with app.app_context():
        db.session.connection().exec_driver_sql(_empty_all_sql())
        db.session.commit()
        seed_all(db.session, created_at=now())
        db.session.commit()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "tongbao.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def app(database_url: str, backend: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(make_config(database_url, tmp_path / "instance"))
    application.test_client_class = FreshContextClient
    if backend == "postgresql":
        reset_postgres(application)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def logged_in(client: FlaskClient) -> Callable[..., Any]:
    """`logged_in("insurer")` makes a user of that role (insurer@staff.test unless `email` is given;
    an enterprise's login with `enterprise=`), signs `client` (or the client `on`) in through the
    login form and returns the user."""
    from .factories import PASSWORD, make_user
    from .helpers import login

    def _logged_in(role: str, email: str | None = None, *, enterprise: Any = None, on: Any = None) -> Any:
        user = make_user(role, email or f"{role}@staff.test", enterprise=enterprise)
        db.session.commit()
        response = login(on or client, user.email, PASSWORD)
        assert response.status_code == 200 and response.request.path != "/login", f"{user.email} was not let in"
        return user

    return _logged_in


@pytest.fixture
def freeze(app: Flask):  # type: ignore[no-untyped-def]
    """freeze("2024-06-30T23:59:00+08:00") sets the business clock for web, services and CLI."""

    def _freeze(moment: str | datetime) -> datetime:
        value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        assert value.tzinfo is not None, "freeze() needs an offset"
        app.config["TONGBAO_NOW"] = value
        return value

    return _freeze


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served by a real threaded HTTP server on loopback (for browsers and concurrency)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["TONGBAO_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    thread.join(timeout=10)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """A real Chromium (Debian's, installed by `make test`) driven by Playwright."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs it")
    with playwright_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


CSP_VIOLATION = re.compile(r"Content Security Policy", re.IGNORECASE)


@pytest.fixture
def page(browser, live_server):  # type: ignore[no-untyped-def]
    """A fresh browser context (own cookies) on the live server; `page.goto("/path")` works.
    The app's Content Security Policy is on, and a violation reported on the console fails the test;
    every HTML page the browser loads must pass the W3C Nu HTML checker (tests/nu.py)."""
    from .nu import nu_errors

    context = browser.new_context(base_url=live_server, locale="zh-CN")
    context.set_default_timeout(15000)
    tab = context.new_page()
    violations: list[str] = []
    pages: dict[str, bytes] = {}

    def keep_html(response: Any) -> None:  # the body now: the browser drops it once it leaves the page
        if _is_html_page(response):
            pages[f"{response.url} (#{len(pages) + 1})"] = response.body()

    tab.on("console", lambda message: violations.append(message.text) if CSP_VIOLATION.search(message.text) else None)
    tab.on("response", keep_html)
    yield tab
    context.close()
    assert violations == [], f"Content Security Policy violations: {violations}"
    invalid = nu_errors(pages)
    assert invalid == [], "the Nu HTML checker refuses pages of this walk-through:\n" + "\n".join(invalid)


def _is_html_page(response: Any) -> bool:
    return (
        response.request.resource_type == "document"
        and response.status == 200
        and "text/html" in (response.headers.get("content-type") or "")
    )


@pytest.fixture
def sinks(app: Flask) -> Iterator[tuple[Any, Any]]:
    """A real SMTP server and HTTP SMS gateway on loopback, configured as the app's (notifier tests)."""
    from .notifier_sinks import SmsSink, SmtpSink

    with SmtpSink() as smtp, SmsSink() as sms:
        app.config["TONGBAO_SMTP_URL"] = smtp.url
        app.config["TONGBAO_SMS_URL"] = sms.url
        yield smtp.recorder, sms


@pytest.fixture
def utc_process():
    """This test process runs in UTC too (the rules must not use the OS time zone)."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()
