"""Dashboards for staff: the bureau's roster and claims, the insurer's queue, losses and limits."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from ..clock import now
from ..errors import NotFound
from ..programmes import service as programmes
from ..security import staff_required
from . import panels, service

bp = Blueprint("dashboards", __name__, url_prefix="/staff/dashboard")


def _programme() -> Any:
    year = request.args.get("programme", type=int)
    programme = programmes.get_programme(year) if year else programmes.current_programme(now())
    if programme is None:
        raise NotFound(_l("尚未设置统保项目"), code="programme_not_found")
    return programme


@bp.get("/bureau")
@staff_required
def bureau() -> Any:
    programme = _programme()
    stats = service.bureau_stats(programme)
    return render_template(
        "dashboards/bureau.html",
        programme=programme,
        programmes=programmes.list_programmes(),
        **panels.bureau_panels(programme, stats),
    )


@bp.get("/insurer")
@staff_required
def insurer() -> Any:
    programme = _programme()
    stats = service.insurer_stats(programme, now())
    return render_template(
        "dashboards/insurer.html",
        programme=programme,
        programmes=programmes.list_programmes(),
        **panels.insurer_panels(programme, stats),
    )
