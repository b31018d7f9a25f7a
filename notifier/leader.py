"""Only one active notifier per deployment.

PostgreSQL: a session-level advisory lock held on a dedicated connection; a second notifier waits
as a standby, trying the lock again every few seconds, and takes over when the first one's
connection goes away (it died). SQLite: an exclusive `flock` on a lock file in the instance path,
released by the kernel when the holder dies."""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path
from typing import IO, Protocol

from flask import Flask
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

LOCK_NAME = "tongbao.notifier"
LOCK_KEY = int.from_bytes(hashlib.sha256(LOCK_NAME.encode()).digest()[:8], "big", signed=True)


class Leader(Protocol):
    def try_acquire(self) -> bool: ...

    def still_held(self) -> bool: ...

    def release(self) -> None: ...

    def describe(self) -> str: ...


# The lock lives as long as its connection. If the leader's host vanishes (power, network), nobody
# closes that connection: both ends probe it instead, so the server ends the session (and the lock
# with it) about KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_COUNT seconds after the host went
# silent, and a standby takes over on its next try; the leader likewise notices a vanished server.
KEEPALIVE_IDLE = 10
KEEPALIVE_INTERVAL = 5
KEEPALIVE_COUNT = 4
CLIENT_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": KEEPALIVE_IDLE,
    "keepalives_interval": KEEPALIVE_INTERVAL,
    "keepalives_count": KEEPALIVE_COUNT,
    "tcp_user_timeout": 1000 * (KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_COUNT),
}
SERVER_KEEPALIVES = {
    "tcp_keepalives_idle": KEEPALIVE_IDLE,
    "tcp_keepalives_interval": KEEPALIVE_INTERVAL,
    "tcp_keepalives_count": KEEPALIVE_COUNT,
    "tcp_user_timeout": 1000 * (KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_COUNT),
}


def lock_engine(engine: Engine) -> Engine:
    """A pool-less engine on the same database whose connections carry TCP keepalives."""
    return create_engine(engine.url, poolclass=NullPool, connect_args=CLIENT_KEEPALIVES)


class PostgresLeader:
    def __init__(self, engine: Engine, key: int = LOCK_KEY) -> None:
        self.engine = lock_engine(engine)
        self.key = key
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            for name, value in SERVER_KEEPALIVES.items():  # the server probes this session too
                conn.execute(text(f"SET {name} = {int(value)}"))
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            held = self._conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                    "AND granted AND objid = (:k & 4294967295) AND classid = ((:k >> 32) & 4294967295)"
                ),
                {"k": self.key},
            ).scalar()
        except Exception:  # noqa: BLE001 - the connection is gone, and the lock with it
            return False
        return bool(held)

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
        except Exception:  # noqa: BLE001, S110 - closing the session releases it anyway
            pass
        finally:
            conn.close()

    def describe(self) -> str:
        return f"PostgreSQL advisory lock {self.key}"


class FileLeader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._fh = fh
        return True

    def still_held(self) -> bool:
        return self._fh is not None

    def release(self) -> None:
        fh, self._fh = self._fh, None
        if fh is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            fh.close()

    def describe(self) -> str:
        return f"lock file {self.path}"


def leader_for(app: Flask) -> Leader:
    from intranet.extensions import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            return PostgresLeader(engine)
    return FileLeader(Path(app.instance_path) / "notifier.lock")
