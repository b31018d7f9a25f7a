"""Issue 13, rules 7 and 8: credit reports on 3 *buyers*, and the monthly notices through the single
window. One test per rule, each quoting the notice's sentence (`../shared/seed/`), on SQLite and
PostgreSQL, with this process in UTC (the rules decide dates in Shanghai, never in the OS time zone)."""

from __future__ import annotations

import time
from datetime import date, datetime

import pytest
from sqlalchemy import select

from intranet.actors import cli_actor
from intranet.api_auth.tokens import create_token
from intranet.audit.models import AuditLog
from intranet.clock import now
from intranet.credit_reports.models import CreditReportRequest
from intranet.extensions import db
from intranet.losses.models import LossParty

from . import factories as f
from .helpers import login, soup, submit

# 00:30 on 15 November in Shanghai is still 14 November in UTC
AT = "2024-11-14T16:30:00+00:00"
LOSS = {
    "invoice_amount_usd": 20000.00,
    "shipment_date": "2024-08-01",
    "due_date": "2024-10-30",
    "cause": "buyer_default",
}


@pytest.fixture
def api(client, freeze, utc_process):
    freeze(AT)
    _token, raw = create_token(cli_actor(), "single-window", now=now())
    headers = {"Authorization": f"Bearer {raw}"}

    def call(method: str, path: str, body: object = None, **extra: str):
        return client.open(path, method=method, json=body, headers=headers | extra)

    return call


def _remaining(page) -> int:
    return int(page.select_one(".remaining-free").get_text(strip=True))


def _ask_on_the_web(client, buyer: str, country: str):
    data = {"buyer_name": buyer, "buyer_country": country}
    return submit(client, "/portal/credit-reports", data, form="form.credit-request-form")


