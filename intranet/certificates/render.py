"""Build a certificate's HTML from the Policy/Programme/Enterprise rows and render it with WeasyPrint.

Pure with respect to the database: `build(policy, ...)` reads the rows it is given (and their
relationships) and returns HTML plus the machine-readable policy data; `render_pdf` turns that into
PDF/A bytes with the policy data embedded as `policy.json`. Nothing is fetched but static/ files.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from weasyprint import HTML, Attachment
from weasyprint.text.fonts import FontConfiguration

from ..clock import shanghai, shanghai_date
from ..countries import get_country
from ..policies.models import Policy, PolicyStatus
from .fetcher import STATIC_ROOT, StaticOnlyFetcher
from .fonts import compact_fonts
from .qr import grouped, qr_svg, verify_url

TEMPLATE = "certificates/certificate.html"
PDF_VARIANT = "pdf/a-3u"
ATTACHMENT_NAME = "policy.json"
DATA_SCHEMA = "tongbao.certificate/1"
BASE_URL = STATIC_ROOT.as_uri() + "/"  # relative links in the template resolve under static/

# Fontconfig set-up is the slow part of a first render; one configuration per process is reused.
# WeasyPrint is not documented as thread-safe, so renders in one process take turns.
_font_config: FontConfiguration | None = None
_render_lock = threading.Lock()


@dataclass(frozen=True)
class Built:
    html: str
    data: dict[str, Any]
    title: str


def _country_rows(codes: list[str]) -> list[dict[str, str]]:
    rows = []
    for code in codes:
        country = get_country(code)
        rows.append(
            {
                "code": code,
                "name_zh": country.name_zh if country else code,
                "name_en": country.name_en if country else code,
            }
        )
    return rows


def policy_data(policy: Policy, *, base_url: str, now: datetime) -> dict[str, Any]:
    """The certificate's facts as JSON-ready values (also embedded in the PDF as policy.json)."""
    programme = policy.programme
    enterprise = policy.enterprise
    code = policy.verify_code or ""
    district = enterprise.district
    managers = [m for m in (district.managers if district else []) if m.serves(programme.year)]
    return {
        "schema": DATA_SCHEMA,
        "policy_no": policy.policy_no,
        "status": policy.status,
        "version": policy.version,
        "insured": {"name": enterprise.name, "uscc": enterprise.uscc},
        "programme": {"year": programme.year, "name_zh": programme.name_zh, "name_en": programme.name_en},
        "cover_start": policy.cover_start.isoformat() if policy.cover_start else None,
        "cover_end": policy.cover_end.isoformat() if policy.cover_end else None,
        "issue_date": policy.issue_date.isoformat() if policy.issue_date else None,
        "indemnity_ratio": str(programme.indemnity_ratio),
        "per_buyer_limit": {"amount": str(programme.per_buyer_limit_usd), "currency": "USD"},
        "excluded_countries": _country_rows(programme.excluded_codes),
        "excluded_as_of": shanghai_date(now).isoformat(),
        "district": {"name_zh": district.name_zh, "name_en": district.name_en} if district else None,
        "account_managers": [{"name": m.name, "phone": m.phone} for m in managers],
        "hotlines": {"consult": programme.hotline_consult, "claims": programme.hotline_claims},
        "revoked_on": shanghai_date(policy.revoked_at).isoformat() if policy.revoked_at else None,
        "verify_code": code,
        "verify_url": verify_url(base_url, code),
        "generated_at": now.isoformat(),
    }


def build(policy: Policy, *, base_url: str, now: datetime) -> Built:
    """The certificate's HTML (Jinja template, bilingual, not dependent on the reader's language)."""
    data = policy_data(policy, base_url=base_url, now=now)
    programme = policy.programme
    title = f"出口信用保险统保保单凭证 {policy.policy_no} / Certificate of Export Credit Insurance"
    template = current_app.jinja_env.get_template(TEMPLATE)
    html = template.render(
        policy=policy,
        programme=programme,
        enterprise=policy.enterprise,
        data=data,
        title=title,
        revoked=policy.status == PolicyStatus.REVOKED,
        code_printed=grouped(data["verify_code"]),
        qr=qr_svg(data["verify_url"]),
        generated=shanghai(now).replace(microsecond=0),  # Info and XMP dates agree to the second
    )
    return Built(html=html, data=data, title=title)


def font_config() -> FontConfiguration:
    global _font_config
    if _font_config is None:
        _font_config = FontConfiguration()
    return _font_config


def _dedupe_associated_files(_document: Any, pdf: Any) -> None:
    """WeasyPrint 70 lists a PDF/A-3 attachment twice in the catalog's /AF array; once is right."""
    associated = pdf.catalog.get("AF")
    if associated:
        unique = list(dict.fromkeys(associated))
        associated.clear()
        associated.extend(unique)


def _finish(document: Any, pdf: Any) -> None:
    _dedupe_associated_files(document, pdf)
    compact_fonts(document, pdf)


def render_pdf(built: Built, *, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    """PDF/A-3u bytes, fonts subset and embedded, policy.json attached (relationship Data)."""
    fetcher = fetcher or StaticOnlyFetcher()
    payload = json.dumps(built.data, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    attachment = Attachment(
        string=payload,
        base_url=BASE_URL,
        url_fetcher=fetcher,
        name=ATTACHMENT_NAME,
        description="Policy data (JSON) / 保单数据",
        relationship="Data",
    )
    with _render_lock:
        document = HTML(string=built.html, base_url=BASE_URL, url_fetcher=fetcher)
        pdf = document.write_pdf(
            pdf_variant=PDF_VARIANT,
            attachments=[attachment],
            font_config=font_config(),
            finisher=_finish,
        )
    assert isinstance(pdf, bytes)
    return pdf
