"""The public edge: login throttling that never locks an owner out, equal work for unknown logins,
a cap on password checks running at once, sessions the server can end, idle expiry."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from intranet.actors import cli_actor
from intranet.auth import service as auth
from intranet.auth import sessions
from intranet.clock import now
from intranet.extensions import db
from intranet.limits import FileSlots

from . import factories as f
from .helpers import form_fields, login, soup, submit

ATTACKER = "127.0.0.9"
OWNER = "127.0.0.10"


def _client_at(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _login_form(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/login")
    assert response.status_code == 200
    return form_fields(soup(response).select_one("form[method=post]"))


@pytest.fixture
def hash_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password hash the login service checks (the stored hash it compared against)."""
    calls: list[str] = []
    original = auth.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        calls.append(pwhash)
        return original(pwhash, password)

    monkeypatch.setattr(auth, "check_password_hash", counting)
    return calls


def test_200_wrong_passwords_from_one_address_never_lock_the_owner_out_elsewhere(app, hash_checks):
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    attacker = _client_at(app, ATTACKER)
    form = _login_form(attacker)
    statuses = []
    for i in range(200):
        response = attacker.post("/login", data={**form, "identifier": "officer@bureau.test", "password": f"guess {i}"})
        statuses.append(response.status_code)
    assert 302 not in statuses
    assert statuses[:5] == [200] * 5  # refused with "wrong password"
    assert set(statuses[5:]) == {429}  # then slowed down, before any hash is computed
    assert len(hash_checks) == 5
    refused = attacker.post("/login", data={**form, "identifier": "officer@bureau.test", "password": f.PASSWORD})
    assert refused.status_code == 429  # even the right password waits, from the guessing address
    assert int(refused.headers["Retry-After"]) > 0

    owner = _client_at(app, OWNER)
    page = login(owner, "officer@bureau.test", f.PASSWORD)
    assert page.request.path == "/staff"
    assert soup(page).select_one("h1").get_text(strip=True) == "工作台"


def test_over_the_limit_the_page_says_when_to_try_again_in_either_language(app):
    app.config["LIMIT_LOGIN_PER_ADDRESS"] = "3 per minute"
    client = _client_at(app, ATTACKER)
    form = _login_form(client)
    for _ in range(3):
        assert client.post("/login", data={**form, "identifier": "x@y.test", "password": "nope"}).status_code == 200
    response = client.post("/login", data={**form, "identifier": "x@y.test", "password": "nope"})
    assert response.status_code == 429
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= 60
    page = soup(response)
    assert page.select_one("h1").get_text(" ", strip=True).startswith("请求过于频繁")
    assert f"请在 {seconds} 秒后" in page.select_one("main").get_text(" ", strip=True)

    client.get("/lang/en?next=/")
    english = client.post("/login", data={**form, "identifier": "x@y.test", "password": "nope"})
    assert english.status_code == 429
    text = soup(english).select_one("main").get_text(" ", strip=True)
    assert "please try again in" in text and "Beijing time" in text


def test_an_unknown_login_costs_one_hash_check_like_a_known_one(app, hash_checks):
    enterprise = f.make_enterprise(1)
    f.make_user("enterprise", "boss@exporter.test", enterprise=enterprise)
    inactive = f.make_user("insurer", "gone@sinosure.test")
    inactive.active = False
    db.session.commit()
    client = app.test_client()
    work = {}
    known, unknown = ("boss@exporter.test", enterprise.uscc), ("nobody@nowhere.test", "91440300MA5XXXXXX9")
    for identifier in (*known, *unknown, "gone@sinosure.test"):
        before = len(hash_checks)
        page = soup(login(client, identifier, "not the password"))
        assert "账号或密码不正确" in page.select_one(".field-error").get_text()
        work[identifier] = len(hash_checks) - before
    assert set(work.values()) == {1}, work
    # the unknown logins were checked against a hash of the configured method (same cost)
    assert all(pwhash.startswith(app.config["PASSWORD_HASH_METHOD"] + "$") for pwhash in hash_checks)


def test_password_checks_past_the_cap_are_told_to_come_back_while_other_pages_answer(app):
    app.config["PASSWORD_CHECK_SLOTS"] = 1
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    client = app.test_client()
    held = FileSlots(app.extensions["tongbao_password_slots"].folder, app.config)  # another worker's check
    token = held.acquire()
    assert token is not None
    try:
        busy = login(client, "officer@bureau.test", f.PASSWORD)
        assert busy.status_code == 429
        assert busy.headers["Retry-After"] == "2"
        assert "登录的人很多" in soup(busy).select_one("main").get_text()
        assert client.get("/notices").status_code == 200
    finally:
        held.release(token)
    assert login(client, "officer@bureau.test", f.PASSWORD).request.path == "/staff"


