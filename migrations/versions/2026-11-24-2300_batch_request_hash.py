"""ledger batches: the digest of what a batch held, so a reused batch id is recognised

Revision ID: 8e2f4a6c0d13
Revises: 5b7c9d1e3f20
Create Date: 2026-11-24 23:00:00.000000+00:00

A bulk batch id sent again answers as a duplicate; sent again with other lines it must not
silently drop them (409, as a reused Idempotency-Key with another body). Bulk batches keep
the SHA-256 of their lines, file imports that of the file.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8e2f4a6c0d13"
down_revision: str | None = "5b7c9d1e3f20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("ledger_batches", sa.Column("request_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("ledger_batches", "request_hash")
