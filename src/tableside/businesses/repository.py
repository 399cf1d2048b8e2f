"""SQL for businesses and locations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.kit.pagination import ListParams
from tableside.kit.repository import TenantRepository, integrity_error_to_app_error
from tableside.models import Business, Location, LocationType


class BusinessRepository:
    """The caller's own business row: its id is the tenant id."""

    def __init__(self, session: AsyncSession, business_id: uuid.UUID) -> None:
        self.session = session
        self.business_id = business_id

    async def get(self) -> Business:
        stmt = select(Business).where(Business.id == self.business_id)
        return (await self.session.execute(stmt)).scalar_one()

    async def flush(self) -> None:
        try:
            async with self.session.begin_nested():
                await self.session.flush()
        except IntegrityError as exc:
            raise integrity_error_to_app_error(exc) from exc


class LocationRepository(TenantRepository[Location]):
    model = Location
    sortable = {"name": "name", "created_at": "created_at", "type": "type"}
    default_sort = "name"
    searchable = ("name", "address")

    async def list(
        self,
        params: ListParams,
        *,
        location_type: LocationType | None = None,
        include_inactive: bool = False,
    ) -> tuple[Sequence[Location], int]:
        stmt = self.base_select()
        if location_type is not None:
            stmt = stmt.where(Location.type == location_type)
        if not include_inactive:
            stmt = stmt.where(Location.is_active.is_(True))
        return await self.paginate(stmt, params)
