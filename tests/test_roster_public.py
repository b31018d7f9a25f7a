"""The public notice board: what the public sees (never an amount or a contact), search,
pagination, and objections (period, rate limit, CSRF, reference)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intranet.clock import now
from intranet.extensions import db
from intranet.roster.models import Objection, ObjectionStatus, RosterEntry
from intranet.roster.objections import client_hash

from . import factories as f
from .board_seed import AMOUNTS, OPEN, SECRET_EMAIL, SECRET_MOBILE, objection_data, seed_board
from .helpers import form_fields, soup, submit, text_of


def amount_variants(amount: str) -> list[str]:
    whole, cents = amount.split(".")
    grouped = f"{int(whole):,}"
    return [amount, f"{grouped}.{cents}", whole, grouped, whole + cents, f"{int(whole) / 10000:.2f}"]


def assert_nothing_private(response) -> None:  # type: ignore[no-untyped-def]
    """Not in the text, not in attributes, not in scripts: the raw body carries no amount or contact."""
    body = response.get_data(as_text=True)
    for amount in [*AMOUNTS, "8000000.01"]:
        for variant in amount_variants(amount):
            assert variant not in body, f"{variant} leaked into the page"
    for secret in (SECRET_MOBILE, SECRET_EMAIL, "张三"):
        assert secret not in body


def names(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [td.get_text(strip=True) for td in soup(response).select("table.board td.entry-name")]


@pytest.fixture
def board(app, freeze):  # type: ignore[no-untyped-def]
    freeze(OPEN)
    return seed_board()


def test_board_lists_name_uscc_district_only_never_amounts_or_contacts(client, board):
    pages = [
        client.get("/notices"),
        client.get("/notices/2024"),
        client.get("/notices/2024?page=2"),
        client.get("/notices/2024?q=华为"),
        client.get("/notices/2024?q=" + board.huawei.uscc),
        client.get("/notices/2024?q=测试&page=2"),
        client.get(f"/notices/2024?objection={board.huawei.uscc}"),
        client.get("/notices/2024?format=json"),
    ]
    for response in pages:
        assert response.status_code == 200
        assert_nothing_private(response)
    assert "Set-Cookie" not in pages[3].headers  # a search writes no session: cacheable, cheap
    page = soup(pages[3])
    headers = [th.get_text(strip=True) for th in page.select("table.board thead th")]
    assert headers[:3] == ["企业名称", "统一社会信用代码", "所属区"]
    row = page.select_one("table.board tbody tr")
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells[:3] == ["深圳市华为技术有限公司", board.huawei.uscc, "南山区"]
    # the objection form, with an invalid submission echoing what was typed, leaks nothing either
    rejected = submit(
        client,
        "/notices/2024?objection=",
        {"uscc": board.huawei.uscc, "reason": "短", "contact_name": "李四", "contact": "not-a-contact"},
        form="form.objection-form",
    )
    assert rejected.status_code == 422
    assert_nothing_private(rejected)


def test_board_shows_the_period_and_that_objections_are_open(client, board, freeze):
    periods = text_of(client.get("/notices/2024"))
    assert "2024-05-20 至 2024-05-26" in periods
    assert "正在受理异议" in periods
    invitation = soup(client.get("/notices/2024")).select_one("#objection-form a")
    assert soup(client.get(invitation["href"])).select_one("form.objection-form") is not None
    listing = soup(client.get("/notices"))
    assert listing.select_one("a[href='/notices/2024']") is not None
    freeze("2024-05-27T00:00:00+08:00")
    after = client.get("/notices/2024")
    assert "不再受理异议" in text_of(after)
    assert soup(after).select_one("form.objection-form") is None
    assert soup(client.get("/notices/2024?objection=")).select_one("form.objection-form") is None
    assert "深圳市华为技术有限公司" in names(after)  # still public until (and after) confirmation


def test_search_two_characters_longer_substring_and_one_character(client, board):
    assert names(client.get("/notices/2024?q=华为")) == ["深圳市华为技术有限公司"]
    assert names(client.get("/notices/2024?q=市华为技术")) == ["深圳市华为技术有限公司"]
    assert names(client.get("/notices/2024?q=华为 技术")) == ["深圳市华为技术有限公司"]  # spaces ignored
    assert names(client.get("/notices/2024?q=为华")) == []  # bigrams out of order are no substring
    one = client.get("/notices/2024?q=华")
    assert one.status_code == 200
    assert names(one) == []
    assert "请至少输入 2 个字" in soup(one).select_one(".result-summary").get_text()
    # removed and ineligible entries are not on the board
    assert names(client.get("/notices/2024?q=已移除")) == []
    assert names(client.get("/notices/2024?q=超额")) == []


def test_search_by_uscc_full_prefix_lower_case_and_full_width(client, board):
    code = board.huawei.uscc
    assert names(client.get(f"/notices/2024?q={code}")) == ["深圳市华为技术有限公司"]
    assert names(client.get(f"/notices/2024?q={code.lower()}")) == ["深圳市华为技术有限公司"]
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in code)
    assert names(client.get(f"/notices/2024?q={full_width}")) == ["深圳市华为技术有限公司"]
    prefix = code[:8]  # 91440300: every test enterprise
    found = client.get(f"/notices/2024?q={prefix}")
    listed = db.session.scalar(
        select(func.count(RosterEntry.id)).where(RosterEntry.status == "listed", RosterEntry.eligible)
    )
    assert f"找到 {listed} 家企业" in soup(found).select_one(".result-summary").get_text()
    assert all(td.get_text(strip=True).startswith(prefix) for td in soup(found).select("td.entry-uscc"))


def test_latin_names_case_insensitive(client, board):
    for q in ("bright", "BRIGHT", "Bright Lighting", "ｂｒｉｇｈｔ"):
        assert names(client.get("/notices/2024", query_string={"q": q})) == ["Shenzhen BRIGHT Lighting Co., Ltd."], q


def test_pagination_is_stable_and_complete(client, board):
    first = soup(client.get("/notices/2024"))
    second = soup(client.get("/notices/2024?page=2"))
    on_first = [td.get_text(strip=True) for td in first.select("td.entry-uscc")]
    on_second = [td.get_text(strip=True) for td in second.select("td.entry-uscc")]
    assert len(on_first) == 20 and len(on_second) == len(board.listed) - 20
    expected = [e.uscc for e in sorted(board.listed, key=lambda e: e.id)]
    assert on_first + on_second == expected
    assert "名单共 28 家企业" in first.select_one(".result-summary").get_text()
    assert first.select_one("nav.pager a[rel=next]")["href"].endswith("page=2")
    # a search paginates the same way and keeps the query in the links
    searched = soup(client.get("/notices/2024?q=测试"))
    next_link = searched.select_one("nav.pager a[rel=next]")["href"]
    assert "q=" in next_link and "page=2" in next_link
    rest = soup(client.get(next_link))
    assert len(rest.select("td.entry-name")) == 6
    # out-of-range pages show the last page rather than an error
    assert len(soup(client.get("/notices/2024?page=999")).select("td.entry-name")) == 8


def test_unpublished_and_upcoming_rosters_are_not_public(client, app, freeze):
    freeze(OPEN)
    prog = f.programme(2024)
    draft = f.make_roster(prog)
    f.add_entry(draft, f.make_enterprise(1, name="深圳市草稿名单有限公司"))
    db.session.commit()
    assert client.get("/notices/2024").status_code == 200
    assert names(client.get("/notices/2024?q=草稿")) == []
    assert soup(client.get("/notices")).select_one("a[href='/notices/2024']") is None
    draft.status, draft.notice_start, draft.notice_end = "notice", date(2024, 5, 25), date(2024, 5, 31)
    db.session.commit()
    upcoming = client.get("/notices/2024?q=草稿")
    assert names(upcoming) == []
    assert "即将公示" in text_of(upcoming)
    freeze("2024-05-25T00:00:00+08:00")
    assert names(client.get("/notices/2024?q=草稿")) == ["深圳市草稿名单有限公司"]
    assert client.get("/notices/1999").status_code == 404


# --- objections ----------------------------------------------------------------------------------


def test_objection_during_the_period_gets_an_unguessable_reference(client, board):
    page = client.get("/notices/2024?q=华为")
    link = soup(page).select_one("table.board a[href*='objection=']")["href"]
    response = submit(client, link.split("#")[0], objection_data(board.huawei.uscc.lower()), form="form.objection-form")
    assert response.status_code == 200
    reference = soup(response).select_one(".objection-reference").get_text(strip=True)
    assert re.fullmatch(r"YY-2024-[2-9A-HJ-NP-Z]{8}", reference)
    row = db.session.scalar(select(Objection).where(Objection.reference == reference))
    assert row.status == ObjectionStatus.OPEN and row.entry.uscc == board.huawei.uscc
    assert row.contact == "whistle@example.org" and row.ip_hash != "127.0.0.1"
    assert "待处理" in text_of(response)
    # the receipt is reachable by its reference, and shows no contact
    again = client.get(f"/notices/2024/objections/{reference}")
    assert again.status_code == 200 and "whistle@example.org" not in again.get_data(as_text=True)
    phone = objection_data(board.bright.uscc, "139-1234-0000")
    second = submit(client, "/notices/2024?objection=", phone, form="form.objection-form")
    other = soup(second).select_one(".objection-reference").get_text(strip=True)
    assert other != reference
    assert db.session.scalar(select(Objection.contact).where(Objection.reference == other)) == "13912340000"
    assert client.get("/notices/2024/objections/YY-2024-AAAAAAAA").status_code == 404


def test_objection_errors_are_tied_to_fields(client, board):
    unknown = submit(client, "/notices/2024?objection=", objection_data(f.make_uscc(999)), form="form.objection-form")
    assert unknown.status_code == 422
    field = soup(unknown).select_one("#uscc")
    assert field["aria-invalid"] == "true"
    assert "不在 2024 年度公示名单上" in soup(unknown).select_one("#uscc-error").get_text()
    bad_contact = submit(
        client, "/notices/2024?objection=", objection_data(board.huawei.uscc, "call me"), form="form.objection-form"
    )
    assert bad_contact.status_code == 422
    assert "邮箱或电话" in soup(bad_contact).select_one("#contact-error").get_text()
    assert db.session.scalar(select(func.count(Objection.id))) == 0


def test_objection_after_the_period_is_refused(client, board, freeze):
    page = client.get("/notices/2024?objection=")  # the form was opened during the period…
    payload = form_fields(soup(page).select_one("form.objection-form"))
    payload.update(objection_data(board.huawei.uscc))
    freeze("2024-05-27T00:00:00+08:00")  # …and sent one second after it ended (Shanghai midnight)
    response = client.post("/notices/2024/objections", data=payload)
    assert response.status_code == 409
    message = soup(response).select_one(".refusal").get_text()
    assert "公示期已于 2024-05-26 结束" in message and "no longer accepted" not in message
    assert db.session.scalar(select(func.count(Objection.id))) == 0


def test_objection_before_the_period_is_refused(client, app, freeze):
    freeze("2024-05-19T23:00:00+08:00")
    seeded = seed_board(extra=0)
    db.session.commit()
    freeze(OPEN)
    payload = form_fields(soup(client.get("/notices/2024?objection=")).select_one("form.objection-form"))
    payload.update(objection_data(seeded.huawei.uscc))
    freeze("2024-05-19T23:00:00+08:00")
    response = client.post("/notices/2024/objections", data=payload)
    assert response.status_code == 409
    assert "2024-05-20 开始" in soup(response).select_one(".refusal").get_text()


def test_objection_rate_limit_per_hour_and_per_day(client, board, freeze):
    entry = board.listed[0]
    ip_hash = client_hash("127.0.0.1")
    stamp = now()

    def seed(minutes_ago: list[int]) -> None:
        for i, minutes in enumerate(minutes_ago):
            db.session.add(
                Objection(
                    reference=f"YY-2024-SEED{len(minutes_ago)}{i:03d}",
                    roster_entry_id=entry.id,
                    reason="flood",
                    contact_name="x",
                    contact="x@example.org",
                    filed_at=stamp - timedelta(minutes=minutes),
                    ip_hash=ip_hash,
                    status="dismissed",
                )
            )
        db.session.commit()

    seed([1, 5, 10, 20, 50])  # five in the last hour
    limited = submit(client, "/notices/2024?objection=", objection_data(board.huawei.uscc), form="form.objection-form")
    assert limited.status_code == 429
    assert "每 1 小时最多 5 件" in text_of(limited)
    freeze(stamp + timedelta(minutes=61))  # the hour has passed
    ok = submit(client, "/notices/2024?objection=", objection_data(board.huawei.uscc), form="form.objection-form")
    assert ok.status_code == 200 and soup(ok).select_one(".objection-reference")
    seed([120 + 60 * i for i in range(14)])  # 20 within the day now (5 + 1 + 14)
    freeze(stamp + timedelta(minutes=130))
    daily = submit(client, "/notices/2024?objection=", objection_data(board.huawei.uscc), form="form.objection-form")
    assert daily.status_code == 429
    assert "每 24 小时最多 20 件" in text_of(daily)
    # another client is not affected
    other = submit(
        client,
        "/notices/2024?objection=",
        objection_data(board.huawei.uscc),
        form="form.objection-form",
        environ_overrides={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert other.status_code == 200


def test_objection_form_requires_csrf(client, board):
    response = client.post("/notices/2024/objections", data=objection_data(board.huawei.uscc))
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Objection.id))) == 0


def test_board_in_english(client, board):
    client.get("/lang/en?next=/notices/2024")
    page = soup(client.get("/notices/2024?q=bright"))
    assert page.select_one("h1").get_text(strip=True) == "2024 roster under public notice"
    assert [th.get_text(strip=True) for th in page.select("table.board thead th")][:3] == [
        "Enterprise",
        "USCC",
        "District",
    ]
    assert page.select_one("td.entry-district").get_text(strip=True) == "Bao'an District"
    assert "Matching enterprises: 1." in page.select_one(".result-summary").get_text()


def test_search_index_follows_updates_and_deletes(client, board):
    from intranet.roster.search import grams_for, normalize_for_search

    entry = board.listed[1]
    entry.name = "深圳市光明未来照明有限公司"
    entry.search_norm = normalize_for_search(entry.name)
    entry.search_grams = grams_for(entry.search_norm)
    db.session.commit()
    assert names(client.get("/notices/2024?q=光明未来")) == ["深圳市光明未来照明有限公司"]
    assert names(client.get("/notices/2024?q=bright")) == []
    db.session.delete(db.session.get(RosterEntry, board.listed[0].id))
    db.session.commit()
    assert names(client.get("/notices/2024?q=华为")) == []
