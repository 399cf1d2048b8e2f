"""The one way lines enter the ledger on the small path, used by other domains inside their
own transaction: stamp the lines, insert them, add them to the rollups."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.errors import ValidationFailed
from tableside.ledger.lines import LineIn, rollup_deltas, stamp
from tableside.ledger.repository import LedgerRepository
from tableside.models import SaleSource


async def record_lines(
    session: AsyncSession,
    business_id: uuid.UUID,
    lines: Sequence[LineIn],
    *,
    source: SaleSource,
    batch_id: uuid.UUID | None = None,
) -> int:
    """Write `lines` to the ledger and its rollups in the caller's transaction; returns the
    number written. A completed sale writes its lines; a refund writes negative ones."""
    if not lines:
        return 0
    repository = LedgerRepository(session, business_id)
    calendar = await repository.calendar()
    stamped = [stamp(line, calendar) for line in lines]
    try:
        await repository.insert_lines(stamped, source=source, batch_id=batch_id)
        await repository.apply_rollups(rollup_deltas(stamped))
    except DBAPIError as exc:
        driver_error = getattr(exc.orig, "__cause__", None) or exc.orig
        if not isinstance(driver_error, asyncpg.NumericValueOutOfRangeError):
            raise
        # Every line fits its columns; only a rollup's sum can overflow (as in the imports).
        raise ValidationFailed(
            "This sale would take a day's total past what the ledger holds (999,999,999,999.99)",
            details=[{"field": "items", "message": "a day's total is too large"}],
        ) from exc
    return len(stamped)
