"""Dashboards for staff: the bureau's roster and claims, the insurer's queue, losses and limits."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from ..clock import now
from ..programmes import service as programmes
from ..programmes.requested import required_programme
from ..security import staff_required
from . import panels, service

bp = Blueprint("dashboards", __name__, url_prefix="/staff/dashboard")


@bp.get("/bureau")
@staff_required
def bureau() -> Any:
    programme = required_programme()
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
    programme = required_programme()
    stats = service.insurer_stats(programme, now())
    return render_template(
        "dashboards/insurer.html",
        programme=programme,
        programmes=programmes.list_programmes(),
        **panels.insurer_panels(programme, stats),
    )