def test_activation_and_objection_forms_are_limited_per_address(app):
    app.config["LIMIT_ACTIVATION_PER_ADDRESS"] = "2 per minute"
    app.config["LIMIT_OBJECTION_PER_ADDRESS"] = "2 per minute"
    client = _client_at(app, ATTACKER)
    token = {"csrf_token": _login_form(client)["csrf_token"]}
    statuses = [client.post("/activate/not-a-token", data=token).status_code for _ in range(3)]
    assert statuses == [404, 404, 429]
    statuses = [client.post("/notices/2024/objections", data=token).status_code for _ in range(3)]
    assert statuses[-1] == 429 and 429 not in statuses[:2]
    other = _client_at(app, OWNER)
    other_token = {"csrf_token": _login_form(other)["csrf_token"]}
    assert other.post("/notices/2024/objections", data=other_token).status_code != 429


def _copy_session(source: FlaskClient, target: FlaskClient) -> None:
    cookie = source.get_cookie("session")
    assert cookie is not None
    target.set_cookie("session", cookie.value)


def test_a_copied_session_cookie_is_refused_after_logout(app, client):
    f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    login(client, "clerk@sinosure.test", f.PASSWORD)
    thief = app.test_client()
    _copy_session(client, thief)
    assert thief.get("/staff").status_code == 200
    submit(client, "/staff", form="form[action='/logout']")
    assert client.get("/staff").status_code == 302
    response = thief.get("/staff")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_password_change_ends_every_other_session(app, client):
    enterprise = f.make_enterprise(2)
    f.make_user("enterprise", "boss@exporter.test", enterprise=enterprise)
    db.session.commit()
    login(client, enterprise.uscc, f.PASSWORD)
    thief = app.test_client()
    _copy_session(client, thief)
    assert thief.get("/portal/").status_code == 200

    change = {"form": "main form[method=post]"}
    wrong = soup(
        submit(client, "/account/password", {"current": "not it", "password": "x" * 12, "confirm": "x" * 12}, **change)
    )
    assert "当前密码不正确" in wrong.select_one(".field-error").get_text()
    new_password = "a new long passphrase"
    fields = {"current": f.PASSWORD, "password": new_password, "confirm": new_password}
    done = submit(client, "/account/password", fields, **change)
    assert done.request.path == "/portal/"
    assert "其他设备上的登录已退出" in soup(done).select_one(".flashes").get_text()
    assert client.get("/portal/").status_code == 200  # this browser stays in
    assert thief.get("/portal/").status_code == 302
    fresh = app.test_client()
    assert login(fresh, enterprise.uscc, f.PASSWORD).request.path == "/login"
    assert login(fresh, enterprise.uscc, new_password).request.path == "/portal/"


def test_deactivating_a_user_or_an_enterprise_ends_their_sessions(app, client, runner):
    enterprise = f.make_enterprise(3)
    f.make_user("enterprise", "boss@exporter.test", enterprise=enterprise)
    staff = f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    staff_client = app.test_client()
    login(staff_client, "officer@bureau.test", f.PASSWORD)
    login(client, enterprise.uscc, f.PASSWORD)

    auth.deactivate_user(cli_actor(), staff, now=now())
    assert staff_client.get("/staff").status_code == 302
    result = runner.invoke(args=["user", "deactivate", "--uscc", enterprise.uscc])
    assert result.exit_code == 0, result.output
    assert client.get("/portal/").status_code == 302
    assert login(app.test_client(), enterprise.uscc, f.PASSWORD).request.path == "/login"


def test_idle_sessions_expire_staff_after_30_minutes_enterprises_after_2_hours(app, monkeypatch):
    clock = {"t": 1_000_000.0}
    monkeypatch.setattr(sessions, "wall_clock", lambda: clock["t"])
    enterprise = f.make_enterprise(4)
    f.make_user("enterprise", "boss@exporter.test", enterprise=enterprise)
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    staff, firm = app.test_client(), app.test_client()
    login(staff, "officer@bureau.test", f.PASSWORD)
    login(firm, enterprise.uscc, f.PASSWORD)

    clock["t"] += 29 * 60
    assert staff.get("/staff").status_code == 200  # activity moves the idle clock on
    clock["t"] += 29 * 60
    assert staff.get("/staff").status_code == 200
    clock["t"] += 31 * 60
    expired = staff.get("/staff", follow_redirects=True)
    assert expired.request.path == "/login"
    assert "长时间未操作" in soup(expired).select_one(".flashes").get_text()
    # the enterprise has been idle 89 minutes: still in; 2 hours later it is not
    assert firm.get("/portal/").status_code == 200
    clock["t"] += 2 * 3600 + 1
    assert firm.get("/portal/").status_code == 302


