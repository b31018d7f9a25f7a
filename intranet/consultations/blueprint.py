"""The consultations blueprint, shared by the enterprise's pages (views.py) and the staff's
(staff_views.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from ..storage import service as storage
from .labels import status_label, topic_label
from .service import ATTACHMENT_KIND

bp = Blueprint("consultations", __name__)


def attachment_mb() -> str:
    return f"{storage.limit(ATTACHMENT_KIND) / storage.MB:g}"


@bp.app_context_processor
def labels() -> dict[str, Any]:
    return {"consultation_topic": topic_label, "consultation_status": status_label}


@bp.context_processor
def limits() -> dict[str, Any]:
    return {"attachment_mb": attachment_mb()}
