"""Several users per enterprise: the first activated user invites colleagues, chooses what each may
do and removes them; the services check those permissions; the records say who did what. And the
certificate verification reached from the home page."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from intranet.auth.models import User
from intranet.clock import now
from intranet.errors import Forbidden
from intranet.extensions import db
from intranet.losses import rules as loss_rules
from intranet.losses import service as losses
from intranet.losses.models import LossEvent
from intranet.outbox.models import OutboxMessage
from intranet.policies import service as policies
from intranet.policies.models import Policy

from . import factories as f
from .helpers import follows_to, form_fields, login, soup, submit, text_of

COLLEAGUE_PASSWORD = "finance clerk pass 7"


def _invite(client: FlaskClient, data: dict[str, str], *, drop: tuple[str, ...] = ()) -> Any:
    """Post the invitation form as the browser would, with the checkboxes in `drop` unticked."""
    page = client.get("/portal/colleagues")
    node = soup(page).select_one("form.invite-form")
    assert node is not None, "the administrator sees the invitation form"
    payload = {**form_fields(node), **data}
    for name in drop:
        payload.pop(name, None)
    return client.post(node["action"], data=payload, follow_redirects=True)


def _activate_from_outbox(app: Any, recipient: str) -> FlaskClient:
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == recipient))
    assert message is not None and message.job == "invitation" and message.template == "colleague_invitation"
    path = re.search(r"https?://[^/\s]+(/activate/[\w-]+)", message.body_text)
    path = path.group(1) if path is not None else follows_to(message.body_text)  # an SMS: its short link
    colleague = app.test_client()
    done = submit(colleague, path, {"password": COLLEAGUE_PASSWORD, "confirm": COLLEAGUE_PASSWORD})
    assert done.request.path == "/portal/"
    return colleague


def _loss() -> losses.LossInput:
    return losses.LossInput(
        buyer_name="ACME Trading LLC",
        buyer_country="US",
        due_date=date(2024, 10, 31),
        cause="buyer_default",
        invoices=[loss_rules.Invoice("INV-1", Decimal("20000.00"), date(2024, 8, 1))],
    )


def test_an_invited_colleague_activates_and_reports_a_loss_and_the_record_says_who(app, client, freeze):
    freeze("2024-09-02T10:00:00+08:00")
    _enterprise, owner, policy = f.loss_policy_holder(1)
    db.session.commit()
    login(client, owner.email, f.PASSWORD)
    page = _invite(
        client,
        {"display_name": "王会计", "email": "clerk@exporter.test"},
        drop=("can_claim", "can_request_credit_reports"),
    )
    assert "邀请已发送至 clerk@exporter.test" in text_of(page)
    row = soup(page).select_one("tr.colleague:-soup-contains('clerk@exporter.test')")
    assert "已邀请，待激活" in row.get_text()

    colleague_client = _activate_from_outbox(app, "clerk@exporter.test")
    colleague = db.session.scalar(select(User).where(User.email == "clerk@exporter.test"))
    assert colleague.may("report_losses") and not colleague.may("claim")
    # the colleague sees the team but cannot manage it
    team = soup(colleague_client.get("/portal/colleagues"))
    assert team.select_one("form.invite-form") is None
    assert "管理员" in team.select_one("tr.colleague").get_text()

    report = losses.report(colleague, policy.id, _loss(), now=now())
    event = db.session.scalar(select(LossEvent).where(LossEvent.report_id == report.id, LossEvent.kind == "reported"))
    assert event.actor_user_id == colleague.id

    activity = soup(client.get("/portal/colleagues")).select("table.activity tbody tr")
    who_did_what = [(r.select_one(".actor").get_text(strip=True), r.select_one(".action").get_text(strip=True))
                    for r in activity]
    assert ("clerk@exporter.test", "报损") in who_did_what
    assert (owner.email, "邀请经办人") in who_did_what


def _team_of_two(app: Any, client: FlaskClient, *, drop: tuple[str, ...]) -> tuple[User, User, FlaskClient]:
    """An enterprise on the confirmed roster (no policy yet), its administrator signed in on `client`
    and an activated colleague without the permissions in `drop`, signed in on the returned client."""
    enterprise = f.confirmed_enterprise(2)
    owner = f.make_user("enterprise", "owner@exporter.test", enterprise=enterprise)
    db.session.commit()
    login(client, owner.email, f.PASSWORD)
    _invite(client, {"email": "clerk@exporter.test"}, drop=drop)
    colleague_client = _activate_from_outbox(app, "clerk@exporter.test")
    colleague = db.session.scalar(select(User).where(User.email == "clerk@exporter.test"))
    return owner, colleague, colleague_client


def test_a_colleague_without_the_claim_permission_cannot_claim(app, client, freeze):
    freeze("2024-06-20T10:00:00+08:00")
    owner, colleague, colleague_client = _team_of_two(app, client, drop=("can_claim",))
    home = colleague_client.get("/portal/")
    token = soup(home).select_one("form.claim-form input[name=csrf_token]")["value"]
    refused = colleague_client.post("/portal/claim/2024", data={"csrf_token": token}, follow_redirects=True)
    assert "没有“领取保单”权限" in soup(refused).select_one(".flash-error").get_text()
    assert db.session.scalar(select(func.count(Policy.id))) == 0
    with pytest.raises(Forbidden) as refused_by_service:
        policies.claim(colleague, colleague.enterprise, f.programme(), now=now())
    assert refused_by_service.value.code == "permission"
    # the administrator grants it; then the colleague's claim goes through
    page = client.get("/portal/colleagues")
    form = soup(page).select_one(f"tr.colleague[data-user-id='{colleague.id}'] form.permissions-form")
    payload = {**form_fields(form), f"u{colleague.id}-can_claim": "y"}
    assert "权限已保存" in text_of(client.post(form["action"], data=payload, follow_redirects=True))
    claimed = colleague_client.post("/portal/claim/2024", data={"csrf_token": token}, follow_redirects=True)
    assert "已领取保单" in text_of(claimed)
    assert db.session.scalar(select(func.count(Policy.id))) == 1


def test_only_the_administrator_invites_and_a_removed_colleague_is_signed_out(app, client, freeze):
    freeze("2024-06-20T10:00:00+08:00")
    owner, colleague, colleague_client = _team_of_two(app, client, drop=())
    token = soup(colleague_client.get("/portal/colleagues")).select_one("input[name=csrf_token]")["value"]
    refused = colleague_client.post("/portal/colleagues/invite", data={"csrf_token": token, "email": "x@y.test"})
    assert refused.status_code == 403
    assert "只有本企业的管理员可以管理经办人" in text_of(refused)
    assert db.session.scalar(select(User.id).where(User.email == "x@y.test")) is None

    page = client.get("/portal/colleagues")
    form = soup(page).select_one(f"tr.colleague[data-user-id='{colleague.id}'] form.remove-form")
    done = client.post(form["action"], data=form_fields(form), follow_redirects=True)
    assert "已移除 clerk@exporter.test" in text_of(done)
    assert colleague_client.get("/portal/").status_code == 302  # its session ended
    assert "账号或密码不正确" in text_of(login(app.test_client(), "clerk@exporter.test", COLLEAGUE_PASSWORD))


def test_a_colleague_invited_by_mobile_gets_an_sms_and_signs_in_with_the_mobile(app, client, freeze):
    freeze("2024-06-20T10:00:00+08:00")
    enterprise = f.confirmed_enterprise(3)
    owner = f.make_user("enterprise", "owner@exporter.test", enterprise=enterprise)
    db.session.commit()
    login(client, owner.email, f.PASSWORD)
    _invite(client, {"display_name": "李出纳", "mobile": "139-0000-2222"})
    sms = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "13900002222"))
    assert sms.channel == "sms" and enterprise.name in sms.body_text
    _activate_from_outbox(app, "13900002222")
    assert login(app.test_client(), "13900002222", COLLEAGUE_PASSWORD).request.path == "/portal/"


def test_verify_a_certificate_from_the_home_page_by_code_or_scanned_link(app, client, freeze):
    freeze("2024-09-02T10:00:00+08:00")
    enterprise, _user, policy = f.certificate_holder(4, name="深圳市核验贸易有限公司")
    db.session.commit()
    home = soup(client.get("/"))
    assert home.select_one("nav.main-nav a[href='/verify']") is not None
    assert home.select_one("footer a[href='/verify']") is not None
    form = home.select_one("form.verify-form")
    assert form["method"] == "get" and form["action"] == "/verify"
    field = form.select_one("input[type=text]")["name"]
    for typed in (policy.verify_code.lower(), f"{app.config['TONGBAO_BASE_URL']}/verify/{policy.verify_code}"):
        page = client.get(form["action"], query_string={field: typed}, follow_redirects=True)
        assert page.status_code == 200 and page.request.path == f"/verify/{policy.verify_code}"
        verdict = soup(page)
        assert verdict.select_one(".verdict-title").get_text(strip=True) == "真实有效"
        assert verdict.select_one(".insured").get_text(strip=True) == "深圳市核验贸易有限公司"
    unknown = client.get("/verify", query_string={field: "NOPE-NOPE"}, follow_redirects=True)
    assert unknown.status_code == 404


def test_the_portal_links_its_certificate_to_the_verification_page(client, freeze):
    freeze("2024-09-02T10:00:00+08:00")
    enterprise, user, policy = f.certificate_holder(5)
    db.session.commit()
    login(client, user.email, f.PASSWORD)
    link = soup(client.get("/portal/")).select_one(".policy-card .verify-link a")
    assert link["href"] == f"/verify/{policy.verify_code}"
    assert client.get(link["href"]).status_code == 200