def test_the_login_page_says_when_sessions_expire(client):
    text = soup(client.get("/login")).select_one("#session-idle").get_text()
    assert "工作人员 30 分钟" in text and "企业用户 2 小时" in text


REDIS_URL = os.environ.get("TONGBAO_TEST_REDIS", "redis://127.0.0.1:6379/0")


def test_each_app_counts_with_its_own_limiter(database_url, backend, tmp_path):
    """No module-level limiter: two apps in one process (in memory) keep their own counters and limits."""
    if backend == "postgresql":
        pytest.skip("the counters do not depend on the database")
    from intranet import create_app

    from .conftest import make_config

    tight, loose = (
        create_app(make_config(database_url, tmp_path / name, LIMIT_LOGIN_PER_ADDRESS=limit))
        for name, limit in (("tight", "2 per minute"), ("loose", "5 per minute"))
    )
    assert tight.extensions["tongbao_limiter"] is not loose.extensions["tongbao_limiter"]
    guess = {"identifier": "nobody@example.org", "password": "nope"}
    at_tight, at_loose = _client_at(tight, ATTACKER), _client_at(loose, ATTACKER)
    form_tight, form_loose = _login_form(at_tight), _login_form(at_loose)
    assert [at_tight.post("/login", data={**form_tight, **guess}).status_code for _ in range(3)] == [200, 200, 429]
    statuses = [at_loose.post("/login", data={**form_loose, **guess}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]  # the same address, counted afresh by the other app


def _redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001
        return False


def test_with_redis_two_workers_share_the_counters_and_the_password_check_slots(database_url, backend, tmp_path):
    """Two app processes (web workers) configured with TONGBAO_REDIS_URL see each other's counts."""
    if backend == "postgresql":
        pytest.skip("the counters do not depend on the database")
    if not _redis_available():
        pytest.skip("no Redis on 127.0.0.1:6379")
    from intranet import create_app

    from .conftest import make_config

    prefix = f"tongbao-test-{uuid.uuid4().hex}"
    extra = {"TONGBAO_REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix, "LIMIT_LOGIN_PER_ADDRESS": "4 per minute"}
    workers = [create_app(make_config(database_url, tmp_path / f"worker{i}", **extra)) for i in range(2)]
    # counters in the shared Redis outlive a run, so this run's address and account are its own
    run = uuid.uuid4().int
    attacker, owner = f"127.{run % 200 + 20}.{run // 200 % 250}.9", f"127.{run % 200 + 20}.{run // 200 % 250}.10"
    first, second = (_client_at(worker, attacker) for worker in workers)
    form = _login_form(first)
    guess = {**form, "identifier": f"x{run % 10**9}@y.test", "password": "nope"}
    assert [first.post("/login", data=guess).status_code for _ in range(4)] == [200] * 4
    second.set_cookie("session", first.get_cookie("session").value)  # same browser, another worker
    assert second.post("/login", data=guess).status_code == 429

    workers[1].config["PASSWORD_CHECK_SLOTS"] = 1
    slots = workers[0].extensions["tongbao_password_slots"]
    workers[0].config["PASSWORD_CHECK_SLOTS"] = 1
    token = slots.acquire()  # a check running on the first worker
    assert token is not None
    try:
        busy = _client_at(workers[1], owner)
        wrong = {"identifier": guess["identifier"], "password": "nope"}
        response = busy.post("/login", data={**_login_form(busy), **wrong})
        assert response.status_code == 429 and response.headers["Retry-After"] == "2"
    finally:
        slots.release(token)
    response = busy.post("/login", data={**_login_form(busy), **wrong})
    assert response.status_code == 200


def test_with_redis_unreachable_logins_still_work_and_are_still_counted(database_url, backend, tmp_path):
    if backend == "postgresql":
        pytest.skip("the counters do not depend on the database")
    from intranet import create_app

    from .conftest import make_config

    dead = {"TONGBAO_REDIS_URL": "redis://127.0.0.1:1/0", "LIMIT_LOGIN_PER_ADDRESS": "3 per minute"}
    worker = create_app(make_config(database_url, tmp_path / "instance", **dead))
    with worker.app_context():
        f.make_user("bureau", "officer@bureau.test")
        db.session.commit()
    client = _client_at(worker, ATTACKER)
    assert login(client, "officer@bureau.test", f.PASSWORD).request.path == "/staff"
    form = _login_form(client)
    guess = {**form, "identifier": "x@y.test", "password": "no"}
    statuses = [client.post("/login", data=guess).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # counted in memory meanwhile: 3 posts a minute, the first was the login
