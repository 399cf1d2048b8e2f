"""rollup category key: lines without an item are kept apart by category in the item rollups

Revision ID: 8c2d4e6f0a13
Revises: 6f1a2b3c4d5e
Create Date: 2026-11-25 14:00:00.000000+00:00

A daily import (the SFS shape) has one row per category and day, none of them an item: they
all met in the one (date, location, NO_KEY item) row of the item rollups, so two categories
of the same day could not be told apart. Both item tables now key their rows by
`category_key` too: the category of a line without an item (NO_KEY when it has none), NO_KEY
for item lines, which stay one row per item whatever their category.

Existing rows get NO_KEY: until now no import wrote a category on a line without an item, so
they hold what they held (`rebuild_rollups` splits any older till line without an item by its
category). The covering indexes are unchanged: no reader needs the key itself.

The downgrade merges the rows of a day's categories back into one by summing them (their
category is kept when they all had the same one).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c2d4e6f0a13"
down_revision: str | None = "6f1a2b3c4d5e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_KEY = "'00000000-0000-0000-0000-000000000000'::uuid"
# Each item table with its key before this revision.
TABLES = {
    "sales_daily_item_rollups": ["business_id", "business_date", "location_key", "item_key"],
    "sales_daily_item_totals": ["business_id", "business_date", "item_key"],
}
SUMS = ("quantity", "net_amount", "cost", "line_count", "costed_revenue")


def _primary_key(table: str, columns: list[str]) -> None:
    op.drop_constraint(f"pk_{table}", table, type_="primary")
    op.create_primary_key(f"pk_{table}", table, columns)


def upgrade() -> None:
    for table, key in TABLES.items():
        op.add_column(
            table,
            sa.Column("category_key", sa.Uuid(), nullable=False, server_default=sa.text(NO_KEY)),
        )
        _primary_key(table, [*key, "category_key"])


def downgrade() -> None:
    # Every business's rows, whatever role migrates (row-level security is forced).
    op.execute("SELECT set_config('app.system', 'on', true)")
    for table, key in TABLES.items():
        columns = ", ".join(key)
        sums = ", ".join(f"sum({c}) AS {c}" for c in SUMS)
        added = ", ".join(f"{c} = r.{c} + excluded.{c}" for c in SUMS)
        op.execute(
            f"""
            WITH moved AS (
                DELETE FROM {table} WHERE category_key <> {NO_KEY}
                RETURNING {columns}, category_id, {", ".join(SUMS)}
            )
            INSERT INTO {table} AS r ({columns}, category_key, category_id, {", ".join(SUMS)})
            SELECT {columns}, {NO_KEY},
                CASE WHEN count(DISTINCT category_id) = 1 AND count(category_id) = count(*)
                    THEN min(category_id::text)::uuid END,
                {sums}
            FROM moved
            GROUP BY {columns}
            ON CONFLICT ({columns}, category_key) DO UPDATE SET {added},
                category_id = CASE WHEN r.category_id = excluded.category_id
                    THEN r.category_id END
            """
        )
        _primary_key(table, key)
        op.drop_column(table, "category_key")
    op.execute("SELECT set_config('app.system', '', true)")
