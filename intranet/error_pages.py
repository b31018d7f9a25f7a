"""Errors: HTML pages for people, JSON `{"error": {"code", "message"}}` under /api/."""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from .errors import ServiceError
from .extensions import db

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
    503: "unavailable",
}
RETRY_AFTER_S = 30
# the database is unreachable, restarting, locked or too slow: "try again shortly", never a 500
UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def json_error(status: int, message: Any, code: str | None = None) -> Any:
    """`{"error": {"code", "message"}}`; a lazy message is translated here (Accept-Language under /api/)."""
    response = jsonify({"error": {"code": code or CODES.get(status, "error"), "message": str(message)}})
    response.status_code = status
    return response


def _http_message(status: int, exc: HTTPException) -> str:
    """Werkzeug's own descriptions are English: an API client gets the language it asked for."""
    messages = {
        400: _("请求无效"),
        401: _("需要有效的访问令牌"),
        403: _("无权访问"),
        404: _("未找到"),
        405: _("不支持此请求方法"),
        409: _("与当前状态冲突"),
        413: _("请求内容过大"),
        415: _("不支持的内容类型"),
        422: _("请求内容无效"),
        429: _("请求过于频繁，请稍后再试"),
        503: _("服务暂时不可用，请稍后再试"),
    }
    return messages.get(status) or _("请求无法完成")


def register(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError) -> Any:
        if wants_json():
            return json_error(exc.status, exc.message, exc.code)
        return render_template("errors/error.html", status=exc.status, message=str(exc.message)), exc.status

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        message = _("表单已过期或来源无效，请刷新页面后重试")
        if wants_json():
            return json_error(400, message, "csrf")
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if wants_json():
            return json_error(status, _http_message(status, exc))
        return render_template("errors/error.html", status=status, message=None), status

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(DisconnectionError)
    @app.errorhandler(PoolTimeout)
    def unavailable(exc: Exception) -> Any:
        return unavailable_response(exc)

    @app.errorhandler(Exception)
    def unhandled(exc: Exception) -> Any:
        app.logger.exception("unhandled error on %s", request.path)
        if wants_json():
            return json_error(500, _("服务器内部错误"))
        return render_template("errors/error.html", status=500, message=None), 500


def unavailable_response(exc: Exception) -> Any:
    """503 + Retry-After. The page is rendered without the layout: the layout reads the database
    (the signed-in user, the site's programme), which is what just failed."""
    if "_login_user" not in g:  # the language chooser must not load the signed-in user from the database
        g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    current_app.logger.warning("database unavailable on %s: %s", request.path, exc)
    with contextlib.suppress(Exception):  # the connection is already gone; the pool replaces it
        db.session.rollback()
    if wants_json():
        response = json_error(503, _("服务暂时不可用，请稍后再试"), "unavailable")
    else:
        page = current_app.jinja_env.get_template("errors/unavailable.html")
        response = current_app.response_class(
            page.render(retry_after=RETRY_AFTER_S), status=503, mimetype="text/html"
        )
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    response.headers["Cache-Control"] = "no-store"
    return response
