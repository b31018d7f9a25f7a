"""Insurer pages: the issuance queue (oldest first, overdue highlighted), issue one or all, revoke."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from intranet.audit.models import AuditLog
from intranet.extensions import db
from intranet.policies.models import Policy

from . import factories as f
from .helpers import login, soup, submit, submit_confirmed, text_of

NOW = "2024-07-20T10:00:00+08:00"


def _queue_of_three(freeze):
    moment = freeze(NOW)
    prog = f.programme()
    made = {}
    # waiting 10 days (more than the 7-day lag), exactly 7 days (not more), 1 day; and one issued
    for n, days in ((1, 10), (2, 7), (3, 1)):
        made[days] = f.make_policy(
            f.confirmed_enterprise(n), prog, claimed_at=moment - timedelta(days=days), on_time=False
        )
    f.make_policy(
        f.confirmed_enterprise(4),
        prog,
        status="issued",
        claimed_at=moment - timedelta(days=30),
        policy_no="TB2024-SZ-000001",
        issue_date=date(2024, 6, 25),
    )
    db.session.commit()
    return made


def test_queue_lists_claims_oldest_first_and_highlights_those_past_the_lag(client, freeze):
    made = _queue_of_three(freeze)
    f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    login(client, "clerk@sinosure.test", f.PASSWORD)
    page = soup(client.get("/staff/policies/queue"))
    rows = page.select("table.queue tbody tr[data-policy-id]")
    assert [int(r["data-policy-id"]) for r in rows] == [made[10].id, made[7].id, made[1].id]
    assert [r.select_one("td.days").get_text(" ", strip=True).split()[0] for r in rows] == ["10", "7", "1"]
    assert ["overdue" in (r.get("class") or []) for r in rows] == [True, False, False]
    assert "其中 1 份已超过签发时限" in page.select_one(".queue-summary").get_text(" ", strip=True)


def test_the_lag_is_read_from_the_programme(client, freeze):
    made = _queue_of_three(freeze)
    f.programme().issuance_lag_days = 5
    f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    login(client, "clerk@sinosure.test", f.PASSWORD)
    rows = soup(client.get("/staff/policies/queue")).select("table.queue tbody tr.overdue")
    assert [int(r["data-policy-id"]) for r in rows] == [made[10].id, made[7].id]


def test_issue_one_from_the_queue_then_all(client, freeze):
    made = _queue_of_three(freeze)
    f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    login(client, "clerk@sinosure.test", f.PASSWORD)
    page = submit(client, "/staff/policies/queue", form=f"tr[data-policy-id='{made[10].id}'] form")
    assert "已签发保单 TB2024-SZ-000002" in text_of(page)
    first = db.session.get(Policy, made[10].id)
    assert (first.status, first.issue_date, first.cover_start) == ("issued", date(2024, 7, 20), date(2024, 7, 20))
    remaining = soup(client.get("/staff/policies/queue")).select("table.queue tbody tr[data-policy-id]")
    assert [int(r["data-policy-id"]) for r in remaining] == [made[7].id, made[1].id]

    page = soup(submit_confirmed(client, "/staff/policies/queue", form="form.issue-all"))
    status = page.select_one(".issue-progress [role=status]")
    assert status is not None and "共 2 份，已处理 2 份" in status.get_text(" ", strip=True)
    assert page.select_one(".issue-progress .js-finished") is not None
    numbers = [db.session.get(Policy, made[d].id).policy_no for d in (7, 1)]
    assert numbers == ["TB2024-SZ-000003", "TB2024-SZ-000004"]
    assert "没有待签发的保单" in text_of(client.get("/staff/policies/queue"))
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.action.startswith("policy."))).all()
    assert actions.count("policy.issue") == 3 and "policy.issue_all" in actions


def test_bureau_reads_the_queue_but_cannot_issue(client, freeze):
    made = _queue_of_three(freeze)
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    login(client, "officer@bureau.test", f.PASSWORD)
    page = soup(client.get("/staff/policies/queue"))
    assert len(page.select("table.queue tbody tr[data-policy-id]")) == 3
    assert page.select("table.queue form") == []
    token = page.select_one("input[name=csrf_token]")
    data = {"csrf_token": token["value"]} if token else {}
    assert client.post(f"/staff/policies/{made[10].id}/issue", data=data).status_code == 403
    assert db.session.get(Policy, made[10].id).status == "claimed"


def test_enterprises_cannot_open_staff_policy_pages(client, freeze):
    made = _queue_of_three(freeze)
    enterprise = db.session.get(Policy, made[1].id).enterprise
    f.make_user("enterprise", "boss@exporter.test", enterprise=enterprise)
    db.session.commit()
    login(client, enterprise.uscc, f.PASSWORD)
    for path in ("/staff/policies/queue", "/staff/policies/", f"/staff/policies/{made[1].id}"):
        assert client.get(path).status_code == 403


def test_revoke_with_a_reason(client, freeze):
    freeze("2024-08-01T10:00:00+08:00")
    policy = f.make_policy(
        f.confirmed_enterprise(1),
        f.programme(),
        status="issued",
        claimed_at=datetime.fromisoformat("2024-06-01T10:00:00+08:00"),
        policy_no="TB2024-SZ-000001",
        verify_code="ACDEFGHJKMNPQRTWXY",
        issue_date=date(2024, 7, 1),
        cover_start=date(2024, 7, 1),
        cover_end=date(2025, 6, 30),
    )
    clerk = f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    login(client, "clerk@sinosure.test", f.PASSWORD)
    empty = submit(client, f"/staff/policies/{policy.id}", {"reason": " "}, form="form.revoke-form")
    assert empty.status_code == 422
    field = soup(empty).select_one("#reason")
    assert field["aria-invalid"] == "true"
    assert db.session.get(Policy, policy.id).status == "issued"

    page = submit(client, f"/staff/policies/{policy.id}", {"reason": "逾期异议经复核成立"}, form="form.revoke-form")
    assert page.status_code == 200
    assert soup(page).select_one(".revoked-reason").get_text(strip=True) == "逾期异议经复核成立"
    assert soup(page).select_one("h1 .policy-status").get_text(strip=True) == "已撤销"
    row = db.session.get(Policy, policy.id)
    assert (row.status, row.version, row.revoked_by) == ("revoked", 2, clerk.id)
    assert soup(page).select_one("form.revoke-form") is None
    audit_row = db.session.scalar(select(AuditLog).where(AuditLog.action == "policy.revoke"))
    assert audit_row.actor_user_id == clerk.id


def test_policy_list_filters_by_status_and_search(client, freeze):
    _queue_of_three(freeze)
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    login(client, "officer@bureau.test", f.PASSWORD)
    page = soup(client.get("/staff/policies/?status=issued"))
    assert [a.get_text(strip=True) for a in page.select("table.policies tbody td a")] == ["TB2024-SZ-000001"]
    found = soup(client.get("/staff/policies/?q=测试2号"))
    assert len(found.select("table.policies tbody tr[data-policy-id]")) == 1


def test_odd_query_arguments_are_ignored_not_errors(client, freeze):
    _queue_of_three(freeze)
    f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    login(client, "clerk@sinosure.test", f.PASSWORD)
    assert client.get("/staff/policies/?q=" + "x" * 500).status_code == 200
    for query in ("year=99999999999999999999", "year=abc", "status=nonsense", "page=-5"):
        page = client.get(f"/staff/policies/?{query}")
        assert page.status_code == 200, query
        assert len(soup(page).select("table.policies tbody tr[data-policy-id]")) == 4, query
    assert client.get("/staff/policies/99999999999999999999").status_code == 404
