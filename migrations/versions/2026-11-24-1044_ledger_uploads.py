"""ledger uploads (sales files waiting for their background import)

Revision ID: 1c061ed2af36
Revises: e5d8e3c3f7d6
Create Date: 2026-11-24 10:44:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tableside.db.rls import create_app_role_sql, disable_tenant_rls_sql, enable_tenant_rls_sql

revision: str = "1c061ed2af36"
down_revision: str | None = "e5d8e3c3f7d6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_uploads",
        sa.Column("filename", sa.String(length=300), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("skip_invalid", sa.Boolean(), nullable=False),
        sa.Column("default_location", sa.String(length=200), nullable=True),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("business_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_ledger_uploads_business_id_businesses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_ledger_uploads_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_uploads")),
        sa.UniqueConstraint(
            "business_id", "content_hash", name=op.f("uq_ledger_uploads_business_id_content_hash")
        ),
    )
    op.create_index(
        op.f("ix_ledger_uploads_business_id"), "ledger_uploads", ["business_id"], unique=False
    )
    for statement in enable_tenant_rls_sql("ledger_uploads"):
        op.execute(statement)
    for statement in create_app_role_sql():
        op.execute(statement)


def downgrade() -> None:
    for statement in disable_tenant_rls_sql("ledger_uploads"):
        op.execute(statement)
    op.drop_index(op.f("ix_ledger_uploads_business_id"), table_name="ledger_uploads")
    op.drop_table("ledger_uploads")
