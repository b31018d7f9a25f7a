"""How many SMS parts a text needs: 70 characters for one Chinese (UCS-2) SMS, 67 per part when it
is split; plain GSM-7 text (English) 160 for one, 153 per part."""

from __future__ import annotations

import math

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")
UCS2_SINGLE, UCS2_PART = 70, 67
GSM7_SINGLE, GSM7_PART = 160, 153


def _gsm7_length(text: str) -> int | None:
    length = 0
    for char in text:
        if char in GSM7_BASIC:
            length += 1
        elif char in GSM7_EXTENDED:
            length += 2  # escape + character
        else:
            return None
    return length


def sms_segments(text: str) -> int:
    """Number of billed parts for `text` (at least 1)."""
    gsm = _gsm7_length(text)
    if gsm is not None:
        return 1 if gsm <= GSM7_SINGLE else math.ceil(gsm / GSM7_PART)
    # UCS-2 counts UTF-16 code units: characters outside the BMP (emoji) take two
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= UCS2_SINGLE else math.ceil(units / UCS2_PART)


def overflow(text: str) -> int:
    """How many characters (GSM-7 septets or UTF-16 units) `text` has beyond one SMS; ≤ 0 fits."""
    gsm = _gsm7_length(text)
    if gsm is not None:
        return gsm - GSM7_SINGLE
    return len(text.encode("utf-16-le")) // 2 - UCS2_SINGLE
