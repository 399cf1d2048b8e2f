"""The sales ledger: one row per sold (or refunded) line, whatever its origin, and the rollups
every query reads. Rollups are derived data, kept exact in the same transaction as the lines."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
    Uuid,
    func,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from tableside.db.base import Base, TenantModel
from tableside.models.business import enum_column
from tableside.models.sale import SaleSource

QUANTITY = Numeric(14, 3)
AMOUNT = Numeric(14, 2)
# Rollup keys cannot be NULL; "no location" and "no item" (a daily revenue import) use this.
NO_KEY = uuid.UUID(int=0)
_NO_KEY_SQL = f"'{NO_KEY}'"


def _category_key() -> Mapped[uuid.UUID]:
    # Lines without an item (a daily import's row per category) are told apart by their
    # category: its id, NO_KEY when none. Item lines always have NO_KEY here, whatever their
    # category (an item's row keeps `category_id` as an attribute), so an item is one row.
    return mapped_column(Uuid, primary_key=True, default=NO_KEY, server_default=_NO_KEY_SQL)


# The rollups' money and quantities also as exact integers, computed by PostgreSQL on every
# write: the read side sums and sends them as bigints, where converting tens of thousands of
# numerics per request cost more than reading them (a year by day and item: 28 -> 16 ms).
def _net_cents() -> Mapped[int]:
    return mapped_column(BigInteger, Computed("(net_amount * 100)::bigint", persisted=True))


def _quantity_thousandths() -> Mapped[int]:
    return mapped_column(BigInteger, Computed("(quantity * 1000)::bigint", persisted=True))


def _costed_revenue() -> Mapped[Decimal]:
    # The part of `net_amount` from lines that carry a cost (`cost` counts a missing cost as
    # 0): a margin is `costed_revenue - cost`, never revenue that has no cost against it.
    return mapped_column(AMOUNT, default=Decimal("0"), server_default="0")


class LedgerBatch(TenantModel):
    """One ingestion (a bulk request, a CSV upload, a CLI import): what makes re-sending the
    same batch id or the same file a no-op."""

    __tablename__ = "ledger_batches"
    __table_args__ = (
        UniqueConstraint("business_id", "source", "external_id"),
        UniqueConstraint("business_id", "content_hash"),
    )

    source: Mapped[SaleSource] = mapped_column(enum_column(SaleSource, "sale_source"))
    kind: Mapped[str] = mapped_column(String(40))  # bulk, csv_daily, csv_lines, demo
    external_id: Mapped[str | None] = mapped_column(String(200))  # the client's batch_id
    content_hash: Mapped[str | None] = mapped_column(String(64))  # sha256 of an uploaded file
    # sha256 of what the batch held (a bulk request's lines, a file's bytes): the same batch id
    # sent again with anything else is a conflict, not a duplicate.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(300))
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    # Invalid lines left out (skip_invalid): a repeat of the batch reports them too, since
    # this batch id or file will never bring them in.
    lines_skipped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    net_amount: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal("0"))
    first_date: Mapped[date | None] = mapped_column(Date)
    last_date: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )


class LedgerLine(Base):
    """A sale line as the forecasting, inventory and labor engines see it.

    `business_date` and `hour_start` (the UTC instant at which the sale's local hour began)
    are fixed when the line is written, in the business's (or location's) time zone and
    day-cutoff. `transactions` is 1 on one line of each sale and 0 on the others, so a sum
    counts sales; refunds write negative quantity and amount with 0 transactions.
    """

    __tablename__ = "sales_ledger"
    __table_args__ = (
        Index("ix_sales_ledger_business_id_sold_at_id", "business_id", "sold_at", "id"),
    )

    # A bigint identity keeps the table lean for bulk COPY and gives cursors a total order.
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    business_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("businesses.id", ondelete="CASCADE")
    )
    location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    business_date: Mapped[date] = mapped_column(Date)
    sold_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    hour_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    local_hour: Mapped[int] = mapped_column(SmallInteger)
    menu_item_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    category_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    net_amount: Mapped[Decimal] = mapped_column(AMOUNT)
    cost: Mapped[Decimal | None] = mapped_column(AMOUNT)
    covers: Mapped[int] = mapped_column(Integer, default=0)
    transactions: Mapped[int] = mapped_column(SmallInteger, default=0)
    source: Mapped[SaleSource] = mapped_column(enum_column(SaleSource, "sale_source"))
    sale_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    server_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class DailyItemRollup(Base):
    """Per business date, location and item (and, for lines without an item, category): what
    was sold. `line_count` counts the sales that contained the item (net of refunded sales'
    lines, which count -0); `costed_revenue` is the revenue of the lines whose cost is known
    (history imported before the item had a cost has none)."""

    __tablename__ = "sales_daily_item_rollups"
    # Reads by date range per item (series, top items) run as index-only scans in this order.
    __table_args__ = (
        Index(
            "ix_sales_daily_item_rollups_business_date_item",
            "business_id",
            "business_date",
            "item_key",
            postgresql_include=[
                "location_key", "category_id", "quantity", "net_amount", "cost", "line_count",
                "net_cents", "quantity_thousandths", "costed_revenue",
            ],
        ),
    )  # fmt: skip

    business_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    location_key: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    item_key: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    category_key: Mapped[uuid.UUID] = _category_key()
    category_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY, default=Decimal("0"))
    net_amount: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal("0"))
    cost: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal("0"))
    line_count: Mapped[int] = mapped_column(BigInteger, default=0)
    net_cents: Mapped[int] = _net_cents()
    quantity_thousandths: Mapped[int] = _quantity_thousandths()
    costed_revenue: Mapped[Decimal] = _costed_revenue()


class DailyItemTotal(Base):
    """Per business date and item (and category, for lines without an item), all locations
    together: the daily item rollup summed over locations, kept in the same transactions.
    Business-wide item series and rankings read it, a third of the rows of the per-location
    rollup for a business with three sites."""

    __tablename__ = "sales_daily_item_totals"
    __table_args__ = (
        Index(
            "ix_sales_daily_item_totals_covering",
            "business_id",
            "business_date",
            "item_key",
            postgresql_include=[
                "category_id",
                "quantity",
                "net_amount",
                "cost",
                "line_count",
                "net_cents",
                "quantity_thousandths",
                "costed_revenue",
            ],
        ),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    item_key: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    category_key: Mapped[uuid.UUID] = _category_key()
    category_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY, default=Decimal("0"))
    net_amount: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal("0"))
    cost: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal("0"))
    line_count: Mapped[int] = mapped_column(BigInteger, default=0)
    net_cents: Mapped[int] = _net_cents()
    quantity_thousandths: Mapped[int] = _quantity_thousandths()
    costed_revenue: Mapped[Decimal] = _costed_revenue()


def daily_items_table(location_id: uuid.UUID | None) -> type[DailyItemRollup | DailyItemTotal]:
    """Where per-day item figures are read: one location's rollup, or the business-wide
    totals when no location is asked for (a row per date and item, whatever the locations)."""
    return DailyItemRollup if location_id is not None else DailyItemTotal


def counted_revenue(revenue: Any, transactions: Any) -> ColumnElement[Any]:
    """SQL aggregate: the sum of `revenue` over the location-days (rows of summed `revenue`
    and `transactions`) that count towards an average ticket, 0 without any. A day counts
    when it recorded sales, or has no revenue to explain: a day with revenue and no sales is
    daily totals imported without a `transactions` column, and dividing that revenue by other
    days' sales would show an average no ticket had. A day of refunds only still lowers the
    average."""
    return func.coalesce(func.sum(revenue).filter(or_(transactions > 0, revenue <= 0)), 0)


class HourlyRollup(Base):
    """Per local hour (keyed by its UTC start, so a repeated hour on a fall-back day stays
    two rows) and location: revenue, units, sales and covers."""

    __tablename__ = "sales_hourly_rollups"
    # Reads by business-date range of one business, index-only.
    __table_args__ = (
        Index(
            "ix_sales_hourly_rollups_business_id_business_date",
            "business_id",
            "business_date",
            postgresql_include=[
                "hour_start", "location_key", "local_hour", "quantity", "net_amount",
                "transactions", "covers", "net_cents", "quantity_thousandths",
            ],
        ),
    )  # fmt: skip

    business_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    hour_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    location_key: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    business_date: Mapped[date] = mapped_column(Date, index=True)
    local_hour: Mapped[int] = mapped_column(SmallInteger)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY, default=Decimal("0"))
    net_amount: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal("0"))
    cost: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal("0"))
    transactions: Mapped[int] = mapped_column(BigInteger, default=0)
    covers: Mapped[int] = mapped_column(BigInteger, default=0)
    net_cents: Mapped[int] = _net_cents()
    quantity_thousandths: Mapped[int] = _quantity_thousandths()


class DailySignal(TenantModel):
    """Per business date and location, what a daily import said besides sales: marketing
    spend and whether it was a holiday (forecasting features)."""

    __tablename__ = "sales_daily_signals"
    __table_args__ = (UniqueConstraint("business_id", "location_key", "business_date"),)

    location_key: Mapped[uuid.UUID] = mapped_column(Uuid)
    business_date: Mapped[date] = mapped_column(Date)
    marketing_spend: Mapped[Decimal | None] = mapped_column(AMOUNT)
    is_holiday: Mapped[bool | None] = mapped_column(Boolean)
    product_category: Mapped[str | None] = mapped_column(String(120))
