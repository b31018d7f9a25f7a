"""The references of a bulk roster write, checked once per batch instead of row by row.

On SQLite a bulk write runs without the per-row foreign-key lookups (database.bulk_write); these
checks stand in for them: every district and accepting user an entry names exists, and so do the
roster and its programme. enterprise_id needs none: the upsert takes it from a join with
enterprises. Inside the write transaction nobody else can write, so what is found stays true."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, bindparam, text

from ...errors import Invalid
from .validate import Entry

_USERS = text("SELECT id FROM users WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
_ROSTER = text("SELECT 1 FROM rosters r JOIN programmes p ON p.id = r.programme_id WHERE r.id = :r AND p.id = :p")


class References:
    def __init__(self, conn: Connection, *, roster_id: int, programme_id: int) -> None:
        self.conn = conn
        self.districts = set(conn.execute(text("SELECT id FROM districts")).scalars())
        self.users: set[int] = set()
        if conn.execute(_ROSTER, {"r": roster_id, "p": programme_id}).first() is None:
            raise Invalid(_l("名单 %(roster)s 不属于项目 %(programme)s", roster=roster_id, programme=programme_id))

    def check(self, entries: Sequence[Entry], accepted_by: dict[int, int]) -> None:
        """Raise Invalid (the caller rolls everything back) when a batch names what does not exist."""
        missing = {e.district_id for e in entries} - self.districts
        if missing:
            ids = sorted(missing)
            raise Invalid(_l("所属区不存在（id %(ids)s），未导入", ids=str(ids)))
        users = {accepted_by[e.row] for e in entries if e.row in accepted_by} - self.users
        if users:
            self.users |= set(self.conn.execute(_USERS, {"ids": sorted(users)}).scalars())
            if unknown := sorted(users - self.users):
                raise Invalid(_l("用户不存在（id %(ids)s），未导入", ids=str(unknown)))
