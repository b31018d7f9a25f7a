"""Staff read labels, not codes: the outbox and the audit log, with rows of every kind and status,
show no raw code as visible text in Chinese or in English (the codes stay in `title` attributes for
searching); every status value of every model, every audited action, changed field, message kind and
message template has a label."""

from __future__ import annotations

import ast
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from intranet.actors import SystemActor
from intranet.audit import labels as audit_labels
from intranet.audit.models import AuditLog
from intranet.clock import SHANGHAI
from intranet.credit_reports.models import CreditReportStatus
from intranet.extensions import db
from intranet.losses.models import LossStatus
from intranet.notices.models import NoticeStatus
from intranet.outbox import dispatch
from intranet.outbox.labels import JOB_LABELS, TEMPLATE_LABELS
from intranet.outbox.models import OutboxMessage, OutboxStatus
from intranet.policies.models import STATUS_VALUES as POLICY_STATUS_VALUES
from intranet.roster.models import EntryStatus, ImportStatus, ObjectionStatus, RosterStatus

from .helpers import soup

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2024, 6, 23, 10, 0, tzinfo=SHANGHAI)
STATUS_ENUMS = {
    "outbox_messages": OutboxStatus,
    "loss_reports": LossStatus,
    "credit_report_requests": CreditReportStatus,
    "rosters": RosterStatus,
    "roster_entries": EntryStatus,
    "objections": ObjectionStatus,
    "risk_notices": NoticeStatus,
    "import_jobs": ImportStatus,
}


def visible_text(response) -> str:
    page = soup(response)
    for hidden in page.select("script, style, template, [hidden]"):
        hidden.decompose()
    return page.get_text("\n")


def cells(response) -> list[str]:
    page = soup(response)
    found = [c.get_text(" ", strip=True) for c in page.select("main td, main th, main option, main dd, main li")]
    return [c for c in found if c]


def raw_codes_shown(response, codes: set[str], language: str) -> list[str]:
    """Codes a reader sees: any code on a Chinese page (no label there is Latin), and on an English
    page a dotted or underscored code anywhere, or a cell that is exactly a code."""
    text = visible_text(response)
    shown = set()
    for code in codes:
        anywhere = language == "zh" or "." in code or "_" in code
        if anywhere and re.search(rf"(?<![\w.@/-]){re.escape(code)}(?![\w@/-]|\.\w)", text):
            shown.add(code)
    shown |= {c for c in cells(response) if c in codes}
    return sorted(shown)


def add_messages() -> None:
    n = 0
    for job in JOB_LABELS:
        for status in OutboxStatus:
            for channel in ("email", "sms"):
                n += 1
                db.session.add(
                    OutboxMessage(
                        channel=channel,
                        recipient=f"person{n}@exporter.test" if channel == "email" else f"1380000{n:04d}",
                        job=job,
                        template=next(iter(TEMPLATE_LABELS)) if job not in TEMPLATE_LABELS else job,
                        language="zh",
                        subject="提醒" if channel == "email" else "",
                        body_text="【统保】您好",
                        data={},
                        dedupe_key=f"labels:{n}",
                        status=status.value,
                        attempts=1,
                        created_at=NOW - timedelta(hours=n),
                        next_attempt_at=NOW,
                        last_attempt_at=NOW - timedelta(hours=n),
                        sent_at=NOW - timedelta(hours=n) if status == OutboxStatus.SENT else None,
                    )
                )
    db.session.commit()


def add_audit_rows() -> None:
    actor = SystemActor(name="cli:officer")
    objects = list(audit_labels.OBJECT_LABELS)
    for i, action in enumerate(audit_labels.ACTION_LABELS):
        object_type = objects[i % len(objects)]
        statuses = [s.value for s in STATUS_ENUMS.get(object_type, OutboxStatus)]
        db.session.add(
            AuditLog(
                at=NOW - timedelta(minutes=i),
                actor_user_id=actor.id,
                actor_label=actor.label(),
                action=action,
                object_type=object_type,
                object_id=str(i + 1),
                summary="说明",
                changes={"status": [statuses[0], statuses[-1]], "channel": "sms", "kind": "bank", "attempts": 1},
            )
        )
    for i, (object_type, enum) in enumerate(STATUS_ENUMS.items()):  # every status of every object
        values = [s.value for s in enum]
        db.session.add(
            AuditLog(
                at=NOW - timedelta(hours=2, minutes=i),
                actor_label="cli:officer",
                action="programme.edit",
                object_type=object_type,
                object_id="1",
                summary="",
                changes={"status": values[:2], "entry_status": ["listed", "removed"]},
            )
        )
    db.session.commit()


def all_codes() -> set[str]:
    codes = set(JOB_LABELS) | set(TEMPLATE_LABELS) | {s.value for s in OutboxStatus} | {"email", "sms"}
    codes |= set(audit_labels.ACTION_LABELS) | set(audit_labels.OBJECT_LABELS)
    for enum in STATUS_ENUMS.values():
        codes |= {s.value for s in enum}
    return codes


