"""统一社会信用代码 (GB 32100-2015): normalisation and the check digit."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
LENGTH = 18


def normalize_uscc(raw: object) -> str:
    """Full-width to half-width (NFKC), spaces and dashes removed, upper case."""
    text = unicodedata.normalize("NFKC", str(raw or ""))
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-_").upper()


def check_digit(first17: str) -> str:
    total = sum(VALUE[ch] * weight for ch, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """None when `code` (already normalised) is a valid USCC; else the reason (a lazy message).

    A code of 18 allowed characters has only its check digit wrong: the problem staff may accept
    row by row in the web import."""
    if len(code) != LENGTH:
        return _l("统一社会信用代码应为18位，实为%(n)s位", n=len(code))
    bad = sorted({ch for ch in code if ch not in VALUE})
    if bad:
        shown = "".join(bad)
        return _l("统一社会信用代码含非法字符 %(chars)s", chars=shown)
    expected = check_digit(code[:17])
    if code[17] != expected:
        return _l("校验位错误：应为 %(expected)s，实为 %(found)s", expected=expected, found=code[17])
    return None
