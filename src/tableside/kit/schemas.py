"""The one schema base every request and response model derives from."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer


def _utc_iso(value: datetime) -> str:
    """Instants go out as ISO 8601 in UTC with a `Z` (API.md)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


UtcDatetime = Annotated[datetime, PlainSerializer(_utc_iso, return_type=str, when_used="json")]


def _json_number(value: Decimal) -> float:
    """Exact decimals leave as JSON numbers (API.md). Amounts are NUMERIC(12, 2) or narrower,
    well inside the 15 significant digits a double carries, so the shortest float repr prints
    the same digits: 28.19 stays 28.19 (a trailing zero is dropped: 28.10 prints 28.1)."""
    return float(value)


# Money, rates and quantities: `Decimal` in code, a JSON number on the wire. Input accepts a
# JSON number or a numeric string; either is parsed exactly (never through binary floats).
DecimalNumber = Annotated[
    Decimal, PlainSerializer(_json_number, return_type=float, when_used="json")
]


class Schema(BaseModel):
    """Base of every API model: snake_case fields, built from ORM objects, strict about extras."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True, extra="forbid")


class ResponseSchema(Schema):
    model_config = ConfigDict(from_attributes=True, extra="ignore")


class Resource(ResponseSchema):
    """A stored resource: id and timestamps."""

    id: uuid.UUID
    created_at: UtcDatetime
    updated_at: UtcDatetime


def utcnow() -> datetime:
    return datetime.now(UTC)
