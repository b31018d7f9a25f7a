"""Every page carries the browser security headers, and no page needs what the policy forbids
(inline scripts, inline styles, event-handler attributes)."""

from __future__ import annotations

import pytest

from intranet import create_app
from intranet.demo.service import DEMO_PASSWORD, demo_uscc, load_demo

from .conftest import make_config
from .helpers import login, soup
from .test_demo_crawl import LOGINS, crawl


def _directives(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    policy = response.headers.get("Content-Security-Policy", "")
    parts = (part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    return {name: (rest[0] if rest else "") for name, *rest in parts}


def assert_protected(url: str, response) -> None:  # type: ignore[no-untyped-def]
    csp = _directives(response)
    assert csp.get("frame-ancestors") == "'none'", url
    assert csp.get("default-src") == "'self'", url
    assert csp.get("script-src") == "'self'" and csp.get("style-src") == "'self'", url
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"], url
    assert response.headers.get("X-Frame-Options") == "DENY", url
    assert response.headers.get("X-Content-Type-Options") == "nosniff", url
    assert response.headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", url
    assert "Strict-Transport-Security" not in response.headers, url  # the test site is plain http


def assert_nothing_inline(url: str, response) -> None:  # type: ignore[no-untyped-def]
    page = soup(response)
    assert [s for s in page.select("script") if not s.get("src")] == [], url
    assert page.select("style, [style]") == [], url
    handlers = [(el.name, a) for el in page.find_all(True) for a in el.attrs if a.lower().startswith("on")]
    assert handlers == [], url
    assert not page.select('a[href^="javascript:"]'), url


@pytest.mark.parametrize("role", list(LOGINS))
def test_every_demo_page_carries_the_security_headers(app, client, freeze, role, backend):
    if backend == "postgresql":
        pytest.skip("headers do not depend on the database")
    freeze("2026-11-25T10:00:00+08:00")
    load_demo()
    start = "/"
    if role != "public":
        identifier = LOGINS[role] or demo_uscc(1)
        assert_protected("/login", client.get("/login"))
        login(client, identifier, DEMO_PASSWORD)
        start = "/portal/" if role == "enterprise" else "/staff"
    visited: list[str] = []

    def visit(url: str, response) -> None:  # type: ignore[no-untyped-def]
        visited.append(url)
        assert_protected(url, response)
        assert_nothing_inline(url, response)

    crawl(client, start, visit)
    assert len(visited) > 5
    for other in ("/static/css/app.css", "/healthz", "/api/v1/openapi.json", "/no-such-page"):
        assert_protected(other, client.get(other))


def test_hsts_only_when_the_site_is_served_over_https(app, database_url, tmp_path):
    assert "Strict-Transport-Security" not in app.test_client().get("/", base_url="https://tongbao.test").headers
    config = make_config(database_url, tmp_path / "https-instance")
    config.base_url = "https://tongbao.example.cn"
    secure = create_app(config)
    response = secure.test_client().get("/", base_url="https://tongbao.example.cn")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert secure.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is False
