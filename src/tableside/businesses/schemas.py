"""Business and location models of the API."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

from tableside.kit.schemas import DecimalNumber, Resource, Schema
from tableside.kit.validators import SLUG_PATTERN, NotNull, validate_currency, validate_timezone
from tableside.models import BusinessType, LocationType

TimeZone = Annotated[str, AfterValidator(validate_timezone)]
# Trimmed as menu names are: imports match a location by its name as a trimmed cell, so
# 'Harbour ' saved with a stray space would be a name no file could write.
LocationName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
Currency = Annotated[str, AfterValidator(validate_currency)]
TaxRate = Annotated[
    DecimalNumber,
    Field(ge=0, le=100, max_digits=6, decimal_places=3, description="Percent, e.g. 8.875"),
]
CutoffHour = Annotated[
    int,
    Field(ge=0, le=23, description="Local hour at which the business day ends (0 = midnight)"),
]


class Business(Resource):
    name: str
    slug: str
    type: BusinessType
    tax_rate: DecimalNumber
    currency: str
    timezone: str
    day_cutoff_hour: int
    email: str | None
    phone: str | None
    address: str | None
    is_active: bool
    allow_negative_stock: bool


class BusinessUpdate(Schema):
    # Absent means unchanged; these settings have no "none" (every sale and report reads
    # them), so an explicit null is refused by name instead of reaching the database.
    name: Annotated[Annotated[str, Field(min_length=1, max_length=200)] | None, NotNull] = None
    slug: Annotated[
        Annotated[str, Field(pattern=SLUG_PATTERN, min_length=2, max_length=80)] | None, NotNull
    ] = None
    type: Annotated[BusinessType | None, NotNull] = None
    tax_rate: Annotated[TaxRate | None, NotNull] = None
    currency: Annotated[Currency | None, NotNull] = Field(
        default=None,
        description="ISO 4217 code. Amounts are kept to two decimals, so currencies counted "
        "in thousandths (BHD, IQD, JOD, KWD, LYD, OMR, TND) are refused",
    )
    timezone: Annotated[TimeZone | None, NotNull] = None
    day_cutoff_hour: Annotated[CutoffHour | None, NotNull] = None
    email: EmailStr | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    address: Annotated[str, Field(max_length=1000)] | None = None
    allow_negative_stock: Annotated[bool | None, NotNull] = Field(
        default=None,
        description="Sell counted goods (menu items with `stock`) past zero instead of refusing",
    )


class Location(Resource):
    name: str
    type: LocationType
    address: str | None
    phone: str | None
    timezone: str | None
    is_active: bool


class LocationCreate(Schema):
    name: LocationName
    type: LocationType = LocationType.restaurant
    address: Annotated[str, Field(max_length=1000)] | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    timezone: TimeZone | None = Field(
        default=None, description="Only when it differs from the business's time zone"
    )


class LocationUpdate(Schema):
    name: Annotated[LocationName | None, NotNull] = None
    type: Annotated[LocationType | None, NotNull] = None
    address: Annotated[str, Field(max_length=1000)] | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    timezone: TimeZone | None = None
    is_active: Annotated[bool | None, NotNull] = None
