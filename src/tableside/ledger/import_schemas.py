"""Request and response models of sales ingestion (`/api/v1/sales/bulk`, `/sales/import`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, field_validator

from tableside.kit.schemas import DecimalNumber, ResponseSchema, Schema

MAX_BULK_LINES = 100_000


class OnOverlap(StrEnum):
    """What a daily-totals file does with business dates (per location and category) that
    already hold totals from an earlier daily import."""

    reject = "reject"  # refuse the file (409 IMPORT_OVERLAP), write nothing
    add = "add"  # keep both: the day's totals add up
    # take the earlier totals of those keys out, put the new ones in (`replace` is a str
    # method: the member is named like `SaleSource.import_`)
    replace_ = "replace"


class SaleLineIn(Schema):
    """One line of a bulk request (documentation of `lines[]`; lines are checked one by one so
    a bad line is reported with its index instead of failing the whole body)."""

    sold_at: datetime | None = Field(
        default=None,
        description="When it was sold: ISO 8601 with Z or an offset (without one, the"
        " location's local time)",
    )
    date: Annotated[
        str | None,
        Field(description="Instead of sold_at: the business date (YYYY-MM-DD) it belongs to"),
    ] = None
    menu_item_id: str | None = Field(default=None, description="The item's id (or give sku)")
    sku: str | None = Field(default=None, description="The item's SKU (or give menu_item_id)")
    quantity: DecimalNumber = Field(description="Units; negative (with amount) for a refund")
    amount: DecimalNumber = Field(
        description="The line's net amount as the source charged it (at most 2 decimals)"
    )
    location_id: str | None = Field(default=None, description="Where it was sold")
    covers: int | None = Field(default=None, ge=0, description="Guests served by the sale")
    transaction_id: str | None = Field(
        default=None,
        description="Lines sharing it form one sale (counted once); without it each line"
        " is a sale of its own",
    )


class BulkSalesRequest(Schema):
    """Sale lines that happened elsewhere (another till, a delivery platform, a back-fill)."""

    batch_id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=200,
            description="The sender's id for this batch: sending it again adds nothing",
        ),
    ]
    lines: Annotated[
        list[Any],
        Field(
            min_length=1,
            max_length=MAX_BULK_LINES,
            description=f"Up to {MAX_BULK_LINES:,} lines, each shaped like SaleLineIn",
            json_schema_extra={"items": SaleLineIn.model_json_schema()},
        ),
    ]

    @field_validator("batch_id")
    @classmethod
    def _storable(cls, value: str) -> str:
        # A NUL is refused by the schema base (the duplicate lookup itself would fail).
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class LineError(ResponseSchema):
    """Why one line was refused: its CSV line number (files) or its index (bulk)."""

    line: int | None = None
    index: int | None = None
    field: str
    message: str


class SalesImportReport(ResponseSchema):
    """What an ingestion wrote. A repeated batch id or file answers `duplicate: true` with the
    first ingestion's counts (lines written and skipped; the skipped lines are not listed
    again) and writes nothing."""

    batch_id: str = Field(description="The sender's batch id (bulk) or the batch's id (files)")
    import_id: uuid.UUID | None = Field(
        default=None,
        description="The import in the history: GET or DELETE /api/v1/sales/imports/{import_id} "
        "(null when every line was skipped, so nothing was recorded)",
    )
    kind: str = Field(description="bulk, csv_lines or csv_daily")
    duplicate: bool = False
    lines_written: int
    lines_skipped: int = Field(default=0, description="Invalid lines left out (skip_invalid)")
    error_count: int = 0
    errors: list[LineError] = Field(
        default_factory=list, description="The first 1,000 invalid lines, in order"
    )
    net_amount: DecimalNumber
    first_date: date | None = None
    last_date: date | None = None
    lines_replaced: int = Field(
        default=0,
        description="Daily files with on_overlap=replace: earlier daily lines taken out",
    )
    signals_written: int = Field(
        default=0,
        description="Daily files: days (per location) whose marketing spend or holiday flag "
        "was set",
    )
    filename: str | None = None
