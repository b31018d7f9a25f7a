"""The single window's JSON API (CONTRACT.md): enterprise standing, claim, policy; the OpenAPI document.

Bearer token required (intranet/api_auth/tokens.py); CSRF-exempt; errors {"error": {"code", "message"}}."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import lazy_gettext as _l

from ..api_auth.tokens import token_required
from ..clock import now
from ..enterprises import service as enterprises
from ..enterprises.models import Enterprise
from ..errors import Invalid, NotFound, ServiceError
from ..extensions import csrf
from ..policies import service as policies
from ..programmes import service as programmes
from ..programmes.models import Programme
from ..uscc import normalize_uscc, uscc_problem
from .openapi import build_document
from .serializers import enterprise_json, policy_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_USCC_INPUT = 64


class BadRequest(ServiceError):
    status = 400
    code = "bad_request"


def _programme(year: int) -> Programme:
    if not 1900 <= year <= 9999:
        raise NotFound(_l("没有 %(year)s 年度的统保项目", year=year), code="programme_not_found")
    return programmes.get_programme(year)


def _enterprise(raw: str) -> Enterprise:
    """The enterprise by USCC (normalised: full-width, spaces, lower case); 422 if malformed, 404 if unknown."""
    code = normalize_uscc(raw)[:MAX_USCC_INPUT]
    found = enterprises.find_by_uscc(code) if len(code) == 18 else None
    if found is not None:
        return found  # a few pre-standard codes fail the check digit but were accepted onto a roster
    problem = uscc_problem(code)
    if problem:
        raise Invalid(_l("统一社会信用代码无效：%(problem)s", problem=problem), code="invalid_uscc", field="uscc")
    raise NotFound(_l("未找到统一社会信用代码为 %(code)s 的企业", code=code), code="enterprise_not_found")


def _json_object() -> dict[str, Any]:
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise BadRequest(_l("请求体须为 JSON 对象"), code="invalid_json")
    return data


@bp.get("/programmes/<int:year>/enterprises/<uscc>")
@token_required("enterprises:read")
def enterprise_standing(year: int, uscc: str) -> Any:
    programme = _programme(year)
    enterprise = _enterprise(uscc)
    found = policies.standing(enterprise.id, programme)
    return jsonify(enterprise_json(enterprise, found, policies.find_policy(programme.id, enterprise.id)))


@bp.post("/programmes/<int:year>/policies")
@token_required("policies:claim")
def claim(year: int) -> Any:
    data = _json_object()
    raw = data.get("uscc")
    if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_USCC_INPUT:
        raise Invalid(_l("uscc 须为统一社会信用代码文本"), code="invalid_uscc", field="uscc")
    programme = _programme(year)
    enterprise = _enterprise(raw)
    result = policies.claim(g.api_actor, enterprise, programme, now=now(), via="api")
    response = jsonify(policy_json(result.policy))
    response.status_code = 201 if result.created else 200
    response.headers["Location"] = f"/api/v1/policies/{result.policy.id}"
    return response


@bp.get("/policies/<int:policy_id>")
@token_required("policies:claim", "enterprises:read")
def policy(policy_id: int) -> Any:
    return jsonify(policy_json(policies.policy_for(g.api_actor, policy_id)))


@bp.get("/openapi.json")
def openapi() -> Any:
    response = jsonify(build_document(current_app.config["TONGBAO_BASE_URL"]))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
