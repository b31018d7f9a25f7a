"""Engine set-up per dialect: SQLite in WAL mode with foreign keys on (except in a bulk write,
which checks its references itself: see `bulk_write`)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from .extensions import db

# SQLite: a transaction that will write starts with BEGIN IMMEDIATE, so two writers queue on
# the busy timeout instead of failing with "database is locked" when a reader upgrades.
write_intent: ContextVar[bool] = ContextVar("tongbao_write_intent", default=False)
# SQLite: a bulk write (a roster import: 100,000 rows, five references each) runs its transaction
# without SQLite's per-row foreign-key lookups, because it checks the same references itself, once
# per batch (roster.importing.writer). The pragma only takes effect outside a transaction, so it is
# switched off just before BEGIN and on again when the connection goes back to the pool (or, should
# that fail, before the connection's next BEGIN). PostgreSQL always checks.
bulk_write: ContextVar[bool] = ContextVar("tongbao_bulk_write", default=False)
_FOREIGN_KEYS_OFF = "tongbao_foreign_keys_off"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event emits BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    if write_intent.get() and bulk_write.get():
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.info[_FOREIGN_KEYS_OFF] = True
    elif conn.info.pop(_FOREIGN_KEYS_OFF, False):
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def _sqlite_checkin(dbapi_connection: Any, record: Any) -> None:
    """Back in the pool (rolled back or committed): foreign keys on again after a bulk write."""
    if dbapi_connection is None or not record.info.pop(_FOREIGN_KEYS_OFF, False):
        return
    try:
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
    except Exception:  # noqa: BLE001 - a broken connection: the next BEGIN switches it on instead
        record.info[_FOREIGN_KEYS_OFF] = True


def foreign_keys_enforced(conn: Any) -> bool:
    """Whether the database checks this connection's references row by row (always on PostgreSQL)."""
    if conn.dialect.name != "sqlite":
        return True
    return bool(conn.exec_driver_sql("PRAGMA foreign_keys").scalar())


def init_engine_events(app: Flask) -> None:
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite" and not getattr(engine, "_tongbao_pragmas", False):
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
            event.listen(engine, "checkin", _sqlite_checkin)
            engine._tongbao_pragmas = True  # type: ignore[attr-defined]


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "unreachable"
        db.session.rollback()
        return False
