"""Monthly risk notices: every enterprise holding a policy in force gets each notice published for
the month (email in full, SMS title + link), countries first to those that named a buyer there,
and the one-click opt-out link stops the notices but never the deadline reminders."""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import select

from intranet.clock import SHANGHAI
from intranet.enterprises.models import Enterprise
from intranet.extensions import db
from intranet.outbox.segments import sms_segments

from . import factories as f
from .helpers import follows_to, soup, submit
from .notifier_sinks import tick


def test_notice_goes_to_policies_in_force_email_in_full_and_sms_as_title_and_link(app, runner, sinks):
    smtp, sms = sinks
    holder, _ = f.policy_holder(1, email="holder@exporter.test", mobile="13800000001")
    revoked, policy = f.policy_holder(2, email="revoked@exporter.test", mobile="13800000002")
    policy.status, policy.revoked_at = "revoked", datetime(2024, 7, 20, tzinfo=SHANGHAI)
    f.confirmed_enterprise(3, email="unclaimed@exporter.test")
    notice = f.make_notice(
        "8月国别风险：红海航运",
        month="2024-08",
        body_md="## 航运\n\n**绕行**好望角。<script>alert(1)</script>\n\n- 运费上涨",
    )
    f.make_notice("草稿不发", month="2024-08", status="draft")
    f.make_notice("九月的", month="2024-09")
    db.session.commit()

    assert tick(runner, "2024-08-01T09:59:00+08:00")["jobs"]["notices.monthly"] == 0
    summary = tick(runner, "2024-08-01T10:00:00+08:00")
    assert summary["jobs"]["notices.monthly"] == 2
    assert [r.to for r in smtp.received] == [["holder@exporter.test"]]
    email = smtp.received[0].message()
    assert "8月国别风险：红海航运" in email["Subject"]
    html = soup_of(email.get_body(preferencelist=("html",)).get_content())
    assert html.select_one("h2").get_text() == "航运"
    assert html.select_one("strong").get_text() == "绕行"
    assert html.select_one("script") is None
    assert [r["to"] for r in sms.received] == ["13800000001"]
    text = sms.received[0]["text"]
    assert "8月国别风险：红海航运" in text and follows_to(text) == f"/portal/notices/{notice.id}"
    assert sms_segments(text) == 1
    assert "航运" not in text.replace("红海航运", "")  # the title and a link, not the body
    assert tick(runner, "2024-08-15T10:00:00+08:00")["jobs"]["notices.monthly"] == 0  # once


def soup_of(html: str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")


def test_country_notice_goes_first_to_enterprises_with_a_buyer_there(app, runner, sinks):
    smtp, _ = sinks
    plain, _ = f.policy_holder(1, email="plain@exporter.test", mobile=None)
    by_loss, loss_policy = f.policy_holder(2, email="loss-ru@exporter.test", mobile=None)
    f.make_loss(loss_policy, country="RU")
    other_country, other_policy = f.policy_holder(3, email="loss-us@exporter.test", mobile=None)
    f.make_loss(other_policy, country="US")
    by_credit, _ = f.policy_holder(4, email="credit-ru@exporter.test", mobile=None)
    f.make_credit_request(by_credit, "RU")
    also_plain, _ = f.policy_holder(5, email="plain2@exporter.test", mobile=None)
    f.make_notice("俄罗斯支付风险提示", month="2024-09", countries=["RU"], category="risk_alert")
    db.session.commit()
    tick(runner, "2024-09-01T10:00:00+08:00")
    order = [r.to[0] for r in smtp.received]
    assert len(order) == 5
    assert set(order[:2]) == {"loss-ru@exporter.test", "credit-ru@exporter.test"}
    assert set(order[2:]) == {"plain@exporter.test", "loss-us@exporter.test", "plain2@exporter.test"}


def test_opted_out_enterprise_gets_no_notice_but_still_its_deadline_reminder(app, runner, sinks, client):
    smtp, sms = sinks
    # holds the 2024 policy (in force until 2025-06-30) and is on the 2025 roster, not yet claimed
    holder, _ = f.policy_holder(1, email="holder@exporter.test", mobile="13800000001")
    other, _ = f.policy_holder(2, email="other@exporter.test", mobile="13800000002")
    prog25 = f.make_programme(2025)
    roster25 = f.make_roster(
        prog25, status="confirmed", notice_start=date(2025, 5, 10), notice_end=date(2025, 5, 16), confirmed_at=None
    )
    f.add_entry(roster25, holder)
    f.make_notice("五月风险信息", month="2025-05")
    f.make_notice("六月风险信息", month="2025-06")
    db.session.commit()

    tick(runner, "2025-05-01T10:00:00+08:00")
    may = smtp.to("holder@exporter.test")[0].message()
    assert may["List-Unsubscribe"]
    link = soup_of(may.get_body(preferencelist=("html",)).get_content()).find("a", string=re.compile("退订"))
    path = link["href"].removeprefix("http://tongbao.test")
    assert may["List-Unsubscribe"].strip() == f"<{link['href']}>"

    page = soup(submit(client, path, form="form.opt-out-form"))
    assert page.select_one(".opted-out") is not None
    db.session.expire_all()
    assert db.session.get(Enterprise, holder.id).monthly_notices is False
    assert db.session.get(Enterprise, other.id).monthly_notices is True

    before = len(smtp.to("holder@exporter.test")), len(sms.to("13800000001"))
    tick(runner, "2025-06-01T10:00:00+08:00")
    assert (len(smtp.to("holder@exporter.test")), len(sms.to("13800000001"))) == before
    assert any("六月风险信息" in r.subject for r in smtp.to("other@exporter.test"))

    tick(runner, "2025-06-23T09:30:00+08:00")  # 7 days before the 2025 deadline
    reminders = [r for r in smtp.to("holder@exporter.test") if "2025" in r.subject and "7天" in r.subject]
    assert len(reminders) == 1
    assert len(sms.to("13800000001")) == before[1] + 1


def test_a_forged_opt_out_link_is_not_found(client, app):
    enterprise, _ = f.policy_holder(1)
    db.session.commit()
    from intranet.enterprises.preferences import opt_out_token

    token = opt_out_token(enterprise.id)
    assert client.get(f"/notifications/opt-out/{token}").status_code == 200
    assert client.get(f"/notifications/opt-out/{token[:-2]}xx").status_code == 404
    assert client.post(f"/notifications/opt-out/{token[:-2]}xx").status_code == 404
    # the one-click POST of RFC 8058 (no form, no CSRF token) works with a genuine token
    assert client.post(f"/notifications/opt-out/{token}", data={"List-Unsubscribe": "One-Click"}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Enterprise.monthly_notices).where(Enterprise.id == enterprise.id)) is False
