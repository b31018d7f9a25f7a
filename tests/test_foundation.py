"""Foundation: health, home page, languages, login and its throttling, CSRF, audit log."""

from __future__ import annotations

from sqlalchemy import select

from intranet.audit.models import AuditLog
from intranet.clock import now
from intranet.extensions import db

from . import factories as f
from .helpers import login, soup, submit


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "notifier": "stale"}  # no notifier runs


def test_healthz_503_when_database_unreachable(tmp_path):
    from intranet import create_app

    from .conftest import make_config

    app = create_app(make_config("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_home_shows_programme_parameters_in_chinese_then_english(client, freeze):
    freeze("2024-06-01T10:00:00+08:00")
    page = soup(client.get("/"))
    assert page.html["lang"] == "zh-CN"
    facts = page.select_one("dl.facts").get_text(" ", strip=True)
    assert "2024-06-30" in facts
    assert "2024-07-01 — 2025-06-30" in facts
    assert "80%" in facts
    assert "USD 150,000.00" in facts
    footer = page.select_one("footer").get_text(" ", strip=True)
    assert "83165355" in footer and "88325700" in footer
    managers = page.select_one("table").get_text(" ", strip=True)
    assert "李经理 15877399562" in managers and "陈经理 15817218652" in managers

    client.get("/lang/en?next=/")
    english = soup(client.get("/"))
    assert english.html["lang"] == "en"
    assert english.select_one("h1").get_text(strip=True).startswith("Shenzhen 2024")
    nav = [a.get_text(strip=True) for a in english.select("nav.main-nav a")]
    assert "Public rosters" in nav
    assert english.select_one("dl.facts dt").get_text(strip=True) == "Claim deadline"


def test_language_switch_never_redirects_off_site(client):
    response = client.get("/lang/en?next=//evil.example.com/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_staff_login_and_logout(client):
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    page = login(client, "officer@bureau.test", f.PASSWORD)
    assert soup(page).select_one("h1").get_text(strip=True) == "工作台"
    response = submit(client, "/staff", form="form[action='/logout']")
    assert response.status_code == 200
    assert client.get("/staff").status_code == 302


def test_wrong_password_is_refused_with_the_error_tied_to_the_field(client):
    f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    page = soup(login(client, "clerk@sinosure.test", "wrong password!"))
    field = page.select_one("#password")
    assert field["aria-invalid"] == "true"
    error = page.select_one("#" + field["aria-describedby"].split()[-1])
    assert "账号或密码不正确" in error.get_text()


def test_forms_refuse_posts_without_csrf_token(client):
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    response = client.post("/login", data={"identifier": "officer@bureau.test", "password": f.PASSWORD})
    assert response.status_code == 400
    assert client.get("/staff").status_code == 302  # not logged in


def test_enterprise_cannot_open_staff_pages(client):
    enterprise = f.make_enterprise(1)
    f.make_user("enterprise", "boss@exporter.test", enterprise=enterprise)
    db.session.commit()
    login(client, enterprise.uscc.lower(), f.PASSWORD)
    assert client.get("/staff/audit/").status_code == 403
    assert client.get("/staff/roster/").status_code == 403


def test_audit_log_records_staff_action_and_staff_can_browse_it(client, runner):
    result = runner.invoke(args=["programme", "exclude", "2024", "kp", "SY"])
    assert result.exit_code == 0, result.output
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "programme.exclude"))
    assert row is not None and row.changes == {"added": ["KP", "SY"]}
    assert row.actor_label.startswith("cli:")
    f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    login(client, "clerk@sinosure.test", f.PASSWORD)
    page = soup(client.get("/staff/audit/?action=programme."))
    cells = [td.get_text(" ", strip=True) for td in page.select("table.audit-log tbody tr td")]
    assert "增加不予承保国别" in cells  # the action's label; its code stays in the title for searching
    assert page.select_one("table.audit-log span.coded[title='programme.exclude']") is not None
    assert any("KP" in c for c in cells)


def test_audit_rows_are_timezone_aware(app):
    f.make_user("bureau", "x@bureau.test")
    from intranet.actors import cli_actor
    from intranet.audit import service as audit

    audit.record(cli_actor(), "test.action", summary="x")
    db.session.commit()
    db.session.expire_all()
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "test.action"))
    assert row.at.tzinfo is not None
    assert abs((row.at - now()).total_seconds()) < 60


def test_catalogues_are_compiled_from_every_fragment_by_the_make_step(tmp_path):
    import gettext
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "compile_catalogs.py"
    spec = importlib.util.spec_from_file_location("compile_catalogs", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.compile_all(module.SOURCE, tmp_path) == 0
    with (tmp_path / "en" / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
        english = gettext.GNUTranslations(fh)
    assert english.gettext("请先登录") == "Please log in first"  # foundation.po
    assert english.gettext("文件是空的") == "The file is empty"  # roster_import.po


def test_without_compiled_catalogues_the_app_still_starts_in_chinese(
    database_url, backend, tmp_path, monkeypatch, caplog
):
    import pytest

    if backend == "postgresql":
        pytest.skip("start-up does not depend on the database")
    from flask_babel import get_domain

    from intranet import create_app, i18n

    from .conftest import make_config

    missing = tmp_path / "not-compiled"
    monkeypatch.setattr(i18n, "COMPILED_DIR", missing)
    with caplog.at_level("WARNING", logger="intranet.i18n"):
        app = create_app(make_config(database_url, tmp_path / "instance"))
    with app.app_context():  # Flask-Babel caches loaded catalogues per process, by language only
        monkeypatch.setattr(get_domain(), "cache", {})
    assert "no compiled catalogues" in caplog.text
    assert not missing.exists()  # the app never compiles
    client = app.test_client()
    client.get("/lang/en?next=/login")
    page = soup(client.get("/login"))
    assert page.html["lang"] == "en" and "登录" in page.select_one("h1").get_text()  # the message ids
