"""Sales: money received for goods, with their lines, payments and refunds."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tableside.db.base import Base, TenantModel
from tableside.models.business import enum_column
from tableside.models.menu import MONEY


class SaleStatus(enum.StrEnum):
    pending = "pending"
    completed = "completed"
    cancelled = "cancelled"
    refunded = "refunded"


class SaleSource(enum.StrEnum):
    pos = "pos"
    import_ = "import"
    webhook = "webhook"


class PaymentMethod(enum.StrEnum):
    cash = "cash"
    card = "card"
    mobile = "mobile"
    gift_card = "gift_card"
    other = "other"


class PaymentStatus(enum.StrEnum):
    completed = "completed"
    partially_refunded = "partially_refunded"
    refunded = "refunded"


class SaleCounter(Base):
    """The last sale number handed out per business; its row lock makes numbers sequential
    and unique under concurrency, and a rolled-back sale gives its number back."""

    __tablename__ = "sale_counters"

    business_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Sale(TenantModel):
    __tablename__ = "sales"
    __table_args__ = (
        UniqueConstraint("business_id", "sale_number"),
        UniqueConstraint("business_id", "order_id"),
        UniqueConstraint("business_id", "source", "external_id"),
    )

    sale_number: Mapped[str] = mapped_column(String(40))
    order_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("orders.id", ondelete="SET NULL")
    )
    location_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("locations.id", ondelete="SET NULL"), index=True
    )
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[SaleSource] = mapped_column(
        enum_column(SaleSource, "sale_source"), default=SaleSource.pos
    )
    external_id: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[SaleStatus] = mapped_column(
        enum_column(SaleStatus, "sale_status"), default=SaleStatus.pending, index=True
    )
    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    customer_phone: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    subtotal: Mapped[Decimal] = mapped_column(MONEY)
    discount_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    tax_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    # Tips ride on payments; this is their sum, kept apart from the total owed for the goods.
    tip_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    total_amount: Mapped[Decimal] = mapped_column(MONEY)
    paid_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    refunded_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    # When the sale happened (a past instant for imported or webhook sales) and its business day.
    sold_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    business_date: Mapped[date] = mapped_column(Date, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    lines: Mapped[list[SaleLine]] = relationship(
        back_populates="sale", order_by="SaleLine.position", lazy="raise"
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="sale", order_by="Payment.paid_at", lazy="raise"
    )


class SaleLine(TenantModel):
    __tablename__ = "sale_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    sale_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("sales.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    order_item_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("order_items.id", ondelete="SET NULL")
    )
    menu_item_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("menu_items.id", ondelete="SET NULL"), index=True
    )
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("menu_categories.id", ondelete="SET NULL")
    )
    name: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str | None] = mapped_column(String(64))
    barcode: Mapped[str | None] = mapped_column(String(64))
    category_name: Mapped[str | None] = mapped_column(String(120))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    unit_cost: Mapped[Decimal | None] = mapped_column(MONEY)
    line_total: Mapped[Decimal] = mapped_column(MONEY)
    # The line's share of the sale's discount, so net per line adds up to the sale's net.
    discount_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    net_amount: Mapped[Decimal] = mapped_column(MONEY)
    notes: Mapped[str | None] = mapped_column(Text)

    sale: Mapped[Sale] = relationship(back_populates="lines", lazy="raise")


class Payment(TenantModel):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded_amount <= amount", name="refund_within_amount"),
    )

    sale_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("sales.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[PaymentMethod] = mapped_column(enum_column(PaymentMethod, "payment_method"))
    # What the payment settles of the sale; cash handed over beyond it is `tendered - amount`,
    # returned as `change_given`.
    amount: Mapped[Decimal] = mapped_column(MONEY)
    tendered_amount: Mapped[Decimal] = mapped_column(MONEY)
    change_given: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    tip_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    refunded_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    status: Mapped[PaymentStatus] = mapped_column(
        enum_column(PaymentStatus, "payment_status"), default=PaymentStatus.completed
    )
    payer_name: Mapped[str | None] = mapped_column(String(200))
    payer_phone: Mapped[str | None] = mapped_column(String(40))
    reference: Mapped[str | None] = mapped_column(String(120))
    received_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    paid_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    sale: Mapped[Sale] = relationship(back_populates="payments", lazy="raise")


class Refund(TenantModel):
    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    sale_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("sales.id", ondelete="CASCADE"), index=True
    )
    payment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(MONEY)
    reason: Mapped[str] = mapped_column(Text)
    refunded_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
