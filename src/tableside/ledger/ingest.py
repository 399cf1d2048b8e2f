"""Sale lines in bulk: a JSON batch, a CSV upload in either shape, a file from the CLI.

Every origin takes the same path inside the caller's transaction:

1. duplicates first: a batch id or file (SHA-256) seen before answers with the first
   ingestion's counts and writes nothing;
2. the rows are staged by COPY (`ingest_repository`), references resolved and every row
   converted and checked in SQL;
3. any invalid row refuses the whole request (422 listing the first 1,000) unless
   `skip_invalid`, which writes the valid rows and reports the others;
4. the business's ledger lock is taken, the batch claimed (a concurrent twin loses here and
   answers as a duplicate), a daily file's overlap with earlier daily imports settled
   (`overlap`: refused by default), lines inserted and both rollups upserted; an audit entry
   records it.

Files above `TABLESIDE_SALES_IMPORT_BACKGROUND_BYTES` (or sent with `background=true`) are
stored and imported by the `ledger.import_sales` job instead (`tasks.py`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.audit import service as audit
from tableside.auth.dependencies import Principal
from tableside.errors import BadRequest, IdempotencyConflict, InvalidState, ValidationFailed
from tableside.jobs.repository import ACTIVE_STATUSES, JobRepository
from tableside.jobs.service import enqueue_job
from tableside.ledger.csv_format import (
    NO_DATA_ROWS,
    ByteSource,
    FileFacts,
    Shape,
    UploadSource,
    data_chunks,
    inspect,
    parse_rows,
)
from tableside.ledger.import_schemas import (
    BulkSalesRequest,
    LineError,
    OnOverlap,
    SalesImportReport,
)
from tableside.ledger.ingest_repository import (
    ITEM_COLUMNS,
    MAX_ERRORS,
    IngestRepository,
    TypedPlan,
    Written,
)
from tableside.ledger.overlap import settle_overlaps
from tableside.ledger.repository import LedgerRepository
from tableside.models import Job, LedgerBatch, LedgerUpload, SaleSource

IMPORT_SALES_JOB = "ledger.import_sales"

# Bulk JSON field -> staging column.
BULK_FIELDS: dict[str, str] = {
    "sold_at": "ts",
    "date": "day",
    "menu_item_id": "item_id",
    "sku": "sku",
    "quantity": "quantity",
    "amount": "amount",
    "location_id": "location",
    "covers": "covers",
    "transaction_id": "txn",
}
_BULK_NAMES = {column: name for name, column in BULK_FIELDS.items()}
_CSV_CONTENT_TYPES = {
    "text/csv",
    "application/csv",
    "text/plain",
    "text/x-csv",
    "application/vnd.ms-excel",
    "application/octet-stream",
}

Progress = Callable[[str, int, int], Awaitable[None]]


@dataclass(frozen=True)
class ImportOptions:
    """How to import: what to do with bad rows, which location rows without one belong to,
    the sender's batch id, and who asked."""

    skip_invalid: bool = False
    default_location: str | None = None
    external_id: str | None = None
    created_by: uuid.UUID | None = None
    # sha256 of what is imported (a bulk request's lines, a file's bytes)
    fingerprint: str | None = None
    # A daily file's dates that earlier daily imports hold: refuse, add up or replace.
    on_overlap: OnOverlap = OnOverlap.reject


@dataclass
class IngestOutcome:
    """The report, plus where the time went (for logs, the CLI and the benchmark)."""

    report: SalesImportReport
    timings: dict[str, float] = field(default_factory=dict)


async def _no_progress(phase: str, done: int, total: int) -> None:
    return None


# ---------------------------------------------------------------------------------------------
# Entry points


async def import_bulk(
    session: AsyncSession, principal: Principal, body: BulkSalesRequest, *, skip_invalid: bool
) -> IngestOutcome:
    """`POST /sales/bulk`: the lines of one batch, all or (with skip_invalid) the valid ones."""
    business_id = principal.business_id
    ledger = LedgerRepository(session, business_id)
    repo = IngestRepository(session, business_id)
    fingerprint = bulk_fingerprint(body)
    existing = await _existing_batch(repo, body.batch_id, None, fingerprint)
    if existing is not None:
        return IngestOutcome(_duplicate_report(existing, "bulk"))
    records, errors = bulk_records(body.lines)
    calendar = await ledger.calendar()
    plan = TypedPlan(
        shape=Shape.lines,
        json=True,
        item_columns=("item_id", "sku"),
        missing_item_field="item_id",
        time_column="ts",
        has_txn=any(record[BULK_COLUMNS.index("txn") + 1] is not None for record in records),
        business_timezone=calendar.timezone,
        cutoff_hour=calendar.cutoff_hour,
        currency=await ledger.currency(),
        default_location_id=None,
        present=frozenset(BULK_COLUMNS),
    )
    await repo.create_staging(0)
    if not await repo.copy_records(records, BULK_COLUMNS):
        records, refused = without_nul(records)
        errors = sorted([*errors, *refused], key=lambda e: e.index or 0)
        await repo.copy_records(records, BULK_COLUMNS)
    options = ImportOptions(
        skip_invalid=skip_invalid,
        external_id=body.batch_id,
        created_by=principal.user_id,
        fingerprint=fingerprint,
    )
    return await _validate_and_write(
        repo,
        ledger,
        plan,
        kind="bulk",
        prior_errors=errors,
        name_of=_bulk_error,
        options=options,
        principal=principal,
        content_hash=None,
        filename=None,
        progress=_no_progress,
    )


