"""A forgotten password by e-mail link or SMS code (single use, 30 minutes, throttled, the same answer
for a known and an unknown account), and a new contact e-mail or mobile confirmed by a code."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intranet.audit.models import AuditLog
from intranet.auth import codes
from intranet.auth.models import User
from intranet.extensions import db
from intranet.outbox.models import OutboxMessage

from . import factories as f
from .helpers import form_fields, login, soup, submit, text_of

NEW_PASSWORD = "a brand new secret 42"
MOBILE_REQUEST = ".contact-mobile form.contact-request"
MOBILE_CONFIRM = ".contact-mobile form.contact-confirm"


def _client_at(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _ask(client: FlaskClient, identifier: str, channel: str = "email") -> Any:
    return submit(client, "/password/forgot", {"identifier": identifier, "channel": channel}, follow_redirects=False)


def _messages(recipient: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == recipient).order_by(OutboxMessage.id))
    )


def _member(email: str = "boss@exporter.test", mobile: str | None = None) -> User:
    enterprise = f.confirmed_enterprise(1)
    user = f.make_user("enterprise", email, enterprise=enterprise)
    user.mobile = mobile
    db.session.commit()
    return user


def test_reset_by_the_emailed_link_then_sign_in_with_the_new_password(app, client, freeze):
    freeze("2024-06-20T10:00:00+08:00")
    user = _member()
    elsewhere = app.test_client()
    assert login(elsewhere, user.email, f.PASSWORD).request.path == "/portal/"

    asked = _ask(client, "Boss@Exporter.test")
    assert asked.status_code == 302
    sent = client.get(asked.headers["Location"])
    assert "如果该账号存在并登记了邮箱，我们已发送重置密码的链接，30 分钟内有效" in text_of(sent)
    [message] = _messages("boss@exporter.test")
    assert message.channel == "email" and message.job == "account" and message.subject == "【统保】重置密码"
    path = re.search(r"https?://[^/\s]+(/password/reset/[\w-]+)", message.body_text).group(1)

    done = submit(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.request.path == "/login"
    assert "密码已重置" in soup(done).select_one(".flash-success").get_text()
    assert client.get(path).status_code == 404  # single use
    assert elsewhere.get("/portal/").status_code == 302  # the reset ended the other session

    refused = login(app.test_client(), user.email, f.PASSWORD)
    assert "账号或密码不正确" in text_of(refused)
    assert login(client, user.email, NEW_PASSWORD).request.path == "/portal/"
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.object_id == str(user.id))).all()
    assert {"user.password_reset_request", "user.password_reset"} <= set(actions)


def test_a_reset_link_expires_after_30_minutes_and_a_newer_one_replaces_it(app, client, freeze):
    freeze("2024-06-20T10:00:00+08:00")
    _member()
    _ask(client, "boss@exporter.test")
    first = re.search(r"(/password/reset/[\w-]+)", _messages("boss@exporter.test")[0].body_text).group(1)
    _ask(client, "boss@exporter.test")
    assert client.get(first).status_code == 404  # the newer link replaced it
    second = re.search(r"(/password/reset/[\w-]+)", _messages("boss@exporter.test")[1].body_text).group(1)
    assert client.get(second).status_code == 200
    freeze("2024-06-20T10:31:00+08:00")
    expired = client.get(second)
    assert expired.status_code == 404
    assert "重置链接无效或已过期" in text_of(expired)


def test_reset_by_sms_code_and_a_wrong_code_counts(app, client, freeze):
    freeze("2024-06-20T10:00:00+08:00")
    user = _member(mobile="13800138000")
    assert _ask(client, "138 0013 8000", channel="sms").status_code == 302
    [sms] = _messages("13800138000")
    assert sms.channel == "sms"
    code = re.search(r"验证码为 (\d{6})", sms.body_text).group(1)
    page = client.get("/password/reset/code")
    assert form_fields(soup(page).select_one("form[method=post]"))["identifier"] == "138 0013 8000"
    wrong = "000000" if code != "000000" else "111111"
    refused = submit(client, "/password/reset/code", {"code": wrong, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert "验证码不正确或已过期" in text_of(refused)
    done = submit(client, "/password/reset/code", {"code": code, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.request.path == "/login"
    assert login(client, user.email, NEW_PASSWORD).request.path == "/portal/"


def test_five_wrong_codes_end_the_code(app, client, freeze):
    freeze("2024-06-20T10:00:00+08:00")
    _member(mobile="13800138000")
    _ask(client, "13800138000", channel="sms")
    code = re.search(r"验证码为 (\d{6})", _messages("13800138000")[0].body_text).group(1)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(codes.MAX_ATTEMPTS):
        submit(client, "/password/reset/code", {"code": wrong, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    late = submit(client, "/password/reset/code", {"code": code, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert "验证码不正确或已过期" in text_of(late)


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_known_and_unknown_accounts_get_the_same_answer_for_the_same_work(app, freeze, monkeypatch, channel):
    freeze("2024-06-20T10:00:00+08:00")
    _member(mobile="13800138000")
    renders: list[str] = []
    original = codes.outbox.render_message

    def counting(*args: Any, **kwargs: Any) -> Any:
        renders.append(args[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(codes.outbox, "render_message", counting)
    answers = {}
    known = "boss@exporter.test" if channel == "email" else "13800138000"
    unknown = "nobody@nowhere.test" if channel == "email" else "13999999999"
    for n, identifier in enumerate((known, unknown)):
        client = _client_at(app, f"127.0.1.{n}")
        before = len(renders)
        asked = _ask(client, identifier, channel)
        page = client.get(asked.headers["Location"])
        main = soup(page).select_one("main")
        answers[identifier] = (asked.status_code, asked.headers["Location"], page.status_code, str(main))
        assert renders[before:] == ["password_reset"]  # one message rendered either way
    assert answers[known] == answers[unknown]
    assert len(_messages(known)) == 1 and _messages(unknown) == []


def test_reset_requests_are_throttled_per_account_and_per_address(app, freeze):
    freeze("2024-06-20T10:00:00+08:00")
    _member()
    app.config["LIMIT_RESET_PER_ACCOUNT"] = "3 per 15 minutes"
    statuses = [_ask(_client_at(app, f"127.0.2.{n}"), "boss@exporter.test").status_code for n in range(4)]
    assert statuses == [302, 302, 302, 429]  # from four addresses: the account's mailbox is not flooded
    assert len(_messages("boss@exporter.test")) == 3
    unknown = [_ask(_client_at(app, f"127.0.3.{n}"), "ghost@nowhere.test").status_code for n in range(4)]
    assert unknown == statuses  # the throttle says nothing about whether the account exists

    app.config["LIMIT_RESET_PER_ADDRESS"] = "2 per minute"
    one = _client_at(app, "127.0.4.1")
    responses = [_ask(one, f"someone{n}@nowhere.test") for n in range(3)]
    assert [r.status_code for r in responses] == [302, 302, 429]
    assert int(responses[-1].headers["Retry-After"]) > 0


def test_a_new_contact_email_counts_once_its_code_is_typed_back(app, client, freeze, logged_in):
    freeze("2024-06-20T10:00:00+08:00")
    enterprise = f.confirmed_enterprise(1)
    user = logged_in("enterprise", "boss@exporter.test", enterprise=enterprise)
    elsewhere = app.test_client()
    login(elsewhere, "boss@exporter.test", f.PASSWORD)
    page = submit(client, "/account/contact", {"email-value": "New@Exporter.test"}, form="form.contact-request")
    assert "验证码已发送至 new@exporter.test" in text_of(page)
    [message] = _messages("new@exporter.test")
    code = re.search(r"验证码：(\d{6})", message.body_text).group(1)
    db.session.refresh(user)
    assert user.email == "boss@exporter.test"  # not before the code
    done = submit(client, "/account/contact", {"email-confirm-code": code}, form="form.contact-confirm")
    assert "联系方式已更新" in text_of(done)
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.email == "new@exporter.test"
    assert user.enterprise.email == "new@exporter.test"  # the administrator speaks for the enterprise
    assert elsewhere.get("/portal/").status_code == 302  # the other session ended
    assert client.get("/portal/").status_code == 200  # this one goes on
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "user.email_change")) is not None


def test_a_new_mobile_with_a_wrong_code_is_not_kept(app, client, freeze, logged_in):
    freeze("2024-06-20T10:00:00+08:00")
    user = logged_in("enterprise", "boss@exporter.test", enterprise=f.confirmed_enterprise(1))
    submit(client, "/account/contact", {"mobile-value": "+86 139 0000 1111"}, form=MOBILE_REQUEST)
    [sms] = _messages("13900001111")
    code = re.search(r"验证码 (\d{6})", sms.body_text).group(1)
    wrong = "000000" if code != "000000" else "111111"
    refused = submit(client, "/account/contact", {"mobile-confirm-code": wrong}, form=MOBILE_CONFIRM)
    assert refused.status_code == 422 and "验证码不正确或已过期" in text_of(refused)
    db.session.refresh(user)
    assert user.mobile is None
    submit(client, "/account/contact", {"mobile-confirm-code": code}, form=MOBILE_CONFIRM)
    db.session.refresh(user)
    assert user.mobile == "13900001111"
    # and the mobile now signs in
    assert login(app.test_client(), "13900001111", f.PASSWORD).request.path == "/portal/"


def test_login_page_links_the_forgotten_password_form(client):
    link = soup(client.get("/login")).select_one("a[href='/password/forgot']")
    assert link is not None and link.get_text(strip=True) == "忘记密码？"
