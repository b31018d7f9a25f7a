"""The enterprise's home: roster standing, the cover claiming now gives, claim, its policy, its
managers and hotlines — and nothing of any other enterprise. Invitation and activation."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlparse

from sqlalchemy import func, select

from intranet.clock import now
from intranet.enterprises import service as enterprises
from intranet.extensions import db
from intranet.outbox.models import OutboxMessage
from intranet.policies.models import Policy

from . import factories as f
from .helpers import login, soup, submit, text_of


def _member(n: int = 1, **kwargs):
    enterprise = f.confirmed_enterprise(n, **kwargs)
    f.make_user("enterprise", f"boss{n}@exporter.test", enterprise=enterprise)
    db.session.commit()
    return enterprise


def _policy(enterprise, **fields):
    values = {
        "status": "issued",
        "claimed_at": datetime.fromisoformat("2024-06-01T10:00:00+08:00"),
        "policy_no": f"TB2024-SZ-{enterprise.id:06d}",
        "verify_code": f"ACDEFGHJKMNPQRT{enterprise.id:03d}",
        "issue_date": date(2024, 7, 1),
        "cover_start": date(2024, 7, 1),
        "cover_end": date(2025, 6, 30),
    }
    values.update(fields)
    policy = f.make_policy(enterprise, f.programme(), **values)
    db.session.commit()
    return policy


def test_home_before_the_deadline_offers_the_whole_cover_with_managers_and_hotlines(client, freeze):
    freeze("2024-06-20T10:00:00+08:00")
    enterprise = _member(1, district_name="宝安区")
    login(client, enterprise.uscc, f.PASSWORD)
    page = soup(client.get("/portal/"))
    assert page.select_one(".roster-standing").get_text(strip=True) == "已列入确认名单"
    assert (
        page.select_one(".claim-offer .cover-terms").get_text(strip=True)
        == "今天领取 → 保障期限 2024-07-01 至 2025-06-30"
    )
    managers = [li.get_text(" ", strip=True) for li in page.select("ul.managers li")]
    assert managers == ["李经理 15877399562", "黄经理 13590133090"]
    hotlines = page.select_one(".hotlines").get_text(" ", strip=True)
    assert "83165355" in hotlines and "88325700" in hotlines


def test_home_after_the_deadline_says_cover_runs_from_the_issue_date(client, freeze):
    freeze("2024-07-10T10:00:00+08:00")
    enterprise = _member(1)
    login(client, enterprise.uscc, f.PASSWORD)
    offer = soup(client.get("/portal/")).select_one(".claim-offer .cover-terms").get_text(strip=True)
    assert offer == "今天领取 → 保障期限自签发日起（预计 2024-07-17 前签发）至 2025-06-30"


def test_home_after_the_cover_period_offers_nothing(client, freeze):
    freeze("2025-07-01T08:00:00+08:00")
    enterprise = _member(1)
    login(client, enterprise.uscc, f.PASSWORD)
    page = soup(client.get("/portal/"))
    assert page.select_one("form.claim-form") is None
    assert "不再受理领取" in page.select_one(".claim-offer").get_text()


def test_claim_from_the_home_page_then_see_the_issued_cover(client, freeze):
    freeze("2024-06-30T23:59:00+08:00")
    enterprise = _member(1)
    login(client, enterprise.uscc, f.PASSWORD)
    page = submit(client, "/portal/", form="form.claim-form")
    policy = db.session.scalar(select(Policy).where(Policy.enterprise_id == enterprise.id))
    assert policy is not None and policy.claimed_on_time and policy.claimed_via == "web"
    card = soup(page).select_one(".policy-card")
    assert int(card["data-policy-id"]) == policy.id
    assert card.select_one(".policy-status").get_text(strip=True) == "已领取，待签发"
    assert card.select_one(".cover").get_text(strip=True) == "2024-07-01 至 2025-06-30"
    # a second click (a stale form) changes nothing
    again = client.post(f"/portal/claim/{policy.programme.year}", data={"csrf_token": _token(page)})
    assert again.status_code == 302
    assert db.session.scalar(select(func.count(Policy.id))) == 1
    assert "已领取过" in text_of(client.get("/portal/"))

    freeze("2024-07-05T09:00:00+08:00")
    clerk = f.make_user("insurer", "clerk@sinosure.test")
    from intranet.policies import service

    service.issue(clerk, policy.id, now=now())
    card = soup(client.get("/portal/")).select_one(".policy-card")
    assert card.select_one(".policy-no").get_text(strip=True) == "TB2024-SZ-000001"
    assert card.select_one(".cover").get_text(strip=True) == "2024-07-01 至 2025-06-30"
    link = card.select_one("a.certificate-download")
    if "certificates.download" in client.application.view_functions:
        assert link is not None and str(policy.id) in link["href"]
    else:
        assert link is None


def test_a_late_claim_shows_when_it_should_be_issued(client, freeze):
    freeze("2024-07-01T00:01:00+08:00")
    enterprise = _member(1)
    login(client, enterprise.uscc, f.PASSWORD)
    page = submit(client, "/portal/", form="form.claim-form")
    cover = soup(page).select_one(".policy-card .cover").get_text(strip=True)
    assert cover == "自签发日起（预计 2024-07-08 前签发）至 2025-06-30"


def _token(page) -> str:
    return soup(page).select_one("input[name=csrf_token]")["value"]


def test_an_enterprise_not_on_the_confirmed_roster_cannot_claim(client, freeze):
    freeze("2024-06-01T10:00:00+08:00")
    roster = f.make_roster(f.programme(), status="notice")
    enterprise = f.make_enterprise(1)
    f.add_entry(roster, enterprise)
    f.make_user("enterprise", "boss@exporter.test", enterprise=enterprise)
    db.session.commit()
    login(client, enterprise.uscc, f.PASSWORD)
    page = client.get("/portal/")
    assert soup(page).select_one("form.claim-form") is None
    assert soup(page).select_one(".roster-standing").get_text(strip=True) == "名单公示中，确认后可领取"
    refused = client.post("/portal/claim/2024", data={"csrf_token": _token(page)}, follow_redirects=True)
    flash = soup(refused).select_one(".flash-error").get_text(strip=True)
    assert "不在已确认的统保名单上" in flash and "roster" not in flash  # one language: the page's
    client.get("/lang/en?next=/portal/")
    page = client.get("/portal/")
    refused = client.post("/portal/claim/2024", data={"csrf_token": _token(page)}, follow_redirects=True)
    flash = soup(refused).select_one(".flash-error").get_text(strip=True)
    assert "not on a confirmed roster of the 2024 programme" in flash and "名单" not in flash
    assert db.session.scalar(select(func.count(Policy.id))) == 0


def test_enterprise_a_never_sees_b(client, freeze):
    freeze("2024-08-01T10:00:00+08:00")
    a = _member(1, name="深圳市甲电子有限公司")
    b = _member(2, name="深圳市乙电子有限公司")
    b_policy = _policy(b)
    login(client, a.uscc, f.PASSWORD)
    home = client.get("/portal/")
    assert "乙电子" not in text_of(home) and b_policy.policy_no not in text_of(home)
    assert soup(home).select("[data-policy-id]") == []
    # staff pages: refused by role; the API: no token, no entry; the certificate: not found
    assert client.get(f"/staff/policies/{b_policy.id}").status_code == 403
    assert client.get(f"/api/v1/policies/{b_policy.id}").status_code == 401
    assert client.get(f"/api/v1/programmes/2024/enterprises/{b.uscc}").status_code == 401
    if "certificates.download" in client.application.view_functions:
        from flask import url_for

        with client.application.test_request_context():
            url = url_for("certificates.download", policy_id=b_policy.id)
        assert client.get(url).status_code == 404
    # claiming "for B" from A's session claims A's own policy only
    client.post("/portal/claim/2024", data={"csrf_token": _token(home)})
    assert db.session.scalar(select(func.count(Policy.id)).where(Policy.enterprise_id == b.id)) == 1
    mine = db.session.scalar(select(Policy).where(Policy.enterprise_id == a.id))
    assert mine is not None and not mine.claimed_on_time


# --- invitation and activation ------------------------------------------------------------------


def _invite(enterprise) -> str:
    queued = enterprises.invite(enterprise, f.programme(), now=now())
    db.session.commit()
    assert queued == 2  # email and SMS
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.enterprise_id == enterprise.id, OutboxMessage.channel == "email")
    )
    link = message.data["activation_url"]
    assert link in message.body_text
    return urlparse(link).path


def test_invited_enterprise_activates_once_then_logs_in_by_uscc_or_email(client, freeze):
    freeze("2024-06-01T10:00:00+08:00")
    enterprise = f.confirmed_enterprise(1, email="Boss@Exporter.test")
    db.session.commit()
    path = _invite(enterprise)
    assert enterprises.invite(enterprise, f.programme(), now=now()) == 0  # never twice
    # not yet active: no password, no login
    assert "账号或密码不正确" in text_of(login(client, enterprise.uscc, "whatever-long-pw"))
    page = submit(client, path, {"password": "a good long password", "confirm": "a good long password"})
    assert soup(page).select_one("h1").get_text(strip=True) == "我的保单"
    assert soup(page).select_one(".enterprise-id").get_text(" ", strip=True).startswith(enterprise.name)
    fresh = client.application.test_client()
    used = fresh.get(path)
    assert used.status_code == 409 and "已使用" in text_of(used)
    by_uscc = login(fresh, enterprise.uscc.lower(), "a good long password")
    assert soup(by_uscc).select_one("h1").get_text(strip=True) == "我的保单"
    other = client.application.test_client()
    by_email = login(other, "boss@exporter.test", "a good long password")
    assert soup(by_email).select_one("h1").get_text(strip=True) == "我的保单"


def test_activation_links_expire(client, freeze):
    moment = freeze("2024-06-01T10:00:00+08:00")
    enterprise = f.confirmed_enterprise(1)
    db.session.commit()
    path = _invite(enterprise)
    freeze(moment + timedelta(days=15))
    expired = client.get(path)
    assert expired.status_code == 409 and "已过期" in text_of(expired)
    assert client.get("/activate/not-a-real-token").status_code == 404


def test_the_portal_speaks_english_on_request(client, freeze):
    freeze("2024-07-10T10:00:00+08:00")
    enterprise = _member(1)
    login(client, enterprise.uscc, f.PASSWORD)
    client.get("/lang/en?next=/portal/")
    page = soup(client.get("/portal/"))
    offer = page.select_one(".claim-offer .cover-terms").get_text(strip=True)
    assert offer == "Claim today → cover from the issue date (expected by 2024-07-17) to 2025-06-30"
    assert page.select_one("#managers-h").get_text(strip=True) == "Your account managers"


def test_claiming_an_unknown_programme_is_a_404(client, freeze):
    freeze("2024-06-20T10:00:00+08:00")
    enterprise = _member(1)
    login(client, enterprise.uscc, f.PASSWORD)
    token = _token(client.get("/portal/"))
    for year in ("1999", "99999999999999999999"):
        assert client.post(f"/portal/claim/{year}", data={"csrf_token": token}).status_code == 404
    assert db.session.scalar(select(func.count(Policy.id))) == 0


def test_an_enterprise_not_yet_on_next_years_roster_can_still_claim_last_years_late(client, freeze):
    from intranet.actors import cli_actor
    from intranet.programmes import service as programmes

    freeze("2025-02-10T10:00:00+08:00")
    programmes.copy_programme(cli_actor(), f.programme(2024), 2025, now=now())
    enterprise = _member(1)  # on the confirmed 2024 roster only
    login(client, enterprise.uscc, f.PASSWORD)
    page = soup(client.get("/portal/"))
    offer = page.select_one(".claim-offer .cover-terms").get_text(strip=True)
    assert offer == "今天领取 → 保障期限自签发日起（预计 2025-02-17 前签发）至 2025-06-30"
    page = soup(submit(client, "/portal/", form="form.claim-form"))
    policy = db.session.scalar(select(Policy).where(Policy.enterprise_id == enterprise.id))
    assert policy.programme.year == 2024 and not policy.claimed_on_time
    assert int(page.select_one(".policy-card")["data-policy-id"]) == policy.id
    assert page.select_one("#programme-h").get_text(strip=True).startswith("深圳市2024年度")