def test_rule_7_credit_reports_are_on_3_buyers_while_the_policy_is_in_force(api, client, app, freeze, logged_in):
    """Notice: "中国信保深圳分公司免费为企业提供免费为 3 个海外买家资信报告" — three *buyers*, not three
    requests: asking again about a buyer already reported on (spelt otherwise, or merged by staff
    with another record) returns that report and uses no quota; requests are accepted only while
    the policy is in force (保单有效期内, from cover start to cover end, in Shanghai), and the refusal
    for an unissued policy speaks of credit reports, not losses."""
    assert time.strftime("%Z") == "UTC"
    _e, user, policy = f.loss_policy_holder(1)
    db.session.commit()
    login(client, user.email, f.PASSWORD)
    url = f"/api/v1/policies/{policy.id}/credit-reports"

    page = soup(_ask_on_the_web(client, "Acme Trading Co., Ltd.", "GB"))
    assert _remaining(page) == 2
    again = soup(_ask_on_the_web(client, "ACME TRADING LIMITED", "GB"))
    assert _remaining(again) == 2
    first = db.session.scalar(select(CreditReportRequest))
    assert first is not None
    flashed = again.select_one(".flash-info").get_text(strip=True)
    assert flashed == f"已申请过该买方的资信报告 #{first.id}（已申请，待出具），未占用免费次数，剩余 2 次"
    assert len(again.select("table.credit-requests tbody tr")) == 1
    full_width = api("POST", url, {"buyer_name": "ＡＣＭＥ　Ｔｒａｄｉｎｇ　Ｃｏｍｐａｎｙ", "buyer_country": "gb"})
    assert full_width.status_code == 200
    assert full_width.get_json() == {"request_id": first.id, "status": "requested", "remaining_free": 2}

    # the buyer is the one losses know: a loss reported under another name, merged by staff into
    # the buyer of the credit report, then a credit request under that other name finds the report
    loss = api(
        "POST",
        f"/api/v1/policies/{policy.id}/loss-reports",
        LOSS | {"buyer_name": "Acme Group Trading", "buyer_country": "GB"},
    )
    assert loss.status_code == 201
    staff = app.test_client()
    logged_in("insurer", "clerk@sinosure.test", on=staff)
    report_page = f"/staff/losses/{loss.get_json()['report_id']}"
    options = soup(staff.get(report_page)).select("form.merge-form select option")
    acme = next(o["value"] for o in options if "Acme Trading Co., Ltd." in o.get_text())
    assert int(acme) == first.buyer_party_id
    submit(staff, report_page, {"merge-party": acme}, form="form.merge-form")
    merged = api("POST", url, {"buyer_name": "ACME GROUP TRADING LTD", "buyer_country": "GB"})
    assert (merged.status_code, merged.get_json()["request_id"]) == (200, first.id)

    # three buyers; asking again about one of them still answers when the quota is used up
    for buyer, country, left in [("Rossi SpA", "IT", 1), ("Rossi Group Italia", "IT", 0)]:
        answer = api("POST", url, {"buyer_name": buyer, "buyer_country": country})
        assert (answer.status_code, answer.get_json()["remaining_free"]) == (201, left)
    rossi = api("POST", url, {"buyer_name": "ROSSI SPA", "buyer_country": "it"})
    assert (rossi.status_code, rossi.get_json()["remaining_free"]) == (200, 0)
    fourth = api("POST", url, {"buyer_name": "Fourth Buyer Ltd", "buyer_country": "US"})
    assert (fourth.status_code, fourth.get_json()["error"]["code"]) == (409, "quota_exhausted")
    assert db.session.scalar(select(db.func.count(CreditReportRequest.id))) == 3
    # the same buyer in another country is another buyer
    assert api("POST", url, {"buyer_name": "Acme Trading", "buyer_country": "US"}).status_code == 409

    # staff find on the credit-report queue that two of them are one buyer: a free report comes back
    group = db.session.scalar(select(CreditReportRequest).where(CreditReportRequest.buyer_name == "Rossi Group Italia"))
    assert group is not None
    queue, form = "/staff/credit-reports?status=all", f"#request-{group.id} form.merge-buyer-form"
    options = soup(staff.get(queue)).select(f"{form} option")
    rossi_spa = next(o["value"] for o in options if o.get_text(strip=True) == "Rossi SpA (IT)")
    done = soup(submit(staff, queue, {"party": rossi_spa}, form=form))
    assert done.select_one(".flash-success").get_text(strip=True) == f"申请 #{group.id} 的买方已并入 Rossi SpA"
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "credit_report.merge_buyer"))
    assert audit is not None and audit.summary == "Rossi Group Italia (IT) → Rossi SpA (IT)"
    same = api("POST", url, {"buyer_name": "ROSSI GROUP ITALIA", "buyer_country": "IT"})
    assert (same.status_code, same.get_json()["remaining_free"]) == (200, 1)
    fourth = api("POST", url, {"buyer_name": "Fourth Buyer Ltd", "buyer_country": "US"})
    assert (fourth.status_code, fourth.get_json()["remaining_free"]) == (201, 0)

    # an unissued policy: the refusal speaks of credit reports
    claimed = f.make_policy(f.confirmed_enterprise(2), f.programme(), status="claimed", claimed_at=now())
    db.session.commit()
    unissued = api("POST", f"/api/v1/policies/{claimed.id}/credit-reports", {"buyer_name": "X", "buyer_country": "US"})
    assert (unissued.status_code, unissued.get_json()["error"]) == (
        409,
        {"code": "policy_not_in_force", "message": "保单尚未签发，不能申请资信报告"},
    )
    english = api(
        "POST",
        f"/api/v1/policies/{claimed.id}/credit-reports",
        {"buyer_name": "X", "buyer_country": "US"},
        **{"Accept-Language": "en"},
    )
    message = english.get_json()["error"]["message"]
    assert "credit report" in message and "loss" not in message.lower()

    # in force from the first to the last day of cover, in Shanghai: 1 July 2024 begins at
    # 16:00 UTC on 30 June, and 30 June 2025 ends at 16:00 UTC on 30 June
    _e3, holder, early = f.loss_policy_holder(3, issued_at=datetime.fromisoformat("2024-06-20T10:00:00+08:00"))
    db.session.commit()
    other = app.test_client()
    login(other, holder.email, f.PASSWORD)
    freeze("2024-06-30T15:59:00+00:00")
    refused = _ask_on_the_web(other, "Müller GmbH", "DE")
    assert refused.status_code == 409
    problem = soup(refused).select_one(".error-summary .problem").get_text(strip=True)
    assert problem == "保单保险期限自 2024-07-01 开始，届时方可申请资信报告"
    freeze("2024-06-30T16:00:00+00:00")
    assert _remaining(soup(_ask_on_the_web(other, "Müller GmbH", "DE"))) == 2
    early_url = f"/api/v1/policies/{early.id}/credit-reports"
    freeze("2025-06-30T15:59:59+00:00")
    assert api("POST", early_url, {"buyer_name": "Schmidt AG", "buyer_country": "DE"}).status_code == 201
    freeze("2025-06-30T16:00:00+00:00")  # still 30 June in UTC, 1 July in Shanghai
    for buyer in ("Weber KG", "MÜLLER GMBH"):  # a new buyer, and one already reported on
        late = api("POST", early_url, {"buyer_name": buyer, "buyer_country": "DE"})
        assert (late.status_code, late.get_json()["error"]) == (
            409,
            {"code": "policy_not_in_force", "message": "保单保险期限已于 2025-06-30 结束，不能再申请资信报告"},
        )
    assert db.session.scalar(select(db.func.count(LossParty.id)).where(LossParty.policy_id == early.id)) == 2
    assert date(2025, 6, 30) == early.cover_end


