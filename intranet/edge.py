"""The edge of every request: hostile input is refused before a view (or a database driver) sees it.

- NUL and the other C0 control characters (tab, line feed and carriage return excepted) and DEL in
  the path, the query string, form fields and JSON strings: 400 (PostgreSQL refuses NUL outright,
  and no Tongbao field has a use for the others);
- an API body over `API_MAX_BODY` bytes: 413; JSON nested deeper than `API_MAX_DEPTH`: 400
  (Python's parser would otherwise recurse until it fails).

Errors are the house shapes: `{"error": {"code", "message"}}` under /api/, the error page elsewhere."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from flask import Flask, render_template, request
from flask_babel import gettext as _

from .error_pages import json_error, wants_json

API_MAX_BODY = 1024 * 1024
API_MAX_DEPTH = 20
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def json_depth(body: str) -> int:
    """How deeply the arrays and objects of a JSON text nest (strings skipped, no recursion)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub("", body)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _strings(value: Any) -> Iterable[str]:
    """Every string (keys included) of a parsed JSON value, depth-first without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _refuse(status: int, message: str, code: str) -> Any:
    if wants_json():
        return json_error(status, message, code)
    return render_template("errors/error.html", status=status, message=message), status


def _control_in_request() -> bool:
    if has_control(request.path):
        return True
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if has_control(key) or has_control(value):
                return True
    return False


def _check_api_body() -> Any:
    if request.content_length is not None and request.content_length > API_MAX_BODY:
        return _refuse(413, _("请求内容过大"), "too_large")
    raw = request.get_data(cache=True)
    if len(raw) > API_MAX_BODY:
        return _refuse(413, _("请求内容过大"), "too_large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None  # the view's own parsing refuses it
    if json_depth(text) > API_MAX_DEPTH:
        return _refuse(400, _("JSON 嵌套层数过多"), "too_deep")
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if any(has_control(s) for s in _strings(data)):
        return _refuse(400, _("请求含有不允许的控制字符"), "control_character")
    return None


def check_request() -> Any:
    if _control_in_request():
        return _refuse(400, _("请求含有不允许的控制字符"), "control_character")
    if request.path.startswith("/api/") and request.method in ("POST", "PUT", "PATCH"):
        return _check_api_body()
    return None


def init_app(app: Flask) -> None:
    app.before_request(check_request)
