"""Certificate endpoints of the single window's API (CONTRACT.md): the PDF (bearer token) and the
public verification JSON (no token)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify
from flask_babel import lazy_gettext as _l

from ..api_auth.tokens import token_required
from ..clock import now
from ..error_pages import json_error
from ..extensions import csrf
from . import service
from .views import pdf_response

bp = Blueprint("api_certificates", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.get("/policies/<int:policy_id>/certificate.pdf")
@token_required("policies:claim", "enterprises:read")
def certificate(policy_id: int) -> Any:
    """Any policy's certificate: the single window acts for the enterprises (404 until issued)."""
    return pdf_response(service.stored_certificate(g.api_actor, policy_id, now=now()))


@bp.get("/verify/<code>")
def verify(code: str) -> Any:
    result = service.verify(code, now=now())
    if result is None:
        return json_error(404, _l("没有凭证使用此核验码"), "unknown_code")
    response = jsonify(result.as_json())
    response.cache_control.no_store = True
    return response
