"""Every page of the demo walk-through, in Chinese and in English, speaks one language: no sentence
joins a run of Chinese and a run of English words with " / " ("保单不存在 / No such policy").

Proper nouns inside a sentence are fine; the PDF certificate (bilingual by design) is not HTML and
is not read; message templates are per-recipient language and not pages."""

from __future__ import annotations

import re

import pytest

from intranet.demo.service import DEMO_PASSWORD, demo_uscc, load_demo

from .helpers import login, soup
from .test_demo_crawl import LOGINS, crawl

HAN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
LATIN_WORD = r"[A-Za-z][A-Za-z'’-]+"
# a run of Han characters, then " / " and a Latin word (or the other way round), within one line
MIXED = re.compile(rf"{HAN}[^\n/]*? / (?:\W*){LATIN_WORD}|{LATIN_WORD}[^\n/]*? / (?:\W*){HAN}")


def mixed_sentences(html_response) -> list[str]:
    page = soup(html_response)
    for hidden in page.select("script, style, template, [hidden]"):
        hidden.decompose()
    found = []
    for line in page.get_text("\n").splitlines():
        line = " ".join(line.split())
        if MIXED.search(line):
            found.append(line[:160])
    return found


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("role", list(LOGINS))
def test_every_page_speaks_one_language(app, client, freeze, backend, role, language):
    if backend == "postgresql":
        pytest.skip("the pages say the same on both databases")
    freeze("2026-11-25T10:00:00+08:00")
    load_demo()
    start = "/"
    if role != "public":
        page = login(client, LOGINS[role] or demo_uscc(1), DEMO_PASSWORD)
        assert page.status_code == 200
        start = "/portal/" if role == "enterprise" else "/staff"
    client.get(f"/lang/{language}")
    offences: dict[str, list[str]] = {}

    def visit(url, response):
        if found := mixed_sentences(response):
            offences[url] = found

    seen = crawl(client, start, visit)
    assert len(seen) > 5
    report = "\n".join(f"  {url}: {text!r}" for url, texts in offences.items() for text in texts)
    assert not offences, f"pages in {language} ({role}) join Chinese and English with ' / ':\n{report}"
