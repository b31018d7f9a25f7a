"""loss parties: buyers and issuing banks per policy (the limit's party), payment terms, the issuing
bank as reported, payments received after a report and the assessed loss

Existing reports are open-account losses: each gets the buyer party its name and country resolve to
(the normalisation below is a frozen copy of `losses.rules.party_name_key` as of this revision).

Revision ID: 0012
Revises: 0011
"""

import hashlib
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
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


def upgrade() -> None:
    op.create_table(
        "loss_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("ident", sa.String(64), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('buyer', 'bank')", name=op.f("ck_loss_parties_kind")),
        sa.ForeignKeyConstraint(["policy_id"], ["policies.id"], name=op.f("fk_loss_parties_policy_id_policies")),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["loss_parties.id"], name=op.f("fk_loss_parties_merged_into_id_loss_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loss_parties")),
        sa.UniqueConstraint("policy_id", "kind", "key", name=op.f("uq_loss_parties_policy_id_kind_key")),
    )
    op.create_index(op.f("ix_loss_parties_policy_id"), "loss_parties", ["policy_id"])

    with op.batch_alter_table("loss_reports") as batch:
        batch.add_column(sa.Column("buyer_registration_no", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("payment_terms", sa.String(16), nullable=False, server_default=sa.text("'open_account'"))
        )
        batch.add_column(sa.Column("bank_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("bank_swift_bic", sa.String(11), nullable=True))
        batch.add_column(sa.Column("bank_country", sa.String(2), nullable=True))
        batch.add_column(sa.Column("buyer_party_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("bank_party_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("limit_party_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("received_usd", sa.BigInteger(), nullable=False, server_default=sa.text("0")))
        batch.add_column(sa.Column("assessed_usd", sa.BigInteger(), nullable=True))

    bind = op.get_bind()
    reports = bind.execute(
        sa.text("SELECT id, policy_id, buyer_name, buyer_country, reported_at FROM loss_reports ORDER BY id")
    ).fetchall()
    parties: dict[tuple[int, str], int] = {}
    for report_id, policy_id, name, country, reported_at in reports:
        key = _name_key(name, country)
        party_id = parties.get((policy_id, key))
        if party_id is None:
            bind.execute(
                sa.text(
                    "INSERT INTO loss_parties (policy_id, kind, key, name_key, name, country, created_at) "
                    "VALUES (:policy_id, 'buyer', :key, :key, :name, :country, :at)"
                ),
                {
                    "policy_id": policy_id,
                    "key": key,
                    "name": name,
                    "country": (country or "").upper(),
                    "at": reported_at,
                },
            )
            party_id = bind.execute(
                sa.text("SELECT id FROM loss_parties WHERE policy_id = :p AND kind = 'buyer' AND key = :k"),
                {"p": policy_id, "k": key},
            ).scalar_one()
            parties[(policy_id, key)] = party_id
        bind.execute(
            sa.text("UPDATE loss_reports SET buyer_party_id = :p, limit_party_id = :p WHERE id = :id"),
            {"p": party_id, "id": report_id},
        )
    # a covered report paid before this revision was paid on the whole reported loss
    bind.execute(sa.text("UPDATE loss_reports SET assessed_usd = invoice_total_usd WHERE status = 'paid' AND covered"))

    with op.batch_alter_table("loss_reports") as batch:
        batch.alter_column("payment_terms", server_default=None)
        batch.alter_column("received_usd", server_default=None)
        batch.alter_column("buyer_party_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("limit_party_id", existing_type=sa.Integer(), nullable=False)
        batch.create_check_constraint(op.f("ck_loss_reports_payment_terms"), "payment_terms IN ('open_account', 'lc')")
        batch.create_foreign_key(
            op.f("fk_loss_reports_buyer_party_id_loss_parties"), "loss_parties", ["buyer_party_id"], ["id"]
        )
        batch.create_foreign_key(
            op.f("fk_loss_reports_bank_party_id_loss_parties"), "loss_parties", ["bank_party_id"], ["id"]
        )
        batch.create_foreign_key(
            op.f("fk_loss_reports_limit_party_id_loss_parties"), "loss_parties", ["limit_party_id"], ["id"]
        )
        batch.create_index(op.f("ix_loss_reports_buyer_party_id"), ["buyer_party_id"])
        batch.create_index(op.f("ix_loss_reports_limit_party_id"), ["limit_party_id"])
    _after_copying_tables()


def downgrade() -> None:
    with op.batch_alter_table("loss_reports") as batch:
        batch.drop_index(op.f("ix_loss_reports_limit_party_id"))
        batch.drop_index(op.f("ix_loss_reports_buyer_party_id"))
        batch.drop_constraint(op.f("fk_loss_reports_limit_party_id_loss_parties"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_loss_reports_bank_party_id_loss_parties"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_loss_reports_buyer_party_id_loss_parties"), type_="foreignkey")
        batch.drop_constraint(op.f("ck_loss_reports_payment_terms"), type_="check")
        for column in (
            "assessed_usd",
            "received_usd",
            "limit_party_id",
            "bank_party_id",
            "buyer_party_id",
            "bank_country",
            "bank_swift_bic",
            "bank_name",
            "payment_terms",
            "buyer_registration_no",
        ):
            batch.drop_column(column)
    op.drop_index(op.f("ix_loss_parties_policy_id"), table_name="loss_parties")
    op.drop_table("loss_parties")
    _after_copying_tables()
