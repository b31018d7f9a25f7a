"""JSON API: the published monthly notices for the single window to push (CONTRACT.md,
`GET /api/v1/notices?since=YYYY-MM-DD`, token scope `notices:read`)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_babel import lazy_gettext as _l

from ..api_auth.tokens import token_required
from ..clock import shanghai
from ..errors import ServiceError
from ..extensions import csrf
from . import service
from .models import RiskNotice

bp = Blueprint("api_notices", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

SINCE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadSince(ServiceError):
    status = 400
    code = "invalid_since"


def since_arg(raw: str | None) -> date | None:
    """`since` is a calendar day YYYY-MM-DD (Asia/Shanghai); absent → every published notice."""
    if raw is None:
        return None
    try:
        if not SINCE_RE.match(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise BadSince(_l("since 须为日期 YYYY-MM-DD，收到 %(value)s", value=repr(raw[:40]))) from None


def notice_json(notice: RiskNotice) -> dict[str, Any]:
    base = str(current_app.config["TONGBAO_BASE_URL"]).rstrip("/")
    published = shanghai(notice.published_at).isoformat(timespec="seconds") if notice.published_at else None
    return {
        "id": notice.id,
        "month": notice.month,
        "category": notice.category,
        "countries": list(notice.countries or []),
        "title": notice.title,
        "body_markdown": notice.body_md,
        "url": f"{base}/portal/notices/{notice.id}",
        "published_at": published,
    }


@bp.get("/notices")
@token_required("notices:read")
def notices() -> Any:
    since = since_arg(request.args.get("since"))
    return jsonify({"notices": [notice_json(n) for n in service.feed(since)]})
