"""daily item totals: the daily item rollup summed over locations

Revision ID: 3d5e7f9a1b2c
Revises: b7e4c1f09a21
Create Date: 2026-11-24 13:10:00.000000+00:00

Business-wide item series and rankings (a year by day and item) read one row per date and item
instead of one per location. The table is filled from the existing per-location rollups, so
it is exact from the start; the write paths keep it in step from now on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tableside.db.rls import create_app_role_sql, disable_tenant_rls_sql, enable_tenant_rls_sql

revision: str = "3d5e7f9a1b2c"
down_revision: str | None = "b7e4c1f09a21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "sales_daily_item_totals"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("business_id", sa.Uuid(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("item_key", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("net_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("cost", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("line_count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_sales_daily_item_totals_business_id_businesses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "business_id", "business_date", "item_key", name=op.f("pk_sales_daily_item_totals")
        ),
    )
    op.create_index(
        "ix_sales_daily_item_totals_covering",
        TABLE,
        ["business_id", "business_date", "item_key"],
        unique=False,
        postgresql_include=["category_id", "quantity", "net_amount", "cost", "line_count"],
    )
    # A location's category for an item is the same unless the item moved category during
    # the day; then any of them is as good (the newest is not recorded per location).
    op.execute(
        f"""
        INSERT INTO {TABLE} (business_id, business_date, item_key, category_id, quantity,
            net_amount, cost, line_count)
        SELECT business_id, business_date, item_key, max(category_id::text)::uuid,
            sum(quantity), sum(net_amount), sum(cost), sum(line_count)
        FROM sales_daily_item_rollups
        GROUP BY business_id, business_date, item_key
        """
    )
    for statement in enable_tenant_rls_sql(TABLE):
        op.execute(statement)
    for statement in create_app_role_sql():
        op.execute(statement)


def downgrade() -> None:
    for statement in disable_tenant_rls_sql(TABLE):
        op.execute(statement)
    op.drop_index("ix_sales_daily_item_totals_covering", table_name=TABLE)
    op.drop_table(TABLE)
