"""rollup costed revenue: the revenue of the lines whose cost is known, per item and day

Revision ID: 6f1a2b3c4d5e
Revises: 3c9e1a7b5d24
Create Date: 2026-11-25 12:00:00.000000+00:00

Item margins were revenue minus cost over all revenue, and a line without a cost (history
imported before the item had one) adds revenue and no cost: its revenue counted as pure
margin. Both item tables now keep `costed_revenue`, the net amount of the lines that carry a
cost, so a margin is taken over that revenue only. The column is filled from the ledger
(exact from the start); the write paths keep it in step from now on, and the covering
indexes include it so item reads stay index-only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6f1a2b3c4d5e"
down_revision: str | None = "3c9e1a7b5d24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_KEY = "'00000000-0000-0000-0000-000000000000'::uuid"
DAILY_ROLLUP_INDEX = (
    "ix_sales_daily_item_rollups_business_date_item",
    "sales_daily_item_rollups",
    ["business_id", "business_date", "item_key"],
    [
        "location_key", "category_id", "quantity", "net_amount", "cost", "line_count",
        "net_cents", "quantity_thousandths",
    ],
)  # fmt: skip
DAILY_TOTALS_INDEX = (
    "ix_sales_daily_item_totals_covering",
    "sales_daily_item_totals",
    ["business_id", "business_date", "item_key"],
    [
        "category_id", "quantity", "net_amount", "cost", "line_count", "net_cents",
        "quantity_thousandths",
    ],
)  # fmt: skip
INDEXES = (DAILY_ROLLUP_INDEX, DAILY_TOTALS_INDEX)
TABLES = ("sales_daily_item_rollups", "sales_daily_item_totals")
# The ledger's revenue with a cost, summed as each table keys its rows.
BACKFILL = (
    f"""
    UPDATE sales_daily_item_rollups r SET costed_revenue = s.costed_revenue
    FROM (
        SELECT business_id, business_date, coalesce(location_id, {NO_KEY}) AS location_key,
            coalesce(menu_item_id, {NO_KEY}) AS item_key, sum(net_amount) AS costed_revenue
        FROM sales_ledger WHERE cost IS NOT NULL
        GROUP BY 1, 2, 3, 4
    ) s
    WHERE r.business_id = s.business_id AND r.business_date = s.business_date
        AND r.location_key = s.location_key AND r.item_key = s.item_key
    """,
    f"""
    UPDATE sales_daily_item_totals r SET costed_revenue = s.costed_revenue
    FROM (
        SELECT business_id, business_date, coalesce(menu_item_id, {NO_KEY}) AS item_key,
            sum(net_amount) AS costed_revenue
        FROM sales_ledger WHERE cost IS NOT NULL
        GROUP BY 1, 2, 3
    ) s
    WHERE r.business_id = s.business_id AND r.business_date = s.business_date
        AND r.item_key = s.item_key
    """,
)


def _recreate_indexes(extra_include: list[str]) -> None:
    for name, table, columns, include in INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(
            name, table, columns, unique=False, postgresql_include=[*include, *extra_include]
        )


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column(
                "costed_revenue",
                sa.Numeric(precision=14, scale=2),
                nullable=False,
                server_default="0",
            ),
        )
    # Every business's rows, whatever role migrates (row-level security is forced).
    op.execute("SELECT set_config('app.system', 'on', true)")
    for statement in BACKFILL:
        op.execute(statement)
    op.execute("SELECT set_config('app.system', '', true)")
    _recreate_indexes(["costed_revenue"])


def downgrade() -> None:
    _recreate_indexes([])
    for table in TABLES:
        op.drop_column(table, "costed_revenue")
