"""Daily-totals files that overlap earlier daily imports.

A daily row is "the" total of its business date (per location, per menu category): a second
daily file covering the same dates (a corrected or longer export, other bytes so the file
hash does not catch it) would add to the first and double those days everywhere. Such a
file is refused unless the sender says what to do (`on_overlap`):

- `reject` (the default): 409 `IMPORT_OVERLAP` naming the earlier imports and the dates;
  nothing is written;
- `add`: both kept, the totals add up (the behaviour before this check existed);
- `replace`: the earlier imports' lines under exactly the overlapping keys are taken out (as
  a revert takes a whole import out) and the new file's go in, in the same transaction.

Only daily against daily: item lines (tills, line-shaped files, bulk batches) never count,
nor another location's or category's totals of the same date. The check runs after the
business's ledger lock is taken and the new batch claimed, so the same file again is still
"already imported" and of two overlapping files sent at once the second sees the first.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.auth.dependencies import Principal
from tableside.errors import AppError
from tableside.ledger.batch_repository import DailyOverlap
from tableside.ledger.batches import replace_overlapped
from tableside.ledger.import_schemas import OnOverlap
from tableside.ledger.ingest_repository import OVERLAP_KEYS, IngestRepository
from tableside.models import LedgerBatch


class ImportOverlap(AppError):
    status_code = 409
    code = "IMPORT_OVERLAP"
    default_message = "These business dates already hold daily totals from an earlier import"


async def settle_overlaps(
    session: AsyncSession,
    repo: IngestRepository,
    batch: LedgerBatch,
    on_overlap: OnOverlap,
    *,
    report_batch_id: str,
    principal: Principal | None,
) -> int:
    """Apply `on_overlap` to the staged daily rows of `batch` (claimed, not yet written):
    raise `ImportOverlap` for `reject`, take the overlapped earlier lines out for `replace`.
    Returns the number of earlier lines taken out. The caller holds the ledger lock."""
    if on_overlap is OnOverlap.add:
        return 0
    overlap = await repo.find_daily_overlaps(batch.id)
    if overlap is None:
        return 0
    if on_overlap is OnOverlap.reject:
        raise _refusal(overlap)
    return await replace_overlapped(
        session,
        repo.business_id,
        overlap.imports,
        OVERLAP_KEYS,
        replaced_by=report_batch_id,
        principal=principal,
        actor_user_id=batch.created_by,
    )


def _refusal(overlap: DailyOverlap) -> ImportOverlap:
    details = [
        {
            "field": "file",
            "message": f"{_dates(earlier.dates, earlier.first_date, earlier.last_date)}"
            f" already {_hold(earlier.dates)} daily totals imported from"
            f" {earlier.filename or 'another import'}",
            "import_id": str(earlier.import_id),
            "filename": earlier.filename,
            "overlapping_dates": earlier.dates,
            "first_date": earlier.first_date.isoformat(),
            "last_date": earlier.last_date.isoformat(),
        }
        for earlier in overlap.imports
    ]
    count = len(overlap.imports)
    imports = "an earlier import" if count == 1 else f"{count} earlier imports"
    return ImportOverlap(
        f"{_dates(overlap.dates, overlap.first_date, overlap.last_date)} of this file already"
        f" {_hold(overlap.dates)} daily totals from {imports}"
        " (same location and category); nothing was written. Send it with on_overlap=replace"
        " to put its totals in their place, or on_overlap=add to add them up",
        details=details,
    )


def _hold(count: int) -> str:
    return "holds" if count == 1 else "hold"


def _dates(count: int, first: object, last: object) -> str:
    if count == 1:
        return f"1 business date ({first})"
    return f"{count} business dates ({first} to {last})"
