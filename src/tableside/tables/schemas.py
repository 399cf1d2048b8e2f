"""Dining-table models of the API."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import Field, field_validator

from tableside.kit.schemas import Resource, Schema, UtcDatetime
from tableside.models import DiningTable, TableStatus

TableNumber = Annotated[str, Field(min_length=1, max_length=20)]
Capacity = Annotated[int, Field(gt=0, le=100, description="Seats, 1 to 100")]
Section = Annotated[str, Field(min_length=1, max_length=80)]
Notes = Annotated[str, Field(max_length=4000)]

# A new table starts empty: it becomes occupied by seating a party or opening an order, and
# only a table that has been used needs cleaning.
CREATABLE_STATUSES = (TableStatus.available, TableStatus.reserved, TableStatus.out_of_service)


def _stripped(value: Any) -> Any:
    """Trim surrounding spaces; a blank name is no name."""
    if type(value) is str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
    return value


class Table(Resource):
    table_number: str
    capacity: int
    section: str
    location_id: uuid.UUID | None
    status: TableStatus
    party_size: int | None
    server_id: uuid.UUID | None
    server_name: str | None = Field(description="Full name of the assigned server")
    seated_at: UtcDatetime | None
    notes: str | None
    is_active: bool
    open_order_ids: list[uuid.UUID] = Field(
        description="Orders still open on the table (pending, preparing or ready)"
    )

    @classmethod
    def build(
        cls, table: DiningTable, server_name: str | None, open_order_ids: list[uuid.UUID]
    ) -> Table:
        """The response for a table, with what the service looked up around it."""
        data = {
            name: getattr(table, name)
            for name in cls.model_fields
            if name not in ("server_name", "open_order_ids")
        }
        return cls.model_validate(
            {**data, "server_name": server_name, "open_order_ids": open_order_ids}
        )


class TableCreate(Schema):
    table_number: TableNumber
    capacity: Capacity
    section: Section = "Main Floor"
    location_id: uuid.UUID | None = None
    status: TableStatus = Field(
        default=TableStatus.available, description="available, reserved or out_of_service"
    )
    notes: Notes | None = None

    @field_validator("table_number", "section")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        result: str = _stripped(value)
        return result

    @field_validator("status")
    @classmethod
    def _creatable(cls, value: TableStatus) -> TableStatus:
        if value not in CREATABLE_STATUSES:
            raise ValueError(
                f"a new table can only be {', '.join(s.value for s in CREATABLE_STATUSES)}"
            )
        return value


class TableUpdate(Schema):
    """Layout changes; only the fields sent change. `status` follows the legal transitions."""

    table_number: TableNumber | None = None
    capacity: Capacity | None = None
    section: Section | None = None
    location_id: uuid.UUID | None = None
    status: TableStatus | None = None
    notes: Notes | None = None
    is_active: bool | None = Field(default=None, description="true restores a deleted table")

    @field_validator("table_number", "capacity", "section", "status", "is_active")
    @classmethod
    def _required_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value

    @field_validator("table_number", "section")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        result: str | None = _stripped(value)
        return result


class TableStatusChange(Schema):
    status: TableStatus


class SeatParty(Schema):
    party_size: Annotated[int, Field(ge=1, le=100)]
    server_id: uuid.UUID | None = None
    notes: Notes | None = Field(default=None, description="Replaces the table's notes when sent")


class AssignServer(Schema):
    server_id: uuid.UUID


class ClearTable(Schema):
    to_cleaning: bool = Field(
        default=False, description="Send the table to cleaning instead of making it available"
    )
