"""Programmes start as drafts (published_at), carry the addresses of the services around the policy
(the single window, the insurer's WeChat official account, the 信步天下 app), and account managers
are dated by programme year (from_year/to_year; empty = no limit)

Existing programmes count as published (at their creation), carry the 2024 notice's addresses, and
existing managers serve every programme (both years empty).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# frozen here: a migration never reads app code or seed files that may change
SERVICES = {
    "single_window_url": "http://sz.singlewindow.cn/",
    "wechat_account_zh": "中国出口信用保险公司深圳分公司",
    "wechat_account_en": "Sinosure Shenzhen Branch",
    "app_name_zh": "信步天下",
    "app_name_en": "Xinbu Tianxia",
    "app_url": "https://www.sinosure.com.cn/",
}
LENGTHS = {"single_window_url": 200, "wechat_account_zh": 100, "wechat_account_en": 200, "app_url": 200}


def upgrade() -> None:
    with op.batch_alter_table("programmes") as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        for name in SERVICES:
            batch_op.add_column(sa.Column(name, sa.String(LENGTHS.get(name, 64)), nullable=True))
    programmes = sa.table(
        "programmes",
        sa.column("published_at", sa.DateTime(timezone=True)),
        sa.column("created_at", sa.DateTime(timezone=True)),
        *(sa.column(name, sa.String()) for name in SERVICES),
    )
    op.execute(programmes.update().values(published_at=programmes.c.created_at, **SERVICES))
    with op.batch_alter_table("account_managers") as batch_op:
        batch_op.add_column(sa.Column("from_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("to_year", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account_managers") as batch_op:
        batch_op.drop_column("to_year")
        batch_op.drop_column("from_year")
    with op.batch_alter_table("programmes") as batch_op:
        for name in reversed(list(SERVICES)):
            batch_op.drop_column(name)
        batch_op.drop_column("published_at")
