"""SQL for the second tenant wall: the app role and row-level security policies.

Migrations call these so every tenant-owned table gets the same policy.
"""

from __future__ import annotations

APP_ROLE = "tableside_app"

# Each setting is read in a sub-select, which PostgreSQL evaluates once per query (an
# InitPlan) instead of once per row: aggregates over millions of ledger rows depend on it.
TENANT_PREDICATE = (
    "{column} = (SELECT NULLIF(current_setting('app.business_id', true), '')::uuid)"
    " OR (SELECT current_setting('app.system', true)) = 'on'"
)


def create_app_role_sql(role: str = APP_ROLE) -> list[str]:
    """Create the login-less app role without BYPASSRLS and let the migrating user assume it."""
    return [
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END
        $$
        """,
        f"""
        DO $$
        BEGIN
            EXECUTE format('GRANT {role} TO %I', current_user);
        EXCEPTION WHEN others THEN NULL;
        END
        $$
        """,
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE"
        f" ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]


def enable_tenant_rls_sql(table: str, column: str = "business_id") -> list[str]:
    """Force row-level security on `table`: only the transaction's business is visible."""
    predicate = TENANT_PREDICATE.format(column=column)
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING ({predicate}) WITH CHECK ({predicate})",
    ]


def disable_tenant_rls_sql(table: str) -> list[str]:
    return [
        f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]
