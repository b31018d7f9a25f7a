"""The OpenAPI 3.1 document of /api/v1 — every endpoint of CONTRACT.md's HTTP table, including those
other features serve from their own blueprints (certificate, loss reports, credit reports, verify)."""

from __future__ import annotations

from typing import Any

from ..losses.rules import BANK_CAUSES, CAUSES, PAYMENT_TERMS
from .openapi_notices import NOTICE_PATHS, NOTICE_SCHEMAS

USCC_PATTERN = "^[0-9A-HJ-NPQRTUWXY]{18}$"
EXAMPLE_USCC = "91440300MA5FTBDEM9"  # valid check digit; the tests create an enterprise with it


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _path_int(name: str, description: str, example: int) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
        "example": example,
    }


YEAR = _path_int("year", "Programme (policy) year", 2024)
YEAR["schema"] = {"type": "integer", "minimum": 1900, "maximum": 9999}
POLICY_ID = _path_int("policy_id", "Policy id (as returned by the claim)", 1)
REPORT_ID = _path_int("report_id", "Loss report id", 1)

DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
MONEY_OUT = {"type": "number", "minimum": 0, "description": "USD, rounded to the cent"}
MONEY_IN = {
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0},
        {"type": "string", "pattern": r"^\d{1,3}(,?\d{3})*(\.\d{1,2})?$"},
    ],
    "description": "USD amount: a JSON number or a numeric string, at most two decimals",
}
COUNTRY = {"type": "string", "pattern": "^[A-Za-z]{2}$", "description": "ISO 3166 alpha-2", "example": "US"}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "description": "stable machine-readable reason"},
                    "message": {"type": "string", "description": "in the Accept-Language (default Chinese)"},
                },
            }
        },
    },
    "Policy": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "policy_id",
            "policy_no",
            "status",
            "claimed_at",
            "issued_at",
            "cover_start",
            "cover_end",
            "uscc",
            "programme",
            "verify_code",
        ],
        "properties": {
            "policy_id": {"type": "integer", "minimum": 1},
            "policy_no": {
                "type": ["string", "null"],
                "description": "null until issued",
                "example": "TB2024-SZ-000123",
            },
            "status": {
                "type": "string",
                "enum": ["claimed", "issued", "revoked", "lapsed"],
                "description": "lapsed: the claim was still unissued when the programme's cover period ended",
            },
            "claimed_at": {"type": "string", "format": "date-time"},
            "issued_at": {"type": ["string", "null"], "format": "date-time"},
            "cover_start": {
                "type": ["string", "null"],
                "format": "date",
                "description": "null while a late claim awaits issuance (cover then runs from the issue date)",
            },
            "cover_end": {"type": ["string", "null"], "format": "date"},
            "uscc": {"type": "string", "pattern": USCC_PATTERN},
            "programme": {"type": "integer", "description": "programme year"},
            "verify_code": {"type": ["string", "null"], "description": "short code of the certificate, once issued"},
        },
    },
    "EnterpriseStanding": {
        "type": "object",
        "additionalProperties": False,
        "required": ["uscc", "name", "on_roster", "roster_status", "eligible", "policy"],
        "properties": {
            "uscc": {"type": "string", "pattern": USCC_PATTERN},
            "name": {"type": "string"},
            "on_roster": {
                "type": "boolean",
                "description": "listed on a confirmed roster of the programme and eligible; an enterprise above "
                "the threshold is kept off the roster (on_roster false, eligible false)",
            },
            "roster_status": {
                "type": ["string", "null"],
                "enum": ["draft", "notice", "confirmed", "removed", None],
                "description": "the roster the enterprise is listed on: draft, under public notice, confirmed; "
                "removed after an upheld objection; null when never listed",
            },
            "eligible": {"type": "boolean", "description": "export amount within the programme threshold"},
            "policy": _nullable(_ref("Policy")),
        },
    },
    "ClaimRequest": {
        "type": "object",
        "required": ["uscc"],
        "properties": {"uscc": {"type": "string", "minLength": 1, "maxLength": 64, "example": EXAMPLE_USCC}},
    },
    "IssuingBank": {
        "type": "object",
        "required": ["name", "country"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "swift_bic": {
                "type": "string",
                "pattern": "^[A-Za-z]{6}[A-Za-z0-9]{2}([A-Za-z0-9]{3})?$",
                "description": "SWIFT BIC when known (8 or 11 characters; its country letters match `country`)",
            },
            "country": COUNTRY,
        },
    },
    "LossReportRequest": {
        "type": "object",
        "required": ["buyer_name", "buyer_country", "invoice_amount_usd", "shipment_date", "due_date", "cause"],
        "properties": {
            "buyer_name": {"type": "string", "minLength": 1, "maxLength": 200},
            "buyer_country": COUNTRY,
            "buyer_registration_no": {
                "type": "string",
                "maxLength": 64,
                "description": "the buyer's registration number in its country: with the country it names the buyer "
                "(else its normalised name and country does)",
            },
            "invoice_amount_usd": MONEY_IN,
            "shipment_date": DATE,
            "due_date": DATE,
            "cause": {
                "type": "string",
                "enum": list(CAUSES),
                "description": "the bank_* causes (" + ", ".join(BANK_CAUSES) + ') need payment_terms "lc"',
            },
            "payment_terms": {"type": "string", "enum": list(PAYMENT_TERMS), "default": "open_account"},
            "issuing_bank": {
                **_ref("IssuingBank"),
                "description": "for lc: the loss is charged to the bank's limit and judged in its country",
            },
        },
    },
    "LimitParty": {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", "name", "remaining_usd"],
        "properties": {
            "kind": {"type": "string", "enum": ["buyer", "bank"], "description": "bank for a loss under an LC"},
            "name": {"type": "string"},
            "remaining_usd": {**MONEY_OUT, "description": "what is left of its limit under the policy now"},
        },
    },
    "LossReport": {
        "type": "object",
        "additionalProperties": False,
        "required": ["report_id", "status", "covered", "reasons", "indemnity_estimate_usd", "limit_party"],
        "properties": {
            "report_id": {"type": "integer", "minimum": 1},
            "status": {"type": "string"},
            "covered": {"type": "boolean"},
            "reasons": {
                "type": "array",
                "items": {"type": "string"},
                "description": "why (part of) the loss is not covered, or why it pays nothing (a limit used up)",
            },
            "indemnity_estimate_usd": MONEY_OUT,
            "limit_party": _ref("LimitParty"),
            "assessed_loss_usd": {
                "anyOf": [MONEY_OUT, {"type": "null"}],
                "description": "present once decided: the loss the insurer accepted (核定损失金额)",
            },
            "indemnity_paid_usd": {**MONEY_OUT, "description": "present once decided"},
        },
    },
    "CreditReportRequest": {
        "type": "object",
        "required": ["buyer_name", "buyer_country"],
        "properties": {"buyer_name": {"type": "string", "minLength": 1, "maxLength": 200}, "buyer_country": COUNTRY},
    },
    "CreditReport": {
        "type": "object",
        "additionalProperties": False,
        "required": ["request_id", "status", "remaining_free"],
        "properties": {
            "request_id": {"type": "integer", "minimum": 1},
            "status": {"type": "string"},
            "remaining_free": {"type": "integer", "minimum": 0},
        },
    },
    "Verification": {
        "type": "object",
        "additionalProperties": False,
        "required": ["valid", "status", "insured", "cover_start", "cover_end"],
        "properties": {
            "valid": {"type": "boolean", "description": "genuine and current"},
            "status": {
                "type": "string",
                "enum": ["valid", "expired", "revoked"],
                "description": "valid: genuine and current; expired: the cover period is over; revoked",
            },
            "insured": {"type": "string", "description": "the insured's name, nothing else about it"},
            "cover_start": {"type": ["string", "null"], "format": "date"},
            "cover_end": {"type": ["string", "null"], "format": "date"},
        },
    },
}

