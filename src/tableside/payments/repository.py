"""SQL for sales, their lines, payments and refunds, and the rows a sale reads or changes
elsewhere (the business's settings, menu items and their stock, the order it settles)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import selectinload

from tableside.kit.pagination import ListParams
from tableside.kit.repository import TenantRepository
from tableside.models import (
    Business,
    Customer,
    DiningTable,
    Location,
    MenuCategory,
    MenuItem,
    Order,
    OrderItem,
    OrderItemStatus,
    OrderType,
    Payment,
    PaymentMethod,
    Refund,
    Sale,
    SaleLine,
    SaleSource,
    SaleStatus,
)
from tableside.models.sale import SaleCounter

# Sales that completed: their money counts in statistics (a refunded sale completed first).
SETTLED = (SaleStatus.completed, SaleStatus.refunded)


@dataclass(frozen=True)
class MenuRow:
    """A menu item with its category's name, as a sale line copies it."""

    item: MenuItem
    category_name: str | None


@dataclass(frozen=True)
class Seating:
    """Who served an order and, for a dine-in order at a table, the party seated there."""

    order_type: OrderType
    server_id: uuid.UUID | None
    party_size: int | None


@dataclass(frozen=True)
class StatsFilter:
    date_from: date
    date_to: date
    location_id: uuid.UUID | None = None


