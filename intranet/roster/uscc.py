"""统一社会信用代码 (GB 32100-2015): normalisation and the check digit."""

from __future__ import annotations

import unicodedata

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
    """None when `code` (already normalised) is a valid USCC; else the reason, in both languages.

    A reason starting with "check digit" is the one that staff may accept row by row."""
    if len(code) != LENGTH:
        return f"统一社会信用代码应为18位，实为{len(code)}位 / USCC must have 18 characters, found {len(code)}"
    bad = sorted({ch for ch in code if ch not in VALUE})
    if bad:
        shown = "".join(bad)
        return f"统一社会信用代码含非法字符 {shown} / USCC contains characters not allowed: {shown}"
    expected = check_digit(code[:17])
    if code[17] != expected:
        return (
            f"校验位错误：应为 {expected}，实为 {code[17]} / check digit wrong: expected {expected}, found {code[17]}"
        )
    return None
