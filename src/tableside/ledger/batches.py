"""The import history: what each bulk request, CSV upload or CLI import brought into the
ledger, taking a whole import back out (a wrong file, the wrong location, an overlapping
export) so it can be sent again, and taking the part of earlier daily imports out that a
newer daily file replaces (`on_overlap=replace`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import FromClause
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.audit import service as audit
from tableside.auth.dependencies import Principal
from tableside.errors import NotFound
from tableside.kit.pagination import ListParams, Page
from tableside.ledger.batch_repository import BatchRepository, LineKeys, OverlappedImport
from tableside.ledger.batch_schemas import ImportKind, SalesImport
from tableside.ledger.lines import RollupDeltas
from tableside.ledger.repository import LedgerRepository
from tableside.models import LedgerBatch

# Rollup rows per upsert statement: far below PostgreSQL's 32,767 bind parameters.
_ROWS_PER_STATEMENT = 2_000


class ImportNotFound(NotFound):
    default_message = "No such import in this business"


def _view(batch: LedgerBatch) -> SalesImport:
    return SalesImport(
        id=batch.id,
        batch_id=batch.external_id,
        kind=batch.kind,
        source=batch.source.value,
        filename=batch.filename,
        lines_written=batch.line_count,
        lines_skipped=batch.lines_skipped,
        net_amount=batch.net_amount,
        first_date=batch.first_date,
        last_date=batch.last_date,
        created_by=batch.created_by,
        created_at=batch.created_at,
    )


async def list_imports(
    session: AsyncSession,
    principal: Principal,
    params: ListParams,
    kind: ImportKind | None = None,
) -> Page[SalesImport]:
    """The business's imports, newest first unless sorted otherwise."""
    repo = BatchRepository(session, principal.business_id)
    stmt = repo.base_select()
    if kind is not None:
        stmt = stmt.where(LedgerBatch.kind == kind.value)
    rows, total = await repo.paginate(stmt, params)
    return Page[SalesImport].build([_view(row) for row in rows], total, params)


async def get_import(
    session: AsyncSession, principal: Principal, import_id: uuid.UUID
) -> SalesImport:
    batch = await BatchRepository(session, principal.business_id).get(import_id)
    if batch is None:
        raise ImportNotFound()
    return _view(batch)


async def revert_import(session: AsyncSession, principal: Principal, import_id: uuid.UUID) -> None:
    """Delete the import's ledger lines and subtract them from the rollups, in the caller's
    transaction, then forget the import so the same file or batch id can be sent again.

    Holds the business's ledger lock like an import, so it never interleaves with one; the
    rollups are corrected by adding the lines' negated sums, the same additive upserts the
    tills use, so sales rung up meanwhile are never lost."""
    repo = BatchRepository(session, principal.business_id)
    ledger = LedgerRepository(session, principal.business_id)
    await ledger.lock_business_ledger()
    batch = await repo.lock(import_id)
    if batch is None:
        raise ImportNotFound()
    view = _view(batch)
    taken = await _take_out(repo, ledger, batch)
    await repo.delete(batch)
    await audit.record(
        session,
        business_id=principal.business_id,
        action="sales.import_reverted",
        principal=principal,
        entity_type="ledger_batch",
        entity_id=batch.id,
        details={
            "kind": view.kind,
            "batch_id": view.batch_id,
            "filename": view.filename,
            "lines_deleted": taken.lines,
            "net_amount": str(view.net_amount),
            "first_date": view.first_date.isoformat() if view.first_date else None,
            "last_date": view.last_date.isoformat() if view.last_date else None,
        },
    )


async def replace_overlapped(
    session: AsyncSession,
    business_id: uuid.UUID,
    overlapped: list[OverlappedImport],
    keys: FromClause,
    *,
    replaced_by: str,
    principal: Principal | None,
    actor_user_id: uuid.UUID | None,
) -> int:
    """Take the earlier daily imports' lines under the overlapping `keys` (a table of
    batch_id, business_date, location_key, category_key) out of the ledger and the rollups,
    exactly as a revert does; each import's history then says what it still holds, and an
    import left with nothing is forgotten (its file can be sent again). Returns the number
    of lines taken out. The caller holds the business's ledger lock."""
    repo = BatchRepository(session, business_id)
    ledger = LedgerRepository(session, business_id)
    total = 0
    for earlier in sorted(overlapped, key=lambda o: o.import_id):
        batch = await repo.lock(earlier.import_id)
        if batch is None:
            raise RuntimeError(f"import {earlier.import_id} overlaps but cannot be found")
        taken = await _take_out(
            repo, ledger, batch, LineKeys(keys, earlier.first_date, earlier.last_date)
        )
        total += taken.lines
        left = await repo.contents(batch)
        if left.lines == 0:
            await repo.delete(batch)
        else:
            batch.line_count = left.lines
            batch.net_amount = left.net_amount
            batch.first_date = left.first_date
            batch.last_date = left.last_date
            await repo.flush()
        await audit.record(
            session,
            business_id=business_id,
            action="sales.import_replaced",
            principal=principal,
            actor_user_id=actor_user_id if principal is None else None,
            entity_type="ledger_batch",
            entity_id=batch.id,
            details={
                "kind": batch.kind,
                "batch_id": batch.external_id,
                "filename": batch.filename,
                "replaced_by": replaced_by,
                "lines_deleted": taken.lines,
                "net_amount": str(taken.net_amount),
                "first_date": earlier.first_date.isoformat(),
                "last_date": earlier.last_date.isoformat(),
                "lines_left": left.lines,
            },
        )
    return total


@dataclass(frozen=True)
class _TakenOut:
    lines: int
    net_amount: Decimal


async def _take_out(
    repo: BatchRepository,
    ledger: LedgerRepository,
    batch: LedgerBatch,
    keys: LineKeys | None = None,
) -> _TakenOut:
    """Delete the batch's lines (those under `keys`, when given) and subtract them from the
    rollups; the rows keep the category of the lines left, and those left empty are
    removed."""
    reversal, lines = await repo.reversal(batch, keys)
    net_amount = -sum((delta.net_amount for delta in reversal.daily.values()), Decimal(0))
    for chunk in _chunks(reversal):
        await ledger.apply_rollups(chunk)
    deleted = await repo.delete_lines(batch, keys)
    if deleted != lines:
        raise RuntimeError(f"import {batch.id}: {lines} lines summed but {deleted} deleted")
    first, last = (keys.first_date, keys.last_date) if keys else (batch.first_date, batch.last_date)
    if first is not None and last is not None:
        await repo.refresh_categories(reversal, first, last)
        await repo.prune_empty_rollups(first, last)
    return _TakenOut(deleted, net_amount)


def _chunks(deltas: RollupDeltas) -> Iterator[RollupDeltas]:
    """The deltas in runs small enough for one statement each, in key order, so rows are
    still locked in the order every writer uses. A date's business-wide item totals may be
    split over two runs: the upserts add, so the sums stay exact."""
    daily = sorted(deltas.daily.items(), key=lambda kv: kv[0])
    hourly = sorted(deltas.hourly.items(), key=lambda kv: kv[0])
    for start in range(0, len(daily), _ROWS_PER_STATEMENT):
        yield RollupDeltas(daily=dict(daily[start : start + _ROWS_PER_STATEMENT]))
    for start in range(0, len(hourly), _ROWS_PER_STATEMENT):
        yield RollupDeltas(hourly=dict(hourly[start : start + _ROWS_PER_STATEMENT]))