@pytest.mark.parametrize("language", ["zh", "en"])
def test_outbox_and_audit_pages_show_labels_not_codes(app, client, logged_in, freeze, language):
    freeze(NOW)
    add_messages()
    add_audit_rows()
    logged_in("bureau")
    client.get(f"/lang/{language}")
    codes = all_codes()

    for number in (1, 2):  # every row, both pages
        assert raw_codes_shown(client.get(f"/staff/outbox?page={number}"), codes, language) == []
        assert raw_codes_shown(client.get(f"/staff/audit/?page={number}"), codes, language) == []
    outbox = client.get("/staff/outbox?page=1")
    page = soup(outbox)
    assert len(page.select("table.outbox-list tbody tr")) == 50  # one page of every kind and status
    reminders = client.get("/staff/outbox?job=reminder")
    assert raw_codes_shown(reminders, codes, language) == []
    reminder = soup(reminders).select_one("table.outbox-list span.coded[title='reminder']")
    assert reminder is not None  # the code stays findable
    assert reminder.get_text(strip=True) == ("领取提醒" if language == "zh" else "Claim reminder")
    deferred = soup(reminders).select_one("table.outbox-list tr[data-status='deferred'] .badge")
    assert deferred.get_text(strip=True) == ("延后" if language == "zh" else "Deferred")
    job_options = [o.get_text(strip=True) for o in page.select("select#job option")]
    assert ("领取提醒" if language == "zh" else "Claim reminder") in job_options

    one = page.select_one("table.outbox-list tbody tr a")["href"]
    shown = client.get(one)
    assert raw_codes_shown(shown, codes, language) == []

    audit = client.get("/staff/audit/")
    assert audit.status_code == 200
    assert raw_codes_shown(audit, codes, language) == []
    rows = soup(audit)
    roster_rows = soup(client.get("/staff/audit/?action=roster."))
    confirm = roster_rows.select_one("table.audit-log span.coded[title='roster.confirm']")
    assert confirm.get_text(strip=True) == ("确认名单" if language == "zh" else "Confirm the roster")
    options = {o["value"]: o.get_text(strip=True) for o in rows.select("select#action option")}
    assert options["roster.confirm"] == confirm.get_text(strip=True)

    # filtering by an action (the code is the option's value) finds its rows
    only = soup(client.get("/staff/audit/?action=roster.confirm"))
    found = {s["title"] for s in only.select("table.audit-log td span.coded[data-code]") if "." in s["title"]}
    assert found == {"roster.confirm"}


def test_every_status_value_has_a_label():
    assert set(OutboxStatus) <= set(dispatch.STATUS_LABELS)
    assert set(POLICY_STATUS_VALUES) <= set(audit_labels.STATUS_BY_OBJECT["policies"])
    for object_type, enum in STATUS_ENUMS.items():
        missing = {s.value for s in enum} - set(audit_labels.STATUS_BY_OBJECT[object_type])
        assert not missing, f"{object_type}: no label for {missing}"


def _source_calls(name: str) -> list[tuple[Path, ast.Call]]:
    found = []
    for path in sorted((ROOT / "intranet").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called == name:
                    found.append((path, node))
    return found


def test_every_audited_action_and_changed_field_in_the_code_has_a_label():
    actions, prefixes, fields = set(), set(), set()
    for _path, call in _source_calls("record"):
        if len(call.args) < 2:
            continue
        arg = call.args[1]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            actions.add(arg.value)
        elif isinstance(arg, ast.JoinedStr) and isinstance(arg.values[0], ast.Constant):
            prefixes.add(str(arg.values[0].value))  # f"loss.{kind}": its group has a label
        elif isinstance(arg, ast.IfExp):
            actions |= {n.value for n in (arg.body, arg.orelse) if isinstance(n, ast.Constant)}
        for keyword in call.keywords:
            if keyword.arg == "changes" and isinstance(keyword.value, ast.Dict):
                fields |= {k.value for k in keyword.value.keys if isinstance(k, ast.Constant)}
    assert len(actions) > 40
    assert not actions - set(audit_labels.ACTION_LABELS), "actions without a label"
    for prefix in prefixes:
        group = prefix.split(".")[0] + "."
        assert group in audit_labels.ACTION_GROUPS, prefix
        assert any(code.startswith(prefix) for code in audit_labels.ACTION_LABELS), prefix
    assert not fields - set(audit_labels.FIELD_LABELS), "changed fields without a label"


def test_every_message_kind_and_template_has_a_label():
    jobs = set()
    for path in sorted((ROOT / "intranet").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        jobs |= set(re.findall(r'\bjob="([a-z_]+)"', text))
        jobs |= set(re.findall(r'^(?:MESSAGE_)?JOB = "([a-z_]+)"', text, re.M))
    assert {"invitation", "reminder", "notice", "alert", "account"} <= jobs
    assert not jobs - set(JOB_LABELS)
    templates = {p.name.split(".")[0] for p in (ROOT / "templates" / "messages" / "zh").iterdir()}
    assert not templates - set(TEMPLATE_LABELS)


@pytest.mark.parametrize("role", ["bureau", "insurer"])
def test_no_staff_page_of_the_demo_shows_a_status_or_kind_code(app, client, freeze, backend, role):
    """Every staff page the demo walk-through reaches (policies, losses, exports, dashboards, the
    outbox, the audit log …), in Chinese: no table cell, option or badge is a bare code."""
    if backend == "postgresql":
        pytest.skip("the pages say the same on both databases")
    from intranet.demo.service import DEMO_PASSWORD, load_demo

    from .helpers import login
    from .test_demo_crawl import LOGINS, crawl

    freeze("2026-11-25T10:00:00+08:00")
    load_demo()
    login(client, LOGINS[role], DEMO_PASSWORD)
    codes = all_codes() | {str(v) for v in POLICY_STATUS_VALUES}
    offences: dict[str, list[str]] = {}

    def visit(url, response):
        page = soup(response)
        found = [
            text
            for node in page.select("main td, main option, main dd, main .badge, main li")
            if (text := node.get_text(" ", strip=True)) in codes
        ]
        if found:
            offences[url] = found[:5]

    seen = crawl(client, "/staff", visit)
    assert "/staff/outbox" in seen and "/staff/audit/" in seen
    assert offences == {}
