"""Watching PostgreSQL's lock queue, for tests that make one transaction wait for another."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg

from tableside.db.database import asyncpg_connect_kwargs

# Bounded, so a test whose transaction never starts waiting fails instead of hanging the run.
LOCK_WAIT_LIMIT = 60.0


async def lock_waiters(database_url: str) -> int:
    """How many backends of the test database are waiting for a lock right now."""
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(database_url))
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
    finally:
        await conn.close()
    return int(count)


async def advisory_locks(database_url: str) -> int:
    """How many advisory locks are held or asked for in the test database right now."""
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(database_url))
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
            " WHERE d.datname = current_database() AND l.locktype = 'advisory'"
        )
    finally:
        await conn.close()
    return int(count)


async def until_waiting_or(database_url: str, stop: Callable[[], bool]) -> bool:
    """Wait until some transaction is queued on a lock (True) or `stop()` holds (False). A
    condition is watched, not a time guessed: the answer is the same on a slow machine."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LOCK_WAIT_LIMIT
    while loop.time() < deadline:
        if stop():
            return False
        if await lock_waiters(database_url) > 0:
            return True
        await asyncio.sleep(0.01)
    raise AssertionError("no transaction started waiting for a lock")