ERROR_TEXT = {
    400: "Malformed request: the body is not a JSON object, JSON nested too deeply (code `too_deep`), a "
    "control character in the path, query or body (code `control_character`), or a query parameter that "
    "is not of its form (code `invalid_since`)",
    401: "Missing, unknown, expired or revoked bearer token",
    403: "Not allowed; code `scope`: the token lacks the scope this operation needs",
    413: "Request body too large",
    404: "Not found (unknown programme, enterprise, policy, report or code)",
    409: "Refused by the rules in the current state; the error code says why",
    422: "Invalid input; the error code and message name the field",
}


def errors(*statuses: int) -> dict[str, Any]:
    """The error responses of an operation; every one may answer 400 (control characters are
    refused at the edge of every request)."""
    return {str(s): {"$ref": f"#/components/responses/E{s}"} for s in sorted({400, *statuses})}


def _op(summary: str, op_id: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "operationId": op_id, "responses": responses, **extra}


def _body(name: str, example: dict[str, Any] | None = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": _ref(name)}
    if example:
        media["example"] = example
    return {"required": True, "content": {"application/json": media}}


USCC_PARAM = {
    "name": "uscc",
    "in": "path",
    "required": True,
    "description": "统一社会信用代码 (18 characters; full-width and lower case are normalised)",
    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
    "example": EXAMPLE_USCC,
}

PATHS: dict[str, Any] = {
    "/api/v1/programmes/{year}/enterprises/{uscc}": {
        "get": _op(
            "An enterprise's standing on a programme: roster, eligibility and its policy",
            "getEnterpriseStanding",
            {"200": _json(_ref("EnterpriseStanding"), "The enterprise")} | errors(401, 403, 404, 422),
            tags=["policies"],
            parameters=[YEAR, USCC_PARAM],
        )
    },
    "/api/v1/programmes/{year}/policies": {
        "post": _op(
            "Claim the enterprise's policy (idempotent: one policy per enterprise and programme)",
            "claimPolicy",
            {
                "201": _json(_ref("Policy"), "Claimed now"),
                "200": _json(_ref("Policy"), "Already claimed: the existing policy"),
            }
            | errors(400, 401, 403, 404, 409, 413, 422),
            tags=["policies"],
            parameters=[YEAR],
            requestBody=_body("ClaimRequest", {"uscc": EXAMPLE_USCC}),
        )
    },
    "/api/v1/policies/{policy_id}": {
        "get": _op(
            "A policy",
            "getPolicy",
            {"200": _json(_ref("Policy"), "The policy")} | errors(401, 403, 404),
            tags=["policies"],
            parameters=[POLICY_ID],
        )
    },
    "/api/v1/policies/{policy_id}/certificate.pdf": {
        "get": _op(
            "The policy's PDF certificate (404 until issued)",
            "getCertificate",
            {
                "200": {
                    "description": "PDF/A certificate",
                    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                },
                "304": {"description": "Not modified (ETag / Last-Modified)"},
            }
            | errors(401, 403, 404),
            tags=["certificates"],
            parameters=[POLICY_ID],
        )
    },
    "/api/v1/policies/{policy_id}/loss-reports": {
        "post": _op(
            "Report a loss under a policy; the estimate applies the indemnity rule to what is known now",
            "reportLoss",
            {"201": _json(_ref("LossReport"), "Reported")} | errors(400, 401, 403, 404, 409, 413, 422),
            tags=["losses"],
            parameters=[POLICY_ID],
            requestBody=_body(
                "LossReportRequest",
                {
                    "buyer_name": "ACME Trading LLC",
                    "buyer_country": "US",
                    "invoice_amount_usd": "230000.00",
                    "shipment_date": "2024-08-01",
                    "due_date": "2024-11-01",
                    "cause": "buyer_default",
                },
            ),
        )
    },
    "/api/v1/loss-reports/{report_id}": {
        "get": _op(
            "A loss report, with assessed_loss_usd and indemnity_paid_usd once decided",
            "getLossReport",
            {"200": _json(_ref("LossReport"), "The report")} | errors(401, 403, 404),
            tags=["losses"],
            parameters=[REPORT_ID],
        )
    },
    "/api/v1/policies/{policy_id}/credit-reports": {
        "post": _op(
            "Request a free overseas buyer credit report, while the policy is in force (409 policy_not_in_force "
            "before issue or after cover; 409 quota_exhausted for a buyer past the free quota)",
            "requestCreditReport",
            {
                "201": _json(_ref("CreditReport"), "Requested: a buyer not asked about before"),
                "200": _json(
                    _ref("CreditReport"),
                    "The buyer (by registration number or normalised name, and country; merges followed) was "
                    "already asked about: that request, no free report used",
                ),
            }
            | errors(400, 401, 403, 404, 409, 413, 422),
            tags=["credit-reports"],
            parameters=[POLICY_ID],
            requestBody=_body("CreditReportRequest", {"buyer_name": "ACME Trading LLC", "buyer_country": "US"}),
        )
    },
    "/api/v1/verify/{code}": {
        "get": _op(
            "Verify a certificate by its short code (public, no token)",
            "verifyCertificate",
            {"200": _json(_ref("Verification"), "A genuine certificate (current, expired or revoked)")} | errors(404),
            tags=["certificates"],
            security=[],
            parameters=[
                {
                    "name": "code",
                    "in": "path",
                    "required": True,
                    "description": "the short code printed beside the QR code",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
                }
            ],
        )
    },
}


def build_document(base_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tongbao (统保) API for the single window (单一窗口)",
            "version": "1.0.0",
            "description": "Shenzhen's pooled export-credit-insurance programme. Bearer token from "
            '`tongbao token create --name N`. Errors are {"error": {"code", "message"}}.',
        },
        "servers": [{"url": base_url.rstrip("/") or "/"}],
        "security": [{"bearer": []}],
        "paths": PATHS | NOTICE_PATHS,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "tongbao token create"}},
            "schemas": SCHEMAS | NOTICE_SCHEMAS,
            "responses": {f"E{status}": _json(_ref("Error"), text) for status, text in ERROR_TEXT.items()},
        },
    }
