"""Sales, split payments and refunds (D1, D2).

Money rules (every amount exact, in the currency's minor unit):

- A sale from an order copies the order's non-voided lines and its subtotal, discount, tax and
  total (an order's own tip is part of what the guest owes for it, so it stays in the total
  and is counted in `tip_amount`). A counter sale prices its lines from the menu, server-side
  (`payments.totals`).
- Payments settle the balance (`total_amount - paid_amount`) in the order they arrive. Cash
  above the balance settles it and the rest is change; any other method above the balance is
  refused. Tips given with a payment add to `tip_amount`, never to what is owed.
- When the payments reach the total the sale completes: counted stock is taken (or the whole
  request fails), the sale is booked in the sales ledger (`payments.booking`) and an order
  sale tells the order it is paid.
- A sale from another system (`source` webhook or import) brings its own prices, instant and
  payments (`payments.sources`); its `external_id` makes repeating it a no-op, and another
  sale under it a conflict.
- Refunds and cancellation are in `payments.refunds`; reading in `payments.views`.

Every write locks what it changes (order, sale, payment, stock row) for the transaction, so
concurrent tills cannot overpay, sell the last unit twice or settle one order twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.audit import service as audit
from tableside.auth.dependencies import Principal
from tableside.auth.permissions import Action, Area
from tableside.errors import (
    Forbidden,
    IdempotencyConflict,
    InvalidState,
    NotFound,
    ValidationFailed,
)
from tableside.kit.business_time import business_date
from tableside.kit.schemas import utcnow
from tableside.models import (
    Business,
    Order,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Sale,
    SaleLine,
    SaleSource,
    SaleStatus,
)
from tableside.orders.lifecycle import record_payment
from tableside.payments import booking, schemas, sources
from tableside.payments.checks import MAX_AMOUNT, ZERO, check_minor_unit, invalid, too_large
from tableside.payments.repository import SaleRepository
from tableside.payments.totals import (
    DiscountTooLarge,
    SaleTotals,
    sale_totals,
    spread_discount,
)
from tableside.payments.views import get_sale


def format_sale_number(number: int) -> str:
    """`S-000123`: sequential per business (at least six digits, longer past 999999)."""
    return f"S-{number:06d}"


# Creating ----------------------------------------------------------------------------------


@dataclass
class _Draft:
    """What a new sale will hold before it is written."""

    lines: list[SaleLine] = field(default_factory=list)
    subtotal: Decimal = ZERO
    discount_amount: Decimal = ZERO
    tax_amount: Decimal = ZERO
    tip_amount: Decimal = ZERO
    total_amount: Decimal = ZERO
    order: Order | None = None
    customer_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    replaced_sale_ids: Sequence[uuid.UUID] = ()


async def create_sale(
    session: AsyncSession, principal: Principal, data: schemas.SaleCreate
) -> tuple[schemas.SaleDetail, bool]:
    """Write a sale (from an order or from menu items) and apply the payments sent with it,
    all in the request's transaction: any refused payment leaves no sale behind.

    Returns the sale and whether it was written now: False when the same source and
    `external_id` were recorded before, and that sale comes back unchanged."""
    if (data.order_id is None) == (data.items is None):
        both = data.order_id is not None
        raise invalid(
            "order_id" if both else "items",
            "send either order_id or items, not both" if both else "send order_id or items",
            "A sale needs exactly one of order_id or items",
        )
    discounted = data.discount_amount is not None or data.discount_percent is not None
    if discounted and data.order_id is not None:
        raise invalid(
            "discount_amount" if data.discount_amount is not None else "discount_percent",
            "a sale from an order takes the order's discount",
        )
    if data.discount_amount is not None and data.discount_percent is not None:
        raise invalid("discount_percent", "send discount_amount or discount_percent, not both")
    if discounted and not principal.can(Area.payments, Action.manage):
        raise Forbidden("Only a manager or above can give a discount")
    now = utcnow()
    sources.check_source(principal, data, now)

    repository = SaleRepository(session, principal.business_id)
    if data.external_id is not None:
        await repository.lock_external_id(data.source, data.external_id)
        existing = await repository.by_external_id(data.source, data.external_id)
        if existing is not None:
            recorded = await get_sale(session, principal, existing.id)
            _check_same_sale(recorded, data)
            return recorded, False
    business = await repository.business()
    sources.check_amounts(data, business.currency)
    for index, payment in enumerate(data.payments):
        _check_payment_units(payment, business.currency, f"payments.{index}")
    if data.order_id is not None:
        draft = await _draft_from_order(repository, business, data.order_id)
    else:
        assert data.items is not None
        draft = await _draft_from_items(repository, business, data)
    customer_name, customer_email, customer_phone = await _resolve_customer(repository, data, draft)
    location_timezone = await _resolve_location(repository, data, draft)

    if draft.order is not None:
        draft.replaced_sale_ids = await repository.detach_closed_sales_from_order(draft.order.id)
    sold_at = data.sold_at.astimezone(UTC) if data.sold_at is not None else now
    sale = Sale(
        business_id=principal.business_id,
        sale_number=format_sale_number(await repository.next_sale_number()),
        order_id=draft.order.id if draft.order is not None else None,
        location_id=draft.location_id,
        customer_id=draft.customer_id,
        user_id=principal.user_id,
        source=data.source,
        external_id=data.external_id,
        status=SaleStatus.pending,
        customer_name=customer_name,
        customer_email=customer_email,
        customer_phone=customer_phone,
        notes=data.notes,
        subtotal=draft.subtotal,
        discount_amount=draft.discount_amount,
        tax_amount=draft.tax_amount,
        tip_amount=draft.tip_amount,
        total_amount=draft.total_amount,
        paid_amount=ZERO,
        refunded_amount=ZERO,
        sold_at=sold_at,
        business_date=business_date(
            sold_at, location_timezone or business.timezone, business.day_cutoff_hour
        ),
    )
    await repository.add(sale)
    for line in draft.lines:
        line.sale_id = sale.id
    repository.add_all(draft.lines)
    await repository.flush()
    await audit.record(
        session,
        business_id=principal.business_id,
        action="sale.created",
        principal=principal,
        entity_type="sale",
        entity_id=sale.id,
        details={
            "sale_number": sale.sale_number,
            "source": str(sale.source),
            "external_id": sale.external_id,
            "order_id": str(sale.order_id) if sale.order_id else None,
            "total_amount": str(sale.total_amount),
            "discount_amount": str(sale.discount_amount),
            "replaces_sale_ids": [str(i) for i in draft.replaced_sale_ids],
        },
    )

    if sale.total_amount == 0:
        await _complete(session, repository, business, sale)
    last_paid_at: datetime | None = None
    for index, payment in enumerate(sources.closing_payments(data, sale)):
        taken = await _apply_payment(
            session, principal, repository, business, sale, payment, last_paid_at, index
        )
        last_paid_at = taken.paid_at
    sources.check_settled(data, sale)
    return await get_sale(session, principal, sale.id), True


def _check_same_sale(recorded: schemas.SaleDetail, data: schemas.SaleCreate) -> None:
    """A repeat of a source and `external_id` must describe the sale recorded under them.

    Another location, time, order or lines under the same id is another sale (two locations
    numbering their tickets alike, say): answering "already recorded" would drop it without a
    word, so it is 409. Only what the request states is compared: a retry that leaves out
    `sold_at` or `location_id` is still the same sale, and a price is compared only when sent
    (at the point of sale it comes from the menu, which may have changed since)."""
    differs: tuple[str, str] | None = None
    if data.location_id is not None and data.location_id != recorded.location_id:
        differs = ("location_id", "another location")
    elif data.sold_at is not None and data.sold_at.astimezone(UTC) != recorded.sold_at:
        differs = ("sold_at", "another time")
    elif data.order_id is not None and data.order_id != recorded.order_id:
        differs = ("order_id", "another order")
    elif data.items is not None:
        if len(data.items) != len(recorded.lines):
            differs = ("items", f"{len(recorded.lines)} lines")
        for index, (item, line) in enumerate(zip(data.items, recorded.lines, strict=False)):
            if differs is not None:
                break
            same_item = (
                item.menu_item_id == line.menu_item_id
                if item.menu_item_id is not None
                else item.sku == line.sku
            )
            if not same_item:
                differs = (f"items.{index}", "another item")
            elif item.quantity != line.quantity:
                differs = (f"items.{index}.quantity", f"quantity {line.quantity}")
            elif item.unit_price is not None and item.unit_price != line.unit_price:
                differs = (f"items.{index}.unit_price", f"unit price {line.unit_price}")
    if differs is None:
        return
    field, held = differs
    raise IdempotencyConflict(
        f"external_id {data.external_id!r} of source {data.source.value!r} was already "
        f"recorded as sale {recorded.sale_number}, with {held}; nothing was written (send "
        "another sale under its own external_id)",
        details=[{"field": field, "message": f"sale {recorded.sale_number} has {held}"}],
    )


async def _draft_from_order(
    repository: SaleRepository, business: Business, order_id: uuid.UUID
) -> _Draft:
    """Lines and totals copied from the order, which stays locked until the sale is written."""
    order = await repository.order_for_update(order_id)
    if order is None:
        raise invalid("order_id", "no such order", "Order not found")
    if order.status == OrderStatus.cancelled:
        raise InvalidState(f"Order {order.order_number} is cancelled")
    existing = await repository.open_sale_for_order(order.id)
    if existing is not None:
        raise InvalidState(
            f"Order {order.order_number} already has sale {existing.sale_number} ({existing.id})",
            details=[{"field": "order_id", "message": f"sale {existing.id} is {existing.status}"}],
        )
    items = await repository.billable_order_items(order.id)
    if not items:
        raise InvalidState(f"Order {order.order_number} has no items to sell")
    line_totals = [item.line_total for item in items]
    if sum(line_totals, ZERO) != order.subtotal:
        raise InvalidState(
            f"Order {order.order_number}'s subtotal does not match its lines; update the order"
        )
    menu = await repository.menu_items({i.menu_item_id for i in items if i.menu_item_id})
    amounts = spread_discount(line_totals, order.discount_amount, business.currency)
    lines = []
    for position, (item, money) in enumerate(zip(items, amounts, strict=True)):
        row = menu.get(item.menu_item_id) if item.menu_item_id else None
        lines.append(
            SaleLine(
                business_id=business.id,
                position=position,
                order_item_id=item.id,
                menu_item_id=item.menu_item_id,
                category_id=row.item.category_id if row else None,
                category_name=row.category_name if row else None,
                name=item.name,
                sku=item.sku,
                barcode=row.item.barcode if row else None,
                quantity=item.quantity,
                unit_price=item.unit_price,
                unit_cost=item.unit_cost,
                line_total=money.line_total,
                discount_amount=money.discount_amount,
                net_amount=money.net_amount,
                notes=item.notes,
            )
        )
    return _Draft(
        lines=lines,
        subtotal=order.subtotal,
        discount_amount=order.discount_amount,
        tax_amount=order.tax_amount,
        tip_amount=order.tip_amount,
        total_amount=order.total_amount,
        order=order,
        customer_id=order.customer_id,
        location_id=order.location_id,
    )


async def _draft_from_items(
    repository: SaleRepository, business: Business, data: schemas.SaleCreate
) -> _Draft:
    """A sale of menu items: at the point of sale every price from the menu, from another
    system the prices (and optionally the tax) it charged; the cost always from the menu."""
    assert data.items is not None
    rows = await sources.resolve_items(repository, data)
    if data.discount_amount is not None:
        check_minor_unit(data.discount_amount, business.currency, "discount_amount")
    prices = [
        item.unit_price if item.unit_price is not None else row.item.price
        for row, item in zip(rows, data.items, strict=True)
    ]
    try:
        totals = sale_totals(
            [(price, item.quantity) for price, item in zip(prices, data.items, strict=True)],
            tax_rate=business.tax_rate,
            discount_amount=data.discount_amount,
            discount_percent=data.discount_percent,
            currency=business.currency,
        )
    except DiscountTooLarge as exc:
        raise invalid("discount_amount", str(exc)) from exc
    tax_amount = totals.tax_amount if data.tax_amount is None else data.tax_amount
    total_amount = totals.subtotal - totals.discount_amount + tax_amount
    _check_fits(totals, total_amount, taxed_by_client=data.tax_amount is not None)
    lines = [
        SaleLine(
            business_id=business.id,
            position=position,
            menu_item_id=row.item.id,
            category_id=row.item.category_id,
            category_name=row.category_name,
            name=row.item.name,
            sku=row.item.sku,
            barcode=row.item.barcode,
            quantity=item.quantity,
            unit_price=price,
            unit_cost=row.item.cost,
            line_total=money.line_total,
            discount_amount=money.discount_amount,
            net_amount=money.net_amount,
            notes=item.notes,
        )
        for position, (row, item, price, money) in enumerate(
            zip(rows, data.items, prices, totals.lines, strict=True)
        )
    ]
    return _Draft(
        lines=lines,
        subtotal=totals.subtotal,
        discount_amount=totals.discount_amount,
        tax_amount=tax_amount,
        total_amount=total_amount,
    )


def _check_fits(totals: SaleTotals, total_amount: Decimal, *, taxed_by_client: bool) -> None:
    """Every amount the sale will store fits its column (422 naming the cause, never an
    overflow on insert): each line total, then the subtotal, then the total with its tax."""
    problems = [
        {
            "field": f"items.{index}.quantity",
            "message": f"the line's total {line.line_total} is above {MAX_AMOUNT}",
        }
        for index, line in enumerate(totals.lines)
        if line.line_total > MAX_AMOUNT
    ]
    if problems:
        raise ValidationFailed("An amount of this sale is too large", details=problems)
    if totals.subtotal > MAX_AMOUNT:
        raise too_large("items", "the subtotal", totals.subtotal)
    if total_amount > MAX_AMOUNT:
        raise too_large("tax_amount" if taxed_by_client else "items", "the total", total_amount)


async def _resolve_customer(
    repository: SaleRepository, data: schemas.SaleCreate, draft: _Draft
) -> tuple[str | None, str | None, str | None]:
    """The sale's customer: the order's, or the one in the body (which must be this
    business's active customer). Name, email and phone default to the customer's."""
    if data.customer_id is not None:
        if draft.customer_id is not None and draft.customer_id != data.customer_id:
            raise invalid("customer_id", "the order already names another customer")
        draft.customer_id = data.customer_id
    name, email, phone = data.customer_name, data.customer_email, data.customer_phone
    if draft.customer_id is None:
        return name, email, phone
    customer = await repository.customer(draft.customer_id)
    if customer is None or (data.customer_id is not None and not customer.is_active):
        raise invalid("customer_id", "no such customer", "Customer not found")
    return name or customer.name, email or customer.email, phone or customer.phone


async def _resolve_location(
    repository: SaleRepository, data: schemas.SaleCreate, draft: _Draft
) -> str | None:
    """The sale's location (the order's, or the body's active one; a sale another system
    made may name one closed since, as it may name retired items: it happened there);
    returns its own time zone when it has one, which then decides the business day."""
    if data.location_id is not None:
        if draft.location_id is not None and draft.location_id != data.location_id:
            raise invalid("location_id", "the order belongs to another location")
        draft.location_id = data.location_id
    if draft.location_id is None:
        return None
    location = await repository.location(draft.location_id)
    till_at_closed = (
        data.location_id is not None
        and location is not None
        and not location.is_active
        and not sources.is_external(data)
    )
    if location is None or till_at_closed:
        raise invalid("location_id", "no such location", "Location not found")
    return location.timezone


# Paying ------------------------------------------------------------------------------------


def _check_payment_units(payment: schemas.PaymentCreate, currency: str, prefix: str) -> None:
    check_minor_unit(payment.amount, currency, f"{prefix}.amount".lstrip("."))
    check_minor_unit(payment.tip_amount, currency, f"{prefix}.tip_amount".lstrip("."))


async def add_payment(
    session: AsyncSession, principal: Principal, sale_id: uuid.UUID, data: schemas.PaymentCreate
) -> schemas.SaleDetail:
    """Take one more payment on a pending sale (the sale row is locked while it happens)."""
    repository = SaleRepository(session, principal.business_id)
    sale = await repository.get_for_update(sale_id)
    if sale is None:
        raise NotFound("Sale not found")
    business = await repository.business()
    _check_payment_units(data, business.currency, "")
    await _apply_payment(session, principal, repository, business, sale, data, None, None)
    return await get_sale(session, principal, sale.id)


async def _apply_payment(
    session: AsyncSession,
    principal: Principal,
    repository: SaleRepository,
    business: Business,
    sale: Sale,
    data: schemas.PaymentCreate,
    after: datetime | None,
    index: int | None,
) -> Payment:
    """Settle part or all of the balance; completes the sale when the balance reaches 0.

    `after` keeps payments taken in one request strictly ordered in time (their index is
    their position); `index` names the payment in error details."""
    where = "payments" if index is None else f"payments.{index}"
    if sale.status != SaleStatus.pending:
        raise InvalidState(
            f"Sale {sale.sale_number} is {sale.status}: it takes no more payments",
            details=[{"field": where, "message": f"sale is {sale.status}"}],
        )
    remaining = sale.total_amount - sale.paid_amount
    applied, change = data.amount, ZERO
    if data.amount > remaining:
        if data.method != PaymentMethod.cash:
            raise InvalidState(
                f"The payment of {data.amount} exceeds the remaining balance of {remaining}",
                details=[
                    {
                        "field": f"{where}.amount" if index is not None else "amount",
                        "message": f"at most {remaining}",
                    }
                ],
            )
        applied, change = remaining, data.amount - remaining
    if sale.tip_amount + data.tip_amount > MAX_AMOUNT:
        raise too_large(
            f"{where}.tip_amount" if index is not None else "tip_amount",
            "the sale's tips",
            sale.tip_amount + data.tip_amount,
        )
    now = utcnow()
    if after is not None and now <= after:
        now = after + timedelta(microseconds=1)
    payment = Payment(
        business_id=sale.business_id,
        sale_id=sale.id,
        method=data.method,
        amount=applied,
        tendered_amount=data.amount,
        change_given=change,
        tip_amount=data.tip_amount,
        refunded_amount=ZERO,
        status=PaymentStatus.completed,
        payer_name=data.payer_name,
        payer_phone=data.payer_phone,
        reference=data.reference,
        received_by=principal.user_id,
        paid_at=now,
    )
    session.add(payment)
    sale.paid_amount += applied
    sale.tip_amount += data.tip_amount
    await repository.flush()
    await audit.record(
        session,
        business_id=sale.business_id,
        action="payment.added",
        principal=principal,
        entity_type="sale",
        entity_id=sale.id,
        details={
            "payment_id": str(payment.id),
            "method": str(data.method),
            "amount": str(applied),
            "tendered": str(data.amount),
            "change": str(change),
            "tip": str(data.tip_amount),
        },
    )
    if sale.paid_amount == sale.total_amount:
        await _complete(session, repository, business, sale)
    return payment


async def _complete(
    session: AsyncSession, repository: SaleRepository, business: Business, sale: Sale
) -> None:
    """The sale is paid: take counted stock (all or nothing), book it in the sales ledger,
    then tell the order. A sale from another system may take stock below zero: its goods
    have already left."""
    needed: dict[uuid.UUID, int] = await repository.quantities_by_item(sale.id)
    stocked = await repository.stocked_items(needed.keys())
    allow_negative = business.allow_negative_stock or sale.source != SaleSource.pos
    # Lock stock rows in id order so two sales of the same items cannot deadlock.
    for item_id in sorted(stocked):
        if not await repository.take_stock(item_id, needed[item_id], allow_negative):
            raise InvalidState(
                f"{stocked[item_id]} is out of stock",
                details=[
                    {
                        "field": "menu_item_id",
                        "message": f"{stocked[item_id]} ({item_id}): not enough stock",
                    }
                ],
            )
    sale.status = SaleStatus.completed
    sale.completed_at = utcnow()
    await repository.flush()
    # Before the order hears of it: paying an order may free its table, and with it the
    # party size the sale's covers come from.
    await booking.book_sale(session, repository, sale)
    if sale.order_id is not None:
        await record_payment(session, sale.business_id, sale.order_id)
