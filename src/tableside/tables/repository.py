"""SQL for dining tables."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select

from tableside.kit.pagination import ListParams
from tableside.kit.repository import TenantRepository
from tableside.models import (
    DiningTable,
    Location,
    Order,
    OrderStatus,
    TableStatus,
    User,
)

OPEN_ORDER_STATUSES = (OrderStatus.pending, OrderStatus.preparing, OrderStatus.ready)


class TableRepository(TenantRepository[DiningTable]):
    model = DiningTable
    sortable = {
        "table_number": "table_number",
        "section": "section",
        "capacity": "capacity",
        "status": "status",
        "created_at": "created_at",
    }
    default_sort = "table_number"
    searchable = ("table_number", "section")

    async def get_for_update(self, table_id: uuid.UUID) -> DiningTable | None:
        """The table, locked until the transaction ends (status changes are serialized)."""
        stmt = self.base_select().where(DiningTable.id == table_id).with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def count_open_orders(
        self, table_id: uuid.UUID, *, excluding: uuid.UUID | None = None
    ) -> int:
        """Orders still open on the table (pending, preparing or ready)."""
        stmt = (
            select(func.count())
            .select_from(Order)
            .where(
                Order.business_id == self.business_id,
                Order.table_id == table_id,
                Order.status.in_(OPEN_ORDER_STATUSES),
            )
        )
        if excluding is not None:
            stmt = stmt.where(Order.id != excluding)
        return int((await self.session.execute(stmt)).scalar_one())

    async def list_tables(
        self,
        params: ListParams,
        *,
        status: TableStatus | None = None,
        section: str | None = None,
        location_id: uuid.UUID | None = None,
        min_capacity: int | None = None,
        include_inactive: bool = False,
    ) -> tuple[Sequence[DiningTable], int]:
        """One page of tables, filtered; inactive (deleted) tables only on request."""
        stmt = self.base_select()
        if status is not None:
            stmt = stmt.where(DiningTable.status == status)
        if section is not None:
            stmt = stmt.where(func.lower(DiningTable.section) == section.lower())
        if location_id is not None:
            stmt = stmt.where(DiningTable.location_id == location_id)
        if min_capacity is not None:
            stmt = stmt.where(DiningTable.capacity >= min_capacity)
        if not include_inactive:
            stmt = stmt.where(DiningTable.is_active.is_(True))
        return await self.paginate(stmt, params)

    async def open_orders(
        self, table_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[tuple[uuid.UUID, str]]]:
        """Open orders (id, order number) per table, oldest first, for the given tables."""
        found: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {tid: [] for tid in table_ids}
        if not table_ids:
            return found
        stmt = (
            select(Order.table_id, Order.id, Order.order_number)
            .where(
                Order.business_id == self.business_id,
                Order.table_id.in_(table_ids),
                Order.status.in_(OPEN_ORDER_STATUSES),
            )
            .order_by(Order.created_at, Order.id)
        )
        for table_id, order_id, order_number in (await self.session.execute(stmt)).all():
            if table_id is not None:
                found[table_id].append((order_id, order_number))
        return found

    async def user_names(self, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        """Full names of the given users of this business (servers shown on tables)."""
        if not user_ids:
            return {}
        stmt = select(User.id, User.full_name).where(
            User.business_id == self.business_id, User.id.in_(set(user_ids))
        )
        return {row.id: row.full_name for row in (await self.session.execute(stmt)).all()}

    async def active_user(self, user_id: uuid.UUID) -> User | None:
        """An active user of this business (a server to seat or assign), else None."""
        stmt = select(User).where(
            User.business_id == self.business_id, User.id == user_id, User.is_active.is_(True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def active_location(self, location_id: uuid.UUID) -> Location | None:
        """An active location of this business, else None."""
        stmt = select(Location).where(
            Location.business_id == self.business_id,
            Location.id == location_id,
            Location.is_active.is_(True),
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
