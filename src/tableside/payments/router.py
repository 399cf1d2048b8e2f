"""HTTP endpoints under /api/v1/sales: sales, split payments and refunds."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi import status as http_status

from tableside.auth.dependencies import Principal, require
from tableside.auth.permissions import Action, Area
from tableside.db.session import SessionDep
from tableside.kit.pagination import ListParamsDep, Page
from tableside.kit.validators import IsoDate
from tableside.models import SaleSource, SaleStatus
from tableside.payments import refunds, service, stats, views
from tableside.payments.schemas import (
    PaymentCreate,
    RefundByIndex,
    RefundCreate,
    SaleCancel,
    SaleCreate,
    SaleDetail,
    SaleStats,
    SaleSummary,
    SplitStats,
)

router = APIRouter(prefix="/sales", tags=["sales"])

SaleReader = Annotated[Principal, Depends(require(Area.payments, Action.read))]
SaleWriter = Annotated[Principal, Depends(require(Area.payments, Action.write))]
SaleManager = Annotated[Principal, Depends(require(Area.payments, Action.manage))]

DateFrom = Annotated[IsoDate | None, Query(description="First business day (YYYY-MM-DD)")]
DateTo = Annotated[IsoDate | None, Query(description="Last business day (YYYY-MM-DD)")]
LocationFilter = Annotated[uuid.UUID | None, Query(description="Only this location's sales")]

CREATE_DESCRIPTION = """
Send **either** `order_id` (the order's non-voided lines and totals are copied) **or** `items`
(a counter sale: prices and costs come from the menu, never from the client).

`payments` are applied in order in the same transaction. Cash above the balance settles it
and the rest is returned as `change_given`; any other method above the balance is refused
(409) and nothing is written. Once the payments reach the total the sale completes: counted
stock is taken (409 and nothing written when an item is out of stock, unless the business
allows negative stock) and an order sale marks its order paid.

A discount (`discount_amount` or `discount_percent`) is for counter sales and needs a manager
or above. A sale whose total is 0 completes at once. Items name a menu item by `menu_item_id`
or by `sku`. A completed sale is written to the sales ledger in the same transaction.

**A sale another system made** (`source`: `webhook` or `import`; default `pos`): manager and
above, or an API key (a cashier records `pos` sales only: 403). It sends `items`, each with the
`unit_price` it was sold at (the cost still comes from the menu), optionally the `tax_amount`
it charged, and `sold_at` (a past instant; more than 5 minutes ahead is 422), whose business
day follows the business calendar. `"status": "completed"` records it as paid, with the
payments sent or one `other` payment for the total. With an `external_id`, sending the same
source and id again returns the sale already recorded with **200** and writes nothing.
`unit_price`, `tax_amount`, `sold_at` and `status` are refused for a `pos` sale (422).
"""

REFUND_DESCRIPTION = """
Give back part or all of one payment, never more than it settled (409). Manager and above.
On a completed sale the refund adds to `total_refunded` and the sale becomes `refunded` once
everything paid has gone back; on a pending sale it reopens the balance instead. **Refunds do
not restock**: stock taken when the sale completed stays taken. A refund of a completed sale
writes negative lines to the sales ledger in the same transaction (its net share, spread over
the lines; the refund that empties the sale also takes back its quantities and cost).
"""


# Statistics first: their fixed paths must win over `/{sale_id}`.


@router.get("/stats", response_model=SaleStats, summary="Sales statistics")
async def get_sales_stats(
    principal: SaleReader,
    session: SessionDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    location_id: LocationFilter = None,
) -> SaleStats:
    """Completed (and later refunded) sales over business days, by default the last 30."""
    return await stats.sales_stats(
        session, principal, date_from=date_from, date_to=date_to, location_id=location_id
    )


@router.get("/split/stats", response_model=SplitStats, summary="Split-payment statistics")
async def get_split_stats(
    principal: SaleReader,
    session: SessionDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    location_id: LocationFilter = None,
) -> SplitStats:
    """Completed sales paid with two or more payments, by default over the last 30 days."""
    return await stats.split_stats(
        session, principal, date_from=date_from, date_to=date_to, location_id=location_id
    )


@router.get("", response_model=Page[SaleSummary], summary="List sales")
async def list_sales(
    principal: SaleReader,
    session: SessionDep,
    params: ListParamsDep,
    status: SaleStatus | None = None,
    user_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
    source: SaleSource | None = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> Page[SaleSummary]:
    """Newest first by default; `search` matches the sale number or the customer's name."""
    rows, total = await views.list_sales(
        session,
        principal,
        params,
        status=status,
        user_id=user_id,
        customer_id=customer_id,
        location_id=location_id,
        order_id=order_id,
        source=source,
        date_from=date_from,
        date_to=date_to,
    )
    return Page[SaleSummary].build(rows, total, params)


ALREADY_RECORDED: dict[int | str, dict[str, Any]] = {
    http_status.HTTP_200_OK: {
        "model": SaleDetail,
        "description": "The same source and external_id were recorded before: that sale",
    }
}


@router.post(
    "",
    response_model=SaleDetail,
    status_code=http_status.HTTP_201_CREATED,
    summary="Create a sale, optionally paying it",
    description=CREATE_DESCRIPTION,
    responses=ALREADY_RECORDED,
)
async def create_sale(
    body: SaleCreate, principal: SaleWriter, session: SessionDep, response: Response
) -> SaleDetail:
    sale, created = await service.create_sale(session, principal, body)
    if not created:
        response.status_code = http_status.HTTP_200_OK
    return sale


for _alias in ("/with-items", "/split"):
    router.add_api_route(
        _alias,
        create_sale,
        methods=["POST"],
        response_model=SaleDetail,
        status_code=http_status.HTTP_201_CREATED,
        summary=f"Create a sale (POS-document alias of POST /sales, as {_alias})",
        description=CREATE_DESCRIPTION,
        responses=ALREADY_RECORDED,
    )


@router.get("/{sale_id}", response_model=SaleDetail, summary="Get a sale with its lines")
async def get_sale(sale_id: uuid.UUID, principal: SaleReader, session: SessionDep) -> SaleDetail:
    """Lines, payments (each with its refunds) and the totals: paid, refunded, remaining."""
    return await views.get_sale(session, principal, sale_id)


router.add_api_route(
    "/{sale_id}/with-items",
    get_sale,
    methods=["GET"],
    response_model=SaleDetail,
    summary="Get a sale with its lines (POS-document alias of GET /sales/{id})",
)


@router.post(
    "/{sale_id}/payments",
    response_model=SaleDetail,
    status_code=http_status.HTTP_201_CREATED,
    summary="Add a payment to a sale",
)
async def add_payment(
    sale_id: uuid.UUID, body: PaymentCreate, principal: SaleWriter, session: SessionDep
) -> SaleDetail:
    """Settles part or all of the balance and returns the updated sale. Cash above the
    balance gives change; any other method above it is 409 and nothing changes. A completed,
    cancelled or refunded sale takes no payment (409)."""
    return await service.add_payment(session, principal, sale_id, body)


@router.post(
    "/{sale_id}/refunds",
    response_model=SaleDetail,
    status_code=http_status.HTTP_201_CREATED,
    summary="Refund part or all of one payment",
    description=REFUND_DESCRIPTION,
)
async def refund_payment(
    sale_id: uuid.UUID, body: RefundCreate, principal: SaleManager, session: SessionDep
) -> SaleDetail:
    return await refunds.refund_payment(session, principal, sale_id, body)


@router.post(
    "/{sale_id}/refund",
    response_model=SaleDetail,
    status_code=http_status.HTTP_201_CREATED,
    summary="Refund a payment by its position (POS-document alias)",
    description=REFUND_DESCRIPTION
    + "\n`payment_index` is the payment's 0-based position in the sale's `payments`.",
)
async def refund_by_index(
    sale_id: uuid.UUID, body: RefundByIndex, principal: SaleManager, session: SessionDep
) -> SaleDetail:
    return await refunds.refund_by_index(session, principal, sale_id, body)


@router.post(
    "/{sale_id}/cancel",
    response_model=SaleDetail,
    summary="Cancel a pending sale that holds no payment",
)
async def cancel_sale(
    sale_id: uuid.UUID, body: SaleCancel, principal: SaleManager, session: SessionDep
) -> SaleDetail:
    """Manager and above. A sale with money on it must have its payments refunded first."""
    return await refunds.cancel_sale(session, principal, sale_id, body)