def test_migration_0018_gives_existing_credit_requests_their_buyers(app, utc_process):
    """Migration 0018 keeps the requests made before it: each gets the buyer losses know under its
    policy (spellings and a buyer known by its registration number included), so the quota counts
    buyers from the start."""
    import flask_migrate

    from intranet.credit_reports import service as credit
    from intranet.extensions import ensure_migrate

    enterprise, _u, policy = f.loss_policy_holder(1)
    stranger = f.confirmed_enterprise(2)
    known = LossParty(
        policy_id=policy.id,
        kind="buyer",
        key="GB#UK01234567",
        name_key="GB:acmetrading",
        name="Acme Trading Co., Ltd.",
        country="GB",
        ident="UK01234567",
        created_at=now(),
    )
    db.session.add(known)
    for who, name, country, policy_id in [
        (enterprise, "ACME TRADING LIMITED", "GB", policy.id),
        (enterprise, "Rossi SpA", "IT", None),  # made before requests named their policy
        (enterprise, "ROSSI SPA", "IT", policy.id),
        (stranger, "Rossi SpA", "IT", None),  # no policy at all: a buyer of its own
    ]:
        f.make_credit_request(who, country, buyer=name).policy_id = policy_id  # type: ignore[attr-defined]
    db.session.commit()
    ids = {"known": known.id, "enterprise": enterprise.id, "stranger": stranger.id, "policy": policy.id}
    ensure_migrate(app)
    db.session.remove()
    flask_migrate.downgrade(revision="0017")
    flask_migrate.upgrade()

    rows = db.session.scalars(select(CreditReportRequest).order_by(CreditReportRequest.id)).all()
    assert rows[0].buyer_party_id == ids["known"]
    assert rows[1].buyer_party_id == rows[2].buyer_party_id not in (None, ids["known"])
    assert [r.policy_id for r in rows] == [ids["policy"]] * 3 + [None]
    assert rows[3].buyer_party_id is None
    rossi = db.session.get(LossParty, rows[1].buyer_party_id)
    assert (rossi.policy_id, rossi.kind, rossi.key, rossi.country) == (ids["policy"], "buyer", "IT:rossi", "IT")
    assert credit.quota(ids["enterprise"], f.programme()).used == 2
    assert credit.quota(ids["stranger"], f.programme()).used == 1


