"""Migrations go all the way down and back up, and match the models."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from tableside.db.base import Base
from tableside.db.database import sqlalchemy_url
from tableside.db.migrate import downgrade, upgrade
from tests.conftest import _recreate_database, database_prefix


async def test_upgrade_downgrade_upgrade(database_url: str, worker_id: str) -> None:
    scratch = await _recreate_database(database_url, f"{database_prefix()}_migrations_{worker_id}")
    await asyncio.to_thread(upgrade, scratch)
    await asyncio.to_thread(downgrade, scratch, "base")
    await asyncio.to_thread(upgrade, scratch)

    engine = create_async_engine(sqlalchemy_url(scratch))
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    relevant = [d for d in differences if not _is_procrastinate(d)]
    assert relevant == [], relevant


def _is_procrastinate(difference: object) -> bool:
    return "procrastinate" in repr(difference)
