"""`GET /api/v1/audit-log` for owners and admins."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from tableside.audit import service
from tableside.audit.schemas import AuditEntryOut
from tableside.auth.dependencies import Principal, require
from tableside.auth.permissions import Action, Area
from tableside.db.session import SessionDep
from tableside.kit.pagination import ListParamsDep, Page, page_of

router = APIRouter(prefix="/audit-log", tags=["audit"])

AuditReader = Annotated[Principal, Depends(require(Area.audit_log, Action.read))]


@router.get("", response_model=Page[AuditEntryOut], summary="List audit log entries")
async def list_audit_log(
    principal: AuditReader,
    session: SessionDep,
    params: ListParamsDep,
    action: Annotated[str | None, Query(max_length=80)] = None,
    actor_user_id: uuid.UUID | None = None,
    entity_type: Annotated[str | None, Query(max_length=60)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEntryOut]:
    rows, total = await service.list_entries(
        session,
        principal,
        params,
        action=action,
        actor_user_id=actor_user_id,
        entity_type=entity_type,
        since=since,
        until=until,
    )
    return page_of(AuditEntryOut, rows, total, params)
