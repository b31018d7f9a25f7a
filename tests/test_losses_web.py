"""Loss reports through the real pages: preview with the estimate, submit, the insurer's workflow,
the enterprise told of each decision, and no enterprise seeing another's reports."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from intranet.audit.models import AuditLog
from intranet.extensions import db
from intranet.losses.models import LossReport
from intranet.outbox.models import OutboxMessage

from . import factories as f
from .helpers import login, soup, submit, submit_confirmed, text_of

NOW = "2024-11-15T10:00:00+08:00"


def report_form(policy, *, buyer="Acme Trading Co., Ltd.", country="US", rows=None, due="2024-10-30", cause=None):
    rows = rows or [("INV-1", "150,000.00", "2024-08-01"), ("INV-2", "80000", "2024-08-20")]
    data = {
        "policy_id": str(policy.id),
        "buyer_name": buyer,
        "buyer_country": country,
        "cause": cause or "buyer_default",
        "due_date": due,
    }
    for i in range(3):
        no, amount, day = rows[i] if i < len(rows) else ("", "", "")
        data |= {f"invoices-{i}-invoice_no": no, f"invoices-{i}-amount": amount, f"invoices-{i}-shipment_date": day}
    return data


def preview(client, policy, **kwargs):
    return submit(
        client, "/portal/losses/new", report_form(policy, **kwargs) | {"action": "preview"}, form="#loss-form"
    )


def confirm(client, page, files=None):
    """Step 2: post the confirm form (hidden step-1 answers) with documents."""
    form = page.select_one("#confirm-form")
    data = {el["name"]: el.get("value", "") for el in form.select("input[type=hidden]")}
    data["action"] = "submit"
    if files:
        data["attachments"] = files
    return client.post(form["action"], data=data, content_type="multipart/form-data", follow_redirects=True)


def test_case_1_preview_shows_the_arithmetic_then_submit_and_pay_150000(client, freeze, app, logged_in):
    freeze(NOW)
    enterprise, user, policy = f.loss_policy_holder(1)
    db.session.commit()
    login(client, user.email, f.PASSWORD)

    new = soup(client.get("/portal/losses/new"))
    groups = [g["label"] for g in new.select("#cause optgroup")]
    assert groups == ["商业风险", "政治风险", "其他风险（以正式保单约定为准）"]
    assert new.select_one("#buyer_country option[value=US]").get_text().startswith("美国")

    page = soup(preview(client, policy))
    assert page.select_one(".coverage-verdict")["data-covered"] == "true"
    ratio = page.select_one(".arithmetic .row-ratio td").get_text(" ", strip=True)
    assert ratio == "80 % × 230,000.00 = 184,000.00"
    remaining = page.select_one(".arithmetic .row-remaining td").get_text(" ", strip=True)
    assert remaining.endswith("= 150,000.00")
    assert page.select_one(".indemnity").get_text(strip=True) == "USD 150,000.00"
    assert db.session.scalar(select(LossReport.id)) is None  # nothing written by the preview

    detail = soup(confirm(client, page))
    assert detail.select_one(".loss-status")["data-status"] == "reported"
    row = db.session.scalar(select(LossReport))
    assert row.estimate_usd == Decimal("150000.00") and row.invoice_total_usd == Decimal("230000.00")
    assert row.enterprise_id == enterprise.id and row.covered

    staff = app.test_client()
    logged_in("insurer", "clerk@sinosure.test", on=staff)
    queue = soup(staff.get("/staff/losses"))
    assert [a.get_text(strip=True) for a in queue.select("table.loss-queue a")] == [f"#{row.id}"]
    submit(staff, f"/staff/losses/{row.id}", form=f"form[action='/staff/losses/{row.id}/accept']")
    pay = {"decide-decision": "pay"}
    decided = soup(submit_confirmed(staff, f"/staff/losses/{row.id}", pay, form="form.decide-form"))
    assert decided.select_one(".paid-amount").get_text(strip=True) == "USD 150,000.00"

    db.session.expire_all()
    row = db.session.get(LossReport, row.id)
    assert row.status == "paid" and row.paid_usd == Decimal("150000.00")
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "loss_reports")).all()
    assert {"loss.report", "loss.accept", "loss.paid"} <= set(actions)
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.job == "loss")).all()
    assert sorted((m.channel, m.data["decision"]) for m in messages) == [
        ("email", "accepted"),
        ("email", "paid"),
        ("sms", "accepted"),
        ("sms", "paid"),
    ]
    paid_mail = next(m for m in messages if m.channel == "email" and m.data["decision"] == "paid")
    assert "150,000.00" in paid_mail.body_text and paid_mail.recipient == enterprise.email

    mine = soup(client.get(f"/portal/losses/{row.id}"))
    assert mine.select_one(".paid-amount").get_text(strip=True) == "USD 150,000.00"


def test_second_loss_on_the_same_buyer_gets_only_the_rest_of_the_limit(client, freeze):
    freeze(NOW)
    _e, user, policy = f.loss_policy_holder(2)
    db.session.commit()
    login(client, user.email, f.PASSWORD)
    first = soup(preview(client, policy, rows=[("A-1", "125000", "2024-07-15")]))
    assert first.select_one(".indemnity").get_text(strip=True) == "USD 100,000.00"
    confirm(client, first)
    report = db.session.scalar(select(LossReport))
    from intranet.actors import cli_actor
    from intranet.clock import now
    from intranet.losses import workflow

    workflow.decide(cli_actor(), report.id, pay=True, reason=None, now=now())
    assert db.session.get(LossReport, report.id).paid_usd == Decimal("100000.00")

    second = soup(
        preview(client, policy, buyer="ＡＣＭＥ ｔｒａｄｉｎｇ co ltd", rows=[("B-1", "90000.00", "2024-09-01")])
    )
    assert second.select_one(".arithmetic .row-ratio td").get_text(" ", strip=True) == "80 % × 90,000.00 = 72,000.00"
    assert second.select_one(".arithmetic .row-remaining td").get_text(" ", strip=True) == (
        "150,000.00 − 100,000.00 = 50,000.00"
    )
    assert second.select_one(".indemnity").get_text(strip=True) == "USD 50,000.00"
    confirm(client, second)
    other = db.session.scalar(select(LossReport).where(LossReport.id != report.id))
    assert other.buyer_key == report.buyer_key
    workflow.decide(cli_actor(), other.id, pay=True, reason=None, now=now())
    assert db.session.get(LossReport, other.id).paid_usd == Decimal("50000.00")


def test_payment_is_recomputed_against_the_limit_at_decision_time(client, freeze):
    """Two open reports on one buyer, both estimated at the full limit: the second one paid gets 0
    left and cannot be paid (decline instead)."""
    freeze(NOW)
    _e, user, policy = f.loss_policy_holder(3)
    db.session.commit()
    login(client, user.email, f.PASSWORD)
    for rows in ([("A", "200000", "2024-07-15")], [("B", "200000", "2024-08-15")]):
        confirm(client, soup(preview(client, policy, rows=rows)))
    first, second = db.session.scalars(select(LossReport).order_by(LossReport.id)).all()
    assert first.estimate_usd == second.estimate_usd == Decimal("150000.00")
    from intranet.actors import cli_actor
    from intranet.clock import now
    from intranet.errors import Refused
    from intranet.losses import workflow

    workflow.decide(cli_actor(), first.id, pay=True, reason=None, now=now())
    with pytest.raises(Refused) as refused:
        workflow.decide(cli_actor(), second.id, pay=True, reason=None, now=now())
    assert refused.value.code == "nothing_to_pay"
    assert db.session.get(LossReport, second.id).status == "reported"


def test_shipment_before_cover_start_is_not_covered_but_still_recorded(client, freeze):
    freeze(NOW)
    _e, user, policy = f.loss_policy_holder(4)
    db.session.commit()
    login(client, user.email, f.PASSWORD)
    page = soup(preview(client, policy, rows=[("INV-1", "50000", "2024-06-20")], due="2024-09-20"))
    assert page.select_one(".coverage-verdict")["data-covered"] == "false"
    reasons = [li.get_text(strip=True) for li in page.select(".coverage-reasons li")]
    assert reasons == ["发票 INV-1 出运日 2024-06-20 早于保险起期 2024-07-01"]
    assert page.select_one(".indemnity").get_text(strip=True) == "USD 0.00"
    detail = soup(confirm(client, page))
    assert "早于保险起期" in detail.select_one(".coverage-reasons").get_text()
    row = db.session.scalar(select(LossReport))
    assert row.covered is False and row.estimate_usd == Decimal("0.00")
    client.get("/lang/en?next=/portal/losses")  # the kept reason is worded in the reader's language
    english = soup(client.get(f"/portal/losses/{row.id}")).select_one(".coverage-reasons").get_text(strip=True)
    assert english == "invoice INV-1: shipment on 2024-06-20 is before the cover start 2024-07-01"


def test_excluded_country_is_not_covered(client, freeze, runner):
    freeze(NOW)
    assert runner.invoke(args=["programme", "exclude", "2024", "IR"]).exit_code == 0
    _e, user, policy = f.loss_policy_holder(5)
    db.session.commit()
    login(client, user.email, f.PASSWORD)
    page = soup(preview(client, policy, country="IR", rows=[("T-1", "1000", "2024-08-01")]))
    reasons = page.select_one(".coverage-reasons").get_text(" ", strip=True)
    assert "属不予承保国别" in reasons and "IR" in reasons
    assert page.select_one(".indemnity").get_text(strip=True) == "USD 0.00"


def test_form_errors_are_tied_to_fields_and_nothing_is_saved(client, freeze):
    freeze(NOW)
    _e, user, policy = f.loss_policy_holder(6)
    db.session.commit()
    login(client, user.email, f.PASSWORD)
    response = preview(client, policy, rows=[("X", "12.345", "2024-08-01")], buyer="")
    page = soup(response)
    assert response.status_code == 422
    assert page.select_one("#buyer_name")["aria-invalid"] == "true"
    assert page.select_one("#invoices-0-amount")["aria-invalid"] == "true"
    future = soup(preview(client, policy, rows=[("X", "100", "2024-12-01")], due="2024-12-30"))
    assert "晚于今天" in future.select_one(".error-summary").get_text()
    assert db.session.scalar(select(LossReport.id)) is None


def test_enterprise_without_an_issued_policy_cannot_report(client, freeze):
    freeze(NOW)
    enterprise = f.confirmed_enterprise(7)
    user = f.make_user("enterprise", "nopolicy@exporter.test", enterprise=enterprise)
    db.session.commit()
    login(client, user.email, f.PASSWORD)
    page = soup(client.get("/portal/losses/new"))
    assert page.select_one("#loss-form") is None
    assert "还没有已签发的保单" in text_of(client.get("/portal/losses"))


def test_document_request_answered_by_the_enterprise_then_declined(client, freeze, app, logged_in):
    freeze(NOW)
    enterprise, user, policy = f.loss_policy_holder(8)
    db.session.commit()
    login(client, user.email, f.PASSWORD)
    confirm(client, soup(preview(client, policy)))
    row = db.session.scalar(select(LossReport))
    staff = app.test_client()
    logged_in("insurer", "clerk@sinosure.test", on=staff)
    submit(staff, f"/staff/losses/{row.id}", form=f"form[action='/staff/losses/{row.id}/accept']")
    submit(
        staff,
        f"/staff/losses/{row.id}",
        {"note-text": "电话联系买方，确认拖欠"},
        form=f"form[action='/staff/losses/{row.id}/note']",
    )
    submit(
        staff,
        f"/staff/losses/{row.id}",
        {"docs-text": "请提供提单和催收邮件"},
        form=f"form[action='/staff/losses/{row.id}/request-documents']",
    )
    page = soup(client.get(f"/portal/losses/{row.id}"))
    assert "请提供提单和催收邮件" in page.select_one(".document-request").get_text()
    assert "电话联系买方" not in page.get_text()  # investigation notes stay internal
    response = client.post(
        f"/portal/losses/{row.id}/answer",
        data={
            "csrf_token": page.select_one(".document-request input[name=csrf_token]")["value"],
            "text": "附提单",
            "attachments": [(_png(), "bill.png")],
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    after = soup(response)
    assert after.select_one(".document-request") is None
    assert [a.get_text() for a in after.select(".event-doc_answer .attachments a")] == ["bill.png"]
    staff = app.test_client()
    login(staff, "clerk@sinosure.test", f.PASSWORD)
    bad = soup(submit(staff, f"/staff/losses/{row.id}", {"decide-decision": "decline"}, form="form.decide-form"))
    assert "拒赔须填写理由" in bad.select_one(".flash-error").get_text()
    submit(
        staff,
        f"/staff/losses/{row.id}",
        {"decide-decision": "decline", "decide-text": "买方已付款"},
        form="form.decide-form",
    )
    mine = soup(client.get(f"/portal/losses/{row.id}"))
    assert mine.select_one(".loss-status")["data-status"] == "declined"
    assert "买方已付款" in mine.select_one(".decision-text").get_text()
    kinds = db.session.scalars(select(OutboxMessage.template).where(OutboxMessage.enterprise_id == enterprise.id))
    assert sorted(set(kinds)) == ["loss_decision", "loss_documents"]


def test_an_enterprise_cannot_see_another_enterprises_losses(client, freeze, app):
    freeze(NOW)
    _a, owner, policy = f.loss_policy_holder(9)
    _b, other, _pb = f.loss_policy_holder(10)
    db.session.commit()
    login(client, owner.email, f.PASSWORD)
    confirm(client, soup(preview(client, policy)), files=[(_png(), "invoice.png")])
    row = db.session.scalar(select(LossReport))
    attachment_link = soup(client.get(f"/portal/losses/{row.id}")).select_one(".attachments a")["href"]
    assert client.get(attachment_link).status_code == 200
    client = app.test_client()
    login(client, other.email, f.PASSWORD)
    assert client.get(f"/portal/losses/{row.id}").status_code == 404
    assert client.get(attachment_link).status_code == 404
    assert soup(client.get("/portal/losses")).select("table.loss-list a") == []
    # reporting under someone else's policy is refused as if it did not exist
    page = soup(client.get("/portal/losses/new"))
    data = {el["name"]: el.get("value", "") for el in page.select("#loss-form input")}
    data |= report_form(policy) | {"action": "preview"}
    assert client.post("/portal/losses/new", data=data).status_code == 422  # not one of its choices
    assert client.get("/staff/losses").status_code == 403


def _png() -> object:
    import io

    return io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)


def test_pages_switch_to_english(client, freeze):
    freeze(NOW)
    _e, user, policy = f.loss_policy_holder(11)
    db.session.commit()
    login(client, user.email, f.PASSWORD)
    client.get("/lang/en?next=/portal/losses")
    page = soup(client.get("/portal/losses/new"))
    assert page.select_one("h1").get_text(strip=True) == "Report a loss"
    assert [g["label"] for g in page.select("#cause optgroup")] == [
        "Commercial risks",
        "Political risks",
        "Other risks (as the formal policy states)",
    ]
    assert page.select_one("#buyer_country option[value=US]").get_text() == "United States (US)"
    nav = [a.get_text(strip=True) for a in page.select("nav.main-nav a")]
    assert "Losses & claims" in nav and "Credit reports" in nav
    preview_page = soup(preview(client, policy))
    assert preview_page.select_one(".arithmetic .row-indemnity th").get_text(strip=True) == "Estimated indemnity"
