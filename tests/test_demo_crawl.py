"""With the demo data loaded, every page a bureau officer, an insurer clerk, an enterprise and the
public can reach by following links renders — no 500, no broken link inside the app — and passes the
W3C Nu HTML checker with no error (duplicate ids break the labels a screen reader reads; a required
select needs an empty first option; and so on)."""

from __future__ import annotations

from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from intranet.demo.service import DEMO_PASSWORD, demo_uscc, load_demo

from .helpers import login, soup
from .nu import nu_errors

LOGINS = {
    "bureau": "bureau@demo.tongbao.cn",
    "insurer": "insurer@demo.tongbao.cn",
    "enterprise": None,  # by USCC
    "public": None,
}
SKIP_PREFIXES = ("/static/", "/lang/", "/logout")
MAX_PAGES = 150


def crawl(client, start: str, visit=None) -> dict[str, int]:
    """Follow the app's links from `start`; `visit(url, response)` sees every HTML page."""
    seen: dict[str, int] = {}
    queue = deque([start])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        if visit is not None:
            visit(url, response)
        for a in soup(response).select("a[href]"):
            target = urljoin(url, a["href"])
            parts = urlsplit(target)
            if parts.scheme not in {"", "http", "https"}:  # tel:, mailto:
                continue
            if parts.netloc and parts.netloc not in {"localhost", "tongbao.test"}:
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path.startswith(SKIP_PREFIXES) or path in seen:
                continue
            queue.append(path)
    return seen


@pytest.mark.parametrize("role", list(LOGINS))
def test_every_linked_page_renders_with_demo_data(app, client, freeze, role, backend):
    if backend == "postgresql" and role in {"public", "enterprise"}:
        pytest.skip("the public and enterprise crawls are the same on both databases")
    freeze("2026-11-25T10:00:00+08:00")
    load_demo()
    start = "/"
    if role != "public":
        identifier = LOGINS[role] or demo_uscc(1)
        page = login(client, identifier, DEMO_PASSWORD)
        assert page.status_code == 200
        start = "/portal/" if role == "enterprise" else "/staff"
    pages: dict[str, bytes] = {}
    seen = crawl(client, start, visit=lambda url, response: pages.__setitem__(url, response.data))
    broken = {url: status for url, status in seen.items() if status >= 500 or status == 404}
    assert broken == {}
    assert len(seen) > 5
    if backend == "sqlite":  # the markup is the same on both databases
        errors = nu_errors(pages)
        failing = {error.split(" ")[0] for error in errors}
        assert errors == [], f"{len(errors)} errors on {len(failing)} of {len(pages)} pages:\n" + "\n".join(errors)


def test_the_current_year_demo_has_losses_and_credit_reports_on_the_insurer_dashboard(app, client, freeze, backend):
    if backend == "postgresql":
        pytest.skip("demo content is the same on both databases")
    freeze("2026-11-25T10:00:00+08:00")
    load_demo()
    login(client, LOGINS["insurer"], DEMO_PASSWORD)
    page = soup(client.get("/staff/dashboard/insurer"))
    assert "2026" in page.select_one("h1").get_text()
    losses = page.select_one('[data-kpi="losses"] dd').get_text(strip=True)
    paid = page.select_one('[data-kpi="paid"] dd').get_text(strip=True)
    credit = page.select_one('[data-kpi="credit"] dd').get_text(strip=True)
    assert int(losses) >= 5
    assert paid.startswith("USD") and paid != "USD 0.00"
    assert not credit.startswith("0 ")
