"""`/api/v1/api-keys`: create (the key is shown once), list, get, revoke."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from tableside.api_keys import service
from tableside.api_keys.schemas import ApiKey, ApiKeyCreate, ApiKeyCreated
from tableside.auth.dependencies import Principal, require
from tableside.auth.permissions import Action, Area
from tableside.db.session import SessionDep
from tableside.kit.pagination import ListParamsDep, Page, page_of

router = APIRouter(prefix="/api-keys", tags=["api keys"])

KeyReader = Annotated[Principal, Depends(require(Area.api_keys, Action.read))]
KeyWriter = Annotated[Principal, Depends(require(Area.api_keys, Action.write))]
KeyManager = Annotated[Principal, Depends(require(Area.api_keys, Action.manage))]


@router.get("", response_model=Page[ApiKey], summary="List API keys")
async def list_keys(
    principal: KeyReader, session: SessionDep, params: ListParamsDep, include_revoked: bool = False
) -> Page[ApiKey]:
    rows, total = await service.list_keys(
        session, principal, params, include_revoked=include_revoked
    )
    return page_of(ApiKey, rows, total, params)


@router.post(
    "",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key (the key is shown only in this response)",
)
async def create_key(
    body: ApiKeyCreate, principal: KeyWriter, session: SessionDep
) -> ApiKeyCreated:
    key, raw_key = await service.create_key(session, principal, body)
    return ApiKeyCreated.model_validate({**ApiKey.model_validate(key).model_dump(), "key": raw_key})


@router.get("/{key_id}", response_model=ApiKey, summary="Get an API key")
async def get_key(key_id: uuid.UUID, principal: KeyReader, session: SessionDep) -> ApiKey:
    return ApiKey.model_validate(await service.get_key(session, principal, key_id))


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API key")
async def revoke_key(key_id: uuid.UUID, principal: KeyManager, session: SessionDep) -> Response:
    await service.revoke_key(session, principal, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
