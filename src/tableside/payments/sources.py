"""Where a sale comes from: the rules of a sale rung up here (`pos`) or recorded from another
system (`webhook`, `import`), and the menu items a sale's lines name.

A sale from another system happened elsewhere, so its money is that system's:

- only a manager and above, or an API key (an integration), may record one; a cashier records
  point-of-sale sales only;
- it sends `items` (never an `order_id`), each with the `unit_price` it was sold at, and may
  send the `tax_amount` charged (else the business's tax rate applies);
- `sold_at` may be in the past, from 1901 on (a future instant is refused, with 5 minutes of
  leeway for clocks that disagree); its business day follows from it in the business
  calendar;
- `status: completed` records it as paid: with the payments it sends, or one `other` payment
  for the total; those payments must settle the total;
- an `external_id` makes it idempotent: the same source and id again returns the sale already
  recorded and writes nothing; another sale under them (another location, time or lines) is
  409 `IDEMPOTENCY_CONFLICT`;
- its menu items may be inactive by now (a sale of last year's menu), its location closed
  since, and the stock it takes may go below zero: the goods have already left.

At the point of sale, prices come from the menu (`unit_price`, `tax_amount`, `sold_at` and
`status` are refused) and items must be active.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tableside.auth.dependencies import Principal
from tableside.auth.permissions import Action, Area
from tableside.errors import Forbidden, ValidationFailed
from tableside.models import PaymentMethod, Sale, SaleSource
from tableside.payments import schemas
from tableside.payments.checks import check_minor_unit, invalid
from tableside.payments.repository import MenuRow, SaleRepository

# How far ahead of our clock another system's `sold_at` may be.
CLOCK_LEEWAY = timedelta(minutes=5)
# The earliest `sold_at`: its business date is one the ledger's queries can name, in any zone
# (the sales imports refuse the same instants).
EARLIEST_SOLD_AT = datetime(1901, 1, 1, tzinfo=UTC)


def is_external(data: schemas.SaleCreate) -> bool:
    """Whether the sale is recorded from another system rather than rung up here."""
    return data.source != SaleSource.pos


def check_source(principal: Principal, data: schemas.SaleCreate, now: datetime) -> None:
    """Who may record the sale and which fields its source allows (403 / 422)."""
    if not is_external(data):
        problems = [
            {"field": name, "message": "only for a sale from another system (webhook, import)"}
            for name in ("sold_at", "status", "tax_amount")
            if getattr(data, name) is not None
        ]
        problems += [
            {"field": f"items.{index}.unit_price", "message": "prices come from the menu"}
            for index, item in enumerate(data.items or [])
            if item.unit_price is not None
        ]
        if problems:
            raise ValidationFailed("Field not allowed for a point-of-sale sale", details=problems)
        return
    if principal.api_key is None and not principal.can(Area.payments, Action.manage):
        raise Forbidden("Only a manager or above, or an API key, records sales of another system")
    if data.order_id is not None:
        raise invalid("order_id", "a sale from another system sends items")
    problems = [
        {"field": f"items.{index}.unit_price", "message": "required for a sale from another system"}
        for index, item in enumerate(data.items or [])
        if item.unit_price is None
    ]
    if problems:
        raise ValidationFailed("Prices missing", details=problems)
    if data.sold_at is not None and data.sold_at > now + CLOCK_LEEWAY:
        raise invalid("sold_at", "must not be in the future", "The sale cannot be in the future")
    if data.sold_at is not None and data.sold_at < EARLIEST_SOLD_AT:
        raise invalid("sold_at", "must not be before 1901", "The sale is too old")


def check_amounts(data: schemas.SaleCreate, currency: str) -> None:
    """Amounts another system sent must fit the business's currency (a cent of yen is 422)."""
    for index, item in enumerate(data.items or []):
        if item.unit_price is not None:
            check_minor_unit(item.unit_price, currency, f"items.{index}.unit_price")
    if data.tax_amount is not None:
        check_minor_unit(data.tax_amount, currency, "tax_amount")


async def resolve_items(repository: SaleRepository, data: schemas.SaleCreate) -> list[MenuRow]:
    """The menu item of every line, by id or by SKU; 422 naming each line that resolves to
    nothing (or, at the point of sale, to an inactive item)."""
    assert data.items is not None
    problems: list[dict[str, Any]] = []
    for index, item in enumerate(data.items):
        if (item.menu_item_id is None) == (item.sku is None):
            field = "menu_item_id" if item.menu_item_id is None else "sku"
            message = "send menu_item_id or sku" if item.menu_item_id is None else "not both"
            problems.append({"field": f"items.{index}.{field}", "message": message})
    if problems:
        raise ValidationFailed("Each item needs menu_item_id or sku", details=problems)
    by_id = await repository.menu_items({i.menu_item_id for i in data.items if i.menu_item_id})
    by_sku = await repository.menu_items_by_sku({i.sku for i in data.items if i.sku})
    rows: list[MenuRow] = []
    for index, item in enumerate(data.items):
        if item.menu_item_id is not None:
            row, field = by_id.get(item.menu_item_id), "menu_item_id"
        else:
            assert item.sku is not None
            row, field = by_sku.get(item.sku), "sku"
        if row is None or (not is_external(data) and not row.item.is_active):
            active = "" if is_external(data) else " active"
            problems.append(
                {"field": f"items.{index}.{field}", "message": f"no such{active} menu item"}
            )
        else:
            rows.append(row)
    if problems:
        raise ValidationFailed("Unknown or inactive menu item", details=problems)
    return rows


def closing_payments(data: schemas.SaleCreate, sale: Sale) -> list[schemas.PaymentCreate]:
    """The payments to apply at creation: those sent, or for a sale from another system
    recorded as completed without any, one `other` payment for its total."""
    if data.status == "completed" and not data.payments and sale.total_amount > 0:
        return [schemas.PaymentCreate(method=PaymentMethod.other, amount=sale.total_amount)]
    return list(data.payments)


def check_settled(data: schemas.SaleCreate, sale: Sale) -> None:
    """A sale recorded as completed must be: its payments settle its total."""
    if data.status == "completed" and sale.paid_amount != sale.total_amount:
        owed: Decimal = sale.total_amount - sale.paid_amount
        raise invalid(
            "payments",
            f"must settle the total of {sale.total_amount} ({owed} missing)",
            "A completed sale's payments must settle its total",
        )
