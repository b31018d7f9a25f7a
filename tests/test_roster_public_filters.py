"""The public board's filters (district, roster batch), the count of matches and the page jump: each
through the board's own GET forms, with the search, on both databases; still nothing private."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from intranet.extensions import db

from . import factories as f
from .board_seed import OPEN, seed_board
from .helpers import form_fields, soup
from .test_roster_public import assert_nothing_private


def names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [td.get_text(strip=True) for td in page.select("table.board td.entry-name")]


def summary(page) -> str:  # type: ignore[no-untyped-def]
    return page.select_one(".result-summary").get_text(" ", strip=True)


def get_form(client, path: str, data: dict[str, Any], form: str):  # type: ignore[no-untyped-def]
    """Fill a GET form of the page at `path` and follow it, as a browser does."""
    first = client.get(path)
    assert first.status_code == 200
    node = soup(first).select_one(form)
    assert node is not None, f"no {form} on {path}"
    assert (node.get("method") or "get").lower() == "get"
    fields = {**form_fields(node), **data}
    response = client.get(node["action"], query_string={k: v for k, v in fields.items() if v != ""})
    assert response.status_code == 200
    return response


def option_value(page, select: str, label: str) -> str:  # type: ignore[no-untyped-def]
    for option in page.select(f"select#{select} option"):
        if option.get_text(strip=True) == label:
            return str(option["value"])
    raise AssertionError(f"no option {label!r} in #{select}")


@pytest.fixture
def board(app, freeze):  # type: ignore[no-untyped-def]
    """The main roster (27 listed in 南山区, Bright in 宝安区) and a supplementary batch of three in
    福田区, both under notice."""
    freeze(OPEN)
    seeded = seed_board()
    supplement = f.make_roster(
        f.programme(), status="notice", seq=2, notice_start=date(2024, 5, 20), notice_end=date(2024, 5, 26)
    )
    for n in (60, 61, 62):
        f.add_entry(supplement, f.make_enterprise(n, name=f"深圳市补充{n}号贸易有限公司", district_name="福田区"))
    db.session.commit()
    return seeded


def test_the_count_of_the_whole_board_and_of_a_filter(client, board):
    page = soup(client.get("/notices/2024"))
    assert summary(page) == "名单共 31 家企业。"
    baoan = option_value(page, "district", "宝安区")
    filtered = get_form(client, "/notices/2024", {"district": baoan}, "form.board-filters")
    page = soup(filtered)
    assert names(page) == ["Shenzhen BRIGHT Lighting Co., Ltd."]
    assert summary(page) == "找到 1 家企业。"
    assert page.select_one("select#district option[selected]").get_text(strip=True) == "宝安区"
    assert page.select_one("form.page-jump") is None  # one page: nothing to jump to
    assert_nothing_private(filtered)


def test_district_filter_works_with_a_name_search_and_a_uscc_search(client, board):
    page = soup(client.get("/notices/2024"))
    nanshan, futian = option_value(page, "district", "南山区"), option_value(page, "district", "福田区")
    found = soup(get_form(client, "/notices/2024", {"q": "测试", "district": nanshan}, "form.board-filters"))
    assert summary(found) == "找到 26 家企业。" and len(names(found)) == 20
    assert all("测试" in name for name in names(found))
    none = soup(get_form(client, "/notices/2024", {"q": "测试", "district": futian}, "form.board-filters"))
    assert summary(none) == "找到 0 家企业。" and names(none) == []
    code = board.huawei.uscc
    by_code = soup(get_form(client, "/notices/2024", {"q": code, "district": nanshan}, "form.board-filters"))
    assert names(by_code) == ["深圳市华为技术有限公司"]
    elsewhere = soup(get_form(client, "/notices/2024", {"q": code, "district": futian}, "form.board-filters"))
    assert names(elsewhere) == [] and summary(elsewhere) == "找到 0 家企业。"


def test_batch_filter_shows_one_roster_and_combines_with_district_and_search(client, board):
    page = soup(client.get("/notices/2024"))
    labels = [o.get_text(strip=True) for o in page.select("select#batch option")]
    assert labels == ["全部批次", "主名单", "补充名单（第 1 批）"]
    supplement = option_value(page, "batch", "补充名单（第 1 批）")
    second = soup(get_form(client, "/notices/2024", {"batch": supplement}, "form.board-filters"))
    assert sorted(names(second)) == [f"深圳市补充{n}号贸易有限公司" for n in (60, 61, 62)]
    assert summary(second) == "找到 3 家企业。"
    main = option_value(page, "batch", "主名单")
    first = soup(get_form(client, "/notices/2024", {"batch": main, "q": "补充"}, "form.board-filters"))
    assert summary(first) == "找到 0 家企业。"
    futian = option_value(page, "district", "福田区")
    chosen = {"batch": supplement, "district": futian, "q": "补充"}
    both = soup(get_form(client, "/notices/2024", chosen, "form.board-filters"))
    assert len(names(both)) == 3
    # an unknown batch or district filters nothing (never a 500)
    for query in ("batch=9", "district=99999", "batch=x&district=-1"):
        response = client.get(f"/notices/2024?{query}")
        assert response.status_code == 200 and summary(soup(response)) == "名单共 31 家企业。"


def test_page_jump_keeps_the_search_and_filters(client, board):
    page = soup(client.get("/notices/2024"))
    nanshan = option_value(page, "district", "南山区")
    jump = page.select_one("form.page-jump")
    assert jump.select_one("label[for=page-jump]").get_text(strip=True) == "跳至第几页（共 2 页）"
    second = soup(get_form(client, "/notices/2024", {"page": "2"}, "form.page-jump"))
    assert len(names(second)) == 11 and "第 2 / 2 页" in second.select_one(".pager").get_text()

    searched = f"/notices/2024?q=测试&district={nanshan}"
    landed = get_form(client, searched, {"page": "2"}, "form.page-jump")
    page = soup(landed)
    assert len(names(page)) == 6 and all("测试" in name for name in names(page))
    assert summary(page) == "找到 26 家企业。"
    assert page.select_one("input#page-jump")["value"] == "2"
    # a page past the end shows the last one
    beyond = soup(get_form(client, searched, {"page": "99"}, "form.page-jump"))
    assert names(beyond) == names(page)
    assert_nothing_private(landed)


def test_pager_and_objection_links_keep_the_filters(client, board):
    page = soup(client.get("/notices/2024"))
    nanshan = option_value(page, "district", "南山区")
    filtered = soup(client.get(f"/notices/2024?q=测试&district={nanshan}"))
    following = parse_qs(urlsplit(filtered.select_one(".pager a[rel=next]")["href"]).query)
    assert following == {"q": ["测试"], "district": [nanshan], "page": ["2"]}
    objection = filtered.select_one("table.board a.objection-link")["href"]
    kept = parse_qs(urlsplit(objection).query)
    assert kept["district"] == [nanshan] and kept["q"] == ["测试"]
    # the objection form opens on the same filtered page
    opened = soup(client.get(objection.split("#")[0]))
    assert opened.select_one("form.objection-form") is not None and summary(opened) == "找到 26 家企业。"
