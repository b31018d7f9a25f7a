from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from ..pagination import page_arg, paginate
from ..security import staff_required
from . import actions, labels, service

bp = Blueprint("audit", __name__, url_prefix="/staff/audit")


@bp.get("/")
@staff_required
def index() -> Any:
    filters = {k: (request.args.get(k) or "").strip() for k in ("action", "actor", "object_type")}
    stmt = service.query_log(filters["action"] or None, filters["actor"] or None, filters["object_type"] or None)
    page = paginate(stmt, page_arg(request.args.get("page")), per_page=50)
    return render_template(
        "audit/list.html",
        page=page,
        filters=filters,
        action_label=actions.action_label,
        object_label=labels.object_label,
        change_lines=labels.change_lines,
        action_choices=labels.action_choices(),
        object_choices=labels.object_choices(),
    )
