"""forecasting: definitions, runs and the series each run predicted

Revision ID: b7e4c1f09a21
Revises: aedbe52b4b3a
Create Date: 2026-11-24 13:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tableside.db.rls import create_app_role_sql, disable_tenant_rls_sql, enable_tenant_rls_sql

revision: str = "b7e4c1f09a21"
down_revision: str | None = "aedbe52b4b3a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("forecasts", "forecast_runs", "forecast_series")


def upgrade() -> None:
    op.create_table(
        "forecasts",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "target",
            sa.Enum("revenue", "item_units", "covers", name="forecast_target"),
            nullable=False,
        ),
        sa.Column(
            "scope",
            sa.Enum("business", "location", "category", "item", name="forecast_scope"),
            nullable=False,
        ),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("item_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column(
            "granularity",
            sa.Enum("hour", "day", "week", "month", name="forecast_granularity"),
            nullable=False,
        ),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("levels", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("training_config", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("last_trained_at", sa.DateTime(timezone=True), nullable=True),
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
            name=op.f("fk_forecasts_business_id_businesses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["menu_categories.id"],
            name=op.f("fk_forecasts_category_id_menu_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_forecasts_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_forecasts_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecasts")),
        sa.UniqueConstraint("business_id", "name", name=op.f("uq_forecasts_business_id_name")),
    )
    op.create_index(op.f("ix_forecasts_business_id"), "forecasts", ["business_id"], unique=False)
    op.create_table(
        "forecast_runs",
        sa.Column("forecast_id", sa.Uuid(), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column(
            "status", sa.Enum("succeeded", "failed", name="forecast_run_status"), nullable=False
        ),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column(
            "granularity",
            postgresql.ENUM(
                "hour", "day", "week", "month", name="forecast_granularity", create_type=False
            ),
            nullable=False,
        ),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("levels", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("metrics", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("series_metrics", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("feature_importance", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("data_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("data_rows", sa.Integer(), nullable=False),
        sa.Column("history_start", sa.Date(), nullable=True),
        sa.Column("trained_through", sa.Date(), nullable=True),
        sa.Column("series_count", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("error", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
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
            name=op.f("fk_forecast_runs_business_id_businesses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["forecast_id"],
            ["forecasts.id"],
            name=op.f("fk_forecast_runs_forecast_id_forecasts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_runs")),
        sa.UniqueConstraint(
            "business_id",
            "forecast_id",
            "model_version",
            name=op.f("uq_forecast_runs_business_id_forecast_id_model_version"),
        ),
    )
    op.create_index(
        op.f("ix_forecast_runs_business_id"), "forecast_runs", ["business_id"], unique=False
    )
    op.create_index(
        op.f("ix_forecast_runs_forecast_id"), "forecast_runs", ["forecast_id"], unique=False
    )
    op.create_table(
        "forecast_series",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("series_key", sa.String(length=200), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=True),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("method_used", sa.String(length=40), nullable=False),
        sa.Column("fallback", sa.String(length=40), nullable=True),
        sa.Column("history_length", sa.Integer(), nullable=False),
        sa.Column("periods", postgresql.ARRAY(postgresql.TIMESTAMP()), nullable=False),
        sa.Column("point_values", postgresql.ARRAY(sa.Double()), nullable=False),
        sa.Column("intervals", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
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
            name=op.f("fk_forecast_series_business_id_businesses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["forecast_runs.id"],
            name=op.f("fk_forecast_series_run_id_forecast_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_series")),
        sa.UniqueConstraint(
            "business_id",
            "run_id",
            "series_key",
            name=op.f("uq_forecast_series_business_id_run_id_series_key"),
        ),
    )
    op.create_index(
        op.f("ix_forecast_series_business_id"), "forecast_series", ["business_id"], unique=False
    )
    op.create_index(op.f("ix_forecast_series_run_id"), "forecast_series", ["run_id"], unique=False)
    for table in TABLES:
        for statement in enable_tenant_rls_sql(table):
            op.execute(statement)
    for statement in create_app_role_sql():
        op.execute(statement)


def downgrade() -> None:
    for table in reversed(TABLES):
        for statement in disable_tenant_rls_sql(table):
            op.execute(statement)
    op.drop_index(op.f("ix_forecast_series_run_id"), table_name="forecast_series")
    op.drop_index(op.f("ix_forecast_series_business_id"), table_name="forecast_series")
    op.drop_table("forecast_series")
    op.drop_index(op.f("ix_forecast_runs_forecast_id"), table_name="forecast_runs")
    op.drop_index(op.f("ix_forecast_runs_business_id"), table_name="forecast_runs")
    op.drop_table("forecast_runs")
    op.drop_index(op.f("ix_forecasts_business_id"), table_name="forecasts")
    op.drop_table("forecasts")
    for enum_name in (
        "forecast_run_status",
        "forecast_granularity",
        "forecast_scope",
        "forecast_target",
    ):
        op.execute(f"DROP TYPE IF EXISTS {enum_name}")
