"""API tokens name what they may do and until when (issue 12, CONTRACT.md): a token used outside
its scope gets 403 `scope`, an expired one 401; the CLI and the staff page set both."""

from __future__ import annotations

import pytest

from . import factories as f
from .helpers import soup, submit

CLAIM = "/api/v1/programmes/2024/policies"


def make_token(runner, *args: str) -> dict[str, str]:
    result = runner.invoke(args=["token", "create", "--name", "单一窗口", *args])
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.stdout.strip().splitlines()[-1]}"}


def test_a_token_without_policies_claim_cannot_claim_but_can_read(client, runner, freeze):
    freeze("2024-06-30T10:00:00+08:00")
    enterprise = f.confirmed_enterprise(1)
    reader = make_token(runner, "--scope", "enterprises:read", "--scope", "notices:read")
    refused = client.post(CLAIM, json={"uscc": enterprise.uscc}, headers=reader)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "scope"
    assert "policies:claim" in refused.get_json()["error"]["message"]
    standing = client.get(f"/api/v1/programmes/2024/enterprises/{enterprise.uscc}", headers=reader)
    assert standing.status_code == 200 and standing.get_json()["policy"] is None, "nothing was claimed"

    claimer = make_token(runner, "--scope", "policies:claim")
    assert client.post(CLAIM, json={"uscc": enterprise.uscc}, headers=claimer).status_code == 201
    policy_id = client.get(f"/api/v1/programmes/2024/enterprises/{enterprise.uscc}", headers=reader).get_json()[
        "policy"
    ]["policy_id"]
    report = {"buyer_name": "Acme", "buyer_country": "US"}
    answer = client.post(f"/api/v1/policies/{policy_id}/loss-reports", json=report, headers=claimer)
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "scope"


def test_an_expired_token_gets_401_and_the_default_lasts_a_year(client, runner, freeze):
    freeze("2024-06-30T10:00:00+08:00")
    url = f"/api/v1/programmes/2024/enterprises/{f.confirmed_enterprise(1).uscc}"
    short = make_token(runner, "--expires", "2024-07-01")
    default = make_token(runner)
    assert client.get(url, headers=short).status_code == 200
    freeze("2024-07-01T23:59:00+08:00")
    assert client.get(url, headers=short).status_code == 200, "it works through its last day"
    freeze("2024-07-02T00:00:01+08:00")
    answer = client.get(url, headers=short)
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "unauthorized"
    assert client.get(url, headers=default).status_code == 200
    freeze("2025-06-30T09:59:00+08:00")
    assert client.get(url, headers=default).status_code == 200
    freeze("2025-06-30T10:00:01+08:00")
    assert client.get(url, headers=default).status_code == 401
    listing = runner.invoke(args=["token", "list"])
    assert listing.stdout.count("expired") == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scope", "policies:delete"], "Invalid value for '--scope'"),
        (["--expires", "2024-06-29"], "before today"),
        (["--expires", "soon"], "YYYY-MM-DD"),
    ],
)
def test_the_cli_refuses_unknown_scopes_and_past_dates(runner, freeze, args, message):
    freeze("2024-06-30T10:00:00+08:00")
    result = runner.invoke(args=["token", "create", "--name", "x", *args])
    assert result.exit_code in (1, 2)
    assert message in result.output


def test_the_staff_page_sets_scopes_and_expiry(client, logged_in, freeze):
    freeze("2024-06-10T10:00:00+08:00")
    logged_in("bureau", "officer@bureau.test")
    enterprise = f.confirmed_enterprise(1)
    page = soup(client.get("/staff/api-tokens/"))
    assert len(page.select("input[name=scopes][checked]")) == 5, "every scope is ticked by default"
    created = client.post(
        "/staff/api-tokens/",
        data={
            "csrf_token": page.select_one("form.token-form input[name=csrf_token]")["value"],
            "name": "只读",
            "scopes": ["enterprises:read"],
            "expires": "2024-06-20",
        },
    )
    assert created.status_code == 201
    headers = {"Authorization": f"Bearer {soup(created).select_one('#new-token')['value']}"}
    assert client.post(CLAIM, json={"uscc": enterprise.uscc}, headers=headers).status_code == 403
    row = soup(client.get("/staff/api-tokens/")).select_one("table.tokens tbody tr")
    assert row.select_one(".token-scope-list").get_text(strip=True) == "enterprises:read"
    assert "2024-06-21" in row.get_text(), "it expires when 20 June ends"
    none_ticked = submit(client, "/staff/api-tokens/", {"name": "空", "scopes": []}, form="form.token-form")
    assert none_ticked.status_code == 422
