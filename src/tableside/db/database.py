"""Engine, session factory and the per-transaction tenant scope used by row-level security."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from tableside.config import Settings
from tableside.db.embedded import embedded_postgres_url

EMBEDDED_DATABASE = "tableside"

AfterCommit = Callable[[], Awaitable[None]]


def libpq_url(url: str) -> str:
    """The URL in plain `postgresql://` form (for psycopg, asyncpg and libpq tools)."""
    parts = urlsplit(url)
    scheme = "postgresql"
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def sqlalchemy_url(url: str) -> str:
    """The URL with the asyncpg driver SQLAlchemy needs."""
    parts = urlsplit(libpq_url(url))
    return urlunsplit(("postgresql+asyncpg", parts.netloc, parts.path, parts.query, ""))


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def asyncpg_connect_kwargs(url: str) -> dict[str, Any]:
    """Connection keywords for a raw asyncpg connection (handles unix-socket `?host=`)."""
    parts = urlsplit(libpq_url(url))
    kwargs: dict[str, Any] = {"dsn": urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))}
    for pair in parts.query.split("&"):
        if pair.startswith("host="):
            kwargs["host"] = pair.removeprefix("host=")
    return kwargs


async def ensure_database(server_url: str, database: str) -> str:
    """Create `database` on the server when missing; return its URL."""
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(with_database(server_url, "postgres")))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            with suppress(asyncpg.DuplicateDatabaseError):
                await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
    return with_database(server_url, database)


async def resolve_database_url(settings: Settings) -> str:
    """The configured database URL, or the embedded server's `tableside` database."""
    if settings.database_url:
        return libpq_url(settings.database_url)
    server_url = embedded_postgres_url(settings.data_dir)
    return await ensure_database(server_url, EMBEDDED_DATABASE)


class Database:
    """An engine plus its session factory. Every connection runs as the app role (no BYPASSRLS)."""

    def __init__(self, url: str, settings: Settings) -> None:
        self.url = libpq_url(url)
        self.app_role = settings.db_app_role
        self.engine: AsyncEngine = create_async_engine(
            sqlalchemy_url(url),
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_pre_ping=True,
            # Dates meet instants in the ledger's SQL (a date reads as midnight in the session's
            # zone): every session is UTC, whatever the server's or database's default.
            connect_args={"server_settings": {"timezone": "UTC"}},
        )
        role = self.app_role

        @event.listens_for(self.engine.sync_engine, "connect")
        def _switch_role(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f'SET ROLE "{role}"')
            cursor.close()
            # The driver opened a transaction for SET ROLE: commit it, or the first rollback on
            # this connection would undo the role and leave it running as the login user.
            dbapi_connection.commit()

        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits on success, rolls back on error, then runs after-commit hooks.

        An `AppError` raised with `keep_changes=True` commits before propagating.
        """
        from tableside.errors import AppError

        async with self.sessionmaker() as session:
            try:
                yield session
            except AppError as exc:
                if exc.keep_changes:
                    await session.commit()
                    await run_after_commit(session)
                else:
                    await session.rollback()
                raise
            except BaseException:
                await session.rollback()
                raise
            else:
                await session.commit()
                await run_after_commit(session)

    async def dispose(self) -> None:
        await self.engine.dispose()


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run `callback` once the session's transaction has committed (jobs, events, emails)."""
    session.info.setdefault("after_commit", []).append(callback)


async def run_after_commit(session: AsyncSession) -> None:
    callbacks: list[AfterCommit] = session.info.pop("after_commit", [])
    for callback in callbacks:
        await callback()


async def set_tenant(session: AsyncSession, business_id: uuid.UUID) -> None:
    """Scope this transaction to one business: row-level security hides every other one."""
    await session.execute(
        text(
            "SELECT set_config('app.business_id', :bid, true), set_config('app.system', '', true)"
        ),
        {"bid": str(business_id)},
    )
    session.info["business_id"] = business_id


async def enter_system_scope(session: AsyncSession) -> None:
    """Let this transaction see across businesses.

    Only for lookups that must precede knowing the tenant: login by email, refresh and API-key
    lookups by hash, registration, and the job runner loading its job.
    """
    await session.execute(text("SELECT set_config('app.system', 'on', true)"))


async def leave_system_scope(session: AsyncSession) -> None:
    await session.execute(text("SELECT set_config('app.system', '', true)"))
