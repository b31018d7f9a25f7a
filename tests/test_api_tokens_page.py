"""The staff page for API tokens: a token made there works once shown, revoking it stops it, and
only staff reach the page."""

from __future__ import annotations

import pytest

from .factories import PASSWORD, confirmed_enterprise, make_user
from .helpers import login, soup, submit

PAGE = "/staff/api-tokens/"


@pytest.fixture
def bureau(client, logged_in):
    logged_in("bureau", "officer@bureau.test")
    return client


def test_a_token_is_shown_once_works_and_stops_when_revoked(bureau, freeze):
    freeze("2024-06-10T10:00:00+08:00")
    lookup = f"/api/v1/programmes/2024/enterprises/{confirmed_enterprise(1).uscc}"
    created = submit(bureau, PAGE, {"name": "单一窗口（测试）"}, form="form.token-form")
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    raw = soup(created).select_one("#new-token")["value"]
    assert raw.startswith("tb_")
    headers = {"Authorization": f"Bearer {raw}"}
    assert bureau.get(lookup, headers=headers).status_code == 200

    listing = soup(bureau.get(PAGE))
    assert listing.select_one("#new-token") is None, "the token must not be shown again"
    row = listing.select_one("table.tokens tbody tr")
    assert "单一窗口（测试）" in row.get_text()
    assert "有效" in row.select_one(".badge").get_text()
    assert "2024-06-10" in row.select("td")[3].get_text(), "the page shows when the token was last used"

    revoked = submit(bureau, PAGE, form=f'form[action$="/{row["data-token"]}/revoke"]')
    assert revoked.status_code == 200
    assert "已吊销" in soup(revoked).select_one("table.tokens tbody tr .badge").get_text()
    answer = bureau.get(lookup, headers=headers)
    assert answer.status_code == 401 and answer.is_json


def test_a_blank_name_is_refused_next_to_the_field(bureau):
    page = submit(bureau, PAGE, {"name": "  "}, form="form.token-form")
    assert page.status_code == 422
    assert soup(page).select_one("#name-error") is not None
    assert soup(page).select_one("table.tokens tbody tr td").get_text() == "还没有令牌"


def test_enterprises_and_the_public_cannot_reach_the_page(client):
    assert client.get(PAGE).status_code in {302, 401, 403}
    enterprise = confirmed_enterprise(1)
    make_user("enterprise", "boss@exporter.test", enterprise=enterprise)
    login(client, "boss@exporter.test", PASSWORD)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"name": "x"}).status_code in {400, 403}
