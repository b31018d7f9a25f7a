"""JSON API for the single window: report a loss, read a report (CONTRACT.md).

Amounts are JSON numbers rounded to the cent (150000.0 means USD 150,000.00); requests may send
numbers or numeric strings. Dates are YYYY-MM-DD."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, g, jsonify, request
from flask_babel import lazy_gettext as _l

from ..api_auth.tokens import token_required
from ..clock import now
from ..errors import Invalid
from ..extensions import csrf
from . import inputs, parties, rules, service
from .models import LossReport

bp = Blueprint("api_losses", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

REQUIRED = ("buyer_name", "buyer_country", "invoice_amount_usd", "shipment_date", "due_date", "cause")


def amount(value: Decimal | None) -> float | None:
    return None if value is None else float(rules.money(value))


def limit_party_json(row: LossReport) -> dict[str, Any]:
    """Who the loss is charged to (the issuing bank under a letter of credit, else the buyer) and
    what is left of its limit under the policy now."""
    party = row.limit_party
    return {"kind": party.kind, "name": party.name, "remaining_usd": amount(parties.remaining(row.policy, party))}


def report_json(row: LossReport) -> dict[str, Any]:
    body: dict[str, Any] = {
        "report_id": row.id,
        "status": row.status,
        "covered": bool(row.covered),
        "reasons": [rules.describe(r) for r in row.reasons or []],
        "indemnity_estimate_usd": amount(row.estimate_usd),
        "limit_party": limit_party_json(row),
    }
    if row.status in ("paid", "declined", "rejected"):
        body["assessed_loss_usd"] = amount(row.assessed_usd or rules.ZERO)
        body["indemnity_paid_usd"] = amount(row.paid_usd or rules.ZERO)
    return body


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid(_l("请求体须为 JSON 对象"), code="invalid_json")
    return data


def _date(data: dict[str, Any], key: str) -> date:
    raw = data.get(key)
    try:
        if not isinstance(raw, str):
            raise ValueError
        return date.fromisoformat(raw.strip())
    except ValueError as exc:
        raise Invalid(_l("%(field)s 须为 YYYY-MM-DD 日期", field=key), code="invalid_date", field=key) from exc


def _text(data: dict[str, Any], key: str, limit: int) -> str:
    raw = data.get(key)
    if not isinstance(raw, str) or len(raw) > limit:
        raise Invalid(
            _l("%(field)s 须为不超过 %(n)s 字的文本", field=key, n=limit),
            code=f"invalid_{key}",
            field=key,
        )
    return raw


def _optional_text(data: dict[str, Any], key: str, limit: int) -> str:
    if data.get(key) is None:
        return ""
    return _text(data, key, limit)


def _issuing_bank(data: dict[str, Any]) -> inputs.BankInput | None:
    raw = data.get("issuing_bank")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise Invalid(
            _l("%(field)s 须为 JSON 对象", field="issuing_bank"), code="invalid_issuing_bank", field="issuing_bank"
        )
    try:
        return inputs.BankInput(
            name=_optional_text(raw, "name", 200),
            country=_optional_text(raw, "country", 2),
            swift_bic=_optional_text(raw, "swift_bic", 11),
        )
    except Invalid as exc:
        raise Invalid(exc.message, code="invalid_issuing_bank", field="issuing_bank") from exc


def parse(data: dict[str, Any]) -> inputs.LossInput:
    missing = [key for key in REQUIRED if data.get(key) in (None, "")]
    if missing:
        raise Invalid(
            _l("缺少字段 %(fields)s", fields=", ".join(missing)),
            code="missing_field",
            field=missing[0],
        )
    invoice_no = data.get("invoice_no") or ""
    if not isinstance(invoice_no, str):
        raise Invalid(_l("%(field)s 须为文本", field="invoice_no"), code="invalid_invoice", field="invoice_no")
    invoice = rules.Invoice(
        invoice_no=invoice_no,
        amount_usd=inputs.parse_amount(data.get("invoice_amount_usd")),
        shipment_date=_date(data, "shipment_date"),
    )
    return inputs.LossInput(
        buyer_name=_text(data, "buyer_name", 200),
        buyer_country=_text(data, "buyer_country", 2),
        due_date=_date(data, "due_date"),
        cause=_text(data, "cause", 32),
        invoices=[invoice],
        buyer_registration_no=_optional_text(data, "buyer_registration_no", 64),
        payment_terms=_optional_text(data, "payment_terms", 16) or rules.OPEN_ACCOUNT,
        bank=_issuing_bank(data),
    )


@bp.post("/policies/<int:policy_id>/loss-reports")
@token_required("losses:write")
def create(policy_id: int) -> Any:
    actor = g.api_actor
    service.visible_policy(actor, policy_id)  # 404 before 422 for a policy the caller cannot see
    row = service.report(actor, policy_id, parse(_json_body()), now=now(), via="api")
    response = jsonify(report_json(row))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/loss-reports/{row.id}"
    return response


@bp.get("/loss-reports/<int:report_id>")
@token_required("losses:write")
def show(report_id: int) -> Any:
    return jsonify(report_json(service.get_visible(g.api_actor, report_id)))
