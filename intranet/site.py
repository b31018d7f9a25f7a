"""The site's government conventions: sponsor (主办单位) and operator (承办单位), the site identifier
(网站标识码) and registration numbers (ICP备案号, 公安备案号) in every page's footer, from the
configuration (`config.SiteInfo`, read from the environment); the names default to the bureau and
the insurer, translated."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from .config import OUTBOX_RETENTION_DAYS, SiteInfo

DEFAULT_SPONSOR = _l("深圳市商务局")
DEFAULT_OPERATOR = _l("中国出口信用保险公司深圳分公司")
ICP_LOOKUP = "https://beian.miit.gov.cn/"
PSB_LOOKUP = "https://www.beian.gov.cn/portal/registerSystemInfo"


@dataclass(frozen=True)
class Footer:
    sponsor: str
    operator: str
    site_code: str
    icp_record: str
    psb_record: str
    psb_url: str | None
    privacy_contact: str


def info() -> SiteInfo:
    found = current_app.config.get("TONGBAO_SITE")
    return found if isinstance(found, SiteInfo) else SiteInfo()


def retention_days() -> int:
    return int(current_app.config.get("TONGBAO_OUTBOX_RETENTION_DAYS") or OUTBOX_RETENTION_DAYS)


def footer() -> Footer:
    """What the footer shows, in the page's language (call inside a request)."""
    site = info()
    digits = re.sub(r"\D", "", site.psb_record)
    return Footer(
        sponsor=site.sponsor or str(DEFAULT_SPONSOR),
        operator=site.operator or str(DEFAULT_OPERATOR),
        site_code=site.site_code,
        icp_record=site.icp_record,
        psb_record=site.psb_record,
        psb_url=f"{PSB_LOOKUP}?recordcode={digits}" if digits else None,
        privacy_contact=site.privacy_contact,
    )
