"""A business (the tenant) and its locations."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Enum, Numeric, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tableside.db.base import Model, TenantModel


class BusinessType(enum.StrEnum):
    restaurant = "restaurant"
    cafe = "cafe"
    bar = "bar"
    bakery = "bakery"
    food_truck = "food_truck"
    catering = "catering"
    retail = "retail"
    other = "other"


class LocationType(enum.StrEnum):
    restaurant = "restaurant"
    central_kitchen = "central_kitchen"
    warehouse = "warehouse"


def enum_column(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A PostgreSQL-native enum stored by value."""
    return Enum(enum_cls, name=name, values_callable=lambda e: [m.value for m in e])


class Business(Model):
    __tablename__ = "businesses"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    type: Mapped[BusinessType] = mapped_column(
        enum_column(BusinessType, "business_type"), default=BusinessType.restaurant
    )
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    day_cutoff_hour: Mapped[int] = mapped_column(SmallInteger, default=4)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # Sell counted goods past zero (stock goes negative) instead of refusing the sale.
    allow_negative_stock: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Location(TenantModel):
    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("business_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[LocationType] = mapped_column(
        enum_column(LocationType, "location_type"), default=LocationType.restaurant
    )
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(40))
    timezone: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
