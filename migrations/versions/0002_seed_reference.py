"""seed reference data: districts, account managers and the 2024 programme (from JSON files)

Revision ID: 0002
Revises: 0001
"""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEED_DIR = Path(__file__).resolve().parents[2] / "intranet" / "programmes" / "seed"

districts = sa.table(
    "districts", sa.column("id", sa.Integer), sa.column("name_zh", sa.String), sa.column("name_en", sa.String),
    sa.column("sort", sa.Integer),
)
managers = sa.table(
    "account_managers", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("phone", sa.String),
    sa.column("active", sa.Boolean),
)
links = sa.table("district_managers", sa.column("district_id", sa.Integer), sa.column("manager_id", sa.Integer))
programmes = sa.table(
    "programmes",
    *(sa.column(name, kind) for name, kind in [
        ("year", sa.Integer), ("name_zh", sa.String), ("name_en", sa.String), ("export_year", sa.Integer),
        ("threshold_usd", sa.BigInteger), ("claim_deadline", sa.Date), ("cover_start", sa.Date),
        ("cover_end", sa.Date), ("issuance_lag_days", sa.Integer), ("indemnity_ratio", sa.Integer),
        ("per_buyer_limit_usd", sa.BigInteger), ("free_credit_reports", sa.Integer),
        ("hotline_consult", sa.String), ("hotline_claims", sa.String), ("notice_days", sa.Integer),
        ("reminder_email_days", sa.JSON), ("reminder_sms_days", sa.JSON), ("reminder_time", sa.String),
        ("created_at", sa.DateTime(timezone=True)),
    ]),
)


def _cents(value: str) -> int:
    return int(Decimal(value) * 100)


def upgrade():
    reference = json.loads((SEED_DIR / "reference.json").read_text(encoding="utf-8"))
    manager_ids = {}
    rows = []
    for i, m in enumerate(reference["managers"], start=1):
        manager_ids[m["name"]] = i
        rows.append({"id": i, "name": m["name"], "phone": m["phone"], "active": True})
    op.bulk_insert(managers, rows)
    district_rows, link_rows = [], []
    for i, d in enumerate(reference["districts"], start=1):
        district_rows.append({"id": i, "name_zh": d["name_zh"], "name_en": d["name_en"], "sort": i - 1})
        link_rows += [{"district_id": i, "manager_id": manager_ids[name]} for name in d["managers"]]
    op.bulk_insert(districts, district_rows)
    op.bulk_insert(links, link_rows)

    p = json.loads((SEED_DIR / "programme_2024.json").read_text(encoding="utf-8"))
    created = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        created = created.replace(tzinfo=None)
    op.bulk_insert(programmes, [{
        **{k: p[k] for k in ("year", "name_zh", "name_en", "export_year", "issuance_lag_days",
                             "free_credit_reports", "hotline_consult", "hotline_claims", "notice_days",
                             "reminder_email_days", "reminder_sms_days", "reminder_time")},
        "threshold_usd": _cents(p["threshold_usd"]),
        "per_buyer_limit_usd": _cents(p["per_buyer_limit_usd"]),
        "indemnity_ratio": int(Decimal(p["indemnity_ratio"]) * 10000),
        "claim_deadline": date.fromisoformat(p["claim_deadline"]),
        "cover_start": date.fromisoformat(p["cover_start"]),
        "cover_end": date.fromisoformat(p["cover_end"]),
        "created_at": created,
    }])
    if op.get_bind().dialect.name == "postgresql":
        for table in ("account_managers", "districts", "programmes"):
            op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def downgrade():
    op.execute("DELETE FROM programmes WHERE year = 2024")
    op.execute("DELETE FROM district_managers")
    op.execute("DELETE FROM districts")
    op.execute("DELETE FROM account_managers")
