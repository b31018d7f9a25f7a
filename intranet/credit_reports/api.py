"""JSON API: request a free buyer credit report under a policy (CONTRACT.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from flask_babel import lazy_gettext as _l

from ..api_auth.tokens import token_required
from ..clock import now
from ..errors import Invalid
from ..extensions import csrf
from ..policies.visibility import visible_policy
from . import service

bp = Blueprint("api_credit_reports", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.post("/policies/<int:policy_id>/credit-reports")
@token_required("credit-reports:write")
def create(policy_id: int) -> Any:
    actor = g.api_actor
    visible_policy(actor, policy_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid(_l("请求体须为 JSON 对象"), code="invalid_json")
    name, country = data.get("buyer_name"), data.get("buyer_country")
    if not isinstance(name, str) or not name.strip():
        raise Invalid(_l("缺少字段 %(fields)s", fields="buyer_name"), code="missing_field", field="buyer_name")
    if not isinstance(country, str) or not country.strip():
        raise Invalid(_l("缺少字段 %(fields)s", fields="buyer_country"), code="missing_field", field="buyer_country")
    asked = service.request_report(actor, policy_id, name, country, now=now())
    response = jsonify({"request_id": asked.row.id, "status": asked.row.status, "remaining_free": asked.remaining})
    # 200: the buyer was already asked about; that request, and no free report used
    response.status_code = 201 if asked.created else 200
    return response
