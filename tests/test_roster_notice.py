"""Staff side of the public notice: publish, resolve objections, confirm, supplementary rosters, CLI."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from intranet.actors import cli_actor
from intranet.audit.models import AuditLog
from intranet.errors import Refused
from intranet.extensions import db
from intranet.outbox.models import OutboxMessage
from intranet.roster import invitations, notice_service, objections
from intranet.roster.models import Objection, Roster, RosterEntry

from . import factories as f
from .board_seed import OPEN, objection_data, seed_board
from .helpers import login, soup, submit, submit_confirmed, text_of

ENDED = "2024-05-27T09:00:00+08:00"


def file(client, uscc: str, contact: str = "whistle@example.org") -> str:  # type: ignore[no-untyped-def]
    response = submit(client, "/notices/2024?objection=", objection_data(uscc, contact), form="form.objection-form")
    return soup(response).select_one(".objection-reference").get_text(strip=True)


def board_names(client, q: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [td.get_text(strip=True) for td in soup(client.get(f"/notices/2024?q={q}")).select("td.entry-name")]


def outbox(template: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)))


# --- publish -------------------------------------------------------------------------------------


def draft_roster(n: int = 3, seq: int = 1, first: int = 1) -> Roster:
    roster = f.make_roster(f.programme(2024), seq=seq)
    for i in range(first, first + n):
        f.add_entry(roster, f.make_enterprise(i))
    db.session.commit()
    return roster


def test_bureau_publishes_with_the_default_seven_day_period(client, freeze, logged_in):
    freeze("2024-05-20T08:00:00+08:00")
    roster = draft_roster()
    logged_in("bureau")
    page = soup(client.get("/staff/roster/"))
    form = page.select_one("form.publish-form")
    assert form.select_one("#start")["value"] == "2024-05-20"
    assert form.select_one("#end").get("value", "") == ""  # empty: follows the chosen start
    assert "7 个自然日" in form.select_one("#end-hint").get_text()
    response = submit_confirmed(client, "/staff/roster/", {}, form="form.publish-form")
    assert response.status_code == 200
    db.session.refresh(roster)
    assert (roster.status, roster.notice_start, roster.notice_end) == ("notice", date(2024, 5, 20), date(2024, 5, 26))
    assert soup(response).select_one("tr[data-roster='1'] .roster-state").get_text(strip=True) == "公示中"
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "roster.publish"))
    assert log.actor_label == "bureau@staff.test"
    assert log.changes["notice_end"] == "2024-05-26" and log.changes["status"] == ["draft", "notice"]
    # the public sees it the same day, until 26 May 23:59:59 Shanghai time
    freeze("2024-05-26T23:59:59+08:00")
    assert "正在受理异议" in text_of(client.get("/notices/2024"))


def test_publish_refuses_a_start_before_today_or_an_end_before_the_start(client, freeze, logged_in):
    freeze("2024-05-20T08:00:00+08:00")
    roster = draft_roster()
    logged_in("bureau")
    past = submit(client, "/staff/roster/", {"start": "2024-05-19", "end": ""}, form="form.publish-form")
    assert past.status_code == 422
    assert "早于今天 2024-05-20" in soup(past).select_one("#start-error").get_text()
    backwards = submit(client, "/staff/roster/", {"start": "2024-05-22", "end": "2024-05-21"}, form="form.publish-form")
    assert backwards.status_code == 422
    assert "早于开始日" in soup(backwards).select_one("#end-error").get_text()
    db.session.refresh(roster)
    assert roster.status == "draft"


def test_insurer_and_enterprises_cannot_publish_or_confirm(client, freeze, logged_in):
    freeze("2024-05-20T08:00:00+08:00")
    roster = draft_roster()
    logged_in("insurer")
    page = soup(client.get("/staff/roster/"))
    assert page.select_one("form.publish-form") is None
    token = page.select_one("input[name=csrf_token]")["value"]
    publish = client.post(f"/staff/roster/{roster.id}/publish", data={"start": "2024-05-20", "csrf_token": token})
    assert publish.status_code == 403
    assert client.post(f"/staff/roster/{roster.id}/confirm", data={"csrf_token": token}).status_code == 403
    assert db.session.get(Roster, roster.id).status == "draft"


# --- objections: staff resolution ---------------------------------------------------------------


@pytest.fixture
def under_notice(app, freeze):  # type: ignore[no-untyped-def]
    freeze(OPEN)
    return seed_board(extra=3)


def test_uphold_removes_the_entry_from_board_and_roster_and_queues_the_reply(client, under_notice, freeze, logged_in):
    reference = file(client, under_notice.huawei.uscc)
    assert board_names(client, "华为") == ["深圳市华为技术有限公司"]
    logged_in("insurer")  # insurer staff may resolve too
    listing = soup(client.get("/staff/roster/objections"))
    link = listing.select_one(f"a:-soup-contains('{reference}')")["href"]
    detail = soup(client.get(link))
    assert "该企业2023年出口额超过800万美元" in detail.select_one(".objection-reason").get_text()
    response = submit_confirmed(
        client, link, {"decision": "upheld", "reply": "经核实，异议成立，已移出名单。"}, form="form.resolve-form"
    )
    assert response.status_code == 200
    objection = db.session.scalar(select(Objection).where(Objection.reference == reference))
    assert objection.status == "upheld" and objection.reply == "经核实，异议成立，已移出名单。"
    assert objection.entry.status == "removed"
    assert board_names(client, "华为") == []
    [message] = outbox("objection_reply")
    assert (message.channel, message.recipient) == ("email", "whistle@example.org")
    assert reference in message.subject and "经核实，异议成立" in message.body_text
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "objection.upheld"))
    assert log.actor_label == "insurer@staff.test" and log.changes["entry_status"] == ["listed", "removed"]
    # the objector can read the outcome by reference
    receipt = text_of(client.get(f"/notices/2024/objections/{reference}"))
    assert "异议成立" in receipt and "已移出名单" in receipt


def test_dismiss_keeps_the_entry_and_replies_by_sms_to_a_phone(client, under_notice, logged_in):
    reference = file(client, under_notice.bright.uscc, contact="139 1234 5678")
    logged_in("bureau")
    objection = db.session.scalar(select(Objection).where(Objection.reference == reference))
    url = f"/staff/roster/objections/{objection.id}"
    empty = submit(client, url, {"decision": "dismissed", "reply": ""}, form="form.resolve-form")
    assert empty.status_code == 422 and soup(empty).select_one("#reply")["aria-invalid"] == "true"
    submit(client, url, {"decision": "dismissed", "reply": "经核实，该企业符合条件。"}, form="form.resolve-form")
    db.session.refresh(objection)
    assert objection.status == "dismissed" and objection.entry.status == "listed"
    [message] = outbox("objection_reply")
    assert (message.channel, message.recipient) == ("sms", "13912345678")
    assert "不成立" in message.body_text
    assert board_names(client, "bright") == ["Shenzhen BRIGHT Lighting Co., Ltd."]
    # a resolved objection is not resolved twice
    with pytest.raises(Refused):
        objections.resolve(cli_actor(), objection, decision="upheld", reply="again", now=objection.resolved_at)


def test_enterprise_users_cannot_see_objections(client, under_notice):
    user = f.make_user("enterprise", "boss@exporter.test", enterprise=under_notice.bright)
    db.session.commit()
    login(client, user.email, f.PASSWORD)
    assert client.get("/staff/roster/objections").status_code == 403
    assert client.get("/staff/roster/").status_code == 403


def test_staff_see_entries_with_amounts(client, under_notice, logged_in):
    logged_in("bureau")
    page = soup(client.get(f"/staff/roster/{under_notice.roster.id}/entries?q=华为"))
    cells = [td.get_text(strip=True) for td in page.select("table.entries tbody tr td")]
    assert "深圳市华为技术有限公司" in cells and "7,654,321.99" in cells


# --- confirm -------------------------------------------------------------------------------------


def test_confirm_refused_before_the_end_and_with_an_open_objection_then_allowed(
    client, under_notice, freeze, logged_in
):
    reference = file(client, under_notice.huawei.uscc)
    logged_in("bureau")
    freeze("2024-05-26T23:59:00+08:00")  # last minute of the period
    index = soup(client.get("/staff/roster/"))
    blockers = index.select_one(".confirm-panel .blockers").get_text()
    assert "2024-05-26" in blockers and "1 件异议未处理" in blockers
    assert index.select_one("form.confirm-form button").has_attr("disabled")
    refused = submit_confirmed(client, "/staff/roster/", form="form.confirm-form")
    assert "结束后才能确认" in text_of(refused)
    freeze(ENDED)
    still = submit_confirmed(client, "/staff/roster/", form="form.confirm-form")
    assert "1 件异议未处理" in text_of(still)
    assert db.session.get(Roster, under_notice.roster.id).status == "notice"
    assert outbox("invitation") == []
    objection = db.session.scalar(select(Objection).where(Objection.reference == reference))
    submit_confirmed(
        client,
        f"/staff/roster/objections/{objection.id}",
        {"decision": "upheld", "reply": "成立"},
        form="form.resolve-form",
    )
    done = submit_confirmed(client, "/staff/roster/", form="form.confirm-form")
    assert "名单已确认" in text_of(done)
    db.session.commit()
    roster = db.session.get(Roster, under_notice.roster.id)
    assert roster.status == "confirmed" and roster.confirmed_at is not None
    # every listed, eligible enterprise is invited by email and SMS; removed and ineligible are not
    invited = {m.enterprise_id for m in outbox("invitation")}
    expected = {e.enterprise_id for e in under_notice.listed if e.enterprise_id != under_notice.huawei.id}
    assert invited == expected
    assert {m.channel for m in outbox("invitation")} == {"email", "sms"}
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "roster.confirm"))
    assert log.changes["status"] == ["notice", "confirmed"]
    # read-only from now on
    with pytest.raises(Refused, match="已确认，不能修改"):
        notice_service.ensure_editable(roster)
    assert "已确认" in text_of(client.get("/notices/2024"))


def test_supplementary_roster_has_its_own_period_and_invites_only_its_entries(client, runner, freeze):
    freeze("2024-05-10T10:00:00+08:00")
    main = draft_roster(n=3)
    assert runner.invoke(args=["roster", "publish", "--programme", "2024", "--start", "2024-05-10"]).exit_code == 0
    freeze("2024-05-17T10:00:00+08:00")
    assert runner.invoke(args=["roster", "confirm", "--programme", "2024"]).exit_code == 0
    first_wave = len(outbox("invitation"))
    assert first_wave == 6  # 3 enterprises × (email + SMS)
    # a correction: two more enterprises, one of which was on the main roster with the wrong name
    supplement = f.make_roster(f.programme(2024), seq=2)
    f.add_entry(supplement, f.make_enterprise(50, name="深圳市补充名单电子有限公司"))
    f.add_entry(supplement, f.make_enterprise(51, name="深圳市补充名单贸易有限公司"))
    db.session.commit()
    published = runner.invoke(args=["roster", "publish", "--programme", "2024", "--start", "2024-05-18"])
    assert published.exit_code == 0, published.output
    assert "supplementary roster 1" in published.output and "2024-05-24" in published.output
    freeze("2024-05-20T10:00:00+08:00")
    board = soup(client.get("/notices/2024?q=补充名单"))
    assert [td.get_text(strip=True) for td in board.select("td.entry-name")] == [
        "深圳市补充名单电子有限公司",
        "深圳市补充名单贸易有限公司",
    ]
    assert "补充名单（第 1 批）" in board.select_one(".notice-periods").get_text()
    assert "主名单" in board.select_one(".notice-periods").get_text()
    # objections: the supplementary roster's entries only (the main roster's period is over)
    file(client, f.make_uscc(50))
    refused = submit(client, "/notices/2024?objection=", objection_data(f.make_uscc(1)), form="form.objection-form")
    assert refused.status_code == 409 and "2024-05-16 结束" in text_of(refused)
    freeze("2024-05-25T10:00:00+08:00")
    blocked = runner.invoke(args=["roster", "confirm", "--programme", "2024"])
    assert blocked.exit_code == 1 and "1 open objection" in blocked.output
    objection = db.session.scalar(select(Objection))
    objections.resolve(cli_actor(), objection, decision="dismissed", reply="符合条件", now=objection.filed_at)
    confirmed = runner.invoke(args=["roster", "confirm", "--programme", "2024", "--wait"])
    assert confirmed.exit_code == 0, confirmed.output
    assert "supplementary roster 1" in confirmed.output and "2 invited" in confirmed.output
    new = sorted(outbox("invitation"), key=lambda m: m.id)[first_wave:]
    supplement_members = db.session.scalars(
        select(RosterEntry.enterprise_id).where(RosterEntry.roster_id == supplement.id)
    )
    assert {m.enterprise_id for m in new} == set(supplement_members)
    assert len(new) == 4
    assert db.session.get(Roster, main.id).status == "confirmed"
    assert db.session.get(Roster, supplement.id).status == "confirmed"


# --- CLI -----------------------------------------------------------------------------------------


def test_cli_publish_and_confirm_exit_codes_and_messages(runner, app, freeze):
    freeze("2024-05-20T10:00:00+08:00")
    nothing = runner.invoke(args=["roster", "publish", "--programme", "2024", "--start", "2024-05-20"])
    assert nothing.exit_code == 1 and "no draft roster" in nothing.output
    draft_roster(n=2)
    usage = runner.invoke(args=["roster", "publish", "--start", "2024-05-20"])
    assert usage.exit_code == 2
    bad_date = runner.invoke(args=["roster", "publish", "--programme", "2024", "--start", "20 May"])
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.output
    past = runner.invoke(args=["roster", "publish", "--programme", "2024", "--start", "2024-05-19"])
    assert past.exit_code == 1 and "2024 main roster" in past.output and "before today (2024-05-20)" in past.output
    unknown = runner.invoke(args=["roster", "publish", "--programme", "1999", "--start", "2024-05-20"])
    assert unknown.exit_code == 1 and "1999" in unknown.output
    ok = runner.invoke(
        args=["roster", "publish", "--programme", "2024", "--start", "2024-05-20", "--end", "2024-05-27"]
    )
    assert ok.exit_code == 0, ok.output
    assert "2024-05-20 to 2024-05-27" in ok.output
    early = runner.invoke(args=["roster", "confirm", "--programme", "2024"])
    assert early.exit_code == 1 and "2024-05-27" in early.output
    assert runner.invoke(args=["roster", "confirm"]).exit_code == 2
    shown = runner.invoke(args=["programme", "show", "2024", "--json"])
    assert '"status": "notice"' in shown.output and '"notice_end": "2024-05-27"' in shown.output
    freeze("2024-05-28T00:00:00+08:00")
    done = runner.invoke(args=["roster", "confirm", "--programme", "2024", "--wait"])
    assert done.exit_code == 0, done.output
    assert "2 enterprises listed" in done.output and "2 invited (4 messages queued)" in done.output
    again = runner.invoke(args=["roster", "confirm", "--programme", "2024"])
    assert again.exit_code == 1 and "no roster under notice" in again.output
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.actor_label.startswith("cli:")))
    assert sorted(actions) == ["roster.confirm", "roster.invite", "roster.publish"]


def test_staff_index_shows_counts_period_and_the_import_link(client, app, under_notice, logged_in):
    logged_in("bureau")
    page = soup(client.get("/staff/roster/?year=2024"))
    row = page.select_one("tr[data-roster='1']")
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells[:7] == ["主名单", "公示中", "2024-05-20 — 2024-05-26", "5", "1", "1", "0"]
    import_link = page.select_one("a[href*='/staff/roster/import']")
    assert (import_link is not None) == ("roster_import.new" in app.view_functions)
    entries = soup(client.get(row.select_one("a")["href"]))
    statuses = [td.get_text(strip=True) for td in entries.select("table.entries tbody td:last-child")]
    assert sorted(set(statuses)) == ["在册", "已移除", "超过限额"]


def test_a_failed_invitation_batch_is_retried_and_can_be_queued_again(
    client, runner, app, freeze, monkeypatch, logged_in
):
    from intranet.tasks import service as tasks
    from intranet.tasks.models import Task

    freeze("2024-05-10T10:00:00+08:00")
    draft_roster(n=5)
    assert runner.invoke(args=["roster", "publish", "--programme", "2024", "--start", "2024-05-10"]).exit_code == 0
    freeze("2024-05-17T10:00:00+08:00")
    real_invite, calls = invitations.enterprises.invite, []

    def flaky(enterprise, programme, *, now):  # type: ignore[no-untyped-def]
        calls.append(enterprise.id)
        if len(calls) == 3:
            raise RuntimeError("the mail gateway's database was restarting")
        return real_invite(enterprise, programme, now=now)

    monkeypatch.setattr(invitations, "BATCH", 2)
    monkeypatch.setattr(invitations.enterprises, "invite", flaky)
    confirmed = runner.invoke(args=["roster", "confirm", "--programme", "2024"])
    assert confirmed.exit_code == 0, confirmed.output
    assert "5 enterprises to invite, in 3 tasks" in confirmed.output
    assert db.session.scalar(select(Roster.status)) == "confirmed"
    # the second batch failed as a whole (its transaction rolled back) and waits for its retry
    assert len({m.enterprise_id for m in outbox("invitation")}) == 3
    waiting = db.session.scalars(select(Task).where(Task.kind == "roster.invite", Task.status == "queued")).all()
    assert len(waiting) == 1 and "restarting" in (waiting[0].error or "")
    logged_in("bureau")
    assert "激活邀请 3 / 5" in soup(client.get("/staff/roster/")).select_one(".invite-progress").get_text()
    tasks.execute(waiting[0].id)  # a worker runs the retry when it is due
    db.session.commit()
    assert len({m.enterprise_id for m in outbox("invitation")}) == 5
    page = soup(client.get("/staff/roster/"))
    assert page.select_one("form.resume-invitations") is None
    assert "激活邀请 5 / 5" in page.select_one(".invite-progress").get_text()
    again = runner.invoke(args=["roster", "confirm", "--programme", "2024"])
    assert again.exit_code == 1 and "no roster under notice" in again.output
