"""A government site's conventions, from the configuration: sponsor and operator, site identifier
and registration numbers in every page's footer, a privacy notice linked from it (what is kept,
why, for how long — the outbox retention setting — and whom to ask). And `make run PORT=5201`:
without TONGBAO_BASE_URL, the links in delivered messages point at :5201."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intranet import create_app
from intranet.config import Config, SiteInfo, base_url_from_env
from intranet.extensions import db

from . import factories as f
from .conftest import FAST_HASH, FreshContextClient, reset_postgres
from .helpers import soup
from .notifier_sinks import tick

ENV = (
    "TONGBAO_SITE_SPONSOR",
    "TONGBAO_SITE_OPERATOR",
    "TONGBAO_SITE_CODE",
    "TONGBAO_ICP_RECORD",
    "TONGBAO_PSB_RECORD",
    "TONGBAO_PRIVACY_CONTACT",
)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_footer_shows_sponsor_operator_and_registration_numbers_with_a_privacy_link(app, client, language):
    client.get(f"/lang/{language}")
    footer = soup(client.get("/")).select_one("footer")
    text = footer.get_text(" ", strip=True)
    if language == "zh":
        assert "主办单位：深圳市商务局" in text and "承办单位：中国出口信用保险公司深圳分公司" in text
        assert "网站标识码：4403000099" in text
    else:
        assert "Sponsor: Shenzhen Municipal Bureau of Commerce" in text
        assert "Operator: China Export & Credit Insurance Corporation, Shenzhen Branch" in text
        assert "Site identifier: 4403000099" in text
    icp = footer.select_one("a.icp-record")
    assert icp.get_text(strip=True) == "粤ICP备00000000号-1" and icp["href"] == "https://beian.miit.gov.cn/"
    psb = footer.select_one("a.psb-record")
    assert psb.get_text(strip=True) == "粤公网安备44030002000000号" and psb["href"].endswith(
        "recordcode=44030002000000"
    )
    assert footer.select_one("a.footer-privacy")["href"] == "/privacy"


def test_the_deployment_sets_its_own_names_and_numbers(app, client):
    app.config["TONGBAO_SITE"] = SiteInfo(
        sponsor="某市商务局",
        operator="某市大数据中心",
        site_code="4403000001",
        icp_record="粤ICP备12345678号",
        psb_record="",
        privacy_contact="privacy@bureau.example.gov.cn",
    )
    app.config["TONGBAO_OUTBOX_RETENTION_DAYS"] = 90
    home = soup(client.get("/"))
    text = home.select_one("footer").get_text(" ", strip=True)
    assert "主办单位：某市商务局" in text and "承办单位：某市大数据中心" in text and "4403000001" in text
    assert home.select_one("footer .psb-record") is None  # not set: not shown
    privacy = soup(client.get(home.select_one("a.footer-privacy")["href"]))
    body = privacy.select_one("main").get_text(" ", strip=True)
    assert privacy.select_one("h1").get_text(strip=True) == "隐私声明"
    assert "保存 90 天" in body  # the retention setting
    assert "联系方式" in body and "操作记录" in body  # what is kept
    assert privacy.select_one(".privacy-contact-value").get_text(strip=True) == "privacy@bureau.example.gov.cn"


def test_privacy_notice_in_english_names_the_hotline_without_a_contact(app, client):
    client.get("/lang/en")
    page = soup(client.get("/privacy"))
    body = page.select_one("main").get_text(" ", strip=True)
    assert "kept for 180 days" in body
    assert page.select_one(".privacy-contact-value").get_text(strip=True) == "hotline 83165355"


def test_site_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TONGBAO_INSTANCE_PATH", str(tmp_path))
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    assert Config.from_env().site == SiteInfo()
    monkeypatch.setenv("TONGBAO_SITE_SPONSOR", " 某市商务局 ")
    monkeypatch.setenv("TONGBAO_PSB_RECORD", "")
    site = Config.from_env().flask_settings()["TONGBAO_SITE"]
    assert (site.sponsor, site.psb_record, site.icp_record) == ("某市商务局", "", SiteInfo().icp_record)


def test_port_sets_the_base_url_unless_one_is_given():
    assert base_url_from_env({"PORT": "5201"}) == "http://127.0.0.1:5201"
    assert base_url_from_env({"PORT": "5201", "TONGBAO_BASE_URL": "https://tongbao.example.cn/"}) == (
        "https://tongbao.example.cn"
    )
    assert base_url_from_env({}) == "http://127.0.0.1:5000"
    assert base_url_from_env({"PORT": "not-a-port"}) == "http://127.0.0.1:5000"


def test_make_run_port_5201_puts_5201_in_the_links_of_delivered_messages(monkeypatch, database_url, backend, tmp_path):
    """`make run PORT=5201` without TONGBAO_BASE_URL: a reminder delivered (to the outbox log, no
    server configured) carries links to :5201."""
    monkeypatch.setenv("PORT", "5201")
    for name in ("TONGBAO_BASE_URL", "TONGBAO_SMTP_URL", "TONGBAO_SMS_URL", "TONGBAO_NOW"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TONGBAO_DATABASE_URL", database_url)
    monkeypatch.setenv("TONGBAO_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("TONGBAO_SECRET_KEY", "test-secret-key")
    config = Config.from_env(testing=True, extra={"PASSWORD_HASH_METHOD": FAST_HASH, "TASKS_IMMEDIATE": True})
    application = create_app(config)
    application.test_client_class = FreshContextClient
    if backend == "postgresql":
        reset_postgres(application)
    with application.app_context():
        f.confirmed_enterprise(1, email="waiting@exporter.test", mobile="13800000001")
        db.session.commit()
        summary = tick(application.test_cli_runner(), "2024-06-23T09:30:00+08:00")  # 7 days left
        assert summary["sent"] == {"email": 1, "sms": 1}
        db.session.remove()
    logged = [json.loads(line) for line in Path(tmp_path / "instance" / "outbox.log").read_text().splitlines()]
    assert {item["to"] for item in logged} == {"waiting@exporter.test", "13800000001"}
    for item in logged:
        assert "http://127.0.0.1:5201/" in item["text"], item["text"]
        assert ":5000" not in item["text"]