async def receive_upload(
    session: AsyncSession,
    principal: Principal,
    source: UploadSource,
    *,
    content_type: str | None,
    skip_invalid: bool,
    background: bool,
    location: str | None,
    threshold: int,
    on_overlap: OnOverlap = OnOverlap.reject,
) -> IngestOutcome | Job:
    """`POST /sales/import`: check the file, then import it now or hand it to a job."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type and media_type not in _CSV_CONTENT_TYPES:
        raise BadRequest(f"Expected a CSV file, got {media_type}")
    facts = await inspect(source)
    business_id = principal.business_id
    repo = IngestRepository(session, business_id)
    existing = await repo.find_batch(content_hash=facts.sha256)
    if existing is not None:
        return IngestOutcome(_duplicate_report(existing, existing.kind))
    await _default_location(repo, location)  # a bad one is refused now, not in the job
    options = ImportOptions(
        skip_invalid=skip_invalid,
        default_location=location,
        created_by=principal.user_id,
        on_overlap=on_overlap,
    )
    if background or facts.size > threshold:
        return await _enqueue(session, repo, source, facts, options)
    return await import_inspected(session, business_id, source, facts, options, principal=principal)


async def import_file(
    session: AsyncSession,
    business_id: uuid.UUID,
    source: ByteSource,
    options: ImportOptions,
    *,
    principal: Principal | None = None,
    progress: Progress = _no_progress,
) -> IngestOutcome:
    """Import a CSV file of either shape (the job and the CLI; the upload endpoint after its
    own checks)."""
    facts = await inspect(source)
    await progress("inspected", facts.size, facts.size)
    return await import_inspected(
        session, business_id, source, facts, options, principal=principal, progress=progress
    )


async def import_inspected(
    session: AsyncSession,
    business_id: uuid.UUID,
    source: ByteSource,
    facts: FileFacts,
    options: ImportOptions,
    *,
    principal: Principal | None = None,
    progress: Progress = _no_progress,
) -> IngestOutcome:
    """Import a file whose facts `inspect` established."""
    header = facts.header
    kind = "csv_daily" if header.shape is Shape.daily else "csv_lines"
    ledger = LedgerRepository(session, business_id)
    repo = IngestRepository(session, business_id)
    options = dataclasses.replace(options, fingerprint=facts.sha256)
    existing = await _existing_batch(repo, options.external_id, facts.sha256, facts.sha256)
    if existing is not None:
        return IngestOutcome(_duplicate_report(existing, kind))
    calendar = await ledger.calendar()
    plan = TypedPlan(
        shape=header.shape,
        json=False,
        item_columns=tuple(c for c in ITEM_COLUMNS if c in header.staging_columns),
        missing_item_field="item" if header.has("item") else "sku",
        time_column="ts" if header.has("timestamp") else "day",
        has_txn=header.has("transaction_id"),
        business_timezone=calendar.timezone,
        cutoff_hour=calendar.cutoff_hour,
        currency=await ledger.currency(),
        default_location_id=await _default_location(repo, options.default_location),
        present=frozenset(header.staging_columns),
        decimal_comma=header.delimiter == ";",
    )
    await repo.create_staging(facts.first_data_line)
    counter = _LineCounter()
    copied = await repo.copy_csv(
        counter.count(data_chunks(source, facts), progress, facts.data_end - facts.data_start),
        header.staging_columns,
        header.delimiter,
    )
    prior_errors: list[LineError] = []
    if copied != counter.newlines + 1:
        # COPY could not read the file (wrong cell counts, blank lines) or rows span lines
        # (quoted line breaks) so its numbering would be off: parse it here instead.
        if copied is not None:
            await repo.truncate_staging()
        data = b"".join([chunk async for chunk in data_chunks(source, facts)])
        parsed = parse_rows(data, facts)
        prior_errors = [
            LineError(line=line, field="row", message=message) for line, message in parsed.malformed
        ]
        records = [
            (line, *[cell if cell != "" else None for cell in cells]) for line, cells in parsed.rows
        ]
        await repo.copy_records(records, header.staging_columns)
    if not prior_errors and not await repo.has_data_rows(header.staging_columns):
        # Only rows of empty cells (`,,`), which are skipped: as a file of its header alone.
        raise BadRequest(NO_DATA_ROWS)
    await progress("copied", facts.size, facts.size)
    return await _validate_and_write(
        repo,
        ledger,
        plan,
        kind=kind,
        prior_errors=prior_errors,
        name_of=lambda line, column, message: LineError(
            line=line, field=header.file_column(column), message=message
        ),
        options=options,
        principal=principal,
        content_hash=facts.sha256,
        filename=facts.filename,
        progress=progress,
    )


# ---------------------------------------------------------------------------------------------
# The shared second half


async def _validate_and_write(
    repo: IngestRepository,
    ledger: LedgerRepository,
    plan: TypedPlan,
    *,
    kind: str,
    prior_errors: list[LineError],
    name_of: Callable[[int, str, str], LineError],
    options: ImportOptions,
    principal: Principal | None,
    content_hash: str | None,
    filename: str | None,
    progress: Progress,
) -> IngestOutcome:
    await repo.resolve_references(plan)
    await repo.convert(plan)
    valid, invalid = await repo.counts()
    await progress("validated", valid, valid + invalid)
    invalid += len(prior_errors)
    errors: list[LineError] = []
    if invalid:
        staged = [name_of(*row) for row in await repo.errors(MAX_ERRORS)]
        errors = sorted(
            [*prior_errors, *staged], key=lambda e: e.line if e.line is not None else e.index or 0
        )[:MAX_ERRORS]
        if not options.skip_invalid:
            raise ValidationFailed(
                f"{invalid} of {valid + invalid} lines are invalid; nothing was written"
                + (f" (the first {MAX_ERRORS} are listed)" if invalid > MAX_ERRORS else ""),
                details=[e.model_dump(exclude_none=True) for e in errors],
            )
    batch = LedgerBatch(
        id=uuid.uuid4(),
        business_id=repo.business_id,
        source=SaleSource.import_,
        kind=kind,
        external_id=options.external_id,
        content_hash=content_hash,
        request_hash=options.fingerprint,
        filename=filename[:300] if filename else None,
        created_by=options.created_by,
    )
    if valid == 0:
        # Every line was skipped: nothing is written, so nothing is recorded either. The same
        # file or batch id can then be sent again once its lines can be read (the missing
        # item added to the menu) instead of being answered "already imported, 0 lines".
        report = _report(batch, kind, Written(), invalid, errors, 0, options, filename)
        report.import_id = None
        return IngestOutcome(report, repo.timings.phases)
    # One writer per business from here: imports and tills never deadlock on rollup rows.
    await ledger.lock_business_ledger()
    if not await ledger.claim_batch(batch):
        # A twin of this request committed while this one was validating.
        existing = await _existing_batch(
            repo, options.external_id, content_hash, options.fingerprint
        )
        if existing is None:
            raise RuntimeError("the batch was claimed but cannot be found")
        return IngestOutcome(_duplicate_report(existing, kind), repo.timings.phases)
    replaced = 0
    if plan.shape is Shape.daily:
        # Under the lock: a daily file committed meanwhile is seen (never both "no overlap").
        replaced = await settle_overlaps(
            repo.session,
            repo,
            batch,
            options.on_overlap,
            report_batch_id=options.external_id or str(batch.id),
            principal=principal,
        )
    written = await repo.write(plan, batch.id)
    signals = await repo.upsert_signals() if plan.shape is Shape.daily else 0
    await repo.finish_batch(batch.id, written, invalid)
    report = _report(batch, kind, written, invalid, errors, signals, options, filename)
    report.lines_replaced = replaced
    await audit.record(
        repo.session,
        business_id=repo.business_id,
        action="sales.imported",
        principal=principal,
        actor_user_id=options.created_by if principal is None else None,
        entity_type="ledger_batch",
        entity_id=batch.id,
        details={
            "kind": kind,
            "batch_id": report.batch_id,
            "filename": filename,
            "lines_written": written.lines,
            "lines_skipped": invalid,
            "lines_replaced": replaced,
            "net_amount": str(written.net_amount),
        },
    )
    await progress("written", written.lines, written.lines)
    return IngestOutcome(report, repo.timings.phases)


def _report(
    batch: LedgerBatch,
    kind: str,
    written: Written,
    invalid: int,
    errors: list[LineError],
    signals: int,
    options: ImportOptions,
    filename: str | None,
) -> SalesImportReport:
    return SalesImportReport(
        batch_id=options.external_id or str(batch.id),
        import_id=batch.id,
        kind=kind,
        lines_written=written.lines,
        lines_skipped=invalid,
        error_count=invalid,
        errors=errors,
        net_amount=written.net_amount,
        first_date=written.first_date,
        last_date=written.last_date,
        signals_written=signals,
        filename=filename,
    )


def _duplicate_report(batch: LedgerBatch, kind: str) -> SalesImportReport:
    """The first ingestion's counts. Its skipped lines are reported too: the same batch or
    file will never bring them in (their rows are not kept, so they are not listed)."""
    return SalesImportReport(
        batch_id=batch.external_id or str(batch.id),
        import_id=batch.id,
        kind=batch.kind or kind,
        duplicate=True,
        lines_written=batch.line_count,
        lines_skipped=batch.lines_skipped,
        error_count=batch.lines_skipped,
        net_amount=batch.net_amount,
        first_date=batch.first_date,
        last_date=batch.last_date,
        filename=batch.filename,
    )


def bulk_fingerprint(body: BulkSalesRequest) -> str:
    """sha256 of a bulk request's lines as parsed (the same lines however the JSON was
    spaced or its keys ordered)."""
    try:
        encoded = orjson.dumps(body.lines, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        # JSON allows what orjson refuses: integers past 64 bits, lone surrogates ("\ud800").
        # The lines holding them are refused later; the standard encoder writes both.
        encoded = json.dumps(body.lines, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()


async def _existing_batch(
    repo: IngestRepository,
    external_id: str | None,
    content_hash: str | None,
    fingerprint: str | None,
) -> LedgerBatch | None:
    """The batch already imported under this batch id or with this file content. A batch id
    that held something else is a conflict: answering "duplicate" would drop what was sent."""
    if external_id is not None:
        found = await repo.find_batch(external_id=external_id)
        if found is not None:
            held = found.request_hash or found.content_hash
            if held is not None and fingerprint is not None and held != fingerprint:
                raise IdempotencyConflict(
                    f"batch_id {external_id!r} was already imported with other lines; "
                    "nothing was written (send new lines under a new batch_id)",
                    details=[{"field": "batch_id", "message": "already used for other lines"}],
                )
            return found
    if content_hash is not None:
        return await repo.find_batch(content_hash=content_hash)
    return None


async def _default_location(repo: IngestRepository, reference: str | None) -> uuid.UUID | None:
    if reference is None or not reference.strip():
        return None
    found = await repo.find_location(reference)
    if found is None:
        raise ValidationFailed(
            "Unknown location", details=[{"field": "location", "message": "unknown location"}]
        )
    return found


class _LineCounter:
    """Counts line breaks in the bytes COPY reads, so the row count can be checked against
    the line count (rows spanning lines would shift COPY's line numbers)."""

    def __init__(self) -> None:
        self.newlines = 0

    async def count(
        self, chunks: AsyncIterator[bytes], progress: Progress, total: int
    ) -> AsyncIterator[bytes]:
        done = 0
        async for chunk in chunks:
            self.newlines += chunk.count(b"\n")
            done += len(chunk)
            await progress("copying", done, total)
            yield chunk


# ---------------------------------------------------------------------------------------------
# Bulk JSON lines


BULK_COLUMNS = tuple(BULK_FIELDS.values())


def bulk_records(lines: Sequence[Any]) -> tuple[list[tuple[object, ...]], list[LineError]]:
    """Staging records for the lines that are JSON objects of scalars (their index is their
    line number), and an error for each line that is not.

    The common case (a well-formed line) costs a set test, one pass over the values and one
    tuple; anything unusual is looked at again by `_line_problem`."""
    records: list[tuple[object, ...]] = []
    errors: list[LineError] = []
    fields = tuple(BULK_FIELDS)
    for index, line in enumerate(lines):
        if type(line) is not dict:
            errors.append(
                LineError(index=index, field=f"lines.{index}", message="must be an object")
            )
            continue
        values = [line.get(name) for name in fields]
        if _ALLOWED.issuperset(line) and all(type(v) in _PLAIN for v in values):
            # A JSON number arrives as a float whose repr is its shortest exact decimal
            # form (amounts have at most 14 significant digits).
            records.append((index, *[v if v is None or type(v) is str else str(v) for v in values]))
            continue
        name, message = _line_problem(line)
        errors.append(LineError(index=index, field=f"lines.{index}.{name}", message=message))
    return records, errors


_ALLOWED = frozenset(BULK_FIELDS)
_PLAIN = frozenset({str, int, float, Decimal, type(None)})


def _line_problem(line: dict[str, Any]) -> tuple[str, str]:
    """Why a line is not a plain object of known scalar fields."""
    for name, value in line.items():
        if name not in BULK_FIELDS:
            return name, "is not a field of a sale line"
        if isinstance(value, bool):
            return name, "must be a number or a string, not true/false"
        if type(value) not in _PLAIN:
            return name, "must be a single value"
    raise AssertionError("a line without a problem was refused")


def without_nul(
    records: list[tuple[object, ...]],
) -> tuple[list[tuple[object, ...]], list[LineError]]:
    """The records without a NUL character or a lone surrogate (PostgreSQL text cannot hold
    either; JSON can send both), and an error for each record with one. Only run once COPY
    refused the batch: it looks at every value."""
    kept, errors = [], []
    for record in records:
        for name, value in zip(BULK_FIELDS, record[1:], strict=True):
            problem = _unstorable(value) if isinstance(value, str) else None
            if problem is not None:
                index = int(str(record[0]))
                errors.append(
                    LineError(index=index, field=f"lines.{index}.{name}", message=problem)
                )
                break
        else:
            kept.append(record)
    return kept, errors


def _unstorable(value: str) -> str | None:
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode()
    except UnicodeEncodeError:
        return "is not valid Unicode text"
    return None


def _bulk_error(index: int, column: str, message: str) -> LineError:
    return LineError(
        index=index, field=f"lines.{index}.{_BULK_NAMES.get(column, column)}", message=message
    )


# ---------------------------------------------------------------------------------------------
# Background uploads


async def _enqueue(
    session: AsyncSession,
    repo: IngestRepository,
    source: ByteSource,
    facts: FileFacts,
    options: ImportOptions,
) -> Job:
    """Store the file and start the job that imports it; the same file still waiting
    returns its job, or is refused (InvalidState) when sent with other options."""
    jobs = JobRepository(session, repo.business_id)
    pending = await repo.upload_by_hash(facts.sha256)
    if pending is not None:
        job = await jobs.get(pending.job_id) if pending.job_id else None
        if job is not None and job.status in ACTIVE_STATUSES:
            if not await _same_import(repo, pending, job, options):
                # Joining the job would import the file with the first request's options.
                raise InvalidState(
                    f"This file is already waiting to be imported by job {job.id} with other"
                    " options (location, skip_invalid or on_overlap); cancel that job to send"
                    " it with these, or wait for it",
                    details=[
                        {"field": "file", "message": "already waiting", "job_id": str(job.id)}
                    ],
                )
            return job
        await repo.delete_upload(pending.id)
    content = b"".join([chunk async for chunk in source.chunks()])
    upload = LedgerUpload(
        id=uuid.uuid4(),
        business_id=repo.business_id,
        filename=facts.filename[:300] if facts.filename else None,
        content_hash=facts.sha256,
        size=facts.size,
        content=content,
        skip_invalid=options.skip_invalid,
        default_location=options.default_location,
        created_by=options.created_by,
    )
    try:
        async with session.begin_nested():
            await repo.add_upload(upload)
    except IntegrityError:
        # The same file was stored by a concurrent request: follow its job.
        twin = await repo.upload_by_hash(facts.sha256)
        job = await jobs.get(twin.job_id) if twin and twin.job_id else None
        if job is None:
            raise
        return job
    job = await enqueue_job(
        session,
        business_id=repo.business_id,
        kind=IMPORT_SALES_JOB,
        params={
            "upload_id": str(upload.id),
            "filename": upload.filename,
            "on_overlap": options.on_overlap.value,
        },
        created_by_id=options.created_by,
    )
    upload.job_id = job.id
    await session.flush()
    return job


async def _same_import(
    repo: IngestRepository, pending: LedgerUpload, job: Job, options: ImportOptions
) -> bool:
    """Whether a waiting upload's job imports the file as `options` asks (the default
    location compared as the location it names, so a name and the id are the same)."""
    params = job.params or {}
    if (
        pending.skip_invalid != options.skip_invalid
        or params.get("on_overlap", OnOverlap.reject.value) != options.on_overlap.value
    ):
        return False
    try:
        waiting = await _default_location(repo, pending.default_location)
    except ValidationFailed:
        return False  # its location is gone: that job will fail, this request would not
    return waiting == await _default_location(repo, options.default_location)
