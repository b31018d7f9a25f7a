"""Districts and account managers: the editable table, each manager's worklist, the contact log."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from intranet.actors import SystemActor
from intranet.audit.models import AuditLog
from intranet.districts.models import AccountManager, ManagerContact
from intranet.extensions import db
from intranet.programmes import service as programmes

from . import factories as f
from .helpers import login, soup, submit


def _manager(name: str) -> AccountManager:
    return db.session.scalar(select(AccountManager).where(AccountManager.name == name))


def _worklist_names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [tr.select("td")[1].get_text(strip=True) for tr in page.select("table.worklist tbody tr[data-enterprise]")]


def _district_rows(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    cells = (tr.select("td") for tr in page.select("table.districts tbody tr"))
    return {td[0].get_text(strip=True): td[1].get_text(strip=True) for td in cells}


def test_worklist_lists_exactly_the_unclaimed_enterprises_of_the_managers_districts(client, freeze, logged_in):
    freeze("2024-06-20T10:00:00+08:00")
    p2024 = f.programme(2024)
    p2025 = programmes.copy_programme(SystemActor("test"), p2024, 2025, now=f.now())
    main = f.make_roster(p2024, status="confirmed", notice_start=date(2024, 5, 20), notice_end=date(2024, 5, 26))
    later = f.make_roster(p2025, status="confirmed", notice_start=date(2025, 5, 20), notice_end=date(2025, 5, 26))
    under_notice = f.make_roster(p2024, status="notice", seq=2, notice_start=date(2024, 6, 18))
    names = {}
    for n, (name, district) in enumerate(
        [
            ("深圳市B宝安贸易有限公司", "宝安区"),  # 0: listed, unclaimed
            ("深圳市A宝安贸易有限公司", "宝安区"),  # 1: listed, unclaimed (sorts first)
            ("深圳市C宝安已领取有限公司", "宝安区"),  # 2: has a policy
            ("深圳市D南山贸易有限公司", "南山区"),  # 3: another manager's district
            ("深圳市E宝安公示中有限公司", "宝安区"),  # 4: only on a roster under notice
            ("深圳市F宝安被移除有限公司", "宝安区"),  # 5: removed after an objection
            ("深圳市G宝安超额有限公司", "宝安区"),  # 6: ineligible
            ("深圳市0宝安明年有限公司", "宝安区"),  # 7: next year's roster (later deadline)
        ],
        start=1,
    ):
        names[n] = f.make_enterprise(n, name=name, district_name=district)
    for n in (1, 2, 3, 4):
        f.add_entry(main, names[n])
    f.add_entry(under_notice, names[5])
    f.add_entry(main, names[6], status="removed")
    f.add_entry(main, names[7], eligible=False)
    f.add_entry(later, names[8])
    f.make_policy(names[3], p2024, claimed_at=f.now())
    db.session.commit()
    logged_in("insurer")
    li = _manager("李经理")

    page = soup(client.get(f"/staff/districts/managers/{li.id}/worklist"))
    assert _worklist_names(page) == ["深圳市A宝安贸易有限公司", "深圳市B宝安贸易有限公司", "深圳市0宝安明年有限公司"]
    deadlines = [tr.select_one("td").get_text(" ", strip=True) for tr in page.select("table.worklist tbody tr")]
    assert deadlines[0].startswith("2024-06-30") and deadlines[2].startswith("2025-06-30")
    huang = _manager("黄经理")  # shares 宝安区
    assert _worklist_names(soup(client.get(f"/staff/districts/managers/{huang.id}/worklist?programme=2024"))) == [
        "深圳市A宝安贸易有限公司",
        "深圳市B宝安贸易有限公司",
    ]
    sun = _manager("孙经理")
    assert _worklist_names(soup(client.get(f"/staff/districts/managers/{sun.id}/worklist"))) == [
        "深圳市D南山贸易有限公司"
    ]

    # log a call from the worklist
    link = page.select_one("table.worklist tbody tr a[href*='/contacts/']")["href"]
    done = soup(submit(client, link, {"channel": "phone", "note": "已电话提醒6月30日前领取"}, form="form.contact-form"))
    contact = db.session.scalar(select(ManagerContact))
    assert contact.enterprise_id == names[2].id and contact.manager_id == li.id and contact.channel == "phone"
    assert contact.programme_id == p2024.id and contact.at == f.now()
    assert "已电话提醒6月30日前领取" in done.select_one("ul.contact-log").get_text()
    first = done.select_one("table.worklist tbody tr")
    assert first.select("td")[5].get_text(strip=True) == "2024-06-20 10:00"
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "manager.contact")) is not None
    # an empty note is refused, nothing recorded
    response = submit(client, link, {"channel": "visit", "note": ""}, form="form.contact-form")
    assert response.status_code == 422
    assert len(db.session.scalars(select(ManagerContact)).all()) == 1


def test_insurer_edits_the_manager_table_and_each_change_is_audited(client, logged_in):
    logged_in("insurer")
    chen = _manager("陈经理")
    pingshan = f.district("坪山区").id
    longgang = f.district("龙岗区").id
    submit(
        client,
        f"/staff/districts/managers/{chen.id}/edit",
        {"phone": "0755-88325799", "districts": [str(longgang), str(pingshan)]},
        form="form.manager-form",
    )
    db.session.refresh(chen)
    assert chen.phone == "0755-88325799"
    assert [d.name_zh for d in chen.districts] == ["龙岗区", "坪山区"]
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "manager.edit"))
    assert entry.changes["phone"] == ["15817218652", "0755-88325799"]
    assert entry.changes["districts"] == [["龙岗区", "坪山区", "盐田区", "大鹏新区"], ["龙岗区", "坪山区"]]

    page = soup(client.get("/staff/districts/"))
    rows = _district_rows(page)
    assert rows["龙岗区"] == "陈经理 0755-88325799"
    assert rows["盐田区"] == "无在岗客户经理"

    page = soup(
        submit(
            client,
            "/staff/districts/managers/new",
            {"name": "周经理", "phone": "13800138000", "districts": [str(f.district("盐田区").id)], "active": "y"},
            form="form.manager-form",
        )
    )
    rows = _district_rows(page)
    assert rows["盐田区"] == "周经理 13800138000"
    # deactivated managers leave their districts uncovered on the table
    submit(client, f"/staff/districts/managers/{chen.id}/edit", {"active": ""}, form="form.manager-form")
    page = soup(client.get("/staff/districts/"))
    rows = _district_rows(page)
    assert rows["龙岗区"] == "无在岗客户经理"
    bad = submit(client, f"/staff/districts/managers/{chen.id}/edit", {"phone": "call me"}, form="form.manager-form")
    assert bad.status_code == 422 and soup(bad).select_one("#phone")["aria-invalid"] == "true"


def test_bureau_reads_districts_but_does_not_edit_and_enterprises_are_refused(app):
    f.make_user("bureau", "officer@bureau.test")
    enterprise = f.make_enterprise(1)
    f.make_user("enterprise", "boss@exporter.test", enterprise=enterprise)
    db.session.commit()
    li = _manager("李经理")
    bureau, company = app.test_client(), app.test_client()
    login(bureau, "officer@bureau.test", f.PASSWORD)
    login(company, enterprise.uscc, f.PASSWORD)
    assert bureau.get("/staff/districts/").status_code == 200
    assert bureau.get(f"/staff/districts/managers/{li.id}/worklist").status_code == 200
    assert bureau.get(f"/staff/districts/managers/{li.id}/edit").status_code == 403
    assert bureau.get(f"/staff/districts/managers/{li.id}/contacts/{enterprise.id}").status_code == 403
    for url in ("/staff/districts/", f"/staff/districts/managers/{li.id}/worklist"):
        assert company.get(url).status_code == 403
