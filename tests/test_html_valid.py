"""Every page a bureau officer, an insurer clerk, an enterprise and the public reach by following links
from the demo passes the W3C Nu HTML checker with no error (duplicate ids break the labels a screen
reader reads; a required select needs an empty first option; and so on)."""

from __future__ import annotations

import pytest

from intranet.demo.service import DEMO_PASSWORD, demo_uscc, load_demo

from .helpers import login
from .nu import nu_errors
from .test_demo_crawl import LOGINS, crawl


@pytest.mark.parametrize("role", list(LOGINS))
def test_every_demo_page_passes_the_nu_html_checker(app, client, freeze, role, backend):
    if backend == "postgresql":
        pytest.skip("the markup is the same on both databases")
    freeze("2026-11-25T10:00:00+08:00")
    load_demo()
    start = "/"
    if role != "public":
        login(client, LOGINS[role] or demo_uscc(1), DEMO_PASSWORD)
        start = "/portal/" if role == "enterprise" else "/staff"
    pages: dict[str, bytes] = {}
    crawl(client, start, visit=lambda url, response: pages.__setitem__(url, response.data))
    assert len(pages) > 5
    errors = nu_errors(pages)
    failing = {error.split(" ")[0] for error in errors}
    assert errors == [], f"{len(errors)} errors on {len(failing)} of {len(pages)} pages:\n" + "\n".join(errors)
