"""Issue 13, rules 3, 4 and 5: one test per rule of the notice (`../shared/seed/`), each quoting the
sentence it enforces, on SQLite and PostgreSQL, with this process in UTC (the rules decide dates in
Shanghai, never in the OS time zone). The lapse job's own tests are in test_policies_lapse.py."""

from __future__ import annotations

import csv
import io
import json
import time
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from sqlalchemy import func, select

from intranet.actors import cli_actor
from intranet.api_auth.tokens import create_token
from intranet.audit.models import AuditLog
from intranet.clock import now
from intranet.enterprises.models import Enterprise
from intranet.extensions import db
from intranet.policies.models import Policy
from intranet.roster.models import RosterEntry

from . import factories as f
from .helpers import login, soup, submit, text_of
from .notifier_sinks import tick
from .sheets import ZH, row
from .test_roster_import_web import upload

AMOUNT_COLUMN = "E"  # ZH: 序号, 统一社会信用代码, 企业名称, 所属区, 出口额（美元）, ...


def sheet(
    rows: list[list[object]], *, above: list[list[str]] | None = None, headers: list[str] = ZH, kind: str = "xlsx"
) -> bytes:
    """A roster file: rows `above` the header (title rows), the header, then the data rows."""
    table = [*(above or []), headers, *rows]
    if kind == "csv":
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(table)
        return out.getvalue().encode("utf-8-sig")
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    ws = book.add_worksheet()
    for i, values in enumerate(table):
        for j, value in enumerate(values):
            if value not in ("", None):
                ws.write(i, j, value)
    book.close()
    return buffer.getvalue()


def cli_import(runner, tmp_path: Path, content: bytes, kind: str):
    path = tmp_path / f"roster.{kind}"
    path.write_bytes(content)
    result = runner.invoke(args=["roster", "import", str(path), "--programme", "2024", "--json"])
    return result, json.loads(result.stdout)


def with_amount_header(title: str) -> list[str]:
    return [title if h == "出口额（美元）" else h for h in ZH]


def test_rule_3_amounts_are_plain_us_dollars_of_the_export_year(
    runner, tmp_path, client, logged_in, freeze, utc_process
):
    """Notice: "2023 年出口额 800 万美元（含）以下企业" — the roster's amounts are US dollars of the
    export year 2023. A unit or currency other than plain US dollars written above or in the header
    refuses the whole file naming the cell (a roster in 万美元 must never be read as dollars), and so
    does a header naming another export year; 出口额(USD) and its like are the same column."""
    assert time.strftime("%Z") == "UTC"
    freeze("2024-05-10T00:30:00+08:00")  # still 9 May in UTC
    title = ["2024年深圳市统保企业名单"]
    refused = [
        # (rows, what is above the header, header, kind, cell named, words of the English reason)
        ([row(1, 80)], [title, ["单位：万美元"]], ZH, "xlsx", "A2", "ten thousands"),
        ([row(1, 80)], [["", "", "", "", "", "", "（单位：万美元）"]], ZH, "csv", "G1", "plain US dollars"),
        ([row(1)], [[*title, "", "", "金额单位：人民币元"]], ZH, "xlsx", "D1", "RMB"),
        ([row(1)], [], with_amount_header("出口额（千美元）"), "csv", "E1", "plain US dollars"),
        ([row(1)], [title], with_amount_header("出口额（万元）"), "xlsx", "E2", "RMB"),
        ([row(1)], [], with_amount_header("Export amount (USD thousands)"), "xlsx", "E1", "unit"),
        ([row(1)], [], with_amount_header("出口额（RMB）"), "csv", "E1", "currency"),
        ([row(1)], [], [*ZH, "注册资本（万元）"], "xlsx", "I1", "plain US dollars"),
    ]
    for rows, above, headers, kind, cell, words in refused:
        result, data = cli_import(runner, tmp_path, sheet(rows, above=above, headers=headers, kind=kind), kind)
        assert result.exit_code == 1, (cell, result.output)
        [error] = data["errors"]
        assert error["column"] == cell and f"Cell {cell} " in error["reason"] and words in error["reason"], error
        assert data["imported"] == 0 and f"Cell {cell}" in result.stderr
    for header in ("2022年出口额（美元）", "出口额 2022", "Export amount 2022 (USD)", "出口额（2024年度，美元）"):
        content = sheet([row(1)], headers=with_amount_header(header), kind="csv")
        result, data = cli_import(runner, tmp_path, content, "csv")
        assert result.exit_code == 1, header
        [error] = data["errors"]
        assert error["column"] == f"{AMOUNT_COLUMN}1", (header, error)
        assert "the 2024 programme is decided on exports of 2023" in error["reason"], error
    assert db.session.scalar(select(func.count(Enterprise.id))) == 0  # all or nothing

    accepted = ["出口额(USD)", "出口额（美元）", "2023年出口额（美元）", "出口额 2023 USD", "Export amount (US$)",
                "出口额（单位：美元）", "出口额/美元", "EXPORT AMOUNT IN USD"]  # fmt: skip
    for n, header in enumerate(accepted, start=1):
        above = [["深圳市 2023 年出口额 800 万美元（含）以下企业名单"], ["单位：美元", "", "制表：深圳市商务局"]]
        for kind in ("xlsx", "csv"):
            content = sheet([row(n, "8,000,000.00")], above=above, headers=with_amount_header(header), kind=kind)
            result, data = cli_import(runner, tmp_path, content, kind)
            assert result.exit_code == 0, (header, kind, result.output)
            assert data == {"imported": 1, "ineligible": 0, "errors": []}, header
    stored = db.session.scalars(select(RosterEntry.export_amount_usd)).all()
    assert stored == [Decimal("8000000.00")] * len(accepted)

    # the web import says the same, in the officer's language
    logged_in("bureau", "officer@bureau.test")
    job = upload(client, sheet([row(20, 80)], above=[title, ["单位：万美元"]]))
    report = soup(client.get(job.headers["Location"]))
    refusal = report.select_one(".refusal").get_text(strip=True)
    assert refusal.startswith("单元格 A2 写有“单位：万美元”") and "整个文件未导入" in refusal
    client.get(f"/lang/en?next={job.headers['Location']}")
    english = soup(client.get(job.headers["Location"])).select_one(".refusal").get_text(strip=True)
    assert english.startswith("Cell A2 says “单位：万美元”") and "nothing was imported" in english
    assert db.session.scalar(select(func.count(Enterprise.id))) == len(accepted)