def test_rule_8_monthly_notices_through_the_single_window_and_from_the_first_day_of_cover(
    app, client, runner, freeze, sinks, tmp_path, utc_process
):
    """Notice: "通过中国(深圳)国际贸易单一窗口按月定期推送国别风险信息、海外市场信息、风险提示信息等" — the
    single window takes the published notices from the API's feed (month, category, countries,
    title, Markdown body, link), and a policyholder whose cover starts on 1 July ("2024 年 7 月 1 日-
    2025 年 6 月 30 日") gets the month's notices from its first day, once, even when its policy is
    issued after that month's notices went out."""
    from intranet.outbox.models import OutboxMessage
    from notifier.scheduler import MONTHLY_AGAIN, build_scheduler

    from .notifier_sinks import tick

    assert time.strftime("%Z") == "UTC"
    smtp, _sms = sinks
    early, _p = f.policy_holder(1, email="early@exporter.test", mobile=None)
    late = f.confirmed_enterprise(2, email="late@exporter.test", mobile=None)
    claimed = f.make_policy(late, f.programme(), claimed_at=datetime.fromisoformat("2024-06-28T10:00:00+08:00"))
    june = f.make_notice("六月市场信息", month="2024-06", category="market_info", published_at=_at("2024-05-31T09:00"))
    f.make_notice("草稿", month="2024-07", status="draft")
    f.make_notice("已归档", month="2024-07", status="archived", published_at=_at("2024-06-20T09:00"))
    db.session.commit()
    # published by the insurer from a Markdown file at 00:30 on 1 July in Shanghai (30 June in UTC)
    freeze("2024-06-30T16:30:00+00:00")
    markdown = tmp_path / "july.md"
    markdown.write_text("# 7月国别风险：红海航运\n\n## 航运\n\n**绕行**好望角，运费上涨。\n", encoding="utf-8")
    published = runner.invoke(args=["notice", "publish", str(markdown), "--month", "2024-07", "--countries", "ye,EG"])
    assert published.exit_code == 0, published.output

    # the single window's feed: a token that may read notices, nothing else
    reader = runner.invoke(args=["token", "create", "--name", "单一窗口", "--scope", "notices:read"])
    headers = {"Authorization": f"Bearer {reader.stdout.strip().splitlines()[-1]}"}
    feed = client.get("/api/v1/notices", headers=headers)
    assert feed.status_code == 200
    notices = feed.get_json()["notices"]
    assert [n["title"] for n in notices] == ["7月国别风险：红海航运", "六月市场信息"]  # newest first
    july_id = notices[0]["id"]
    assert notices[0] == {
        "id": july_id,
        "month": "2024-07",
        "category": "country_risk",
        "countries": ["YE", "EG"],
        "title": "7月国别风险：红海航运",
        "body_markdown": "## 航运\n\n**绕行**好望角，运费上涨。",
        "url": f"http://tongbao.test/portal/notices/{july_id}",
        "published_at": "2024-07-01T00:30:00+08:00",
    }
    assert notices[1]["id"] == june.id and notices[1]["category"] == "market_info"  # type: ignore[attr-defined]
    # `since` is a day in Shanghai: 1 July includes what was published at 00:30 that day
    since = client.get("/api/v1/notices?since=2024-07-01", headers=headers).get_json()["notices"]
    assert [n["id"] for n in since] == [july_id]
    assert client.get("/api/v1/notices?since=2024-07-02", headers=headers).get_json() == {"notices": []}
    for bad in ("2024-7-1", "2024-02-30", "", "yesterday"):
        answer = client.get("/api/v1/notices", query_string={"since": bad}, headers=headers)
        assert (answer.status_code, answer.get_json()["error"]["code"]) == (400, "invalid_since"), bad
    claimer = runner.invoke(args=["token", "create", "--name", "x", "--scope", "policies:claim"])
    refused = client.get("/api/v1/notices", headers={"Authorization": f"Bearer {claimer.stdout.strip().split()[-1]}"})
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (403, "scope")
    assert client.get("/api/v1/notices").status_code == 401
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["paths"]["/api/v1/notices"]["get"]["operationId"] == "listNotices"

    # 1 July, 10:00: the month's notice goes to the policy in force; the claim is not issued yet
    tick(runner, "2024-07-01T10:00:00+08:00")
    assert len(smtp.to("early@exporter.test")) == 1 and smtp.to("late@exporter.test") == []
    # issued at 14:05 on 1 July, cover from 1 July (claimed before the deadline)
    freeze("2024-07-01T06:05:00+00:00")
    assert runner.invoke(args=["policy", "issue", str(claimed.id)]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(type(claimed), claimed.id).cover_start == date(2024, 7, 1)

    # the notifier's schedule runs the monthly job again within the quarter hour, still on 1 July
    job = {j.id: j for j in build_scheduler(app, catch_up=False).get_jobs()}[MONTHLY_AGAIN]
    fire = job.trigger.get_next_fire_time(None, datetime.fromisoformat("2024-07-01T14:05:00+08:00"))
    assert fire == datetime.fromisoformat("2024-07-01T14:15:00+08:00")
    freeze(fire)
    job.func()
    db.session.commit()
    to_late = select(OutboxMessage).where(OutboxMessage.enterprise_id == late.id, OutboxMessage.job == "notice")
    assert [m.dedupe_key for m in db.session.scalars(to_late)] == [f"notice:{july_id}:{late.id}:email"]
    tick(runner, fire)

    def notices_to(address: str) -> list:  # type: ignore[type-arg]  # the policy's own mails (issue 14) aside
        return [m for m in smtp.to(address) if "国别风险" in m.subject]

    (message,) = notices_to("late@exporter.test")
    assert "7月国别风险：红海航运" in message.subject
    # once: later runs that month send it to nobody again
    for moment in ("2024-07-01T23:45:00+08:00", "2024-07-15T10:00:00+08:00"):
        freeze(moment)
        job.func()
        tick(runner, moment)
    assert len(notices_to("late@exporter.test")) == 1 and len(notices_to("early@exporter.test")) == 1


def _at(shanghai_time: str) -> datetime:
    return datetime.fromisoformat(f"{shanghai_time}:00+08:00")
