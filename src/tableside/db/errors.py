"""Which database failures are worth running the same work again for.

A transaction that failed on one of these did nothing (PostgreSQL rolled it back), and the same
work may well succeed on a fresh connection a moment later: the connection was lost (a server
restart, a network cut, an administrator's `pg_terminate_backend`), or PostgreSQL chose the
transaction as the victim of a deadlock or a serialization conflict.
"""

from __future__ import annotations

import asyncpg
from sqlalchemy.exc import DBAPIError

# SQLSTATE classes and codes that say "try again", not "this is wrong".
_TRANSIENT_CLASSES = ("08",)  # connection exception
_TRANSIENT_CODES = frozenset(
    {
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
        "53300",  # too_many_connections
        "57P01",  # admin_shutdown
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now
    }
)


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` (or an exception it was raised from) is a lost connection, a deadlock or
    a serialization failure: a failure that says nothing about the work itself."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and (
            sqlstate in _TRANSIENT_CODES or sqlstate.startswith(_TRANSIENT_CLASSES)
        ):
            return True
        if isinstance(current, asyncpg.exceptions.ConnectionDoesNotExistError | ConnectionError):
            return True
        # Explicit causes only: an error raised while handling a lost connection is its own.
        current = getattr(current, "orig", None) or current.__cause__
    return False
