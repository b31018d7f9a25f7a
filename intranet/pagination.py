"""Simple offset pagination over a Select."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from .extensions import db


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def paginate(stmt: Select[Any], page: int, per_page: int = 50, *, scalars: bool = True) -> Page:
    page = max(1, page)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = list(rows.scalars()) if scalars else list(rows.all())
    return Page(items=items, page=page, per_page=per_page, total=total)


def page_arg(value: Any) -> int:
    try:
        return max(1, min(int(value), 100000))
    except (TypeError, ValueError):
        return 1
