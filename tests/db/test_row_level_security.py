"""The second tenant wall: PostgreSQL row-level security hides other businesses' rows
even from a query that forgot to filter."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from tableside.db.database import Database, enter_system_scope, set_tenant
from tableside.models import AuditEntry, Business, Location, User
from tests.factories import add_user, register


async def test_app_role_cannot_bypass_rls(database: Database) -> None:
    async with database.session() as session:
        row = (
            await session.execute(
                text(
                    "SELECT current_user, r.rolsuper, r.rolbypassrls FROM pg_roles r"
                    " WHERE r.rolname = current_user"
                )
            )
        ).one()
        assert row[0] == database.app_role
        assert row[1] is False and row[2] is False
        forced = (
            await session.execute(
                text(
                    "SELECT bool_and(relrowsecurity AND relforcerowsecurity) FROM pg_class"
                    " WHERE relname IN ('users', 'locations', 'businesses', 'audit_log', 'jobs',"
                    " 'api_keys', 'auth_sessions', 'refresh_tokens')"
                )
            )
        ).scalar_one()
        assert forced is True


async def test_unfiltered_query_sees_only_own_business(
    client: httpx.AsyncClient, database: Database
) -> None:
    mine = await register(client)
    await add_user(client, mine, "cashier")
    theirs = await register(client)
    await add_user(client, theirs, "viewer")

    async with database.session() as session:
        await set_tenant(session, uuid.UUID(mine.business_id))
        # Deliberately no business filter: the database itself must hide the other tenant.
        users = (await session.execute(select(User))).scalars().all()
        assert {str(u.business_id) for u in users} == {mine.business_id}
        assert len(users) == 2
        businesses = (await session.execute(select(Business))).scalars().all()
        assert [str(b.id) for b in businesses] == [mine.business_id]
        raw = (await session.execute(text("SELECT DISTINCT business_id FROM locations"))).all()
        assert [str(r[0]) for r in raw] == [mine.business_id]
        assert (
            await session.execute(
                select(func.count()).select_from(User).where(User.business_id == theirs.business_id)
            )
        ).scalar_one() == 0


async def test_no_tenant_sees_nothing(client: httpx.AsyncClient, database: Database) -> None:
    await register(client)
    async with database.session() as session:
        assert (await session.execute(select(func.count()).select_from(User))).scalar_one() == 0
        assert (await session.execute(select(func.count()).select_from(Business))).scalar_one() == 0


async def test_cannot_write_into_another_business(
    client: httpx.AsyncClient, database: Database
) -> None:
    mine = await register(client)
    theirs = await register(client)
    with pytest.raises(DBAPIError, match="row-level security"):
        async with database.session() as session:
            await set_tenant(session, uuid.UUID(mine.business_id))
            session.add(Location(business_id=uuid.UUID(theirs.business_id), name="Planted"))
            await session.flush()
    with pytest.raises(DBAPIError, match="row-level security"):
        async with database.session() as session:
            await set_tenant(session, uuid.UUID(mine.business_id))
            session.add(
                AuditEntry(business_id=uuid.UUID(theirs.business_id), action="forged", details={})
            )
            await session.flush()


async def test_system_scope_is_explicit(client: httpx.AsyncClient, database: Database) -> None:
    mine = await register(client)
    theirs = await register(client)
    async with database.session() as session:
        await enter_system_scope(session)
        ids = {
            str(b)
            for b in (
                await session.execute(
                    select(Business.id).where(
                        Business.id.in_(
                            [uuid.UUID(mine.business_id), uuid.UUID(theirs.business_id)]
                        )
                    )
                )
            ).scalars()
        }
        assert ids == {mine.business_id, theirs.business_id}
        await set_tenant(session, uuid.UUID(mine.business_id))
        visible = (await session.execute(select(Business.id))).scalars().all()
        assert [str(v) for v in visible] == [mine.business_id]


async def test_rolled_back_first_transaction_keeps_the_app_role(database_url: str) -> None:
    """The role switch survives a rollback: a fresh connection whose first unit of work fails
    must not fall back to the login user (who bypasses row-level security)."""
    from tests.conftest import make_settings

    fresh = Database(database_url, make_settings(database_url))
    try:
        with pytest.raises(RuntimeError):
            async with fresh.session() as session:
                await session.execute(text("SELECT 1"))
                raise RuntimeError("the first unit of work fails")
        async with fresh.session() as session:
            role = (await session.execute(text("SELECT current_user"))).scalar_one()
        assert role == fresh.app_role
    finally:
        await fresh.dispose()
