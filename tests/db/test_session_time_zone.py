"""The app's sessions run in UTC whatever the server's or database's default time zone: the
ledger's SQL compares dates with instants (the windows a revert and the rollup pruning
search), and PostgreSQL reads a date as midnight in the session's zone."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from sqlalchemy import text

from tableside.config import Settings
from tableside.db.database import Database, asyncpg_connect_kwargs


async def _set_database_zone(database_url: str, zone: str | None) -> None:
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(database_url))
    try:
        name = await conn.fetchval("SELECT current_database()")
        if zone is None:
            await conn.execute(f'ALTER DATABASE "{name}" RESET timezone')
        else:
            await conn.execute(f"ALTER DATABASE \"{name}\" SET timezone = '{zone}'")
    finally:
        await conn.close()


async def test_sessions_run_in_utc_on_a_server_set_to_another_zone(
    database_url: str, settings: Settings
) -> None:
    await _set_database_zone(database_url, "Pacific/Kiritimati")
    database = Database(database_url, settings)
    try:
        async with database.session() as session:
            zone = (await session.execute(text("SHOW TimeZone"))).scalar_one()
            midnight = (
                await session.execute(text("SELECT DATE '2026-03-08'::timestamptz"))
            ).scalar_one()
        assert zone == "UTC"
        assert midnight == datetime(2026, 3, 8, tzinfo=UTC)
    finally:
        await database.dispose()
        await _set_database_zone(database_url, None)
