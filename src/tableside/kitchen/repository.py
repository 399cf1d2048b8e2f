"""SQL for kitchen tickets, the order lines on them and the kitchen's statistics."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import extract, func, select

from tableside.kit.pagination import ListParams
from tableside.kit.repository import TenantRepository
from tableside.models import (
    Customer,
    DiningTable,
    KitchenTicket,
    Order,
    OrderItem,
    OrderType,
    TicketPriority,
    TicketStatus,
    User,
)


@dataclass(frozen=True)
class TicketFilters:
    statuses: Collection[TicketStatus] = ()
    station: str | None = None
    priority: TicketPriority | None = None
    assigned_to: uuid.UUID | None = None
    order_type: OrderType | None = None


@dataclass(frozen=True)
class OrderContext:
    """What a cook needs to know about a ticket's order."""

    order_number: str
    order_type: OrderType
    order_notes: str | None
    table_number: str | None
    customer_name: str | None


@dataclass(frozen=True)
class StatusCount:
    station: str
    status: TicketStatus
    count: int


@dataclass(frozen=True)
class PrepTimes:
    """Prep-time figures (seconds) of the tickets that reached ready, per station or overall."""

    station: str | None
    count: int
    average_seconds: float | None
    p90_seconds: float | None


class TicketRepository(TenantRepository[KitchenTicket]):
    model = KitchenTicket
    sortable = {
        "created_at": "created_at",
        "priority": "priority",
        "station": "station",
        "status": "status",
    }
    default_sort = "created_at"
    searchable = ("station",)

    async def list_tickets(
        self, params: ListParams, filters: TicketFilters
    ) -> tuple[Sequence[KitchenTicket], int]:
        stmt = self.base_select()
        if filters.statuses:
            stmt = stmt.where(KitchenTicket.status.in_(list(filters.statuses)))
        if filters.station is not None:
            stmt = stmt.where(KitchenTicket.station == filters.station)
        if filters.priority is not None:
            stmt = stmt.where(KitchenTicket.priority == filters.priority)
        if filters.assigned_to is not None:
            stmt = stmt.where(KitchenTicket.assigned_to == filters.assigned_to)
        if filters.order_type is not None:
            stmt = stmt.join(Order, Order.id == KitchenTicket.order_id).where(
                Order.business_id == self.business_id, Order.order_type == filters.order_type
            )
        return await self.paginate(stmt, params)

    async def get_for_update(self, ticket_id: uuid.UUID) -> KitchenTicket | None:
        """The ticket with its latest committed values, locked until the transaction ends."""
        stmt = (
            self.base_select()
            .where(KitchenTicket.id == ticket_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def for_order(
        self, order_id: uuid.UUID, statuses: Collection[TicketStatus] = ()
    ) -> list[KitchenTicket]:
        """The order's tickets (optionally only those in `statuses`), by ticket number."""
        stmt = (
            self.base_select()
            .where(KitchenTicket.order_id == order_id)
            .order_by(KitchenTicket.ticket_number)
            .execution_options(populate_existing=True)
        )
        if statuses:
            stmt = stmt.where(KitchenTicket.status.in_(list(statuses)))
        return list((await self.session.execute(stmt)).scalars().all())

    async def next_ticket_number(self, order_id: uuid.UUID) -> int:
        """1 for the order's first ticket, then one more than the highest (the caller holds the
        order's lock, so two sends of one order never race)."""
        stmt = select(func.coalesce(func.max(KitchenTicket.ticket_number), 0)).where(
            KitchenTicket.business_id == self.business_id, KitchenTicket.order_id == order_id
        )
        return int((await self.session.execute(stmt)).scalar_one()) + 1

    async def add_ticket(self, ticket: KitchenTicket) -> KitchenTicket:
        return await self.add(ticket)

    async def lines(self, ticket_ids: Collection[uuid.UUID]) -> list[OrderItem]:
        """The order lines on these tickets (voided ones too), in the order they were added."""
        if not ticket_ids:
            return []
        stmt = (
            select(OrderItem)
            .where(
                OrderItem.business_id == self.business_id,
                OrderItem.ticket_id.in_(list(ticket_ids)),
            )
            .order_by(OrderItem.created_at, OrderItem.id)
            .execution_options(populate_existing=True)
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def order_context(
        self, order_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, OrderContext]:
        """Order number, type, notes, table number and customer name per order id."""
        if not order_ids:
            return {}
        stmt = (
            select(
                Order.id,
                Order.order_number,
                Order.order_type,
                Order.notes,
                DiningTable.table_number,
                Customer.name,
            )
            .outerjoin(
                DiningTable,
                (DiningTable.id == Order.table_id) & (DiningTable.business_id == self.business_id),
            )
            .outerjoin(
                Customer,
                (Customer.id == Order.customer_id) & (Customer.business_id == self.business_id),
            )
            .where(Order.business_id == self.business_id, Order.id.in_(list(order_ids)))
        )
        return {
            row[0]: OrderContext(
                order_number=row[1],
                order_type=row[2],
                order_notes=row[3],
                table_number=row[4],
                customer_name=row[5],
            )
            for row in (await self.session.execute(stmt)).all()
        }

    async def active_user(self, user_id: uuid.UUID) -> User | None:
        """An active user of this business (a cook a ticket can be assigned to)."""
        stmt = select(User).where(
            User.business_id == self.business_id, User.id == user_id, User.is_active.is_(True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    # Statistics --------------------------------------------------------------------------

    def _window(self, start: datetime, end: datetime, station: str | None) -> list[Any]:
        conditions: list[Any] = [
            KitchenTicket.business_id == self.business_id,
            KitchenTicket.created_at >= start,
            KitchenTicket.created_at < end,
        ]
        if station is not None:
            conditions.append(KitchenTicket.station == station)
        return conditions

    async def status_counts(
        self, start: datetime, end: datetime, station: str | None
    ) -> list[StatusCount]:
        """Tickets created in [start, end) per station and status."""
        stmt = (
            select(KitchenTicket.station, KitchenTicket.status, func.count())
            .where(*self._window(start, end, station))
            .group_by(KitchenTicket.station, KitchenTicket.status)
        )
        return [
            StatusCount(station=row[0], status=row[1], count=int(row[2]))
            for row in (await self.session.execute(stmt)).all()
        ]

    async def prep_times(
        self, start: datetime, end: datetime, station: str | None, *, per_station: bool
    ) -> list[PrepTimes]:
        """Average and 90th percentile of ready_at - created_at over tickets created in
        [start, end) that reached ready, overall or per station."""
        seconds = extract("epoch", KitchenTicket.ready_at - KitchenTicket.created_at)
        columns: list[Any] = [
            func.count(),
            func.avg(seconds),
            func.percentile_cont(0.9).within_group(seconds),
        ]
        if per_station:
            columns.insert(0, KitchenTicket.station)
        stmt = select(*columns).where(
            *self._window(start, end, station), KitchenTicket.ready_at.is_not(None)
        )
        if per_station:
            stmt = stmt.group_by(KitchenTicket.station)
        result = []
        for row in (await self.session.execute(stmt)).all():
            values = list(row)
            row_station = values.pop(0) if per_station else None
            count, average, p90 = values
            result.append(
                PrepTimes(
                    station=row_station,
                    count=int(count),
                    average_seconds=float(average) if average is not None else None,
                    p90_seconds=float(p90) if p90 is not None else None,
                )
            )
        return result
