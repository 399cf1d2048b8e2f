"""The menu: categories and the items a business sells."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from tableside.db.base import TenantModel

MONEY = Numeric(12, 2)


class MenuCategory(TenantModel):
    __tablename__ = "menu_categories"
    __table_args__ = (UniqueConstraint("business_id", "name"),)

    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class MenuItem(TenantModel):
    """Something on the menu. `stock` is counted only for goods sold as they are (a bottle,
    a bag of coffee); made-to-order dishes have none and never run out here. `station` routes
    the item to a kitchen display; an item without a station is handed over at the counter."""

    __tablename__ = "menu_items"
    __table_args__ = (
        UniqueConstraint("business_id", "sku"),
        UniqueConstraint("business_id", "barcode"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("cost IS NULL OR cost >= 0", name="cost_not_negative"),
    )

    category_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("menu_categories.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal] = mapped_column(MONEY)
    cost: Mapped[Decimal | None] = mapped_column(MONEY)
    sku: Mapped[str] = mapped_column(String(64))
    barcode: Mapped[str] = mapped_column(String(64))
    stock: Mapped[int | None] = mapped_column(Integer)
    # No model default: an explicit None (counter item) must stay None; the API defaults it.
    station: Mapped[str | None] = mapped_column(String(40))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
