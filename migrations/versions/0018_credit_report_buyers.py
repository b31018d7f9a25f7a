"""credit reports name a buyer as losses do: `credit_report_requests.buyer_party_id` (a buyer of the
policy in `loss_parties`, merges included) replaces the `buyer_key` string

Each existing request gets the buyer its name and country resolve to under its policy (the request's
policy, else the enterprise's policy of the request's programme): a buyer recorded under that key,
else the one buyer recorded under that normalised name, else a new buyer record. The normalisation
below is a frozen copy of `losses.rules.party_name_key` as of this revision. A request without any
policy keeps no buyer record (it counts as a buyer of its own).

Revision ID: 0018
Revises: 0017
"""

import hashlib
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

LEGAL_FORMS = frozenset(
    {"co", "company", "corp", "corporation", "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited"}
    | {"plc", "pte", "pty", "gmbh", "mbh", "ag", "kg", "sa", "sas", "sarl", "srl", "spa", "bv", "nv"}
    | {"oy", "ab", "as", "kk", "sdn", "bhd", "jsc", "ooo"}
)
LEGAL_ENDINGS = ("股份有限公司", "有限责任公司", "有限公司", "公司")


def _name_key(name: str, country: str) -> str:
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    words = "".join(ch if unicodedata.category(ch)[0] in {"L", "N", "M"} else " " for ch in folded).split()
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    joined = "".join(words)
    for ending in LEGAL_ENDINGS:
        if joined.endswith(ending) and len(joined) > len(ending):
            joined = joined[: -len(ending)]
            break
    key = f"{(country or '').strip().upper()}:{joined}"
    return key if len(key) <= 200 else f"{key[:12]}#{hashlib.sha256(key.encode()).hexdigest()}"


def _after_copying_tables() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"broken references after copying tables (table, rowid, parent, fk): {broken[:10]}")


def _root(bind: sa.Connection, party_id: int) -> int:
    seen = {party_id}
    while True:
        nxt = bind.execute(sa.text("SELECT merged_into_id FROM loss_parties WHERE id = :id"), {"id": party_id}).scalar()
        if nxt is None or nxt in seen:
            return party_id
        seen.add(nxt)
        party_id = nxt


def _buyer(bind: sa.Connection, policy_id: int, name: str, country: str, at: object) -> int:
    key = _name_key(name, country)
    by_key = bind.execute(
        sa.text("SELECT id FROM loss_parties WHERE policy_id = :p AND kind = 'buyer' AND key = :k"),
        {"p": policy_id, "k": key},
    ).scalar()
    if by_key is not None:
        return _root(bind, by_key)
    same = bind.execute(
        sa.text("SELECT id FROM loss_parties WHERE policy_id = :p AND kind = 'buyer' AND name_key = :k"),
        {"p": policy_id, "k": key},
    ).scalars()
    roots = {_root(bind, party) for party in same}
    if len(roots) == 1:
        return roots.pop()
    bind.execute(
        sa.text(
            "INSERT INTO loss_parties (policy_id, kind, key, name_key, name, country, created_at) "
            "VALUES (:p, 'buyer', :k, :k, :name, :country, :at)"
        ),
        {"p": policy_id, "k": key, "name": name, "country": (country or "").strip().upper(), "at": at},
    )
    return int(
        bind.execute(
            sa.text("SELECT id FROM loss_parties WHERE policy_id = :p AND kind = 'buyer' AND key = :k"),
            {"p": policy_id, "k": key},
        ).scalar_one()
    )


def upgrade() -> None:
    with op.batch_alter_table("credit_report_requests") as batch:
        batch.add_column(sa.Column("buyer_party_id", sa.Integer(), nullable=True))

    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT r.id, COALESCE(r.policy_id, p.id), r.buyer_name, r.buyer_country, r.requested_at "
            "FROM credit_report_requests r LEFT JOIN policies p "
            "ON p.programme_id = r.programme_id AND p.enterprise_id = r.enterprise_id ORDER BY r.id"
        )
    ).fetchall()
    for request_id, policy_id, name, country, requested_at in rows:
        if policy_id is None:
            continue
        party_id = _buyer(bind, policy_id, name, country, requested_at)
        bind.execute(
            sa.text("UPDATE credit_report_requests SET buyer_party_id = :b, policy_id = :p WHERE id = :id"),
            {"b": party_id, "p": policy_id, "id": request_id},
        )

    with op.batch_alter_table("credit_report_requests") as batch:
        batch.create_foreign_key(
            op.f("fk_credit_report_requests_buyer_party_id_loss_parties"), "loss_parties", ["buyer_party_id"], ["id"]
        )
        batch.create_index(op.f("ix_credit_report_requests_buyer_party_id"), ["buyer_party_id"])
        batch.drop_column("buyer_key")
    _after_copying_tables()


def downgrade() -> None:
    with op.batch_alter_table("credit_report_requests") as batch:
        batch.add_column(sa.Column("buyer_key", sa.String(200), nullable=False, server_default=sa.text("''")))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, buyer_name, buyer_country FROM credit_report_requests")).fetchall()
    for request_id, name, country in rows:
        bind.execute(
            sa.text("UPDATE credit_report_requests SET buyer_key = :k WHERE id = :id"),
            {"k": _name_key(name, country), "id": request_id},
        )
    with op.batch_alter_table("credit_report_requests") as batch:
        batch.alter_column("buyer_key", server_default=None)
        batch.drop_index(op.f("ix_credit_report_requests_buyer_party_id"))
        batch.drop_constraint(op.f("fk_credit_report_requests_buyer_party_id_loss_parties"), type_="foreignkey")
        batch.drop_column("buyer_party_id")
    _after_copying_tables()
