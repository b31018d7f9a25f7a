"""Hostile input never reaches a 500 (issue 12), on SQLite and PostgreSQL: NUL and other control
characters in forms, queries, paths and JSON; deeply nested or oversized JSON; absurd amounts and
invisible characters in a roster file; and a database that goes away mid-test (503, then back)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from intranet.edge import API_MAX_BODY, API_MAX_DEPTH
from intranet.extensions import db

from . import factories as f
from .board_seed import OPEN, objection_data, seed_board
from .helpers import form_fields, soup, submit
from .sheets import row, xlsx_bytes


@pytest.fixture
def bearer(runner) -> dict[str, str]:
    result = runner.invoke(args=["token", "create", "--name", "fuzz"])
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.stdout.strip().splitlines()[-1]}"}


def test_a_nul_in_the_login_field_is_refused_not_a_500(client):
    page = soup(client.get("/login"))
    payload = form_fields(page.select_one("form[method=post]"))
    payload.update({"identifier": "a\x00b@example.org", "password": "x\x00"})
    response = client.post("/login", data=payload)
    assert response.status_code == 400
    assert "控制字符" in soup(response).get_text()


def test_control_characters_in_queries_and_paths_are_refused_on_the_public_board(client, freeze):
    freeze(OPEN)
    seed_board()
    assert client.get("/notices/2024?q=%E5%8D%8E%00%01").status_code == 400
    assert client.get("/notices/2024/objections/TB%00X").status_code == 400
    assert client.get("/notices/2024?q=%E5%8D%8E%E4%B8%BA").status_code == 200  # the same search, clean


def test_a_nul_in_an_objection_is_refused_and_a_clean_one_still_goes_through(client, freeze):
    freeze(OPEN)
    seeded = seed_board()
    code = seeded.huawei.uscc
    data = objection_data(code) | {"reason": "出口额\x00超标"}
    refused = submit(client, "/notices/2024?objection=", data, form="form.objection-form")
    assert refused.status_code == 400
    accepted = submit(client, "/notices/2024?objection=", objection_data(code), form="form.objection-form")
    assert accepted.status_code == 200 and soup(accepted).select_one(".objection-reference")


@pytest.mark.parametrize("page", ["/login", "/password/forgot", "/password/reset/code"])
def test_a_nul_or_control_character_in_any_field_of_a_public_form_is_a_400(client, page):
    """Every field of every anonymous form, one at a time: refused at the edge, never a 5xx."""
    fields = form_fields(soup(client.get(page)).select_one("form[method=post]"))
    for name in [n for n in fields if n != "csrf_token"]:
        for value in ("\x00", "a\x00b", "x\x07y"):
            response = submit(client, page, {name: value}, follow_redirects=False)
            assert response.status_code == 400, (page, name, value, response.status_code)
            assert "控制字符" in soup(response).get_text(), (page, name)


def _error(response) -> dict[str, Any]:
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"} and body["error"]["message"]
    return dict(body["error"])


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/programmes/2024/enterprises/91440300%00", None),
        ("POST", "/api/v1/programmes/2024/policies", '{"uscc": "9144\\u0000"}'),
        ("POST", "/api/v1/programmes/2024/policies", '{"uscc\\u0001": "914403"}'),
        ("POST", "/api/v1/policies/1/credit-reports", '{"buyer_name": "A\\u0000", "buyer_country": "US"}'),
    ],
)
def test_control_characters_in_the_api_are_a_400(client, bearer, method, path, body):
    response = client.open(path, method=method, data=body, headers=bearer, content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "control_character"


def test_deeply_nested_json_is_a_400_and_a_huge_body_a_413(client, bearer):
    path = "/api/v1/programmes/2024/policies"
    deep = '{"uscc": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post(path, data=deep, headers=bearer, content_type="application/json")
    assert response.status_code == 400 and _error(response)["code"] == "too_deep"
    fine = '{"uscc": "x", "n": ' + "[" * (API_MAX_DEPTH - 1) + "]" * (API_MAX_DEPTH - 1) + "}"
    assert client.post(path, data=fine, headers=bearer, content_type="application/json").status_code == 422
    huge = json.dumps({"uscc": "x" * (API_MAX_BODY + 1)})
    response = client.post(path, data=huge, headers=bearer, content_type="application/json")
    assert response.status_code == 413 and _error(response)["code"] == "too_large"
    brackets_in_text = json.dumps({"uscc": "[" * 500})  # brackets inside a string are no nesting
    assert client.post(path, data=brackets_in_text, headers=bearer, content_type="application/json").status_code == 422


def test_absurd_amounts_and_invisible_characters_are_row_errors_with_row_and_column(runner, tmp_path):
    amounts = ["1,000,000.00", 1e30, "1000000000000.01", 10**40, "1,000,000.00", "1,000,000.00"]
    rows = [row(n, amount) for n, amount in enumerate(amounts, start=1)]
    rows[4][2] = "深圳市\u202e司公限有\u202c贸易有限公司"  # right-to-left override
    rows[5][2] = "深圳市零\u200b宽科技有限公司"  # zero-width space
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    result = runner.invoke(args=["roster", "import", str(path), "--programme", "2024", "--json"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    by_row = {(e["row"], e["column"]): e["reason"] for e in json.loads(result.stdout)["errors"]}
    for number in (3, 4, 5):
        assert "between 0 and" in by_row[(number, "出口额（美元）")]
    for number in (6, 7):
        assert "invisible" in by_row[(number, "企业名称")]
    assert len(by_row) == 5


@contextmanager
def database_down(app) -> Iterator[None]:
    """Every new connection fails (PostgreSQL: a closed port; SQLite: a path nobody can open), and
    the pooled ones are dropped, as when the server stops; leaving the block brings it back."""
    engine = db.engine
    dead = {"on": True}

    def redirect(dialect: Any, record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
        if not dead["on"]:
            return
        if engine.dialect.name == "postgresql":
            cparams.update(host="127.0.0.1", port=1)
        else:
            cargs[:] = ["/nonexistent/tongbao-down/tongbao.db"]

    db.session.commit()
    db.session.close()
    event.listen(engine, "do_connect", redirect)
    engine.dispose()
    try:
        yield
    finally:
        dead["on"] = False
        engine.dispose()
        event.remove(engine, "do_connect", redirect)


def test_a_database_outage_is_a_503_with_retry_after_and_the_same_request_works_after(client, bearer, freeze):
    freeze(OPEN)
    seed_board()
    api = "/api/v1/programmes/2024/enterprises/" + f.make_uscc(1)
    with database_down(client.application):
        page = client.get("/notices/2024?q=华为")
        assert page.status_code == 503 and int(page.headers["Retry-After"]) > 0
        assert "服务暂时不可用" in soup(page).get_text()
        answer = client.get(api, headers=bearer)
        assert answer.status_code == 503 and answer.headers["Retry-After"]
        assert _error(answer)["code"] == "unavailable"
        assert client.get("/healthz").status_code == 503
        assert client.get("/login").status_code in (200, 503)  # a page that needs no database may answer
    assert client.get("/notices/2024?q=华为").status_code == 200
    assert client.get(api, headers=bearer).status_code == 200
    assert client.get("/healthz").status_code == 200