def test_rule_4_an_enterprise_above_the_threshold_is_not_on_the_roster(client, freeze, utc_process):
    """Notice: "由深圳市商务局通过官方网站公示我市 2023 年出口额 800 万美元（含）以下企业名单" — the
    roster is of enterprises at or below USD 8,000,000; one above it is kept off the roster, and the
    API says so: `on_roster: false, eligible: false` (it said true)."""
    assert time.strftime("%Z") == "UTC"
    freeze("2024-06-30T23:30:00+08:00")  # 15:30 UTC
    roster = f.make_roster(f.programme(), status="confirmed")
    big = f.make_enterprise(1)
    f.add_entry(roster, big, "8000000.01", eligible=False)
    edge = f.make_enterprise(2)
    f.add_entry(roster, edge, "8000000.00")
    db.session.commit()
    _token, raw = create_token(cli_actor(), "single-window", now=now())
    headers = {"Authorization": f"Bearer {raw}"}

    def standing(enterprise):
        return client.get(f"/api/v1/programmes/2024/enterprises/{enterprise.uscc}", headers=headers).get_json()

    above = standing(big)
    assert (above["on_roster"], above["eligible"], above["policy"]) == (False, False, None)
    assert above["roster_status"] == "confirmed"  # the roster it was imported onto, kept off it
    assert (standing(edge)["on_roster"], standing(edge)["eligible"]) == (True, True)
    claim = client.post("/api/v1/programmes/2024/policies", json={"uscc": big.uscc}, headers=headers)
    assert (claim.status_code, claim.get_json()["error"]["code"]) == (409, "ineligible")  # the precise reason

    document = client.get("/api/v1/openapi.json").get_json()
    described = document["components"]["schemas"]["EnterpriseStanding"]["properties"]["on_roster"]["description"]
    assert "kept off the roster" in described and "eligible" in described
    statuses = document["components"]["schemas"]["Policy"]["properties"]["status"]["enum"]
    assert statuses == ["claimed", "issued", "revoked", "lapsed"]

    # the enterprise's own page still tells it why it cannot claim
    f.make_user("enterprise", "big@exporter.test", enterprise=big)
    db.session.commit()
    login(client, big.uscc, f.PASSWORD)
    page = soup(client.get("/portal/"))
    assert page.select_one(".roster-standing").get_text(strip=True) == "不符合统保条件"
    assert page.select_one("form.claim-form") is None


