"""Orders and their lines: what a guest asked for, line by line."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tableside.db.base import Base, TenantModel
from tableside.models.business import enum_column
from tableside.models.menu import MONEY


class OrderType(enum.StrEnum):
    dine_in = "dine_in"
    takeaway = "takeaway"
    delivery = "delivery"


class OrderStatus(enum.StrEnum):
    pending = "pending"
    preparing = "preparing"
    ready = "ready"
    completed = "completed"
    cancelled = "cancelled"


class OrderItemStatus(enum.StrEnum):
    """A line's own progress: `pending` until sent, then the kitchen's statuses."""

    pending = "pending"
    preparing = "preparing"
    ready = "ready"
    served = "served"
    voided = "voided"


class OrderCounter(Base):
    """The last order number handed out per business and business day (sequential, no race)."""

    __tablename__ = "order_counters"

    business_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Order(TenantModel):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("business_id", "order_number"),
        UniqueConstraint("business_id", "business_date", "sequence_number"),
        CheckConstraint("discount_amount >= 0", name="discount_not_negative"),
        CheckConstraint("tip_amount >= 0", name="tip_not_negative"),
    )

    order_number: Mapped[str] = mapped_column(String(32))
    business_date: Mapped[date] = mapped_column(Date, index=True)
    sequence_number: Mapped[int] = mapped_column(Integer)
    location_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="SET NULL"), index=True
    )
    order_type: Mapped[OrderType] = mapped_column(enum_column(OrderType, "order_type"))
    status: Mapped[OrderStatus] = mapped_column(
        enum_column(OrderStatus, "order_status"), default=OrderStatus.pending, index=True
    )
    table_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("dining_tables.id", ondelete="SET NULL"), index=True
    )
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    server_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    notes: Mapped[str | None] = mapped_column(Text)
    # Money, recomputed by the server from the lines on every change (never sent by clients).
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    subtotal: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    discount_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    discount_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    tax_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    tip_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    total_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", order_by="OrderItem.created_at", lazy="raise"
    )


class OrderItem(TenantModel):
    """One line. Name, SKU, station, price and cost are copied from the menu when the line is
    added, so a later menu change never rewrites an open or past order."""

    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    order_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    menu_item_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("menu_items.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str | None] = mapped_column(String(64))
    station: Mapped[str | None] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    unit_cost: Mapped[Decimal | None] = mapped_column(MONEY)
    line_total: Mapped[Decimal] = mapped_column(MONEY)
    notes: Mapped[str | None] = mapped_column(Text)
    modifiers: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    status: Mapped[OrderItemStatus] = mapped_column(
        enum_column(OrderItemStatus, "order_item_status"), default=OrderItemStatus.pending
    )
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("kitchen_tickets.id", ondelete="SET NULL"), index=True
    )
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    added_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    void_reason: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship(back_populates="items", lazy="raise")
