"""SQL for orders, their lines and the per-day order counter."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm.attributes import set_committed_value

from tableside.kit.pagination import ListParams
from tableside.kit.repository import TenantRepository
from tableside.models import (
    Business,
    Customer,
    DiningTable,
    Location,
    MenuItem,
    Order,
    OrderCounter,
    OrderItem,
    OrderStatus,
    OrderType,
    Sale,
    SaleStatus,
)

# A sale in one of these states means payment has started (or finished) for the order.
ACTIVE_SALE_STATUSES = (SaleStatus.pending, SaleStatus.completed)


@dataclass(frozen=True)
class OrderFilters:
    """Domain filters of the order list (on top of search, sorting and paging)."""

    statuses: Collection[OrderStatus] = ()
    order_type: OrderType | None = None
    table_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    server_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None


class OrderRepository(TenantRepository[Order]):
    model = Order
    sortable = {
        "created_at": "created_at",
        "order_number": "order_number",
        "total_amount": "total_amount",
    }
    default_sort = "created_at"
    default_order_desc = True
    searchable = ("order_number",)

    async def business(self) -> Business:
        """The caller's business row (tax rate, currency, time zone, day cutoff)."""
        stmt = select(Business).where(Business.id == self.business_id)
        return (await self.session.execute(stmt)).scalar_one()

    async def get_for_update(self, order_id: uuid.UUID) -> Order | None:
        """The order, locked until the transaction ends, with its current committed values.

        Every change to an order or its lines takes this lock first, so changes are applied
        one after another and totals are always recomputed from the latest lines."""
        stmt = (
            self.base_select()
            .where(Order.id == order_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def list_orders(
        self, params: ListParams, filters: OrderFilters
    ) -> tuple[Sequence[Order], int]:
        stmt = self.base_select()
        if filters.statuses:
            stmt = stmt.where(Order.status.in_(list(filters.statuses)))
        if filters.order_type is not None:
            stmt = stmt.where(Order.order_type == filters.order_type)
        if filters.table_id is not None:
            stmt = stmt.where(Order.table_id == filters.table_id)
        if filters.customer_id is not None:
            stmt = stmt.where(Order.customer_id == filters.customer_id)
        if filters.server_id is not None:
            stmt = stmt.where(Order.server_id == filters.server_id)
        if filters.location_id is not None:
            stmt = stmt.where(Order.location_id == filters.location_id)
        if filters.date_from is not None:
            stmt = stmt.where(Order.business_date >= filters.date_from)
        if filters.date_to is not None:
            stmt = stmt.where(Order.business_date <= filters.date_to)
        return await self.paginate(stmt, params)

    async def next_sequence(self, business_date: date) -> int:
        """The next order number of the business day, in one atomic statement.

        The upsert locks the day's counter row until the transaction ends, so concurrent
        orders get consecutive numbers; a rolled-back transaction gives its number back."""
        stmt = (
            insert(OrderCounter)
            .values(business_id=self.business_id, business_date=business_date, last_number=1)
            .on_conflict_do_update(
                index_elements=[OrderCounter.business_id, OrderCounter.business_date],
                set_={"last_number": OrderCounter.last_number + 1},
            )
            .returning(OrderCounter.last_number)
        )
        return int((await self.session.execute(stmt)).scalar_one())

    # Lines -------------------------------------------------------------------------------

    async def lines(self, order_id: uuid.UUID) -> list[OrderItem]:
        """Every line of the order (voided ones too), in the order they were added."""
        stmt = (
            select(OrderItem)
            .where(OrderItem.business_id == self.business_id, OrderItem.order_id == order_id)
            .order_by(OrderItem.created_at, OrderItem.id)
            .execution_options(populate_existing=True)
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def load_lines(self, order: Order) -> list[OrderItem]:
        """Re-read the order and its lines as stored (so a response shows exactly what a later
        GET shows, e.g. `15.00` for a percent sent as `15`) and attach the lines as
        `order.items`."""
        await self.session.refresh(order)
        lines = await self.lines(order.id)
        set_committed_value(order, "items", lines)
        return lines

    async def get_line(self, order_id: uuid.UUID, line_id: uuid.UUID) -> OrderItem | None:
        stmt = (
            select(OrderItem)
            .where(
                OrderItem.business_id == self.business_id,
                OrderItem.order_id == order_id,
                OrderItem.id == line_id,
            )
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def add_lines(self, lines: Sequence[OrderItem]) -> None:
        self.session.add_all(lines)
        await self.flush()

    async def delete_line(self, line: OrderItem) -> None:
        await self.session.delete(line)
        await self.session.flush()

    async def has_active_sale(self, order_id: uuid.UUID) -> bool:
        """Whether a sale for the order is being paid or is paid (pending or completed)."""
        stmt = select(
            exists().where(
                Sale.business_id == self.business_id,
                Sale.order_id == order_id,
                Sale.status.in_(ACTIVE_SALE_STATUSES),
            )
        )
        return bool((await self.session.execute(stmt)).scalar_one())

    # References from request bodies --------------------------------------------------------

    async def active_menu_items(self, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, MenuItem]:
        """The active menu items of this business among `ids`, by id."""
        if not ids:
            return {}
        stmt = select(MenuItem).where(
            MenuItem.business_id == self.business_id,
            MenuItem.id.in_(list(ids)),
            MenuItem.is_active.is_(True),
        )
        return {item.id: item for item in (await self.session.execute(stmt)).scalars()}

    async def customer(self, customer_id: uuid.UUID) -> Customer | None:
        stmt = select(Customer).where(
            Customer.business_id == self.business_id, Customer.id == customer_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def table(self, table_id: uuid.UUID) -> DiningTable | None:
        stmt = select(DiningTable).where(
            DiningTable.business_id == self.business_id, DiningTable.id == table_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def location(self, location_id: uuid.UUID) -> Location | None:
        stmt = select(Location).where(
            Location.business_id == self.business_id, Location.id == location_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()


class OrderHistoryRepository(TenantRepository[Order]):
    """Compact order histories shown on a customer and on a table, newest first."""

    model = Order
    sortable = {
        "created_at": "created_at",
        "order_number": "order_number",
        "status": "status",
        "total_amount": "total_amount",
        "completed_at": "completed_at",
    }
    default_sort = "created_at"
    default_order_desc = True
    searchable = ("order_number",)

    async def history(
        self,
        params: ListParams,
        *,
        customer_id: uuid.UUID | None = None,
        table_id: uuid.UUID | None = None,
        status: OrderStatus | None = None,
        order_type: OrderType | None = None,
    ) -> tuple[Sequence[Order], int]:
        """The orders of a customer or a table, optionally of one status and type."""
        stmt = self.base_select()
        if customer_id is not None:
            stmt = stmt.where(Order.customer_id == customer_id)
        if table_id is not None:
            stmt = stmt.where(Order.table_id == table_id)
        if status is not None:
            stmt = stmt.where(Order.status == status)
        if order_type is not None:
            stmt = stmt.where(Order.order_type == order_type)
        return await self.paginate(stmt, params)