class SaleRepository(TenantRepository[Sale]):
    model = Sale
    sortable = {
        "sold_at": "sold_at",
        "created_at": "created_at",
        "sale_number": "sale_number",
        "total_amount": "total_amount",
        "business_date": "business_date",
    }
    default_sort = "sold_at"
    default_order_desc = True
    searchable = ("sale_number", "customer_name")

    # Reading -------------------------------------------------------------------------------

    async def get_full(self, sale_id: uuid.UUID) -> Sale | None:
        """The sale with its lines and payments, fresh from the database."""
        stmt = (
            self.base_select()
            .where(Sale.id == sale_id)
            .options(selectinload(Sale.lines), selectinload(Sale.payments))
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_for_update(self, sale_id: uuid.UUID) -> Sale | None:
        """Lock the sale row: payments and refunds on one sale run one at a time."""
        stmt = (
            self.base_select()
            .where(Sale.id == sale_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def refunds_of(self, sale_id: uuid.UUID) -> Sequence[Refund]:
        stmt = (
            select(Refund)
            .where(Refund.business_id == self.business_id, Refund.sale_id == sale_id)
            .order_by(Refund.created_at, Refund.id)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def payments_of(self, sale_id: uuid.UUID) -> Sequence[Payment]:
        """The sale's payments in the order they were taken."""
        stmt = (
            select(Payment)
            .where(Payment.business_id == self.business_id, Payment.sale_id == sale_id)
            .order_by(Payment.paid_at, Payment.id)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def payment_for_update(self, sale_id: uuid.UUID, payment_id: uuid.UUID) -> Payment | None:
        stmt = (
            select(Payment)
            .where(
                Payment.business_id == self.business_id,
                Payment.sale_id == sale_id,
                Payment.id == payment_id,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def lines_of(self, sale_id: uuid.UUID) -> Sequence[SaleLine]:
        """The sale's lines in their position order."""
        stmt = (
            select(SaleLine)
            .where(SaleLine.business_id == self.business_id, SaleLine.sale_id == sale_id)
            .order_by(SaleLine.position, SaleLine.id)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def by_external_id(self, source: SaleSource, external_id: str) -> Sale | None:
        """The sale another system already sent with this id, if any."""
        stmt = self.base_select().where(Sale.source == source, Sale.external_id == external_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def lock_external_id(self, source: SaleSource, external_id: str) -> None:
        """Serialize requests carrying the same source and external id until the transaction
        ends, so a concurrent repeat waits, then finds the first one's sale instead of failing
        on the unique constraint (and no sale number is spent on it)."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"sale-external:{self.business_id}:{source}:{external_id}"},
        )

    async def open_sale_for_order(self, order_id: uuid.UUID) -> Sale | None:
        """The sale that already settles (or is settling) this order, if any."""
        stmt = self.base_select().where(
            Sale.order_id == order_id,
            Sale.status.in_((SaleStatus.pending, SaleStatus.completed)),
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def detach_closed_sales_from_order(self, order_id: uuid.UUID) -> Sequence[uuid.UUID]:
        """Unlink cancelled or refunded sales from an order about to get a new sale (one sale
        per order is a unique constraint); returns their ids for the audit log."""
        stmt = (
            update(Sale)
            .where(
                Sale.business_id == self.business_id,
                Sale.order_id == order_id,
                Sale.status.in_((SaleStatus.cancelled, SaleStatus.refunded)),
            )
            .values(order_id=None)
            .returning(Sale.id)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def list(
        self,
        params: ListParams,
        *,
        status: SaleStatus | None = None,
        user_id: uuid.UUID | None = None,
        customer_id: uuid.UUID | None = None,
        location_id: uuid.UUID | None = None,
        order_id: uuid.UUID | None = None,
        source: SaleSource | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> tuple[Sequence[Sale], int]:
        stmt = self.base_select()
        filters: list[Any] = []
        if status is not None:
            filters.append(Sale.status == status)
        if user_id is not None:
            filters.append(Sale.user_id == user_id)
        if customer_id is not None:
            filters.append(Sale.customer_id == customer_id)
        if location_id is not None:
            filters.append(Sale.location_id == location_id)
        if order_id is not None:
            filters.append(Sale.order_id == order_id)
        if source is not None:
            filters.append(Sale.source == source)
        if date_from is not None:
            filters.append(Sale.business_date >= date_from)
        if date_to is not None:
            filters.append(Sale.business_date <= date_to)
        if filters:
            stmt = stmt.where(*filters)
        return await self.paginate(stmt, params)

    # Writing -------------------------------------------------------------------------------

    async def next_sale_number(self) -> int:
        """The business's next sale number. The counter row stays locked until the
        transaction ends, so concurrent sales get distinct, gap-free numbers."""
        stmt = (
            insert(SaleCounter)
            .values(business_id=self.business_id, last_number=1)
            .on_conflict_do_update(
                index_elements=[SaleCounter.business_id],
                set_={"last_number": SaleCounter.last_number + 1},
            )
            .returning(SaleCounter.last_number)
        )
        return int((await self.session.execute(stmt)).scalar_one())

    def add_all(self, rows: Collection[object]) -> None:
        self.session.add_all(rows)

    # Other domains' rows a sale reads ------------------------------------------------------

    async def business(self) -> Business:
        stmt = select(Business).where(Business.id == self.business_id)
        return (await self.session.execute(stmt)).scalar_one()

    def _menu_rows(self) -> Select[MenuItem, str]:
        """The business's menu items with their category's name."""
        return (
            select(MenuItem, MenuCategory.name)
            .outerjoin(
                MenuCategory,
                and_(
                    MenuCategory.id == MenuItem.category_id,
                    MenuCategory.business_id == self.business_id,
                ),
            )
            .where(MenuItem.business_id == self.business_id)
        )

    async def menu_items(self, item_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, MenuRow]:
        """The business's menu items among `item_ids`, active or not, with category names."""
        if not item_ids:
            return {}
        stmt = self._menu_rows().where(MenuItem.id.in_(item_ids))
        rows = (await self.session.execute(stmt)).all()
        return {item.id: MenuRow(item, category) for item, category in rows}

    async def menu_items_by_sku(self, skus: Collection[str]) -> dict[str, MenuRow]:
        """The business's menu items among `skus` (SKUs are unique per business)."""
        if not skus:
            return {}
        stmt = self._menu_rows().where(MenuItem.sku.in_(skus))
        rows = (await self.session.execute(stmt)).all()
        return {item.sku: MenuRow(item, category) for item, category in rows}

    async def seating(self, order_id: uuid.UUID) -> Seating | None:
        """The order's type and server, with the party size of its table right now."""
        stmt = (
            select(Order.order_type, Order.server_id, DiningTable.party_size)
            .outerjoin(
                DiningTable,
                and_(
                    DiningTable.id == Order.table_id,
                    DiningTable.business_id == self.business_id,
                ),
            )
            .where(Order.business_id == self.business_id, Order.id == order_id)
        )
        row = (await self.session.execute(stmt)).one_or_none()
        if row is None:
            return None
        return Seating(row.order_type, row.server_id, row.party_size)

    async def customer(self, customer_id: uuid.UUID) -> Customer | None:
        stmt = select(Customer).where(
            Customer.business_id == self.business_id, Customer.id == customer_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def location(self, location_id: uuid.UUID) -> Location | None:
        stmt = select(Location).where(
            Location.business_id == self.business_id, Location.id == location_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def order_for_update(self, order_id: uuid.UUID) -> Order | None:
        """Lock the order a sale is made from, so two tills cannot both settle it."""
        stmt = (
            select(Order)
            .where(Order.business_id == self.business_id, Order.id == order_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def billable_order_items(self, order_id: uuid.UUID) -> Sequence[OrderItem]:
        """The order's lines that count (not voided), in the order they were added."""
        stmt = (
            select(OrderItem)
            .where(
                OrderItem.business_id == self.business_id,
                OrderItem.order_id == order_id,
                OrderItem.status != OrderItemStatus.voided,
            )
            .order_by(OrderItem.created_at, OrderItem.id)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def quantities_by_item(self, sale_id: uuid.UUID) -> dict[uuid.UUID, int]:
        """How many of each menu item the sale's lines hold (an item may be on several)."""
        stmt = (
            select(SaleLine.menu_item_id, func.sum(SaleLine.quantity))
            .where(
                SaleLine.business_id == self.business_id,
                SaleLine.sale_id == sale_id,
                SaleLine.menu_item_id.is_not(None),
            )
            .group_by(SaleLine.menu_item_id)
        )
        rows = (await self.session.execute(stmt)).all()
        return {item_id: int(quantity) for item_id, quantity in rows if item_id is not None}

    async def stocked_items(self, item_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
        """Names of the items among `item_ids` whose stock is counted."""
        if not item_ids:
            return {}
        stmt = select(MenuItem.id, MenuItem.name).where(
            MenuItem.business_id == self.business_id,
            MenuItem.id.in_(item_ids),
            MenuItem.stock.is_not(None),
        )
        return {row.id: row.name for row in (await self.session.execute(stmt)).all()}

    async def take_stock(self, item_id: uuid.UUID, quantity: int, allow_negative: bool) -> bool:
        """Decrement an item's stock in one statement; False when there is not enough (the
        row lock makes concurrent sales of the last unit see each other's decrement)."""
        stmt = text(
            "UPDATE menu_items SET stock = stock - :qty, updated_at = now()"
            " WHERE id = :id AND business_id = :bid AND stock IS NOT NULL"
            " AND (stock >= :qty OR :allow_negative) RETURNING stock"
        )
        result = await self.session.execute(
            stmt,
            {
                "qty": quantity,
                "id": item_id,
                "bid": self.business_id,
                "allow_negative": allow_negative,
            },
        )
        return result.first() is not None

    # Statistics ----------------------------------------------------------------------------

    def _settled(self, where: StatsFilter) -> Sequence[Any]:
        """Conditions on `Sale`: settled sales in the filter's business days (and location)."""
        conditions: list[Any] = [
            Sale.business_id == self.business_id,
            Sale.status.in_(SETTLED),
            Sale.business_date >= where.date_from,
            Sale.business_date <= where.date_to,
        ]
        if where.location_id is not None:
            conditions.append(Sale.location_id == where.location_id)
        return conditions

    async def sales_totals(self, where: StatsFilter) -> tuple[int, Decimal, Decimal, Decimal]:
        """Count, total, refunded and tips of the settled sales."""
        stmt = select(
            func.count(Sale.id),
            func.coalesce(func.sum(Sale.total_amount), 0),
            func.coalesce(func.sum(Sale.refunded_amount), 0),
            func.coalesce(func.sum(Sale.tip_amount), 0),
        ).where(*self._settled(where))
        count, total, refunded, tips = (await self.session.execute(stmt)).one()
        return int(count), Decimal(total), Decimal(refunded), Decimal(tips)

    async def by_payment_method(
        self, where: StatsFilter
    ) -> Sequence[tuple[PaymentMethod, int, Decimal]]:
        """Per method: the settled sales' payments and what they settled, net of refunds."""
        net = func.coalesce(func.sum(Payment.amount - Payment.refunded_amount), 0)
        stmt = (
            select(Payment.method, func.count(Payment.id), net)
            .join(Sale, and_(Sale.id == Payment.sale_id, Sale.business_id == Payment.business_id))
            .where(Payment.business_id == self.business_id, *self._settled(where))
            .group_by(Payment.method)
            .order_by(net.desc(), Payment.method)
        )
        rows = (await self.session.execute(stmt)).all()
        return [(method, int(count), Decimal(amount)) for method, count, amount in rows]

    async def top_items(
        self, where: StatsFilter, limit: int = 10
    ) -> Sequence[tuple[uuid.UUID, str, int, Decimal]]:
        """The most sold menu items by quantity, with their net revenue."""
        quantity = func.sum(SaleLine.quantity)
        revenue = func.coalesce(func.sum(SaleLine.net_amount), 0)
        name = func.max(SaleLine.name)
        stmt = (
            select(SaleLine.menu_item_id, name, quantity, revenue)
            .join(Sale, and_(Sale.id == SaleLine.sale_id, Sale.business_id == SaleLine.business_id))
            .where(
                SaleLine.business_id == self.business_id,
                SaleLine.menu_item_id.is_not(None),
                *self._settled(where),
            )
            .group_by(SaleLine.menu_item_id)
            .order_by(quantity.desc(), revenue.desc(), name)
            .limit(limit)
        )
        rows = (await self.session.execute(stmt)).all()
        return [
            (item_id, label, int(qty), Decimal(rev))
            for item_id, label, qty, rev in rows
            if item_id is not None
        ]

    async def split_totals(self, where: StatsFilter) -> tuple[int, Decimal, int, Decimal]:
        """Settled sales with two or more payments: their count and total, and the count and
        sum of their payments."""
        per_sale = (
            select(
                Sale.id.label("sale_id"),
                Sale.total_amount.label("total"),
                func.count(Payment.id).label("payments"),
                func.sum(Payment.amount).label("paid"),
            )
            .join(
                Payment, and_(Payment.sale_id == Sale.id, Payment.business_id == Sale.business_id)
            )
            .where(*self._settled(where))
            .group_by(Sale.id, Sale.total_amount)
            .having(func.count(Payment.id) >= 2)
            .subquery()
        )
        stmt = select(
            func.count(per_sale.c.sale_id),
            func.coalesce(func.sum(per_sale.c.total), 0),
            func.coalesce(func.sum(per_sale.c.payments), 0),
            func.coalesce(func.sum(per_sale.c.paid), 0),
        )
        sales, total, payments, paid = (await self.session.execute(stmt)).one()
        return int(sales), Decimal(total), int(payments), Decimal(paid)
