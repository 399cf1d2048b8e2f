"""HTTP endpoints of the import history: /api/v1/sales/imports."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from tableside.auth.dependencies import Principal, require
from tableside.auth.permissions import Action, Area
from tableside.db.session import SessionDep
from tableside.http.errors import error_responses
from tableside.kit.pagination import ListParamsDep, Page
from tableside.ledger import batches
from tableside.ledger.batch_schemas import ImportKind, SalesImport

router = APIRouter(
    prefix="/sales/imports", tags=["sales ledger"], responses=error_responses(401, 403, 422, 429)
)

ImportReader = Annotated[Principal, Depends(require(Area.analytics, Action.read))]
Importer = Annotated[Principal, Depends(require(Area.analytics, Action.write))]


@router.get("", response_model=Page[SalesImport], summary="The imports recorded in the ledger")
async def list_imports(
    principal: ImportReader,
    session: SessionDep,
    params: ListParamsDep,
    # An enum, not free text: a misspelt kind is a 422, not an empty history.
    kind: Annotated[
        ImportKind | None,
        Query(description="Only this kind: bulk, csv_daily, csv_lines or demo"),
    ] = None,
) -> Page[SalesImport]:
    """Every bulk request, CSV upload and CLI import that wrote lines, newest first (sort by
    `created_at`, `first_date` or `lines_written`; `search` matches the file name or batch id). An
    import none of whose lines was valid wrote nothing and is not listed."""
    return await batches.list_imports(session, principal, params, kind=kind)


@router.get(
    "/{import_id}", response_model=SalesImport, responses=error_responses(404), summary="One import"
)
async def get_import(
    import_id: uuid.UUID, principal: ImportReader, session: SessionDep
) -> SalesImport:
    """404 when it is not an import of this business (or was taken back)."""
    return await batches.get_import(session, principal, import_id)


@router.delete(
    "/{import_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(404),
    summary="Take an import back out of the ledger",
)
async def revert_import(import_id: uuid.UUID, principal: Importer, session: SessionDep) -> Response:
    """Deletes every line the import wrote and subtracts them from the rollups (aggregates,
    analytics and forecasts then read as if it never happened), in one transaction, and
    forgets the import: the same file or `batch_id` can then be sent again (to the right
    location, or after fixing it). For a wrong file, an export that overlapped one already
    imported, or the wrong `?location=`. Sales rung up at the tills are never touched, nor
    are the marketing spend and holiday flags a daily file recorded for its dates (send
    them again to change them). Recorded in the audit log as `sales.import_reverted`."""
    await batches.revert_import(session, principal, import_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
