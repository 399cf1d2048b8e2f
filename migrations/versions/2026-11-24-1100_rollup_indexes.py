"""rollup indexes: covering indexes for the ledger's read side

Revision ID: 7a3f1c2b9d10
Revises: 1c061ed2af36
Create Date: 2026-11-24 11:00:00.000000+00:00

Day-by-item and top-item reads scan the daily item rollups by (business, date, item) and the
hourly reads scan the hourly rollups by (business, date): with the summed columns included,
both run as index-only scans (a year by day and item: ~120 ms instead of ~200 ms on 10M
lines). The hourly index also replaces, for reads, the business_date index that does not
start with the business.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7a3f1c2b9d10"
# Chained after the ledger uploads migration (itself on the sales ledger, e5d8e3c3f7d6) so
# the history keeps a single head.
down_revision: str | None = "1c061ed2af36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_sales_daily_item_rollups_business_date_item",
        "sales_daily_item_rollups",
        ["business_id", "business_date", "item_key"],
        unique=False,
        postgresql_include=[
            "location_key", "category_id", "quantity", "net_amount", "cost", "line_count"
        ],
    )  # fmt: skip
    op.create_index(
        "ix_sales_hourly_rollups_business_id_business_date",
        "sales_hourly_rollups",
        ["business_id", "business_date"],
        unique=False,
        postgresql_include=[
            "hour_start", "location_key", "local_hour", "quantity", "net_amount",
            "transactions", "covers",
        ],
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index(
        "ix_sales_hourly_rollups_business_id_business_date", table_name="sales_hourly_rollups"
    )
    op.drop_index(
        "ix_sales_daily_item_rollups_business_date_item", table_name="sales_daily_item_rollups"
    )
