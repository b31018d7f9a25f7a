"""Programmes as reference data: show/exclude/include CLI, next year's copy, audited parameter edits,
excluded countries with Chinese names, and who may do what."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from intranet.audit.models import AuditLog
from intranet.extensions import db
from intranet.programmes.models import Programme
from intranet.programmes.seed import load_json

from . import factories as f
from .helpers import login, soup, submit, submit_confirmed

DOMAIN_PARAMETERS = (
    "export_year",
    "threshold_usd",
    "claim_deadline",
    "cover_start",
    "cover_end",
    "issuance_lag_days",
    "indemnity_ratio",
    "per_buyer_limit_usd",
    "free_credit_reports",
    "hotline_consult",
    "hotline_claims",
)


def _show_json(runner, year: int = 2024) -> dict:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["programme", "show", str(year), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_show_json_has_every_parameter_the_excluded_countries_and_the_state(runner, freeze):
    freeze("2024-06-10T09:00:00+08:00")
    enterprise = f.confirmed_enterprise(1)
    f.make_policy(enterprise, f.programme(), claimed_at=f.now())
    db.session.commit()
    assert runner.invoke(args=["programme", "exclude", "2024", "KP", "ir"]).exit_code == 0
    data = _show_json(runner)
    seed = load_json("programme_2024.json")
    for key in DOMAIN_PARAMETERS:
        assert key in data, key
    assert data["threshold_usd"] == "8000000.00" and data["per_buyer_limit_usd"] == "150000.00"
    assert Decimal(data["indemnity_ratio"]) == Decimal(seed["indemnity_ratio"])
    assert (data["claim_deadline"], data["cover_start"], data["cover_end"]) == (
        "2024-06-30",
        "2024-07-01",
        "2025-06-30",
    )
    assert data["free_credit_reports"] == 3 and data["issuance_lag_days"] == 7
    assert (data["hotline_consult"], data["hotline_claims"]) == ("83165355", "88325700")
    assert data["reminder_email_days"] == seed["reminder_email_days"]
    assert data["excluded_countries"] == ["IR", "KP"]
    assert data["state"]["claim_phase"] == "before_deadline"
    assert data["state"]["rosters"][0]["status"] == "confirmed"
    assert data["state"]["policies"] == {"claimed": 1}
    text = runner.invoke(args=["programme", "show", "2024"])
    assert text.exit_code == 0 and "threshold_usd" in text.output and "KP 朝鲜" in text.output


def test_programme_cli_refusals_exit_1_and_usage_errors_exit_2(runner):
    unknown = runner.invoke(args=["programme", "show", "1999"])
    assert unknown.exit_code == 1 and "1999" in unknown.output
    bad = runner.invoke(args=["programme", "exclude", "2024", "KP", "ZZ"])
    assert bad.exit_code == 1 and "ZZ" in bad.output
    assert f.programme().excluded_codes == []  # all-or-nothing
    assert runner.invoke(args=["programme", "exclude", "2024"]).exit_code == 2
    assert runner.invoke(args=["programme", "show", "twenty"]).exit_code == 2


def test_bureau_copies_next_year_and_an_edited_threshold_is_what_the_rules_read(client, runner, freeze, logged_in):
    freeze("2024-09-01T10:00:00+08:00")
    assert runner.invoke(args=["programme", "exclude", "2024", "KP"]).exit_code == 0
    logged_in("bureau")
    page = soup(submit(client, "/staff/programmes/2024", form="form.copy-form"))
    assert page.select_one("form.programme-form") is not None  # lands on next year's editor
    copy = db.session.scalar(select(Programme).where(Programme.year == 2025))
    source = f.programme(2024)
    assert (copy.claim_deadline, copy.cover_start, copy.cover_end) == (
        date(2025, 6, 30),
        date(2025, 7, 1),
        date(2026, 6, 30),
    )
    assert copy.export_year == 2024
    for field in ("threshold_usd", "indemnity_ratio", "per_buyer_limit_usd", "free_credit_reports", "hotline_claims"):
        assert getattr(copy, field) == getattr(source, field), field
    assert copy.reminder_email_days == source.reminder_email_days and copy.excluded_codes == ["KP"]

    submit(
        client,
        "/staff/programmes/2025/edit",
        {"threshold_usd": "9000000.00", "reminder_sms_days": "3，1, 0"},
        form="form.programme-form",
    )
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "programme.edit"))
    assert entry.changes == {"threshold_usd": ["8000000.00", "9000000.00"], "reminder_sms_days": [[7, 1, 0], [3, 1, 0]]}
    assert entry.actor_label == "bureau@staff.test"
    assert _show_json(runner, 2025)["threshold_usd"] == "9000000.00"
    assert _show_json(runner, 2024)["threshold_usd"] == "8000000.00"
    page = soup(client.get("/staff/programmes/2025"))
    assert page.select_one("dd[data-field=threshold_usd]").get_text(strip=True) == "USD 9,000,000.00"
    # the public home page (a rule reading the current programme) shows the new threshold in 2025,
    # once the bureau has published the copy (a draft until then)
    freeze("2025-03-01T10:00:00+08:00")
    assert "USD 8,000,000.00" in soup(client.get("/")).select_one(".hero .lead").get_text()
    submit_confirmed(client, "/staff/programmes/2025", form="form.publish-form")
    assert "USD 9,000,000.00" in soup(client.get("/")).select_one(".hero .lead").get_text()


def test_parameter_edits_are_validated_and_nothing_changes_when_refused(client, logged_in):
    logged_in("bureau")
    cases = [
        ({"cover_end": "2024-06-01"}, "cover_end"),
        ({"claim_deadline": "2025-07-01"}, "claim_deadline"),
        ({"indemnity_ratio": "1.5"}, "indemnity_ratio"),
        ({"threshold_usd": "0"}, "threshold_usd"),
        ({"reminder_email_days": "30, soon"}, "reminder_email_days"),
        ({"reminder_time": "25:00"}, "reminder_time"),
    ]
    for data, field in cases:
        response = submit(client, "/staff/programmes/2024/edit", data, form="form.programme-form")
        assert response.status_code == 422, data
        assert soup(response).select_one(f"#{field}")["aria-invalid"] == "true", data
    db.session.expire_all()
    programme = f.programme()
    assert programme.cover_end == date(2025, 6, 30) and programme.threshold_usd == Decimal("8000000.00")
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "programme.edit")) is None


def test_insurer_maintains_excluded_countries_with_chinese_names_via_ui_and_cli(client, runner, logged_in):
    logged_in("insurer")
    page = soup(submit(client, "/staff/programmes/2024", {"countries": ["KP", "IR"]}, form="form.exclude-form"))
    rows = [
        [td.get_text(strip=True) for td in tr.select("td")[:2]] for tr in page.select("table.excluded-countries tr")[1:]
    ]
    assert [r[0] for r in rows] == ["IR", "KP"]
    assert rows[0][1].startswith("伊朗") and rows[1][1].startswith("朝鲜")
    assert "North Korea" not in page.select_one("table.excluded-countries").get_text()  # a Chinese page
    assert f.programme().excluded_codes == ["IR", "KP"]

    page = soup(submit(client, "/staff/programmes/2024", form="form[action$='/include/KP']"))
    assert [tr.select_one("td").get_text() for tr in page.select("table.excluded-countries tbody tr")] == ["IR"]

    assert runner.invoke(args=["programme", "exclude", "2024", "cu"]).exit_code == 0
    page = soup(client.get("/staff/programmes/2024"))
    assert "古巴" in page.select_one("table.excluded-countries").get_text()
    assert runner.invoke(args=["programme", "include", "2024", "IR"]).output.strip() == "excluded: CU 古巴 (Cuba)"
    actions = list(
        db.session.scalars(
            select(AuditLog.action).where(AuditLog.action.startswith("programme.")).order_by(AuditLog.id)
        )
    )
    assert actions == ["programme.exclude", "programme.include", "programme.exclude", "programme.include"]


def test_who_may_do_what_on_programmes(app):
    f.make_user("insurer", "clerk@sinosure.test")
    f.make_user("bureau", "officer@bureau.test")
    enterprise = f.make_enterprise(1)
    f.make_user("enterprise", "boss@exporter.test", enterprise=enterprise)
    db.session.commit()
    insurer, bureau, company = app.test_client(), app.test_client(), app.test_client()
    login(insurer, "clerk@sinosure.test", f.PASSWORD)
    login(bureau, "officer@bureau.test", f.PASSWORD)
    login(company, enterprise.uscc, f.PASSWORD)

    page = soup(insurer.get("/staff/programmes/2024"))
    assert page.select_one("form.exclude-form") is not None and page.select_one("form.copy-form") is None
    assert insurer.get("/staff/programmes/2024/edit").status_code == 403
    assert insurer.get("/staff/programmes/").status_code == 200

    page = soup(bureau.get("/staff/programmes/2024"))
    assert page.select_one("form.exclude-form") is None and page.select_one("form.copy-form") is not None
    assert bureau.get("/staff/programmes/2024/edit").status_code == 200

    assert company.get("/staff/programmes/").status_code == 403
    assert company.get("/staff/programmes/2024").status_code == 403


def test_staff_pages_read_the_programme_year_from_either_parameter_name(client, logged_in):
    """`?programme=YEAR` (dashboards, exports, worklists) and `?year=YEAR` (the roster and policy
    pages' selectors) choose the same programme on every staff page; an unknown year is 404."""
    f.make_programme(2023, like=2024)
    logged_in("insurer")
    for path, select_id in [("/staff/dashboard/bureau", "programme"), ("/staff/roster/", "year")]:
        for name in ("programme", "year"):
            page = soup(client.get(f"{path}?{name}=2023"))
            assert page.select_one(f"select#{select_id} option[selected]")["value"] == "2023", (path, name)
        assert client.get(f"{path}?programme=2031").status_code == 404
        shown = soup(client.get(path)).select_one(f"select#{select_id} option[selected]")
        assert shown["value"] == "2024"  # no year asked: the current programme
