"""Test helpers: go through real forms (CSRF included) and parse pages with BeautifulSoup."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def soup(response: TestResponse) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def form_fields(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for el in form.select("input[name], select[name], textarea[name]"):
        name = el["name"]
        kind = (el.get("type") or "").lower()
        if kind in {"submit", "button", "file"}:
            continue
        if kind in {"checkbox", "radio"}:
            if el.has_attr("checked"):
                value = el.get("value", "y")
                if kind == "checkbox" and name in data:  # several boxes of one name: every ticked value
                    data[name] = [*(data[name] if isinstance(data[name], list) else [data[name]]), value]
                else:
                    data[name] = value
            continue
        if el.name == "select":
            chosen = el.select_one("option[selected]") or el.select_one("option")
            data[name] = chosen.get("value", chosen.text) if chosen else ""
        elif el.name == "textarea":
            data[name] = el.text
        else:
            data[name] = el.get("value", "")
    return data


def submit(
    client: FlaskClient,
    page: str,
    data: dict[str, Any] | None = None,
    *,
    form: str = "form[method=post]",
    follow_redirects: bool = True,
    **kwargs: Any,
) -> TestResponse:
    """GET `page`, take the form matched by `form`, overlay `data`, POST it to its action."""
    response = client.get(page)
    assert response.status_code == 200, f"GET {page} -> {response.status_code}"
    node = soup(response).select_one(form)
    assert node is not None, f"no {form} on {page}"
    payload = form_fields(node)
    payload.update(data or {})
    action = node.get("action") or page
    return client.post(action, data=payload, follow_redirects=follow_redirects, **kwargs)


def login(client: FlaskClient, identifier: str, password: str) -> TestResponse:
    return submit(client, "/login", {"identifier": identifier, "password": password})


def text_of(response: TestResponse) -> str:
    return soup(response).get_text(" ", strip=True)


def confirm_page(client: FlaskClient, response: TestResponse, *, cancel: bool = False, **kwargs: Any) -> TestResponse:
    """Answer a confirmation page (a mass or irreversible action's second look): confirm or cancel."""
    node = soup(response).select_one("form.confirmation-form")
    assert node is not None, "no confirmation page"
    payload = form_fields(node)
    if cancel:
        payload["cancel"] = "1"
    kwargs.setdefault("follow_redirects", True)
    return client.post(node["action"], data=payload, **kwargs)


def submit_confirmed(
    client: FlaskClient,
    page: str,
    data: dict[str, Any] | None = None,
    *,
    form: str = "form[method=post]",
    **kwargs: Any,
) -> TestResponse:
    """`submit`, then confirm on the confirmation page when the action asks for one."""
    first = submit(client, page, data, form=form)
    if soup(first).select_one("form.confirmation-form") is None:
        return first
    return confirm_page(client, first, **kwargs)


def follows_to(text: str) -> str:
    """Where the short link (`/s/<code>`) in a message's text leads: the target path of the site
    (whether it is still live is for tests/test_sms_one_segment.py: callers tick at other instants)."""
    import re

    from intranet.extensions import db
    from intranet.shortlinks.models import ShortLink

    match = re.search(r"https?://\S+/s/([0-9A-Za-z]{7})\b", text)
    assert match is not None, f"no short link in {text!r}"
    link = db.session.get(ShortLink, match.group(1))
    assert link is not None, f"the short link of {text!r} leads nowhere"
    return str(link.target)
