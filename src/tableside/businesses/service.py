"""Business settings and locations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.audit import service as audit
from tableside.auth.dependencies import Principal
from tableside.businesses.repository import BusinessRepository, LocationRepository
from tableside.businesses.schemas import BusinessUpdate, LocationCreate, LocationUpdate
from tableside.errors import NotFound
from tableside.kit.pagination import ListParams
from tableside.models import Business, Location, LocationType


async def get_business(session: AsyncSession, principal: Principal) -> Business:
    return await BusinessRepository(session, principal.business_id).get()


async def update_business(
    session: AsyncSession, principal: Principal, changes: BusinessUpdate
) -> Business:
    """Apply the given settings; the audit log records what changed."""
    repository = BusinessRepository(session, principal.business_id)
    business = await repository.get()
    updates = changes.model_dump(exclude_unset=True)
    before = {field: _plain(getattr(business, field)) for field in updates}
    for field, value in updates.items():
        setattr(business, field, value)
    await repository.flush()
    await audit.record(
        session,
        business_id=business.id,
        action="business.updated",
        principal=principal,
        entity_type="business",
        entity_id=business.id,
        details={"before": before, "after": {k: _plain(v) for k, v in updates.items()}},
    )
    return business


def _plain(value: object) -> object:
    return value if isinstance(value, int | bool | type(None)) else str(value)


async def list_locations(
    session: AsyncSession,
    principal: Principal,
    params: ListParams,
    *,
    location_type: LocationType | None,
    include_inactive: bool,
) -> tuple[Sequence[Location], int]:
    return await LocationRepository(session, principal.business_id).list(
        params, location_type=location_type, include_inactive=include_inactive
    )


async def get_location(
    session: AsyncSession, principal: Principal, location_id: uuid.UUID
) -> Location:
    location = await LocationRepository(session, principal.business_id).get(location_id)
    if location is None:
        raise NotFound("Location not found")
    return location


async def create_location(
    session: AsyncSession, principal: Principal, data: LocationCreate
) -> Location:
    repository = LocationRepository(session, principal.business_id)
    location = await repository.add(
        Location(business_id=principal.business_id, **data.model_dump())
    )
    await audit.record(
        session,
        business_id=principal.business_id,
        action="location.created",
        principal=principal,
        entity_type="location",
        entity_id=location.id,
        details={"name": location.name, "type": str(location.type)},
    )
    return location


async def update_location(
    session: AsyncSession, principal: Principal, location_id: uuid.UUID, changes: LocationUpdate
) -> Location:
    location = await get_location(session, principal, location_id)
    for field, value in changes.model_dump(exclude_unset=True).items():
        setattr(location, field, value)
    await LocationRepository(session, principal.business_id).flush()
    return location


async def delete_location(
    session: AsyncSession, principal: Principal, location_id: uuid.UUID
) -> None:
    """Deactivate: sales, stock and shifts keep pointing at the location's history."""
    location = await get_location(session, principal, location_id)
    location.is_active = False
    await LocationRepository(session, principal.business_id).flush()
    await audit.record(
        session,
        business_id=principal.business_id,
        action="location.deactivated",
        principal=principal,
        entity_type="location",
        entity_id=location.id,
    )
