"""The OpenAPI part of the single window's notice feed (`GET /api/v1/notices`, notices/api.py);
`openapi.build_document` adds it to the document."""

from __future__ import annotations

from typing import Any

from ..notices.service import CATEGORIES


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(status: int) -> dict[str, str]:
    return {"$ref": f"#/components/responses/E{status}"}


NOTICE_SCHEMAS: dict[str, Any] = {
    "Notice": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "month", "category", "countries", "title", "body_markdown", "url", "published_at"],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "month": {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "description": "YYYY-MM"},
            "category": {"type": "string", "enum": list(CATEGORIES)},
            "countries": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "description": "ISO 3166 alpha-2 codes the notice is about (empty: not about one country)",
            },
            "title": {"type": "string"},
            "body_markdown": {"type": "string", "description": "CommonMark with tables (raw HTML is not shown)"},
            "url": {"type": "string", "description": "the notice in the enterprise portal"},
            "published_at": {"type": "string", "format": "date-time"},
        },
    },
    "NoticeFeed": {
        "type": "object",
        "additionalProperties": False,
        "required": ["notices"],
        "properties": {"notices": {"type": "array", "items": _ref("Notice"), "description": "newest first"}},
    },
}

SINCE = {
    "name": "since",
    "in": "query",
    "required": False,
    "description": "only the notices published on or after this day (Asia/Shanghai); absent: all of them. "
    "Another form answers 400 with code `invalid_since`",
    "schema": {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
    "example": "2024-07-01",
}

NOTICE_PATHS: dict[str, Any] = {
    "/api/v1/notices": {
        "get": {
            "summary": "The published monthly notices (country risk, market information, risk alerts) for the "
            "single window to push, newest first (token scope notices:read)",
            "operationId": "listNotices",
            "tags": ["notices"],
            "parameters": [SINCE],
            "responses": {
                "200": {
                    "description": "The notices",
                    "content": {"application/json": {"schema": _ref("NoticeFeed")}},
                },
                **{str(status): _error(status) for status in (400, 401, 403, 404)},
            },
        }
    }
}
