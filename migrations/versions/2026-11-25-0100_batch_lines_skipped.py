"""ledger batches: the lines a batch left out, so a repeat of it can say so

Revision ID: 3c9e1a7b5d24
Revises: 8e2f4a6c0d13
Create Date: 2026-11-25 01:00:00.000000+00:00

A file or bulk batch imported with skip_invalid writes its valid lines only; sent again it adds
nothing and answers with the first import's counts. It reported 0 lines skipped, as if the
file were wholly in the ledger: batches now keep how many lines they left out.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c9e1a7b5d24"
down_revision: str | None = "8e2f4a6c0d13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "ledger_batches",
        sa.Column("lines_skipped", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("ledger_batches", "lines_skipped")
