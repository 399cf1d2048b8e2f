"""Customer models of the API, and the compact order summary used by order histories."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import EmailStr, Field, field_validator

from tableside.kit.schemas import DecimalNumber, Resource, ResponseSchema, Schema, UtcDatetime
from tableside.models import OrderStatus, OrderType

Name = Annotated[str, Field(min_length=1, max_length=200)]
Phone = Annotated[str, Field(max_length=40)]
Address = Annotated[str, Field(max_length=1000)]
Region = Annotated[str, Field(max_length=120)]
ZipCode = Annotated[str, Field(max_length=20)]
Notes = Annotated[str, Field(max_length=4000)]


class OrderSummary(ResponseSchema):
    """One order in a history list (a customer's or a table's)."""

    id: uuid.UUID
    order_number: str
    order_type: OrderType
    status: OrderStatus
    total_amount: DecimalNumber
    created_at: UtcDatetime
    completed_at: UtcDatetime | None


class Customer(Resource):
    name: str
    email: str | None
    phone: str | None
    address: str | None
    city: str | None
    state: str | None
    zip_code: str | None
    notes: str | None
    is_active: bool


class CustomerSummary(ResponseSchema):
    """What the customer has ordered so far."""

    order_count: int = Field(description="Orders of any status")
    completed_order_count: int
    total_spent: DecimalNumber = Field(description="Sum of the totals of completed orders")
    last_order_at: UtcDatetime | None


class CustomerDetail(Customer):
    """A customer with the summary of their orders."""

    summary: CustomerSummary


class CustomerCreate(Schema):
    name: Name
    email: EmailStr | None = Field(
        default=None, description="Unique per business; stored lowercase"
    )
    phone: Phone | None = None
    address: Address | None = None
    city: Region | None = None
    state: Region | None = None
    zip_code: ZipCode | None = None
    notes: Notes | None = None

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value


class CustomerUpdate(Schema):
    """Only the fields sent change; `null` clears an optional field."""

    name: Name | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    address: Address | None = None
    city: Region | None = None
    state: Region | None = None
    zip_code: ZipCode | None = None
    notes: Notes | None = None
    is_active: bool | None = Field(default=None, description="true restores a deleted customer")

    @field_validator("name", "is_active")
    @classmethod
    def _required_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        if isinstance(value, str):
            value = value.strip()
            if not value:
                raise ValueError("must not be blank")
        return value
