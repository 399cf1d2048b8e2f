"""Sale, payment and refund models of the API.

Money is `DecimalNumber` (a JSON number on the wire). Prices and costs of a point-of-sale sale
never come from clients: a counter sale names menu items and quantities only. A sale recorded
from another system (`source` webhook or import) carries the prices that system charged.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, EmailStr, Field, StringConstraints

from tableside.kit.schemas import DecimalNumber, Resource, ResponseSchema, Schema, UtcDatetime
from tableside.models import PaymentMethod, PaymentStatus, SaleSource, SaleStatus

Amount = Annotated[DecimalNumber, Field(gt=0, max_digits=12, decimal_places=2)]
NonNegativeAmount = Annotated[DecimalNumber, Field(ge=0, max_digits=12, decimal_places=2)]
Percent = Annotated[DecimalNumber, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Name = Annotated[str, Field(max_length=200)]
Phone = Annotated[str, Field(max_length=40)]
Reference = Annotated[str, Field(max_length=120)]
Notes = Annotated[str, Field(max_length=4000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class PaymentCreate(Schema):
    """One payment. For cash, `amount` is what was handed over: above the balance, the balance
    is settled and the rest is change. Any other method must not exceed the balance."""

    method: PaymentMethod
    amount: Amount
    tip_amount: NonNegativeAmount = Field(
        default=Decimal("0"), description="On top of the amount; never part of the total owed"
    )
    payer_name: Name | None = None
    payer_phone: Phone | None = None
    reference: Reference | None = Field(default=None, description="Card slip, transfer id...")


class SaleItemCreate(Schema):
    """A sale line: a menu item by `menu_item_id` or by `sku` (one of them), and how many.

    At the point of sale the price and cost come from the menu (`unit_price` is refused); a
    sale from another system must send the `unit_price` it charged (the cost still comes from
    the menu)."""

    menu_item_id: uuid.UUID | None = None
    sku: Sku | None = None
    quantity: Annotated[int, Field(ge=1, le=999)]
    unit_price: NonNegativeAmount | None = Field(
        default=None, description="Sales from another system only, and required there"
    )
    notes: Annotated[str, Field(max_length=1000)] | None = None


class SaleCreate(Schema):
    """A sale from an order (`order_id`) or a counter sale (`items`): exactly one of them.

    `source` other than `pos` records a sale another system made (`webhook`, `import`): items
    only, each with its `unit_price`, an optional past `sold_at`, and `status: completed` to
    record it as already paid."""

    source: SaleSource = SaleSource.pos
    external_id: ExternalId | None = Field(
        default=None,
        description="The other system's id: the same source and external_id again returns the "
        "sale already recorded (200) and writes nothing; with another location, sold_at, order "
        "or lines it is 409 IDEMPOTENCY_CONFLICT",
    )
    sold_at: AwareDatetime | None = Field(
        default=None, description="When it was sold (sales from another system only); now if absent"
    )
    status: Literal["pending", "completed"] | None = Field(
        default=None,
        description="`completed` records a sale from another system as paid: one payment per "
        "given payment, or one `other` payment for the total",
    )
    tax_amount: NonNegativeAmount | None = Field(
        default=None,
        description="Sales from another system only: the tax it charged (default: the "
        "business's tax rate)",
    )
    order_id: uuid.UUID | None = None
    items: Annotated[list[SaleItemCreate], Field(min_length=1, max_length=500)] | None = None
    customer_id: uuid.UUID | None = None
    customer_name: Name | None = None
    customer_email: EmailStr | None = None
    customer_phone: Phone | None = None
    location_id: uuid.UUID | None = None
    notes: Notes | None = None
    discount_amount: NonNegativeAmount | None = Field(
        default=None, description="Counter sales only; manager and above"
    )
    discount_percent: Percent | None = Field(
        default=None, description="Counter sales only; manager and above"
    )
    payments: Annotated[list[PaymentCreate], Field(max_length=50)] = Field(
        default_factory=list, description="Applied in order, in the same transaction"
    )


class RefundCreate(Schema):
    payment_id: uuid.UUID
    amount: Amount
    reason: Reason


class RefundByIndex(Schema):
    """The POS-document shape: the payment by its 0-based position on the sale."""

    payment_index: Annotated[int, Field(ge=0)]
    refund_amount: Amount
    reason: Reason


class SaleCancel(Schema):
    reason: Reason


class Refund(Resource):
    payment_id: uuid.UUID
    amount: DecimalNumber
    reason: str
    refunded_by: uuid.UUID | None


class Payment(Resource):
    method: PaymentMethod
    amount: DecimalNumber = Field(description="What this payment settled of the sale")
    tendered_amount: DecimalNumber = Field(description="What was handed over")
    change_given: DecimalNumber
    tip_amount: DecimalNumber
    refunded_amount: DecimalNumber
    status: PaymentStatus
    payer_name: str | None
    payer_phone: str | None
    reference: str | None
    received_by: uuid.UUID | None
    paid_at: UtcDatetime
    refunds: list[Refund] = Field(default_factory=list)


class SaleLine(ResponseSchema):
    id: uuid.UUID
    position: int
    menu_item_id: uuid.UUID | None
    order_item_id: uuid.UUID | None
    name: str
    sku: str | None
    barcode: str | None
    category_id: uuid.UUID | None
    category_name: str | None
    quantity: int
    unit_price: DecimalNumber
    unit_cost: DecimalNumber | None
    line_total: DecimalNumber
    discount_amount: DecimalNumber = Field(description="The line's share of the sale's discount")
    net_amount: DecimalNumber = Field(description="line_total - discount_amount")
    notes: str | None


class SaleSummary(Resource):
    """A sale without its lines and payments, as lists show it."""

    sale_number: str
    status: SaleStatus
    source: SaleSource
    external_id: str | None
    order_id: uuid.UUID | None
    location_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    user_id: uuid.UUID | None
    customer_name: str | None
    customer_email: str | None
    customer_phone: str | None
    notes: str | None
    subtotal: DecimalNumber
    discount_amount: DecimalNumber
    tax_amount: DecimalNumber
    tip_amount: DecimalNumber = Field(description="Tips given with payments; not part of the total")
    total_amount: DecimalNumber
    total_paid: DecimalNumber = Field(description="What the payments settled so far")
    total_refunded: DecimalNumber = Field(description="Given back after the sale completed")
    remaining_amount: DecimalNumber = Field(description="Still owed; 0 once completed")
    sold_at: UtcDatetime
    business_date: date
    completed_at: UtcDatetime | None
    cancelled_at: UtcDatetime | None


class SaleDetail(SaleSummary):
    """A sale with its lines and its payments (each with its refunds)."""

    change_given: DecimalNumber = Field(description="Cash change returned, over all payments")
    lines: list[SaleLine]
    payments: list[Payment]


class PaymentMethodStats(ResponseSchema):
    method: PaymentMethod
    count: int
    amount: DecimalNumber = Field(description="Settled by this method, net of refunds")


class TopItem(ResponseSchema):
    menu_item_id: uuid.UUID
    name: str
    quantity: int
    revenue: DecimalNumber = Field(description="Sum of the lines' net amounts (after discount)")


class SaleStats(ResponseSchema):
    date_from: date
    date_to: date
    total_sales: DecimalNumber
    total_refunded: DecimalNumber
    net_sales: DecimalNumber
    transaction_count: int
    average_order_value: DecimalNumber
    total_tips: DecimalNumber
    by_payment_method: list[PaymentMethodStats]
    top_items: list[TopItem]


class SplitStats(ResponseSchema):
    date_from: date
    date_to: date
    total_split_sales: int = Field(description="Completed sales paid with two or more payments")
    total_amount: DecimalNumber
    average_split_amount: DecimalNumber = Field(description="Average payment in those sales")
    average_payments_per_sale: DecimalNumber
