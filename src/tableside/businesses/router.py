"""`/api/v1/business` settings and `/api/v1/locations`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from tableside.auth.dependencies import Principal, require
from tableside.auth.permissions import Action, Area
from tableside.businesses import service
from tableside.businesses.schemas import (
    Business,
    BusinessUpdate,
    Location,
    LocationCreate,
    LocationUpdate,
)
from tableside.db.session import SessionDep
from tableside.kit.pagination import ListParamsDep, Page, page_of
from tableside.models import LocationType

router = APIRouter(tags=["business"])

BusinessReader = Annotated[Principal, Depends(require(Area.business, Action.read))]
BusinessWriter = Annotated[Principal, Depends(require(Area.business, Action.write))]
LocationReader = Annotated[Principal, Depends(require(Area.locations, Action.read))]
LocationWriter = Annotated[Principal, Depends(require(Area.locations, Action.write))]
LocationManager = Annotated[Principal, Depends(require(Area.locations, Action.manage))]


@router.get("/business", response_model=Business, summary="The business's settings")
async def get_business(principal: BusinessReader, session: SessionDep) -> Business:
    return Business.model_validate(await service.get_business(session, principal))


@router.put("/business", response_model=Business, summary="Update the business's settings")
async def update_business(
    body: BusinessUpdate, principal: BusinessWriter, session: SessionDep
) -> Business:
    return Business.model_validate(await service.update_business(session, principal, body))


@router.get("/locations", response_model=Page[Location], summary="List locations")
async def list_locations(
    principal: LocationReader,
    session: SessionDep,
    params: ListParamsDep,
    type: LocationType | None = None,
    include_inactive: bool = False,
) -> Page[Location]:
    rows, total = await service.list_locations(
        session, principal, params, location_type=type, include_inactive=include_inactive
    )
    return page_of(Location, rows, total, params)


@router.post(
    "/locations",
    response_model=Location,
    status_code=status.HTTP_201_CREATED,
    summary="Create a location",
)
async def create_location(
    body: LocationCreate, principal: LocationWriter, session: SessionDep
) -> Location:
    return Location.model_validate(await service.create_location(session, principal, body))


@router.get("/locations/{location_id}", response_model=Location, summary="Get a location")
async def get_location(
    location_id: uuid.UUID, principal: LocationReader, session: SessionDep
) -> Location:
    return Location.model_validate(await service.get_location(session, principal, location_id))


@router.patch("/locations/{location_id}", response_model=Location, summary="Update a location")
async def update_location(
    location_id: uuid.UUID, body: LocationUpdate, principal: LocationWriter, session: SessionDep
) -> Location:
    location = await service.update_location(session, principal, location_id, body)
    return Location.model_validate(location)


router.add_api_route(
    "/locations/{location_id}",
    update_location,
    methods=["PUT"],
    response_model=Location,
    summary="Update a location (same as PATCH: only the fields sent change)",
)


@router.delete(
    "/locations/{location_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Deactivate a location (its history stays)",
)
async def delete_location(
    location_id: uuid.UUID, principal: LocationManager, session: SessionDep
) -> Response:
    await service.delete_location(session, principal, location_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
