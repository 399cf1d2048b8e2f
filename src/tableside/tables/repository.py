"""SQL for dining tables."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from tableside.kit.repository import TenantRepository
from tableside.models import DiningTable, Order, OrderStatus

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
