"""Issue 13, rules 10 and 11: one test per rule of the notice (`../shared/seed/`), each quoting the
sentence it enforces, on SQLite and PostgreSQL, with this process in UTC (the rules decide dates in
Shanghai, never in the OS time zone)."""

from __future__ import annotations

import json
import re
import time

from bs4 import BeautifulSoup
from sqlalchemy import select

from intranet.actors import cli_actor
from intranet.api_auth.tokens import create_token
from intranet.audit.models import AuditLog
from intranet.certificates import render
from intranet.clock import now
from intranet.districts.models import AccountManager
from intranet.extensions import db
from intranet.policies.models import Policy
from intranet.programmes.models import Programme

from . import factories as f
from .helpers import login, soup, submit, submit_confirmed

# 00:30 on 1 January 2025 in Shanghai is still 31 December 2024 in UTC: the 2025 programme's year has
# begun in Shanghai only
NEW_YEAR = "2024-12-31T16:30:00+00:00"
# 00:30 on 20 June 2024 in Shanghai (19 June in UTC): inside the 2024 claim period
JUNE = "2024-06-19T16:30:00+00:00"
HAN = re.compile(r"[\u4e00-\u9fff]")


def _manager(name: str) -> AccountManager:
    found = db.session.scalar(select(AccountManager).where(AccountManager.name == name))
    assert found is not None
    return found


def _certificate_managers(policy: Policy) -> str:
    """The certificate's account managers, as its HTML (what the PDF is printed from) shows them."""
    db.session.expire_all()
    built = render.build(db.session.get(Policy, policy.id), base_url="http://testserver", now=now())
    assert [m["name"] for m in built.data["account_managers"]]  # the embedded data names them too
    return BeautifulSoup(built.html, "html.parser").get_text(" ", strip=True)


def _heading(client) -> str:  # type: ignore[no-untyped-def]
    return soup(client.get("/")).select_one(".hero h1").get_text(strip=True)


