"""QR codes (segno) for certificates: vector SVG, inlined in the certificate's HTML (nothing to fetch)."""

from __future__ import annotations

import re

from markupsafe import Markup

_CODE_CHARS = re.compile(r"[^0-9A-Za-z]")


def verify_url(base_url: str, code: str) -> str:
    """TONGBAO_BASE_URL/verify/<code>: what the QR code holds and the verification page's address."""
    return f"{base_url.rstrip('/')}/verify/{code}"


def normalize_code(raw: str) -> str:
    """What someone typed off the paper: spaces, dashes and case do not matter."""
    return _CODE_CHARS.sub("", raw or "").upper()


def grouped(code: str, size: int = 6) -> str:
    """The code as printed: groups of six, easy to read out over the phone."""
    return "-".join(code[i : i + size] for i in range(0, len(code), size))


def qr_svg(data: str) -> Markup:
    """An inline <svg> with a viewBox (its printed size is set by CSS), error correction M or better."""
    import segno  # loaded with the first certificate, not at app start-up

    code = segno.make(data, error="m", boost_error=True, micro=False)
    return Markup(code.svg_inline(omitsize=True, border=4, dark="#000", light="#fff"))  # noqa: S704 - segno output
