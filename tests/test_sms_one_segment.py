"""Every SMS is one segment (70 characters when it holds Chinese, 【统保】 and the link included) in
its longest realistic form: 30-character enterprise and buyer names (Latin or Chinese), 300-character
notice titles, the longest codes, amounts and dates, on the default base URL and on a 25-character
site domain. Links are short links on the site's own domain (`/s/<code>`), which
redirect to the page while what they point to lives, and are a 404 afterwards.

The templates are found by glob, so a template added later is checked too: its variables are read
from the template itself, and one this file does not know gets a long value by its name."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from jinja2 import meta
from sqlalchemy import select

from intranet.auth import service as auth
from intranet.clock import SHANGHAI
from intranet.enterprises import service as enterprises
from intranet.extensions import db
from intranet.outbox.models import OutboxMessage
from intranet.outbox.segments import sms_segments
from intranet.outbox.service import build_row
from intranet.shortlinks import service as shortlinks
from intranet.shortlinks.models import ShortLink

from . import factories as f
from .helpers import soup

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates" / "messages").glob("*/*.sms.txt"))
NOW = datetime(2024, 6, 1, 10, 0, tzinfo=SHANGHAI)
BASE_URL = "http://127.0.0.1:5000"  # the default
SITE_URLS = [BASE_URL, "https://tongbao.sz.gov.cn"]  # and a site's own domain of the usual length
NAME_30 = "深圳市前海深港合作区某某某某国际供应链管理股份有限公司"[:30]
LATIN_30 = "Guangdong Global Trading Corp."[:30]
TOKEN = "x" * 43  # secrets.token_urlsafe(32)
LONG_PATH = "/activate/" + TOKEN

# the longest realistic value of every variable the message templates use
LONGEST: dict[str, Any] = {
    "enterprise_name": NAME_30,
    "colleague_name": NAME_30,
    "contact_name": NAME_30,
    "name": NAME_30,
    "title": "关于" + "红海航运风险持续上升的紧急提示" * 20,  # TITLE_MAX is 300
    "uscc": "91440300MA5GXXXX9X",
    "programme_year": 2024,
    "programme_name": "2024年度深圳市小微企业出口信用保险统保项目",
    "claim_deadline": "2024-12-31",
    "cover_start": "2024-12-31",
    "cover_end": "2025-12-31",
    "month": "2024-12",
    "request_id": 9_999_999,
    "report_id": 9_999_999,
    "amount": "150,000.00",
    "invoice_total": "99,999,999.99",
    "decision_zh": "不予受理",
    "decision_en": "not accepted",
    "reference": "YY-2024-7KQ2M9XD",
    "code": "999999",
    "minutes": 30,
    "days": 14,
    "days_left": 30,
    "reply": "经核实" * 200,
    "inviter": NAME_30,
    "permissions": "报损、资信、领取保单、管理经办人",
    "login_with": "13800138000",
    "policy_no": "SZTB-2024-000001",
    "hotline": "83165355",
    "buyer_country": "US",
    "countries": "US, RU, IR, KP, SY, VE, CU, BY",
    "account_managers": "孙经理 88325712，许经理 88325648",
}
# values a template branches on: every combination is rendered
VARIANTS: dict[str, list[Any]] = {
    "late": [False, True],
    "deadline_day": [False, True],
    "decision": ["paid", "declined", "accepted", "rejected", "upheld", "dismissed"],
    "status": ["delivered", "declined"],
    "category": ["country_risk", "market_info", "risk_alert"],
    "buyer_name": [LATIN_30, "香港" + NAME_30[3:]],  # a buyer in Hong Kong has a Chinese name
}


def _long_value(name: str, site: str) -> Any:
    """A long value for a variable this file does not know (a template added later)."""
    if name in LONGEST:
        return LONGEST[name]
    if name.endswith("_url") or name == "url":
        return f"{site}/portal/some/long/path/{TOKEN}"
    if name.endswith("_name") or name.endswith("title"):
        return NAME_30
    if "date" in name or "deadline" in name or name.endswith(("_start", "_end", "_on")):
        return "2024-12-31"
    return "9" * 10


def _contexts(app: Any, path: Path, site: str) -> list[dict[str, Any]]:
    source = path.read_text(encoding="utf-8")
    names = meta.find_undeclared_variables(app.jinja_env.parse(source)) - {"base_url", "language"}
    fixed = {name: _long_value(name, site) for name in names if name not in VARIANTS}
    branching = [name for name in sorted(names) if name in VARIANTS]
    combos = itertools.product(*(VARIANTS[name] for name in branching))
    contexts = []
    for combo in combos:
        context = {**fixed, **dict(zip(branching, combo, strict=True))}
        for key in ("activation_url", "reset_url"):  # links carrying a token are the longest
            if key in context:
                context[key] = site + LONG_PATH
        contexts.append(context)
    return contexts


def test_the_templates_are_found():
    found = {(p.parent.name, p.name) for p in TEMPLATES}
    assert ("zh", "reminder.sms.txt") in found and ("en", "objection_reply.sms.txt") in found
    assert len(found) >= 20


@pytest.mark.parametrize("site", SITE_URLS)
@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sms_template_is_one_segment_in_its_longest_form(app, path, site):
    app.config["TONGBAO_BASE_URL"] = site
    language, template = path.parent.name, path.name.removesuffix(".sms.txt")
    with app.test_request_context("/"):
        for context in _contexts(app, path, site):
            row = build_row(
                channel="sms",
                recipient="13800138000",
                job="test",
                template=template,
                context=context,
                dedupe_key=f"t:{language}:{template}:{sorted(context.items())}",
                now=NOW,
                language=language,
            )
            text = row["body_text"]
            assert row["segments"] == sms_segments(text) == 1, f"{len(text)} characters: {text}"
            assert "{{" not in text and "None" not in text
            if language == "zh":
                assert text.startswith("【统保】")
            for url in re.findall(r"https?://\S+", text):  # every link is a short one on the site
                assert re.fullmatch(re.escape(site) + r"/s/[0-9A-Za-z]{7}", url.rstrip("。.，,")), text
            if language == "zh" and "enterprise_name" in context:
                assert NAME_30[:4] in text  # shortened ("深圳市前…"), never dropped from a Chinese SMS


def test_a_shortened_name_ends_with_an_ellipsis_and_a_short_name_is_whole(app):
    app.config["TONGBAO_BASE_URL"] = BASE_URL
    context = {
        "enterprise_name": NAME_30,
        "claim_deadline": "2024-06-30",
        "late": False,
        "activation_url": BASE_URL + LONG_PATH,
    }

    def text(**changes: Any) -> str:
        row = build_row(channel="sms", recipient="1", job="t", template="invitation",
                        context={**context, **changes}, dedupe_key="k", now=NOW)  # fmt: skip
        return str(row["body_text"])

    with app.test_request_context("/"):
        long, short = text(), text(enterprise_name="深圳市甲公司")
    assert re.match(r"【统保】深圳市前海[^，]*…入选统保名单，请2024-06-30前激活领保单：", long), long
    assert short.startswith("【统保】深圳市甲公司入选统保名单，请2024-06-30前激活领保单：")
    assert sms_segments(long) == sms_segments(short) == 1


def _sms_to(mobile: str) -> OutboxMessage:
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.channel == "sms", OutboxMessage.recipient == mobile)
    ).one()


def test_an_invitation_sms_is_one_segment_and_its_short_link_opens_the_activation_page_until_the_token_ends(
    app, client, freeze
):
    app.config["TONGBAO_BASE_URL"] = BASE_URL
    freeze(NOW)
    enterprise = f.confirmed_enterprise(1, name=NAME_30, mobile="13800000001")
    db.session.commit()
    assert enterprises.invite(enterprise, f.programme(2024), now=NOW) >= 1
    db.session.commit()
    sms = _sms_to("13800000001")
    assert sms.segments == 1 and sms_segments(sms.body_text) == 1
    code = re.search(r"/s/([0-9A-Za-z]{7})$", sms.body_text).group(1)  # type: ignore[union-attr]

    followed = client.get(f"/s/{code}")
    assert followed.status_code == 302
    assert followed.headers["Location"].startswith("/activate/")
    page = client.get(followed.headers["Location"])
    assert page.status_code == 200 and soup(page).select_one("input[name=password]") is not None

    link = db.session.get(ShortLink, code)
    assert link is not None and link.expires_at == NOW + auth.ACTIVATION_VALID_FOR
    freeze(NOW + auth.ACTIVATION_VALID_FOR + timedelta(seconds=1))
    gone = client.get(f"/s/{code}")
    assert gone.status_code == 404
    assert "这个短链接不存在或已过期" in soup(gone).get_text()


def test_an_unknown_code_is_a_404_page_in_the_readers_language(app, client):
    zh = client.get("/s/Zz9Zz9Z")
    assert zh.status_code == 404 and "这个短链接不存在或已过期" in soup(zh).get_text()
    client.get("/lang/en?next=/")
    en = client.get("/s/Zz9Zz9Z")
    assert en.status_code == 404 and "This short link does not exist or has expired" in soup(en).get_text()
    assert client.get("/s/not-a-code").status_code == 404


def test_short_links_are_random_unique_and_shared_within_one_transaction(app):
    app.config["TONGBAO_BASE_URL"] = BASE_URL
    with app.test_request_context("/"):
        first = shortlinks.short_url(f"{BASE_URL}/portal/", now=NOW)
        again = shortlinks.short_url(f"{BASE_URL}/portal/", now=NOW)
        other = shortlinks.short_url(f"{BASE_URL}/portal/losses/1", now=NOW)
        elsewhere = shortlinks.short_url("http://sz.singlewindow.cn/", now=NOW)
        db.session.commit()
        later = shortlinks.short_url(f"{BASE_URL}/portal/", now=NOW)
        db.session.commit()
    assert first == again != other and later != first
    assert elsewhere == "http://sz.singlewindow.cn/"  # only the site's own pages get a short link
    links = db.session.scalars(select(ShortLink)).all()
    assert len(links) == 3 and len({link.code for link in links}) == 3
    assert {link.target for link in links} == {"/portal/", "/portal/losses/1"}
    assert all(link.expires_at == NOW + shortlinks.DEFAULT_TTL for link in links)
    assert shortlinks.resolve(first.rsplit("/", 1)[1], NOW + shortlinks.DEFAULT_TTL) is None


def test_links_long_expired_are_removed_when_new_ones_are_made(app):
    app.config["TONGBAO_BASE_URL"] = BASE_URL
    with app.test_request_context("/"):
        old = shortlinks.make("/portal/", now=NOW, expires_at=NOW + timedelta(days=2))
        db.session.commit()
        later = NOW + timedelta(days=2) + shortlinks.KEPT_AFTER_EXPIRY
        shortlinks.make("/portal/losses/1", now=later)
        db.session.commit()
        assert db.session.get(ShortLink, old) is not None  # expired, but only just: kept a while
        shortlinks.make("/portal/losses/2", now=later + timedelta(seconds=1))
        db.session.commit()
    assert db.session.get(ShortLink, old) is None
    assert len(db.session.scalars(select(ShortLink)).all()) == 2
