"""The audit log: every staff (and operator) action, with what changed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import has_request_context, request
from sqlalchemy import Select, select

from ..actors import Actor
from ..clock import now
from ..extensions import db
from .models import AuditLog


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def record(
    actor: Actor,
    action: str,
    *,
    obj: Any = None,
    object_type: str | None = None,
    object_id: Any = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditLog:
    """Add an audit row to the current transaction (committed with the change it describes)."""
    if obj is not None:
        object_type = object_type or getattr(obj, "__tablename__", type(obj).__name__)
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    entry = AuditLog(
        at=now(),
        actor_user_id=actor.id,
        actor_label=actor.label(),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        summary=summary,
        changes=_jsonable(changes) if changes else None,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """{"field": [old, new]} for the fields that changed."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def query_log(action: str | None = None, actor: str | None = None, object_type: str | None = None) -> Select[Any]:
    stmt = select(AuditLog).order_by(AuditLog.id.desc())
    if action:
        stmt = stmt.where(AuditLog.action.startswith(action))
    if actor:
        stmt = stmt.where(AuditLog.actor_label.contains(actor))
    if object_type:
        stmt = stmt.where(AuditLog.object_type == object_type)
    return stmt
