"""Risk notices: safe Markdown, the insurer's draft → preview → publish → archive, the portal, the CLI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from intranet.audit.models import AuditLog
from intranet.clock import now
from intranet.extensions import db
from intranet.notices.models import RiskNotice
from intranet.notices.service import render_markdown

from . import factories as f
from .helpers import login, soup, submit, submit_confirmed

EVIL = """## 俄罗斯国别风险

- 制裁升级 **注意**
- 付款延迟

<script>alert('xss')</script>
<img src=x onerror="alert(1)">
<iframe src="https://evil.example/"></iframe>
<a href="https://ok.example/" onclick="steal()">raw</a>

[点我](javascript:alert(document.cookie)) [大写](JaVaScRiPt:alert(1)) [官网](https://www.sinosure.com.cn/)

| 国家 | 评级 |
|---|---|
| 俄罗斯 | 7 |
"""


def _parse(html: str):  # type: ignore[no-untyped-def]
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")


def test_markdown_renders_structure_but_never_scripts_handlers_or_raw_html():
    page = _parse(str(render_markdown(EVIL)))
    assert page.select_one("h2").get_text() == "俄罗斯国别风险"
    assert [li.get_text() for li in page.select("ul li")] == ["制裁升级 注意", "付款延迟"]
    assert page.select_one("table td").get_text() == "俄罗斯"
    # raw HTML is shown as text, never as elements
    assert page.find(["script", "img", "iframe"]) is None
    assert all(not attr.startswith("on") for tag in page.find_all(True) for attr in tag.attrs)
    assert "<script>" in page.get_text()  # visible as harmless text
    links = {a.get_text(): a.get("href") for a in page.select("a")}
    assert links["官网"] == "https://www.sinosure.com.cn/"
    assert "点我" not in links and "大写" not in links  # javascript: links are not links
    assert "noopener" in page.select_one("a")["rel"]


def test_insurer_previews_saves_publishes_and_archives_a_notice(client, freeze, logged_in):
    freeze("2024-07-03T10:00:00+08:00")
    logged_in("insurer")
    form = {"title": "2024年7月俄罗斯风险提示", "category": "risk_alert", "month": "2024-07", "body_md": EVIL}
    preview = soup(
        submit(
            client,
            "/staff/notices/new",
            {**form, "countries": ["RU", "UA"], "preview": "预览"},
            form="form.notice-form",
        )
    )
    shown = preview.select_one(".notice-preview .notice-body")
    assert shown.select_one("h2").get_text() == "俄罗斯国别风险"
    assert shown.find("script") is None and shown.find("img") is None
    assert db.session.scalar(select(RiskNotice.id)) is None  # preview saves nothing

    page = soup(
        submit(
            client,
            "/staff/notices/new",
            {**form, "countries": ["RU", "UA"], "save": "保存草稿"},
            form="form.notice-form",
        )
    )
    notice = db.session.scalar(select(RiskNotice))
    assert notice.status == "draft" and notice.countries == ["RU", "UA"] and notice.month == "2024-07"
    assert page.select_one("h1").get_text(strip=True) == "2024年7月俄罗斯风险提示"
    body = page.select_one(".notice-body")
    assert body.find("script") is None and not body.select("a[href^=javascript], a[href^=JaVaScRiPt]")
    assert "俄罗斯" in page.select_one(".notice-countries").get_text()

    page = soup(submit_confirmed(client, f"/staff/notices/{notice.id}", form="form.publish-form"))
    db.session.refresh(notice)
    assert notice.status == "published" and notice.published_at == now()
    assert page.select_one(".badge.ok") is not None
    assert page.select_one("form.publish-form") is None

    submit(client, f"/staff/notices/{notice.id}", form="form.archive-form")
    db.session.refresh(notice)
    assert notice.status == "archived"
    actions = list(
        db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "risk_notices").order_by(AuditLog.id))
    )
    assert actions == ["notice.create", "notice.publish", "notice.archive"]


def test_notice_form_refuses_bad_month_and_published_notices_are_not_edited(client, logged_in):
    logged_in("insurer")
    response = submit(
        client, "/staff/notices/new", {"title": "T", "month": "2024-13", "body_md": "x"}, form="form.notice-form"
    )
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#month")["aria-invalid"] == "true"
    published = f.make_notice("已发布", status="published")
    db.session.commit()
    response = submit(client, f"/staff/notices/{published.id}/edit", {"title": "改"}, form="form.notice-form")
    assert response.status_code == 422
    assert "只有草稿可以修改" in soup(response).select_one(".error-summary").get_text()
    db.session.refresh(published)
    assert published.title == "已发布"


def test_portal_shows_published_notices_newest_first_and_by_country(client):
    enterprise = f.confirmed_enterprise(1)
    f.make_user("enterprise", "boss@exporter.test", enterprise=enterprise)
    base = now()
    f.make_notice("六月全球", month="2024-06", published_at=base - timedelta(days=40))
    f.make_notice("七月俄罗斯", month="2024-07", countries=["RU"], published_at=base - timedelta(days=5))
    f.make_notice("七月美国市场", month="2024-07", countries=["US", "RU"], category="market_info", published_at=base)
    draft = f.make_notice("草稿不可见", month="2024-08", status="draft")
    f.make_notice("已归档不可见", month="2024-08", status="archived")
    db.session.commit()
    login(client, enterprise.uscc, f.PASSWORD)

    page = soup(client.get("/portal/notices"))
    titles = [a.get_text(strip=True) for a in page.select(".notice-item h2 a")]
    assert titles == ["七月美国市场", "七月俄罗斯", "六月全球"]
    options = [o["value"] for o in page.select("#country option") if o["value"]]
    assert options == ["RU", "US"]
    assert "美国" in page.select_one("#country").get_text()

    page = soup(client.get("/portal/notices?country=ru"))
    assert [a.get_text(strip=True) for a in page.select(".notice-item h2 a")] == ["七月美国市场", "七月俄罗斯"]
    page = soup(client.get("/portal/notices?country=US"))
    assert [a.get_text(strip=True) for a in page.select(".notice-item h2 a")] == ["七月美国市场"]

    assert client.get(f"/portal/notices/{draft.id}").status_code == 404
    assert client.get("/staff/notices").status_code == 403
    assert client.get("/staff/notices/new").status_code == 403


def test_bureau_reads_notices_but_only_the_insurer_writes_them(client):
    f.make_user("bureau", "officer@bureau.test")
    notice = f.make_notice("七月", status="draft")
    db.session.commit()
    login(client, "officer@bureau.test", f.PASSWORD)
    assert client.get("/staff/notices").status_code == 200
    assert client.get(f"/staff/notices/{notice.id}").status_code == 200
    assert client.get("/staff/notices/new").status_code == 403
    page = soup(client.get(f"/staff/notices/{notice.id}"))
    assert page.select_one("form.publish-form") is None


@pytest.fixture
def notice_file(tmp_path):  # type: ignore[no-untyped-def]
    def write(text: str):  # type: ignore[no-untyped-def]
        path = tmp_path / "notice.md"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def test_cli_publishes_a_notice_titled_by_its_first_line(runner, notice_file, freeze):
    freeze("2024-07-01T09:00:00+08:00")
    path = notice_file("# 2024年7月国别风险信息\n\n## 俄罗斯\n\n付款风险上升。\n")
    result = runner.invoke(args=["notice", "publish", path, "--month", "2024-07", "--countries", "ru,UA"])
    assert result.exit_code == 0, result.output
    notice = db.session.scalar(select(RiskNotice))
    assert notice.title == "2024年7月国别风险信息"
    assert notice.status == "published" and notice.month == "2024-07" and notice.countries == ["RU", "UA"]
    assert notice.body_md.startswith("## 俄罗斯") and notice.published_at == now()
    assert db.session.scalar(select(AuditLog.actor_label).where(AuditLog.action == "notice.publish")).startswith("cli:")


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("# T\nbody", ["--month", "2024-7"], "YYYY-MM"),
        ("# T\nbody", ["--month", "2024-00"], "YYYY-MM"),
        ("# T\nbody", ["--month", "2024-07", "--countries", "RU,XX"], "XX"),
        ("", ["--month", "2024-07"], "empty"),
        ("# 只有标题\n\n", ["--month", "2024-07"], "body"),
    ],
)
def test_cli_refuses_bad_month_country_or_empty_file_with_exit_1(runner, notice_file, text, args, message):
    result = runner.invoke(args=["notice", "publish", notice_file(text), *args])
    assert result.exit_code == 1
    assert message in result.output
    assert db.session.scalar(select(RiskNotice.id)) is None


def test_cli_usage_errors_exit_2(runner, notice_file, tmp_path):
    assert runner.invoke(args=["notice", "publish", notice_file("# T\nx")]).exit_code == 2  # --month missing
    assert runner.invoke(args=["notice", "publish", str(tmp_path / "nope.md"), "--month", "2024-07"]).exit_code == 2
