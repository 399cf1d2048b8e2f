"""HTTP endpoints that bring sale lines into the ledger: /api/v1/sales/bulk and /import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status

from tableside.auth.dependencies import Principal, require
from tableside.auth.permissions import Action, Area
from tableside.db.session import SessionDep
from tableside.http.errors import error_responses
from tableside.jobs.schemas import JobAccepted, accepted
from tableside.ledger import ingest
from tableside.ledger.csv_format import UploadSource
from tableside.ledger.import_schemas import (
    MAX_BULK_LINES,
    BulkSalesRequest,
    OnOverlap,
    SalesImportReport,
)

router = APIRouter(
    prefix="/sales", tags=["sales ledger"], responses=error_responses(401, 403, 422, 429)
)

Importer = Annotated[Principal, Depends(require(Area.analytics, Action.write))]

_DUPLICATE = {
    "model": SalesImportReport,
    "description": "Already imported (same batch id or same file): nothing was added",
}


@router.post(
    "/bulk",
    response_model=SalesImportReport,
    status_code=status.HTTP_201_CREATED,
    responses={200: _DUPLICATE, **error_responses(409, 413)},
    summary=f"Record up to {MAX_BULK_LINES:,} sale lines that happened elsewhere",
)
async def bulk_sales(
    body: BulkSalesRequest,
    principal: Importer,
    session: SessionDep,
    response: Response,
    skip_invalid: Annotated[
        bool, Query(description="Write the valid lines and report the others")
    ] = False,
) -> SalesImportReport:
    """Each line: `sold_at` (ISO 8601 instant) or `date` (business date), `menu_item_id` or
    `sku`, `quantity`, `amount` (the source's net amount, at most 2 decimals; negative
    quantity and amount make a refund), optional `location_id`, `covers` and
    `transaction_id` (lines sharing it are one sale). Any invalid line refuses the batch
    (422, the first 1,000 listed with their index) unless `skip_invalid=true`. Sending the
    same `batch_id` again with the same lines adds nothing and answers 200 with `duplicate:
    true`; with other lines it is 409 `IDEMPOTENCY_CONFLICT` (nothing written: send them
    under a new `batch_id`). A batch none of whose lines was valid (`skip_invalid`) writes
    nothing and is not recorded: its `batch_id` may be sent again. A line may not lie in the
    future (5 minutes of clock skew)."""
    outcome = await ingest.import_bulk(session, principal, body, skip_invalid=skip_invalid)
    if outcome.report.duplicate:
        response.status_code = status.HTTP_200_OK
    return outcome.report


@router.post(
    "/import",
    response_model=SalesImportReport,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: _DUPLICATE,
        202: {"model": JobAccepted, "description": "Importing"},
        **error_responses(400, 409, 413),
    },
    summary="Import sales from a CSV file (daily totals or sale lines)",
)
async def import_sales(
    request: Request,
    principal: Importer,
    session: SessionDep,
    response: Response,
    file: Annotated[UploadFile, File(description="UTF-8 CSV (a BOM is fine)")],
    skip_invalid: Annotated[
        bool, Query(description="Write the valid rows and report the others")
    ] = False,
    background: Annotated[
        bool, Query(description="Import in a job (202) whatever the file's size")
    ] = False,
    location: Annotated[
        str | None, Query(description="Location (name or id) of rows without one")
    ] = None,
    on_overlap: Annotated[
        OnOverlap,
        Query(
            description="Daily files: what to do with dates (per location and category) an"
            " earlier daily import holds: reject (409), add, or replace the earlier totals"
        ),
    ] = OnOverlap.reject,
) -> Any:
    """Two shapes, told apart by the header (column names in any case, with spaces or
    hyphens for the underscores: `Daily Sales` is `daily_sales`):

    - daily: `date,daily_sales` [`,marketing_spend,is_holiday,product_category,transactions,
      day_of_week,location`]: one line per row on that business date. `product_category`
      names one of the business's menu categories (trimmed, any case; when two names differ
      only in case, as written): the row's sales count under that category (aggregates
      `group_by=category`, historical `category_id`), and a name the menu does not have is a
      row error like an unknown item. A file may hold several rows of a date, one per
      category (and location): two rows of the same date, location and category are both
      row errors, each naming the other's line, never added up into a doubled day. Within
      the file, a date's (and location's) `marketing_spend` is the sum of its rows and
      `is_holiday` is true if any row says so (false if all say false); a later file's value
      for the date replaces the earlier one's, and a cell left empty in every row of the
      date keeps it. Marketing spend and holidays are forecasting signals;
    - lines: `timestamp` (ISO 8601; without an offset it is local time) or `date`, `item`
      (SKU, else exact name) and/or `sku` (with both, `sku` decides, and an `item` that
      names another menu item is a row error), `quantity`, `amount` [`,location,
      transaction_id,covers`]; a line may not lie in the future (a date at most one day ahead of the
      business's own, for a location in a zone ahead of it).

    Cells are separated by commas, semicolons or tabs (as the header is); in a file separated
    by semicolons, as spreadsheets of decimal-comma locales save it, a number may have a
    decimal comma (`12,50`; without thousands separators). Spaces and tabs around a cell are
    ignored, in dates and timestamps as in numbers and names. Blank lines and rows of empty
    cells (`,,`, as spreadsheets save the empty rows under their data) are skipped. Numbers are
    plain digits (no currency sign, thousands separators or brackets: a minus sign for a
    refund); `is_holiday` is true/false, yes/no, 1/0 or, as pandas writes a flag column with
    gaps, 1.0/0.0.

    Errors name each bad row by its line in the file; a file with errors writes nothing
    unless `skip_invalid=true`. The same file again (same bytes) adds nothing (200,
    `duplicate: true`, with the first upload's counts), unless none of its rows was valid:
    such a file wrote nothing and can be sent again once fixed (an item added). Files over
    the background threshold (5 MB by default) or sent with `background=true` are imported
    by a job: 202 with the job's status URL, whose result is this same report. The same file
    sent again while its job waits gets that job's 202; sent with another `location`,
    `skip_invalid` or `on_overlap` it is 409 `INVALID_STATE` naming the job. Cancelling
    that job (`POST /api/v1/jobs/{id}/cancel`) discards the stored file and writes nothing,
    and the same file can then be sent again. A cancel that comes as the import commits
    waits for it and answers 409 `INVALID_STATE`: the job then says `succeeded` and its
    lines are in; a `cancelled` import never leaves lines behind.

    A daily row is the whole of its date's sales (per location and category): a daily file
    with a date, location and category an earlier daily import already holds (a corrected
    or longer export) is refused with 409 `IMPORT_OVERLAP`, nothing written, the details
    naming each earlier import (`import_id`, `filename`) with its `overlapping_dates`,
    `first_date` and `last_date`. `on_overlap=add` keeps both (the day's totals add up);
    `on_overlap=replace` takes the earlier import's lines of exactly those keys out (as
    `DELETE /sales/imports/{id}` would, recorded in the audit log) and puts the new ones in,
    in one transaction: the earlier import's history then shows what it still holds, and
    one left with nothing leaves the history (its file can be sent again). Other locations
    and categories of the same date, sale lines and other businesses never overlap; the same
    file again is still answered as a duplicate. A background job honours it too."""
    outcome = await ingest.receive_upload(
        session,
        principal,
        UploadSource(file, file.filename),
        content_type=file.content_type,
        skip_invalid=skip_invalid,
        background=background,
        location=location,
        threshold=request.app.state.settings.sales_import_background_bytes,
        on_overlap=on_overlap,
    )
    if not isinstance(outcome, ingest.IngestOutcome):
        return accepted(outcome)
    if outcome.report.duplicate:
        response.status_code = status.HTTP_200_OK
    return outcome.report
