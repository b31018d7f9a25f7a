"""seed reference data: districts, account managers and the 2024 programme

Revision ID: 0002
Revises: 0001
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The seed as it was when this migration was written: frozen here, so the migration builds the
# same database whatever later happens to intranet/programmes/seed/*.json (tests and `tongbao demo`
# read those files through intranet.programmes.seed).
MANAGERS = [  # (name, phone); ids 1.. in this order
    ("李经理", "15877399562"),
    ("黄经理", "13590133090"),
    ("孙经理", "88325712"),
    ("许经理", "88325648"),
    ("陈经理", "15817218652"),
]
DISTRICTS = [  # (name_zh, name_en, managers); ids 1.. and sort 0.. in this order
    ("宝安区", "Bao'an District", ("李经理", "黄经理")),
    ("南山区", "Nanshan District", ("孙经理", "许经理")),
    ("福田区", "Futian District", ("孙经理", "许经理")),
    ("前海深港合作区", "Qianhai Shenzhen-Hong Kong Cooperation Zone", ("孙经理", "许经理")),
    ("龙华区", "Longhua District", ("孙经理", "许经理")),
    ("罗湖区", "Luohu District", ("孙经理", "许经理")),
    ("光明区", "Guangming District", ("孙经理", "许经理")),
    ("深汕合作区", "Shenzhen-Shanwei Special Cooperation Zone", ("孙经理", "许经理")),
    ("龙岗区", "Longgang District", ("陈经理",)),
    ("坪山区", "Pingshan District", ("陈经理",)),
    ("盐田区", "Yantian District", ("陈经理",)),
    ("大鹏新区", "Dapeng New District", ("陈经理",)),
]
PROGRAMME_2024 = {
    "year": 2024,
    "name_zh": "深圳市2024年度外贸中小微企业出口信用保险统保政策",
    "name_en": "Shenzhen 2024 Pooled Export Credit Insurance for Small and Micro Exporters",
    "export_year": 2023,
    "threshold_usd": "8000000.00",
    "claim_deadline": "2024-06-30",
    "cover_start": "2024-07-01",
    "cover_end": "2025-06-30",
    "issuance_lag_days": 7,
    "indemnity_ratio": "0.80",
    "per_buyer_limit_usd": "150000.00",
    "free_credit_reports": 3,
    "hotline_consult": "83165355",
    "hotline_claims": "88325700",
    "notice_days": 7,
    "reminder_email_days": [30, 14, 7, 3, 1, 0],
    "reminder_sms_days": [7, 1, 0],
    "reminder_time": "09:30",
}

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
    manager_ids = {}
    rows = []
    for i, (name, phone) in enumerate(MANAGERS, start=1):
        manager_ids[name] = i
        rows.append({"id": i, "name": name, "phone": phone, "active": True})
    op.bulk_insert(managers, rows)
    district_rows, link_rows = [], []
    for i, (name_zh, name_en, names) in enumerate(DISTRICTS, start=1):
        district_rows.append({"id": i, "name_zh": name_zh, "name_en": name_en, "sort": i - 1})
        link_rows += [{"district_id": i, "manager_id": manager_ids[name]} for name in names]
    op.bulk_insert(districts, district_rows)
    op.bulk_insert(links, link_rows)

    p = PROGRAMME_2024
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