def test_rule_10_a_copied_programme_is_a_draft_until_the_bureau_publishes_it(app, runner, freeze, utc_process):
    """Notice: "深圳市 2024 年度外贸中小微企业出口信用保险统保政策" — one policy per year, published by the
    Commerce Bureau ("由深圳市商务局通过官方网站公示"); and "保单咨询：请联络中国信保深圳分公司客户经理：
    宝安区：李经理 15877399562 黄经理 13590133090". Next year's copy is a draft until the bureau
    publishes it (confirmed, audited); the public pages show the latest published programme; the
    older programme keeps accepting what its own dates allow; a past year's certificate shows that
    year's account managers."""
    assert time.strftime("%Z") == "UTC"
    freeze(NEW_YEAR)
    p2024 = f.programme(2024)
    holder, _user, old_policy = f.certificate_holder(1, district_name="宝安区")
    late = f.confirmed_enterprise(2, district_name="宝安区")  # on the 2024 roster, has not claimed
    f.make_user("enterprise", "late@exporter.test", enterprise=late)
    f.make_user("bureau", "officer@bureau.test")
    f.make_user("insurer", "desk@sinosure.test")
    db.session.commit()
    assert "李经理" in _certificate_managers(old_policy)

    # bureau copies 2024 into 2025 from the command line: a draft
    copied = runner.invoke(args=["programme", "copy", "2024"])
    assert copied.exit_code == 0, copied.output
    assert "draft" in copied.output
    p2025 = db.session.scalar(select(Programme).where(Programme.year == 2025))
    assert p2025 is not None and p2025.published_at is None
    assert runner.invoke(args=["programme", "copy", "2024"]).exit_code == 1  # exists already
    shown = json.loads(runner.invoke(args=["programme", "show", "2025", "--json"]).output)
    assert shown["state"]["published"] is False and shown["cover_end"] == "2026-06-30"

    # the public (home, board, services) still sees 2024, though 2025 has begun in Shanghai
    public = app.test_client()
    assert _heading(public).startswith("深圳市2024年度")
    assert public.get("/notices/2025").status_code == 404
    services = soup(public.get("/services")).get_text()
    assert "83165355" in services
    verify = soup(public.get(f"/verify/{old_policy.verify_code}"))
    assert holder.name in verify.get_text()

    # nobody claims on a draft, not even the single window
    _token, raw = create_token(cli_actor(), "single-window", now=now())
    refused = public.post(
        "/api/v1/programmes/2025/policies", json={"uscc": late.uscc}, headers={"Authorization": f"Bearer {raw}"}
    )
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "programme_draft"

    # the insurer dates the 宝安区 managers: 李经理 serves up to 2024, 王经理 from 2025
    insurer = app.test_client()
    login(insurer, "desk@sinosure.test", f.PASSWORD)
    li = _manager("李经理")
    submit(insurer, f"/staff/districts/managers/{li.id}/edit", {"to_year": "2024"}, form="form.manager-form")
    baoan = str(f.district("宝安区").id)
    submit(
        insurer,
        "/staff/districts/managers/new",
        {"name": "王经理", "phone": "13900000000", "districts": [baoan], "active": "y", "from_year": "2025"},
        form="form.manager-form",
    )
    # only the bureau publishes
    assert insurer.get("/staff/programmes/2025").status_code == 200
    token = soup(insurer.get("/staff/programmes/2025")).select_one("input[name=csrf_token]")["value"]
    assert insurer.post("/staff/programmes/2025/publish", data={"csrf_token": token}).status_code == 403

    bureau = app.test_client()
    login(bureau, "officer@bureau.test", f.PASSWORD)
    page = soup(bureau.get("/staff/programmes/2025"))
    assert page.select_one(".publication")["data-published"] == "0"
    asked = soup(submit(bureau, "/staff/programmes/2025", form="form.publish-form"))
    assert asked.select_one(".confirmation-title").get_text(strip=True) == "发布 2025 年度统保项目"
    assert db.session.scalar(select(Programme.published_at).where(Programme.year == 2025)) is None  # not yet
    done = soup(submit_confirmed(bureau, "/staff/programmes/2025", form="form.publish-form"))
    assert done.select_one(".publication")["data-published"] == "1"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "programme.publish"))
    assert entry is not None and entry.actor_label == "officer@bureau.test"
    assert runner.invoke(args=["programme", "publish", "2025"]).exit_code == 1  # published already

    # the public pages now show 2025 (its year has begun in Shanghai, not yet in UTC)
    assert _heading(public).startswith("深圳市2025年度")
    assert public.get("/notices/2025").status_code == 200

    # the 2024 programme still accepts a late claim by its own dates (cover to 2025-06-30)
    company = app.test_client()
    login(company, late.uscc, f.PASSWORD)
    home = soup(company.get("/portal/"))
    assert home.select_one("#programme-h").get_text(strip=True).startswith("深圳市2024年度")
    submit(company, "/portal/", form="form.claim-form")
    claimed = db.session.scalar(select(Policy).where(Policy.enterprise_id == late.id))
    assert claimed.programme.year == 2024 and claimed.cover_end.isoformat() == "2025-06-30"

    # each year's certificate shows that year's managers
    db.session.expire_all()
    assert "李经理" in _certificate_managers(old_policy) and "王经理" not in _certificate_managers(old_policy)
    _e, _u, new_policy = f.certificate_holder(3, 2025, district_name="宝安区")
    db.session.commit()
    shown = _certificate_managers(new_policy)
    assert "王经理" in shown and "李经理" not in shown and "黄经理" in shown
    assert p2024.year == 2024


