"""row-level security predicates read the tenant once per query

Revision ID: aedbe52b4b3a
Revises: 7a3f1c2b9d10
Create Date: 2026-11-24 11:15:00+00:00
"""

from collections.abc import Sequence

from alembic import op

from tableside.db.rls import TENANT_PREDICATE

revision: str = "aedbe52b4b3a"
down_revision: str | None = "7a3f1c2b9d10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The predicate as the earlier migrations wrote it (kept here for the downgrade).
PER_ROW_PREDICATE = (
    "{column} = NULLIF(current_setting('app.business_id', true), '')::uuid"
    " OR current_setting('app.system', true) = 'on'"
)


def _recreate_policies(predicate: str) -> None:
    """Recreate every tenant policy in the schema with `predicate` (businesses are keyed by
    their own id, every other table by business_id)."""
    connection = op.get_bind()
    tables = connection.exec_driver_sql(
        "SELECT tablename FROM pg_policies"
        " WHERE schemaname = current_schema() AND policyname = 'tenant_isolation'"
        " ORDER BY tablename"
    ).scalars()
    for table in list(tables):
        condition = predicate.format(column="id" if table == "businesses" else "business_id")
        op.execute(f"DROP POLICY tenant_isolation ON {table}")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING ({condition})"
            f" WITH CHECK ({condition})"
        )


def upgrade() -> None:
    _recreate_policies(TENANT_PREDICATE)


def downgrade() -> None:
    _recreate_policies(PER_ROW_PREDICATE)
