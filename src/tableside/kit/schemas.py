"""The schema bases every request and response model derives from."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer, field_validator


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


# Why a text holding a NUL is refused, in a body field or a query or path parameter alike.
NUL_MESSAGE = "must not contain a NUL character"


def _holds_nul(value: object) -> bool:
    """Whether a text value, or a text item or key of a list or mapping, holds a NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list | tuple | set | frozenset):
        return any(isinstance(item, str) and "\x00" in item for item in value)
    return False


class Schema(BaseModel):
    """Base of every request model: snake_case fields, built from ORM objects, strict about
    extras, and no NUL character in text (PostgreSQL text cannot hold one: the write or the
    lookup would fail as a 500 instead of naming the field)."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True, extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def reject_nul_characters(cls, value: object) -> object:
        if _holds_nul(value):
            raise ValueError(NUL_MESSAGE)
        return value


class ResponseSchema(BaseModel):
    """Base of every response model: built from ORM objects or dicts, ignoring what it does
    not name. (Not a `Schema`: what it reads was stored, so it holds no NUL to refuse.)"""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True, extra="ignore")


class Resource(ResponseSchema):
    """A stored resource: id and timestamps."""

    id: uuid.UUID
    created_at: UtcDatetime
    updated_at: UtcDatetime


def utcnow() -> datetime:
    return datetime.now(UTC)
