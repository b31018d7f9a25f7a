"""Errors: HTML pages for people, JSON `{"error": {"code", "message"}}` under /api/."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .errors import ServiceError

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal_error",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def json_error(status: int, message: str, code: str | None = None) -> Any:
    response = jsonify({"error": {"code": code or CODES.get(status, "error"), "message": message}})
    response.status_code = status
    return response


def register(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError) -> Any:
        if wants_json():
            return json_error(exc.status, exc.message, exc.code)
        return render_template("errors/error.html", status=exc.status, message=exc.message), exc.status

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        message = "表单已过期或来源无效，请刷新页面后重试 / The form expired or came from elsewhere; reload and retry"
        if wants_json():
            return json_error(400, message, "csrf")
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if wants_json():
            return json_error(status, exc.description or exc.name)
        return render_template("errors/error.html", status=status, message=None), status

    @app.errorhandler(Exception)
    def unhandled(exc: Exception) -> Any:
        app.logger.exception("unhandled error on %s", request.path)
        if wants_json():
            return json_error(500, "internal error")
        return render_template("errors/error.html", status=500, message=None), 500
