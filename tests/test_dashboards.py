"""Dashboards: known small datasets give the right figures in the data tables and SVG titles."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from intranet.actors import SystemActor
from intranet.credit_reports.models import CreditReportRequest
from intranet.dashboards.charts import bar_chart, donut_chart, line_chart
from intranet.extensions import db
from intranet.programmes import service as programmes
from intranet.roster.models import Objection

from . import factories as f
from .helpers import login, soup


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _table(page, key: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    table = page.select_one(f"table[data-chart={key}]")
    return [[c.get_text(strip=True) for c in tr.select("th, td")] for tr in table.select("tbody tr")]


def _titles(page, key: str, mark: str = "g") -> list[str]:  # type: ignore[no-untyped-def]
    return [t.get_text() for t in page.select(f"#chart-{key} svg {mark} > title")]


def _kpi(page, key: str) -> str:  # type: ignore[no-untyped-def]
    return page.select_one(f".kpi[data-kpi={key}] dd").get_text(strip=True)


def test_charts_escape_labels_and_carry_accessible_titles():
    svg = bar_chart("k", "标题<", "说明", [("<script>x</script>", 3, "3")])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'aria-labelledby="k-title k-desc"' in svg and '<title id="k-title">标题&lt;</title>' in svg
    assert "<title>" in line_chart("l", "t", "d", [("2024-06-03", 1), ("2024-06-10", 0)])
    assert "(75.0%)" in donut_chart("d", "t", "d", [("a", 3), ("b", 1)])


def test_bureau_dashboard_figures_for_a_known_roster(client, freeze, logged_in):
    freeze("2024-06-20T10:00:00+08:00")
    p = f.programme()
    main = f.make_roster(p, status="confirmed", notice_start=date(2024, 5, 20), notice_end=date(2024, 5, 26))
    extra = f.make_roster(p, status="notice", seq=2, notice_start=date(2024, 6, 18), notice_end=date(2024, 6, 24))
    baoan = [f.make_enterprise(n, district_name="宝安区") for n in range(1, 5)]
    nanshan = [f.make_enterprise(n, district_name="南山区") for n in range(5, 8)]
    entries = [f.add_entry(main, e) for e in baoan + nanshan[:2]]
    f.add_entry(main, nanshan[2], "9000000.00", eligible=False)
    f.add_entry(main, f.make_enterprise(8, district_name="南山区"), status="removed")
    f.add_entry(extra, f.make_enterprise(9, district_name="龙岗区"))
    # claims in Shanghai time: 16 June 23:30 and 17 June 00:30 fall in different weeks
    for e, moment in zip(
        baoan, ["2024-05-27T10:00:00+08:00", "2024-06-16T23:30:00+08:00", "2024-06-17T00:30:00+08:00"], strict=False
    ):
        f.make_policy(e, p, claimed_at=_at(moment))
    for i, status in enumerate(["open", "open", "dismissed"]):
        db.session.add(
            Objection(
                reference=f"OBJ-{i}",
                roster_entry_id=entries[i].id,
                reason="不符合条件",
                contact_name="王五",
                contact="13800000000",
                filed_at=f.now(),
                ip_hash="x",
                status=status,
            )
        )
    db.session.commit()
    logged_in("bureau")
    page = soup(client.get("/staff/dashboard/bureau?programme=2024"))

    assert _kpi(page, "roster_size") == "7"
    assert _kpi(page, "ineligible") == "1"
    assert _kpi(page, "confirmed") == "6"
    assert _kpi(page, "claimed") == "3"
    assert _kpi(page, "claimed_share") == "50.0%"
    assert _table(page, "district-share") == [["宝安区", "4", "3", "75.0%"], ["南山区", "2", "0", "0.0%"]]
    assert _titles(page, "district-share") == ["宝安区: 3 / 4 (75.0%)", "南山区: 0 / 2 (0.0%)"]
    assert _table(page, "weekly-claims") == [
        ["2024-05-27", "1"],
        ["2024-06-03", "0"],
        ["2024-06-10", "1"],
        ["2024-06-17", "1"],
    ]
    assert _titles(page, "weekly-claims") == ["2024-05-27: 1", "2024-06-03: 0", "2024-06-10: 1", "2024-06-17: 1"]
    assert _table(page, "objections") == [["已驳回", "1"], ["待处理", "2"]]
    assert _titles(page, "objections") == ["已驳回: 1 (33.3%)", "待处理: 2 (66.7%)"]
    assert _table(page, "rosters") == [["1", "主名单", "已确认", "6", "1"], ["2", "补充名单", "公示中", "1", "0"]]
    svg = page.select_one("#chart-district-share svg")
    assert svg["role"] == "img" and svg.select_one("title").get_text() == "各区领取率"


def _credit(enterprise, programme, status: str = "requested") -> None:  # type: ignore[no-untyped-def]
    db.session.add(
        CreditReportRequest(
            programme_id=programme.id,
            enterprise_id=enterprise.id,
            buyer_name="Buyer",
            buyer_country="US",
            free=True,
            status=status,
            requested_at=f.now(),
        )
    )


def test_insurer_dashboard_figures_for_known_queue_losses_and_limits(client, freeze, logged_in):
    moment = freeze("2024-07-20T12:00:00+08:00")
    p = f.programme()
    ages = [timedelta(hours=2), timedelta(days=3), timedelta(days=10), timedelta(days=20), timedelta(days=21)]
    for n, age in enumerate(ages, start=1):
        f.make_policy(f.make_enterprise(n), p, claimed_at=moment - age)
    issued = [
        f.make_policy(f.make_enterprise(n), p, status="issued", claimed_at=moment - timedelta(days=30))
        for n in range(10, 13)
    ]
    f.make_policy(f.make_enterprise(13), p, status="revoked", claimed_at=moment - timedelta(days=30))
    p1, p2, p3 = issued
    f.make_loss(p1, buyer="ACME Trading", country="US", amount="230000", status="paid", paid="150000")
    f.make_loss(
        p2, buyer="Beta GmbH", country="DE", cause="buyer_insolvency", amount="50000", status="paid", paid="40000"
    )
    f.make_loss(
        p2, buyer="beta  gmbh", country="DE", cause="buyer_insolvency", amount="62500", status="paid", paid="50000"
    )
    f.make_loss(p3, buyer="Gamma", country="RU", cause="war", amount="10000")
    f.make_loss(p3, buyer="Delta", country="US", amount="5000", status="declined")
    # another programme's loss stays out of the 2024 figures
    p2025 = programmes.copy_programme(SystemActor("test"), p, 2025, now=moment)
    other = f.make_policy(f.make_enterprise(20), p2025, status="issued", claimed_at=moment)
    f.make_loss(other, buyer="Other", country="FR", amount="999", status="paid", paid="999")
    for status in ("delivered", "requested", "declined"):
        _credit(p1.enterprise, p, status)
    _credit(p2.enterprise, p)
    db.session.commit()
    logged_in("insurer")
    page = soup(client.get("/staff/dashboard/insurer?programme=2024"))

    assert _kpi(page, "waiting") == "5"
    assert _kpi(page, "oldest") == "2024-06-29 12:00"
    assert _kpi(page, "losses") == "5"
    assert _kpi(page, "paid") == "USD 240,000.00"
    assert _kpi(page, "credit") == "3 / 24"
    assert _table(page, "queue-age") == [["1 天内", "1"], ["1–7 天", "1"], ["超过 7 天", "1"], ["超过 14 天", "2"]]
    assert _titles(page, "queue-age")[3] == "超过 14 天: 2"
    assert _table(page, "policy-status") == [["已领取待签发", "5"], ["已签发", "3"], ["已撤销", "1"]]
    causes = {row[0]: row[1:] for row in _table(page, "loss-causes")}
    assert causes == {
        "买方拖欠货款": ["2", "USD 235,000.00", "USD 150,000.00"],
        "买方无力偿还债务": ["2", "USD 112,500.00", "USD 90,000.00"],
        "战争": ["1", "USD 10,000.00", "USD 0.00"],
    }
    assert _table(page, "loss-countries") == [
        ["德国 (DE)", "2", "USD 112,500.00"],
        ["美国 (US)", "2", "USD 235,000.00"],
        ["俄罗斯 (RU)", "1", "USD 10,000.00"],
    ]
    assert _table(page, "limit-use") == [
        ["不足 25%", "0", "USD 0.00"],
        ["25%–50%", "0", "USD 0.00"],
        ["50%–75%", "1", "USD 90,000.00"],
        ["75%–100%", "0", "USD 0.00"],
        ["已达限额", "1", "USD 150,000.00"],
    ]
    assert "已达限额: 1" in _titles(page, "limit-use")
    assert _table(page, "credit-use") == [["已用 1 份", "1"], ["已用 2 份", "1"]]
    assert dict(_table(page, "loss-status")) == {"已报案": "1", "已赔付": "3", "拒赔": "1"}


def test_dashboards_follow_the_programme_filter_and_refuse_enterprises(app, freeze):
    freeze("2025-03-01T10:00:00+08:00")
    programmes.copy_programme(SystemActor("test"), f.programme(), 2025, now=f.now())
    enterprise = f.confirmed_enterprise(1)  # on the 2024 roster
    f.make_user("bureau", "officer@bureau.test")
    f.make_user("enterprise", "boss@exporter.test", enterprise=enterprise)
    db.session.commit()
    staff, company = app.test_client(), app.test_client()
    login(staff, "officer@bureau.test", f.PASSWORD)
    login(company, enterprise.uscc, f.PASSWORD)
    current = soup(staff.get("/staff/dashboard/bureau"))  # defaults to the current (2025) programme
    assert current.select_one("#programme option[selected]")["value"] == "2025"
    assert _kpi(current, "roster_size") == "0"
    assert _kpi(soup(staff.get("/staff/dashboard/bureau?programme=2024")), "roster_size") == "1"
    assert staff.get("/staff/dashboard/insurer").status_code == 200
    assert staff.get("/staff/dashboard/bureau?programme=1999").status_code == 404
    for url in ("/staff/dashboard/bureau", "/staff/dashboard/insurer"):
        assert company.get(url).status_code == 403
    staff.get("/lang/en?next=/")
    english = soup(staff.get("/staff/dashboard/insurer?programme=2024"))
    assert english.select_one("h1").get_text(strip=True) == "Insurer dashboard · 2024"
    assert english.select_one("#chart-queue-age h2").get_text() == "Issuance queue by age"
    assert _table(english, "queue-age")[0] == ["Within 1 day", "0"]
