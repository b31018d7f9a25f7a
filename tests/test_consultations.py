"""线上咨询: an enterprise asks, its district's account managers get an e-mail and see it on their
worklist, the insurer answers from the desk, the enterprise is told and reads the thread; no
enterprise sees another's; 2 working days unanswered alerts the insurer once; the bureau sees
counts only; attachments are checked like loss documents, against their own size limit."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from sqlalchemy import func, select

from intranet.actors import NOTIFIER
from intranet.audit.models import AuditLog
from intranet.clock import SHANGHAI
from intranet.consultations import service
from intranet.consultations.models import Consultation
from intranet.consultations.overdue import alert_overdue
from intranet.errors import Forbidden
from intranet.extensions import db
from intranet.outbox.models import OutboxMessage
from intranet.storage import service as storage
from intranet.storage.models import StoredFile
from intranet.workdays.service import WorkCalendar

from . import factories as f
from .helpers import follows_to, login, soup, submit, text_of
from .notifier_sinks import tick

FRIDAY = "2024-09-06T10:00:00+08:00"  # a Friday in Shanghai
QUESTION = "货物已出运，买方迟迟不付款，应在何时报损？"
ANSWER = "请在应付款日后尽快报损，并附上合同与发票。"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


def setup_people(n: int = 1, district: str = "南山区"):
    """An enterprise of `district` with a login, its managers with e-mail addresses, insurer and
    bureau staff."""
    enterprise = f.confirmed_enterprise(n, district_name=district)
    user = f.make_user("enterprise", f"owner{n}@exporter.test", enterprise=enterprise)
    for m in f.district(district).managers:
        m.email = f"manager{m.id}@sinosure.test"
    return enterprise, user


def staff_logins(app):
    f.make_user("insurer", "clerk@sinosure.test")
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    insurer, bureau = app.test_client(), app.test_client()
    login(insurer, "clerk@sinosure.test", f.PASSWORD)
    login(bureau, "officer@bureau.test", f.PASSWORD)
    return insurer, bureau


def ask(client, text: str = QUESTION, topic: str = "loss", **extra):
    data = {"topic": topic, "text": text, **extra}
    kwargs = {"content_type": "multipart/form-data"} if "attachment" in extra else {}
    return submit(client, "/portal/consultations", data, form="form.consultation-ask-form", **kwargs)


def messages(template: str) -> list[OutboxMessage]:
    db.session.commit()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)))


def thread_texts(page) -> list[str]:
    return [li.select_one(".text").get_text(" ", strip=True) for li in page.select(".consultation-message")]


def test_ask_goes_to_the_district_managers_then_the_answer_reaches_the_enterprise(app, client, freeze):
    freeze(FRIDAY)
    enterprise, user = setup_people(1)
    managers = [m for m in f.district("南山区").managers if m.active]
    insurer, _bureau = staff_logins(app)
    login(client, user.email, f.PASSWORD)
    home = soup(client.get("/portal/"))
    assert home.select_one("a.ask-managers")["href"] == "/portal/consultations"

    page = soup(ask(client))
    assert page.select_one(".flash-success") is not None
    assert thread_texts(page) == [QUESTION]
    row = db.session.scalar(select(Consultation))
    assert row is not None and row.enterprise_id == enterprise.id and row.status == "open"

    # the district's managers each get an e-mail (queued with the question), without its text
    mails = messages("consultation_question")
    assert sorted(m.recipient for m in mails) == sorted(str(m.email) for m in managers)
    assert all(m.channel == "email" and f"#{row.id}" in m.subject for m in mails)
    assert all(QUESTION not in m.body_text and f"/staff/consultations/{row.id}" in m.body_text for m in mails)

    # … and see it on their worklist, on the insurer's desk
    worklist = soup(insurer.get(f"/staff/districts/managers/{managers[0].id}/worklist"))
    listed = [li["data-consultation"] for li in worklist.select(".manager-questions li[data-consultation]")]
    assert listed == [str(row.id)]
    assert worklist.select(".manager-questions .consultation-overdue") == []
    queue = soup(insurer.get("/staff/consultations"))
    assert queue.select_one(f"#consultation-{row.id}") is not None

    # the insurer answers in the thread (audited); the enterprise is told by e-mail and SMS
    freeze("2024-09-06T15:00:00+08:00")
    answered = submit(insurer, f"/staff/consultations/{row.id}", {"text": ANSWER}, form="form.consultation-reply-form")
    assert answered.status_code == 200 and soup(answered).select_one(".flash-success") is not None
    told = messages("consultation_answered")
    assert {m.channel: m.recipient for m in told} == {"email": enterprise.email, "sms": enterprise.mobile}
    sms = next(m for m in told if m.channel == "sms")
    assert sms.body_text.startswith("【统保】") and len(sms.body_text) <= 70
    assert follows_to(sms.body_text) == f"/portal/consultations/{row.id}"  # its short link
    assert all(m.language == "zh" and m.enterprise_id == enterprise.id and ANSWER not in m.body_text for m in told)
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "consultation.answer"))
    assert audit is not None and audit.object_id == str(row.id) and ANSWER not in (audit.summary or "")

    # the portal shows the thread and the status
    listing = soup(client.get("/portal/consultations"))
    assert [s.get_text(strip=True) for s in listing.select(".consultation-status")] == ["已答复"]
    thread = soup(client.get(f"/portal/consultations/{row.id}"))
    assert thread_texts(thread) == [QUESTION, ANSWER]
    assert [li["class"][1] for li in thread.select(".consultation-message")] == ["from-enterprise", "from-staff"]
    # answered: off the managers' worklist
    worklist = soup(insurer.get(f"/staff/districts/managers/{managers[0].id}/worklist"))
    assert worklist.select(".manager-questions li[data-consultation]") == []


def test_an_english_speaking_enterprise_is_told_in_english_and_a_follow_up_reopens_the_thread(app, client, freeze):
    freeze(FRIDAY)
    enterprise, user = setup_people(2)
    user.locale = "en"
    insurer, _bureau = staff_logins(app)
    login(client, user.email, f.PASSWORD)
    ask(client, topic="credit_report", text="How many free reports are left?")
    row = db.session.scalar(select(Consultation))
    submit(insurer, f"/staff/consultations/{row.id}", {"text": "Two."}, form="form.consultation-reply-form")
    told = messages("consultation_answered")
    assert {m.language for m in told} == {"en"}
    email = next(m for m in told if m.channel == "email")
    assert email.subject == f"[Tongbao] Your question #{row.id} has been answered"
    assert f"#{row.id} (Credit reports)" in email.body_text

    later = submit(
        client,
        f"/portal/consultations/{row.id}",
        {"text": "Thanks, and for 2025?"},
        form="form.consultation-reply-form",
    )
    assert later.status_code == 200
    db.session.refresh(row)
    assert row.status == "open"
    assert len(messages("consultation_question")) == 4  # two managers, the question and the follow-up
    client.get("/lang/en?next=/portal/consultations")
    page = soup(client.get("/portal/consultations"))
    assert page.select_one("h1").get_text(strip=True) == "Online consultation"
    assert [s.get_text(strip=True) for s in page.select(".consultation-status")] == ["Awaiting answer"]
    assert "Credit reports" in page.select_one("table.consultations").get_text()


def test_no_enterprise_sees_another_ones_thread(app, client, freeze):
    freeze(FRIDAY)
    _a, owner = setup_people(3)
    _b, stranger = setup_people(4)
    insurer, bureau = staff_logins(app)
    login(client, owner.email, f.PASSWORD)
    ask(client, attachment=(io.BytesIO(PDF), "合同.pdf"))
    row = db.session.scalar(select(Consultation))
    file_url = soup(client.get(f"/portal/consultations/{row.id}")).select_one(".attachment a")["href"]
    assert client.get(file_url).data == PDF

    other = app.test_client()
    login(other, stranger.email, f.PASSWORD)
    assert other.get(f"/portal/consultations/{row.id}").status_code == 404
    assert other.get(file_url).status_code == 404
    assert soup(other.get("/portal/consultations")).select("table.consultations tr[data-consultation]") == []
    # posting into another's thread with a valid token of one's own is refused and adds nothing
    token = soup(other.get("/portal/consultations")).select_one("form.consultation-ask-form input[name=csrf_token]")
    refused = other.post(f"/portal/consultations/{row.id}", data={"csrf_token": token["value"], "text": "hi"})
    assert refused.status_code == 404
    db.session.refresh(row)
    assert len(row.messages) == 1
    # without the CSRF token, even the owner's post is refused
    assert client.post(f"/portal/consultations/{row.id}", data={"text": "again"}).status_code == 400

    # the roles, on every route and again in the service
    assert other.get("/staff/consultations").status_code == 403
    assert other.get(f"/staff/consultations/{row.id}").status_code == 403
    assert bureau.get(f"/staff/consultations/{row.id}").status_code == 403
    assert bureau.get(f"/staff/consultations/{row.id}/files/{row.messages[0].id}").status_code == 403
    assert bureau.get("/portal/consultations").status_code == 403
    assert insurer.get("/portal/consultations").status_code == 403
    assert insurer.get(f"/staff/consultations/{row.id}/files/{row.messages[0].id}").data == PDF
    with pytest.raises(Forbidden):
        service.answer(stranger, row.id, text="x", upload=None, now=row.asked_at)
    with pytest.raises(Forbidden):
        service.ask(
            f.make_user("insurer", "other@sinosure.test"), topic="loss", text="x", upload=None, now=row.asked_at
        )


def test_two_working_days_unanswered_alerts_the_insurer_once(app, client, runner, freeze):
    freeze(FRIDAY)
    _e, user = setup_people(5)
    insurer, _bureau = staff_logins(app)
    f.make_user("insurer", "lead@sinosure.test")
    login(client, user.email, f.PASSWORD)
    ask(client)
    friday = db.session.scalar(select(Consultation))
    freeze("2024-09-07T11:00:00+08:00")  # Saturday
    ask(client, text="周末提的问题")
    saturday = db.session.scalar(select(Consultation).where(Consultation.id != friday.id))
    db.session.commit()

    def alerted() -> list[tuple[int, str]]:
        rows = messages("alert_consultation_overdue")
        return sorted((int(m.data["consultation_id"]), m.recipient) for m in rows)

    job = "consultations.overdue"
    assert tick(runner, "2024-09-09T18:00:00+08:00")["jobs"][job] == 0  # Monday: the weekend does not count
    assert tick(runner, "2024-09-10T09:59:00+08:00")["jobs"][job] == 0  # Tuesday, before the hour asked
    assert tick(runner, "2024-09-10T10:00:00+08:00")["jobs"][job] == 2  # Friday 10:00 + 2 working days
    staff = ["clerk@sinosure.test", "lead@sinosure.test"]
    assert alerted() == [(friday.id, s) for s in staff]
    assert tick(runner, "2024-09-10T23:59:00+08:00")["jobs"][job] == 0  # once per question
    assert tick(runner, "2024-09-11T00:00:00+08:00")["jobs"][job] == 2  # Saturday's: Mon + Tue counted
    assert alerted() == sorted([(friday.id, s) for s in staff] + [(saturday.id, s) for s in staff])
    assert tick(runner, "2024-09-12T10:00:00+08:00")["jobs"][job] == 0

    mail = next(m for m in messages("alert_consultation_overdue") if m.data["consultation_id"] == friday.id)
    assert "2 个工作日" in mail.subject and QUESTION not in mail.body_text
    freeze("2024-09-10T10:30:00+08:00")
    page = soup(insurer.get("/staff/consultations"))
    assert page.select_one(f"#consultation-{friday.id} .consultation-overdue") is not None


def test_an_answered_question_is_never_alerted_and_the_calendar_rule(app, client, freeze):
    freeze(FRIDAY)
    _e, user = setup_people(6)
    insurer, _bureau = staff_logins(app)
    login(client, user.email, f.PASSWORD)
    ask(client)
    row = db.session.scalar(select(Consultation))
    freeze("2024-09-09T09:00:00+08:00")
    submit(insurer, f"/staff/consultations/{row.id}", {"text": ANSWER}, form="form.consultation-reply-form")
    assert alert_overdue(NOTIFIER, now=datetime(2024, 9, 20, 10, tzinfo=SHANGHAI)) == 0

    def at(*args: int) -> datetime:
        return datetime(*args, tzinfo=SHANGHAI)

    plain = WorkCalendar()
    assert plain.deadline(at(2024, 9, 6, 10), 2) == at(2024, 9, 10, 10)  # Friday → Tuesday
    assert plain.deadline(at(2024, 9, 7, 11), 2) == at(2024, 9, 11, 0)  # Saturday → Wednesday 00:00
    assert plain.deadline(at(2024, 9, 9, 8, 30), 2) == at(2024, 9, 11, 8, 30)  # Monday → Wednesday
    assert plain.deadline(at(2024, 9, 12, 23, 59), 2) == at(2024, 9, 16, 23, 59)  # Thursday → Monday
    holiday = WorkCalendar({datetime(2024, 9, 10).date(): False})
    assert holiday.deadline(at(2024, 9, 9, 8), 2) == at(2024, 9, 12, 8)


def test_the_bureau_sees_counts_per_district_but_never_the_text(app, client, freeze):
    freeze(FRIDAY)
    _a, nanshan = setup_people(7, "南山区")
    _b, baoan = setup_people(8, "宝安区")
    insurer, bureau = staff_logins(app)
    for user, n in ((nanshan, 2), (baoan, 1)):
        c = app.test_client()
        login(c, user.email, f.PASSWORD)
        for i in range(n):
            ask(c, text=f"{QUESTION}（{user.email} {i}）")
    first = db.session.scalar(select(Consultation).order_by(Consultation.id))
    submit(insurer, f"/staff/consultations/{first.id}", {"text": ANSWER}, form="form.consultation-reply-form")
    freeze("2024-09-10T12:00:00+08:00")  # the two unanswered ones have waited 2 working days

    page = soup(bureau.get("/staff/consultations/counts"))
    cells = {
        tr.select_one("th").get_text(strip=True): [
            int(tr.select_one(f".{k}").get_text()) for k in ("asked", "answered", "waiting", "overdue")
        ]
        for tr in page.select("table.consultation-counts tr[data-district], table.consultation-counts tr.total")
    }
    assert cells["南山区"] == [2, 1, 1, 1]
    assert cells["宝安区"] == [1, 0, 1, 1]
    assert cells["合计"] == [3, 1, 2, 2]
    assert cells["福田区"] == [0, 0, 0, 0]
    for url in ("/staff/consultations/counts", "/staff/audit/", "/staff/outbox", "/staff"):
        response = bureau.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        assert QUESTION not in text_of(response) and ANSWER not in text_of(response), url
    assert bureau.get("/staff/consultations").status_code == 403
    manager = f.district("南山区").managers[0]
    worklist = bureau.get(f"/staff/districts/managers/{manager.id}/worklist")
    assert worklist.status_code == 200 and soup(worklist).select(".manager-questions") == []
    assert QUESTION not in text_of(worklist)
    assert soup(insurer.get(f"/staff/districts/managers/{manager.id}/worklist")).select(".manager-questions li")
    nav = [a.get_text(strip=True) for a in soup(bureau.get("/staff")).select("nav a")]
    assert "咨询统计" in nav


def test_attachments_are_checked_and_limited(app, client, freeze):
    freeze(FRIDAY)
    _e, user = setup_people(9)
    login(client, user.email, f.PASSWORD)
    limit = storage.limit("consultation_attachment")
    assert limit == 5 * 1024 * 1024
    too_big = ask(client, attachment=(io.BytesIO(PDF + b"0" * limit), "big.pdf"))
    assert too_big.status_code == 422
    assert "文件 big.pdf 超过 5 MB" in soup(too_big).select_one(".field-error").get_text()
    disguised = ask(client, attachment=(io.BytesIO(b"MZ\x90\x00" + b"0" * 100), "合同.pdf"))
    assert disguised.status_code == 422 and "不是 PDF 文件" in soup(disguised).select_one(".field-error").get_text()
    wrong_type = ask(client, attachment=(io.BytesIO(b"#!/bin/sh\n"), "run.sh"))
    assert wrong_type.status_code == 422 and "类型不支持" in soup(wrong_type).select_one(".field-error").get_text()
    assert db.session.scalar(select(func.count(Consultation.id))) == 0
    assert db.session.scalar(select(func.count(StoredFile.id)).where(StoredFile.kind == "consultation_attachment")) == 0

    app.config["TONGBAO_MAX_CONSULTATION_BYTES"] = 10 * 1024 * 1024  # the limit is a setting
    fine = ask(client, attachment=(io.BytesIO(PDF + b"0" * limit), "scan.pdf"))
    assert fine.status_code == 200
    stored = db.session.scalar(select(StoredFile).where(StoredFile.kind == "consultation_attachment"))
    assert stored is not None and stored.filename == "scan.pdf"


def test_any_active_colleague_may_ask_and_the_thread_belongs_to_the_enterprise(app, client, freeze):
    freeze(FRIDAY)
    enterprise, owner = setup_people(10)
    clerk = f.make_user("enterprise", "clerk10@exporter.test", enterprise=enterprise)
    clerk.can_claim = clerk.can_report_losses = clerk.can_request_credit_reports = False  # no permission at all
    db.session.commit()
    login(client, clerk.email, f.PASSWORD)
    assert ask(client).status_code == 200
    row = db.session.scalar(select(Consultation))
    assert row.asked_by == clerk.id and row.enterprise_id == enterprise.id
    colleague = app.test_client()
    login(colleague, owner.email, f.PASSWORD)
    assert thread_texts(soup(colleague.get(f"/portal/consultations/{row.id}"))) == [QUESTION]

    clerk.active = False  # removed by the administrator: the service refuses it too
    db.session.commit()
    with pytest.raises(Forbidden):
        service.ask(clerk, topic="loss", text="x", upload=None, now=row.asked_at)