def test_rule_5_a_claim_unissued_when_cover_ends_lapses_and_the_enterprise_is_told(
    app, client, runner, sinks, freeze, logged_in, utc_process
):
    """Notice: "如企业在 2024 年 6 月 30 日后领取保单，则该企业在该保单年度内的风险保障期限为保单实际
    签发日期（通常为企业实际领取保单后的一周内）至 2025 年 6 月 30 日" — cover runs from the issue date
    to 30 June 2025, so a claim made in the last days of cover must be issued before then: the
    insurer is alerted at once (not after the usual week), and a claim still unissued when cover
    ends lapses, leaves every queue and alert, and the enterprise is told why."""
    assert time.strftime("%Z") == "UTC"
    smtp, sms = sinks
    freeze("2025-06-27T10:00:00+08:00")
    enterprise = f.confirmed_enterprise(1, email="late@exporter.test", mobile="13900000001")
    clerk = f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    logged_in("enterprise", "boss@exporter.test", enterprise=enterprise)
    page = submit(client, "/portal/", form="form.claim-form")
    cover = soup(page).select_one(".policy-card .cover").get_text(strip=True)
    assert cover == "自签发日起（预计 2025-06-30 前签发）至 2025-06-30"
    policy = db.session.scalar(select(Policy))
    assert policy.status == "claimed" and not policy.claimed_on_time

    # the insurer hears of it at once: the usual alert would come after 7 days, past the cover end
    first = tick(runner, "2025-06-27T10:15:00+08:00")
    assert first["jobs"]["alerts.cover_end"] == 1 and first["jobs"]["alerts.staff"] == 0
    [alert] = smtp.to(clerk.email)
    assert alert.subject == "【统保】须在 2025-06-30 前签发：深圳市测试1号科技有限公司 的保单领取申请"
    body = alert.message().get_body(preferencelist=("plain",)).get_content()
    assert "还剩 3 天" in body and f"http://tongbao.test/staff/policies/{policy.id}" in body
    next_morning = tick(runner, "2025-06-28T09:00:00+08:00")["jobs"]
    assert (next_morning["alerts.cover_end"], next_morning["alerts.staff"]) == (0, 0)  # once; not overdue yet
    assert len(smtp.to(clerk.email)) == 1
    insurer = app.test_client()
    login(insurer, clerk.email, f.PASSWORD)
    queue = soup(insurer.get("/staff/policies/queue"))
    assert queue.select_one(f"tr[data-policy-id='{policy.id}'] .issue-by").get_text(strip=True) == (
        "须在 2025-06-30 前签发"
    )

    # the last minute of cover: nothing lapses; the first quarter of an hour after it (still 30 June
    # in UTC): the claim lapses, and the enterprise is told on its channels
    assert tick(runner, "2025-06-30T23:59:00+08:00")["jobs"]["policies.lapse"] == 0
    assert db.session.get(Policy, policy.id).status == "claimed"
    lapsed = tick(runner, "2025-07-01T00:15:00+08:00")
    assert lapsed["jobs"]["policies.lapse"] == 2
    assert (lapsed["sent"], lapsed["deferred"]) == ({"email": 1, "sms": 0}, 1)  # no SMS at night
    db.session.expire_all()
    assert db.session.get(Policy, policy.id).status == "lapsed"
    received, mail = smtp.to("late@exporter.test")  # the claim's receipt (issue 14), then the lapse
    assert received.subject == "【统保】已收到贵司2024年度保单领取申请"
    assert mail.subject == "【统保】2024 年度保单在保险期限结束前未获签发，已失效"
    told = mail.message().get_body(preferencelist=("plain",)).get_content()
    assert "于 2025-06-27 领取" in told and "到保险期限结束（2025-06-30）时仍未获签发，已失效" in told
    again = tick(runner, "2025-07-01T08:00:00+08:00")
    assert again["jobs"]["policies.lapse"] == 0 and again["sent"] == {"email": 0, "sms": 1}
    [text] = [m["text"] for m in sms.to("13900000001") if "失效" in m["text"]]
    assert text == "【统保】贵司2024年度统保保单在保险期限结束（2025-06-30）前未获签发，已失效。咨询83165355"
    assert len(text) <= 70  # one SMS
    assert tick(runner, "2025-07-01T09:30:00+08:00")["sent"] == {"email": 0, "sms": 0}
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "policy.lapse"))
    assert audit.actor_label == "notifier" and audit.object_id == str(policy.id)

    # it has left every queue and alert
    assert "没有待签发的保单" in text_of(insurer.get("/staff/policies/queue"))
    assert tick(runner, "2025-07-05T09:00:00+08:00")["jobs"]["alerts.staff"] == 0
    assert len(smtp.to(clerk.email)) == 1
    dashboard = soup(insurer.get("/staff/dashboard/insurer?programme=2024"))
    assert dashboard.select_one(".kpi[data-kpi=waiting] dd").get_text(strip=True) == "0"
    statuses = [
        [c.get_text(strip=True) for c in tr.select("th, td")]
        for tr in dashboard.select("table[data-chart=policy-status] tbody tr")
    ]
    assert statuses == [["已失效", "1"]]
    assert "已失效" in text_of(insurer.get(f"/staff/policies/{policy.id}"))
    _token, raw = create_token(cli_actor(), "single-window", now=now())
    api = client.get(f"/api/v1/policies/{policy.id}", headers={"Authorization": f"Bearer {raw}"}).get_json()
    assert api["status"] == "lapsed" and api["policy_no"] is None

    # the enterprise's portal shows the status and the reason
    card = soup(client.get("/portal/")).select_one(".policy-card")
    assert card.select_one(".policy-status").get_text(strip=True) == "已失效"
    assert card.select_one(".lapsed-reason").get_text(strip=True) == (
        "保险期限已于 2025-06-30 结束，该领取申请在此之前未获签发，保单已失效"
    )
    assert card.select_one("a.certificate-download") is None
    client.get("/lang/en?next=/portal/")
    english = soup(client.get("/portal/")).select_one(".policy-card")
    assert english.select_one(".policy-status").get_text(strip=True) == "Lapsed"
    assert "cover period ended on 2025-06-30" in english.select_one(".lapsed-reason").get_text()
