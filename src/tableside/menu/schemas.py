"""Menu models of the API: categories, items, stock, imports and item statistics."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import ROUND_HALF_UP
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    computed_field,
    model_validator,
)

from tableside.kit.money import CENT, HUNDRED
from tableside.kit.schemas import DecimalNumber, Resource, ResponseSchema, Schema, UtcDatetime
from tableside.kit.validators import NotNull

MAX_IMPORT_ROWS = 10_000
DEFAULT_STATION = "kitchen"
STATION_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
BARCODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


def _cents(value: DecimalNumber) -> DecimalNumber:
    """Every amount is stored with two places: `12.5` and `12.50` are the same price (and a
    negative zero becomes zero)."""
    return (value + 0).quantize(CENT)


def _lower_stripped(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


Money = Annotated[
    DecimalNumber,
    Field(ge=0, max_digits=12, decimal_places=2, description="At most two decimal places"),
    AfterValidator(_cents),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
CategoryName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
]
Description = Annotated[str, StringConstraints(max_length=5000)]
Sku = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=SKU_PATTERN),
    Field(description="Letters, digits and . _ / -; generated (e.g. PIZ-0001) when absent"),
]
Barcode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=BARCODE_PATTERN),
    Field(description="Generated (an in-store EAN-13 starting with 2) when absent"),
]
Stock = Annotated[int, Field(ge=0, le=2_000_000_000)]
Station = Annotated[
    str,
    BeforeValidator(_lower_stripped),
    StringConstraints(min_length=1, max_length=40, pattern=STATION_PATTERN),
    Field(description="Kitchen display station, a lowercase slug: grill, bar, pizza, kitchen"),
]


# ---------------------------------------------------------------------------------------------
# Categories


class Category(Resource):
    name: str
    description: str | None
    sort_order: int
    is_active: bool
    item_count: int = Field(default=0, description="Active items in the category")


class CategoryCreate(Schema):
    name: CategoryName
    description: Description | None = None
    sort_order: int = Field(default=0, ge=-1_000_000, le=1_000_000)
    is_active: bool = True


class CategoryUpdate(Schema):
    name: Annotated[CategoryName | None, NotNull] = None
    description: Description | None = None
    sort_order: Annotated[int | None, NotNull, Field(ge=-1_000_000, le=1_000_000)] = None
    is_active: Annotated[bool | None, NotNull] = None


# ---------------------------------------------------------------------------------------------
# Items


class Item(Resource):
    name: str
    description: str | None
    price: DecimalNumber
    cost: DecimalNumber | None
    category_id: uuid.UUID | None
    category_name: str | None = None
    sku: str
    barcode: str
    stock: int | None = Field(description="Units on hand; null for made-to-order items")
    station: str | None = Field(description="Kitchen station; null: handed over at the counter")
    is_active: bool

    @computed_field  # type: ignore[prop-decorator]
    @property
    def margin(self) -> DecimalNumber | None:
        """Price minus cost; null without a cost."""
        return None if self.cost is None else self.price - self.cost

    @computed_field  # type: ignore[prop-decorator]
    @property
    def margin_percent(self) -> DecimalNumber | None:
        """Margin as a percent of the price, half up to two places; null without a cost or
        when the price is zero."""
        if self.cost is None or self.price == 0:
            return None
        percent = (self.price - self.cost) / self.price * HUNDRED
        return percent.quantize(CENT, rounding=ROUND_HALF_UP)

    @classmethod
    def of(cls, item: object, category_name: str | None) -> Item:
        """The response for an ORM item and the name of its category."""
        return cls.model_validate(item).model_copy(update={"category_name": category_name})


class ItemCreate(Schema):
    name: Name
    description: Description | None = None
    price: Money
    cost: Money | None = None
    category_id: uuid.UUID | None = None
    sku: Sku | None = None
    barcode: Barcode | None = None
    stock: Stock | None = Field(default=None, description="Omit for made-to-order items")
    station: Station | None = Field(
        default=DEFAULT_STATION, description="null: handed over at the counter, no kitchen ticket"
    )
    is_active: bool = True


class ItemUpdate(Schema):
    """Only the fields sent change. `sku` and `barcode` may be replaced but not removed."""

    name: Annotated[Name | None, NotNull] = None
    description: Description | None = None
    price: Annotated[Money | None, NotNull] = None
    cost: Money | None = None
    category_id: uuid.UUID | None = None
    sku: Annotated[Sku | None, NotNull] = None
    barcode: Annotated[Barcode | None, NotNull] = None
    stock: Stock | None = None
    station: Station | None = None
    is_active: Annotated[bool | None, NotNull] = None


class StockUpdate(Schema):
    """Exactly one of `stock` (set the count; null: stop counting) and `adjust_by` (add or
    remove units atomically)."""

    stock: Stock | None = None
    adjust_by: int | None = Field(
        default=None, ge=-1_000_000, le=1_000_000, description="Units to add (negative: remove)"
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> StockUpdate:
        sent = self.model_fields_set & {"stock", "adjust_by"}
        if len(sent) != 1:
            raise ValueError("send exactly one of `stock` and `adjust_by`")
        if "adjust_by" in sent and not self.adjust_by:
            raise ValueError("`adjust_by` must be a non-zero integer")
        return self


# ---------------------------------------------------------------------------------------------
# Item detail


class DailySales(ResponseSchema):
    date: date
    quantity: int
    revenue: DecimalNumber


class Sales30d(ResponseSchema):
    start_date: date = Field(description="First business day of the window")
    end_date: date = Field(description="Today's business day in the business's time zone")
    quantity: int
    revenue: DecimalNumber = Field(description="Sum of the lines' net amounts (after discounts)")
    cost: DecimalNumber | None = Field(
        description="Sum of unit cost times quantity; null if never known"
    )
    gross_margin: DecimalNumber | None
    order_count: int = Field(description="Distinct completed sales with the item")
    average_daily_quantity: DecimalNumber
    last_sold_at: UtcDatetime | None = Field(
        description="Latest completed sale of the item, also before the window"
    )
    daily: list[DailySales]


class ItemDetail(Item):
    sales_30d: Sales30d


# ---------------------------------------------------------------------------------------------
# Imports


class ImportRow(Schema):
    """One row of a bulk or CSV import. `category` is a name (created when missing);
    `category_id` must be one of the business's categories. A row whose `sku` matches an
    existing item updates that item."""

    name: Name
    price: Money
    cost: Money | None = None
    description: Description | None = None
    category: CategoryName | None = None
    category_id: uuid.UUID | None = None
    sku: Sku | None = None
    barcode: Barcode | None = None
    stock: Stock | None = None
    station: Station | None = DEFAULT_STATION
    is_active: bool = True


class BulkImportRequest(Schema):
    items: list[Any] = Field(
        min_length=1,
        max_length=MAX_IMPORT_ROWS,
        description=f"Up to {MAX_IMPORT_ROWS} rows, each like ImportRow",
    )
    dry_run: bool = Field(default=False, description="Validate and report without writing")


class RowError(ResponseSchema):
    field: str | None
    message: str


class RowResult(ResponseSchema):
    row: int = Field(description="1-based data row; in a CSV, the line number minus one")
    status: Literal["created", "updated", "failed"]
    item_id: uuid.UUID | None = None
    sku: str | None = None
    errors: list[RowError] = Field(default_factory=list)


class ImportSummary(ResponseSchema):
    total: int
    created: int
    updated: int
    failed: int


class ImportReport(ResponseSchema):
    dry_run: bool
    summary: ImportSummary
    results: list[RowResult]