def test_rule_11_the_services_around_the_policy_are_named_with_their_addresses(app, freeze, utc_process):
    """Notice: "通过中国信保深圳分公司“线上承保、线上报损核赔、线上资信、线上咨询”四个线上服务举措";
    "企业登录中国（深圳）国际贸易单一窗口（http://sz.singlewindow.cn/），进入出口信用模块……具体操作指引
    登录中国出口信用保险公司深圳分公司公众号查询"; "企业成功领取保单同时,请及时下载并绑定“信步天下”APP".
    A page linked from the home page and the portal names the four services, the single window's
    address and the WeChat account; after a claim the portal prompts for the app. The addresses are
    programme parameters the bureau edits, not literals."""
    assert time.strftime("%Z") == "UTC"
    freeze(JUNE)
    enterprise = f.confirmed_enterprise(1)
    f.make_user("enterprise", "boss@exporter.test", enterprise=enterprise)
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()

    public = app.test_client()
    home = soup(public.get("/"))
    assert home.select_one("a.services-link")["href"] == "/services"
    page = soup(public.get("/services"))
    names = [h.get_text(strip=True) for h in page.select(".online-service .service-name")]
    assert names == ["线上承保", "线上报损核赔", "线上资信", "线上咨询"]
    links = {li["data-service"]: li.select_one("a.service-link") for li in page.select(".online-service")}
    assert links["underwriting"]["href"] == "/portal/"
    assert links["claims"]["href"] == "/portal/losses"
    assert links["credit"]["href"] == "/portal/credit-reports"
    consult = page.select_one(".online-service[data-service=consultation]")
    assert links["consultation"] is None or links["consultation"]["href"].startswith("/portal")
    if links["consultation"] is None:  # no consultation pages in this deployment: the hotline instead
        assert "83165355" in consult.get_text()
    assert page.select_one(".single-window-address a")["href"] == "http://sz.singlewindow.cn/"
    assert "出口信用" in page.select_one(".single-window").get_text()
    assert (
        page.select_one(".wechat-account").get_text(strip=True)
        == "具体操作指引请在微信公众号“中国出口信用保险公司深圳分公司”查询。"
    )
    assert "信步天下" in page.select_one(".app-prompt").get_text()

    # the same page in English, one language a sentence
    public.get("/lang/en")
    english = soup(public.get("/services"))
    en_names = [h.get_text(strip=True) for h in english.select(".online-service .service-name")]
    assert en_names == [
        "Online underwriting",
        "Online loss reports and claims",
        "Online credit reports",
        "Online consultation",
    ]
    for node in english.select(".online-service .service-text, .single-window p, .how-to p, .app-prompt p"):
        assert not HAN.search(node.get_text()), node.get_text()
    assert english.select_one(".wechat-account").get_text(strip=True).startswith("Step-by-step guides are on")

    # the addresses are parameters: the bureau changes the single window's, the page follows
    bureau = app.test_client()
    login(bureau, "officer@bureau.test", f.PASSWORD)
    edited = submit(
        bureau,
        "/staff/programmes/2024/edit",
        {"single_window_url": "https://sz.singlewindow.cn/dyck/"},
        form="form.programme-form",
    )
    assert edited.status_code == 200
    bad = submit(bureau, "/staff/programmes/2024/edit", {"app_url": "javascript:alert(1)"}, form="form.programme-form")
    assert bad.status_code == 422
    public.get("/lang/zh")
    page = soup(public.get("/services"))
    assert page.select_one(".single-window-address a")["href"] == "https://sz.singlewindow.cn/dyck/"

    # the portal links the page; the app prompt comes once the policy is claimed
    company = app.test_client()
    login(company, enterprise.uscc, f.PASSWORD)
    before = soup(company.get("/portal/"))
    assert before.select_one("a.services-link")["href"] == "/services"
    assert before.select_one(".app-prompt") is None
    after = soup(submit(company, "/portal/", form="form.claim-form"))
    assert after.select_one(".policy-card") is not None
    prompt = after.select_one(".app-prompt")
    assert prompt is not None and "请及时下载并绑定“信步天下”APP" in prompt.get_text()
    assert prompt.select_one("a.app-download")["href"] == f.programme(2024).app_url
