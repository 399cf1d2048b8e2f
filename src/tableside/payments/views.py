"""Reading sales: the list and detail shapes, with paid, refunded and remaining amounts."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.auth.dependencies import Principal
from tableside.errors import NotFound
from tableside.kit.pagination import ListParams
from tableside.kit.schemas import DecimalNumber
from tableside.models import Payment, Refund, Sale, SaleStatus
from tableside.payments import schemas
from tableside.payments.checks import ZERO, invalid
from tableside.payments.repository import SaleRepository


def remaining_of(sale: Sale) -> DecimalNumber:
    """What is still owed: the balance of a pending sale, nothing once it is closed."""
    if sale.status != SaleStatus.pending:
        return ZERO
    return max(sale.total_amount - sale.paid_amount, ZERO)


def to_summary(sale: Sale) -> schemas.SaleSummary:
    """The list form of a sale."""
    return schemas.SaleSummary.model_validate(_summary_fields(sale, schemas.SaleSummary))


def _summary_fields(sale: Sale, schema: type[schemas.SaleSummary]) -> dict[str, Any]:
    computed = {
        "total_paid": sale.paid_amount,
        "total_refunded": sale.refunded_amount,
        "remaining_amount": remaining_of(sale),
    }
    values: dict[str, Any] = {}
    for name in schema.model_fields:
        if name in computed:
            values[name] = computed[name]
        elif name not in {"lines", "payments", "change_given"}:
            values[name] = getattr(sale, name)
    return values


def ordered_payments(payments: Sequence[Payment]) -> list[Payment]:
    """Payments in the order they were taken (their position is the POS `payment_index`)."""
    return sorted(payments, key=lambda p: (p.paid_at, p.id))


def to_detail(sale: Sale, refunds: Sequence[Refund]) -> schemas.SaleDetail:
    """The full sale: lines, payments with their refunds, and the totals."""
    by_payment: dict[uuid.UUID, list[schemas.Refund]] = defaultdict(list)
    for refund in refunds:
        by_payment[refund.payment_id].append(schemas.Refund.model_validate(refund))
    payments = ordered_payments(sale.payments)
    values = _summary_fields(sale, schemas.SaleDetail)
    values["change_given"] = sum((p.change_given for p in payments), ZERO)
    values["lines"] = [schemas.SaleLine.model_validate(line) for line in sale.lines]
    values["payments"] = [
        schemas.Payment.model_validate(p).model_copy(update={"refunds": by_payment[p.id]})
        for p in payments
    ]
    return schemas.SaleDetail.model_validate(values)


async def get_sale(
    session: AsyncSession, principal: Principal, sale_id: uuid.UUID
) -> schemas.SaleDetail:
    """One sale of the caller's business with everything on it; 404 otherwise."""
    repository = SaleRepository(session, principal.business_id)
    sale = await repository.get_full(sale_id)
    if sale is None:
        raise NotFound("Sale not found")
    return to_detail(sale, await repository.refunds_of(sale.id))


async def list_sales(
    session: AsyncSession,
    principal: Principal,
    params: ListParams,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    **filters: Any,
) -> tuple[list[schemas.SaleSummary], int]:
    """A page of sales, newest first unless sorted otherwise."""
    if date_from is not None and date_to is not None and date_from > date_to:
        raise invalid("date_from", "must not be after date_to")
    rows, total = await SaleRepository(session, principal.business_id).list(
        params, date_from=date_from, date_to=date_to, **filters
    )
    return [to_summary(sale) for sale in rows], total
