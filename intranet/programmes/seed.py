"""Seed data (districts, account managers, the 2024 programme) read from JSON files, not code."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..districts.models import AccountManager, District
from .models import Programme

SEED_DIR = Path(__file__).resolve().parent / "seed"
DATE_FIELDS = ("claim_deadline", "cover_start", "cover_end")


def load_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SEED_DIR / name).read_text(encoding="utf-8"))
    return data


def seed_reference(session: Session) -> None:
    """Districts and account managers, when the tables are empty (idempotent)."""
    if session.scalar(select(District.id).limit(1)) is not None:
        return
    data = load_json("reference.json")
    managers = {m["name"]: AccountManager(name=m["name"], phone=m["phone"], active=True) for m in data["managers"]}
    session.add_all(managers.values())
    for sort, row in enumerate(data["districts"]):
        district = District(name_zh=row["name_zh"], name_en=row["name_en"], sort=sort)
        district.managers = [managers[name] for name in row["managers"]]
        session.add(district)
    session.flush()


def programme_values(data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    for field in DATE_FIELDS:
        values[field] = date.fromisoformat(values[field])
    return values


def seed_programme(session: Session, name: str, *, created_at: datetime) -> Programme:
    # the services' addresses (migration 0016) are kept in their own file: 0002 froze the programme's
    values = programme_values(load_json("services.json") | load_json(name))
    existing = session.scalar(select(Programme).where(Programme.year == values["year"]))
    if existing is not None:
        return existing
    programme = Programme(**values, created_at=created_at, published_at=created_at)
    session.add(programme)
    session.flush()
    return programme


def seed_all(session: Session, *, created_at: datetime) -> None:
    seed_reference(session)
    seed_programme(session, "programme_2024.json", created_at=created_at)
