"""Refunds and cancellation.

A refund gives back part or all of one payment, never more than it settled. On a completed
sale it adds to `refunded_amount`, and the sale becomes `refunded` once everything paid has
gone back; on a pending sale it reopens the balance instead (`paid_amount` goes down), so a
wrongly taken payment can be returned and the sale cancelled. Refunds never restock. The sale
and the payment are locked while a refund is written.

A refund of a completed sale is booked in the sales ledger in the same transaction (negative
lines, see `ledger.pos`); a refund of a pending sale books nothing, as nothing was booked yet.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.audit import service as audit
from tableside.auth.dependencies import Principal
from tableside.errors import InvalidState, NotFound
from tableside.kit.schemas import utcnow
from tableside.models import Payment, PaymentStatus, Refund, Sale, SaleStatus
from tableside.payments import booking, schemas
from tableside.payments.checks import check_minor_unit, invalid
from tableside.payments.repository import SaleRepository
from tableside.payments.views import get_sale


async def refund_payment(
    session: AsyncSession, principal: Principal, sale_id: uuid.UUID, data: schemas.RefundCreate
) -> schemas.SaleDetail:
    """Give back part or all of one payment of the sale."""
    repository = SaleRepository(session, principal.business_id)
    sale = await repository.get_for_update(sale_id)
    if sale is None:
        raise NotFound("Sale not found")
    payment = await repository.payment_for_update(sale.id, data.payment_id)
    if payment is None:
        raise invalid("payment_id", "no such payment on this sale", "Payment not found")
    return await _refund(session, principal, repository, sale, payment, data.amount, data.reason)


async def refund_by_index(
    session: AsyncSession, principal: Principal, sale_id: uuid.UUID, data: schemas.RefundByIndex
) -> schemas.SaleDetail:
    """The POS-document refund: the payment by its 0-based position on the sale."""
    repository = SaleRepository(session, principal.business_id)
    sale = await repository.get_for_update(sale_id)
    if sale is None:
        raise NotFound("Sale not found")
    payments = await repository.payments_of(sale.id)
    if data.payment_index >= len(payments):
        raise invalid(
            "payment_index", f"the sale has {len(payments)} payment(s)", "Payment not found"
        )
    payment = await repository.payment_for_update(sale.id, payments[data.payment_index].id)
    assert payment is not None
    return await _refund(
        session, principal, repository, sale, payment, data.refund_amount, data.reason
    )


async def _refund(
    session: AsyncSession,
    principal: Principal,
    repository: SaleRepository,
    sale: Sale,
    payment: Payment,
    amount: Decimal,
    reason: str,
) -> schemas.SaleDetail:
    if sale.status == SaleStatus.cancelled:
        raise InvalidState(f"Sale {sale.sale_number} is cancelled")
    business = await repository.business()
    check_minor_unit(amount, business.currency, "amount")
    refundable = payment.amount - payment.refunded_amount
    if amount > refundable:
        raise InvalidState(
            f"The refund of {amount} exceeds what this payment can give back ({refundable})",
            details=[{"field": "amount", "message": f"at most {refundable}"}],
        )
    refund = Refund(
        business_id=sale.business_id,
        sale_id=sale.id,
        payment_id=payment.id,
        amount=amount,
        reason=reason,
        refunded_by=principal.user_id,
    )
    session.add(refund)
    booked = sale.status == SaleStatus.completed
    refunded_before = sale.refunded_amount
    payment.refunded_amount += amount
    payment.status = (
        PaymentStatus.refunded
        if payment.refunded_amount == payment.amount
        else PaymentStatus.partially_refunded
    )
    if sale.status == SaleStatus.pending:
        sale.paid_amount -= amount
    else:
        sale.refunded_amount += amount
        if sale.status == SaleStatus.completed and sale.refunded_amount == sale.paid_amount:
            sale.status = SaleStatus.refunded
    await repository.flush()
    if booked:
        await booking.book_refund(
            session,
            repository,
            sale,
            refunded_before=refunded_before,
            # Never before the sale: another system's clock may put its sale up to a few
            # minutes after our now, and its refund must not land in an earlier hour or day.
            at=max(refund.created_at, sale.sold_at),
            currency=business.currency,
        )
    await audit.record(
        session,
        business_id=sale.business_id,
        action="refund.created",
        principal=principal,
        entity_type="sale",
        entity_id=sale.id,
        details={
            "refund_id": str(refund.id),
            "payment_id": str(payment.id),
            "amount": str(amount),
            "reason": reason,
        },
    )
    return await get_sale(session, principal, sale.id)


async def cancel_sale(
    session: AsyncSession, principal: Principal, sale_id: uuid.UUID, data: schemas.SaleCancel
) -> schemas.SaleDetail:
    """Cancel a pending sale that holds no money (refund its payments first)."""
    repository = SaleRepository(session, principal.business_id)
    sale = await repository.get_for_update(sale_id)
    if sale is None:
        raise NotFound("Sale not found")
    if sale.status != SaleStatus.pending:
        raise InvalidState(f"Sale {sale.sale_number} is {sale.status}; only a pending sale")
    if sale.paid_amount != 0:
        raise InvalidState(
            f"Sale {sale.sale_number} holds {sale.paid_amount} in payments: refund them first"
        )
    sale.status = SaleStatus.cancelled
    sale.cancelled_at = utcnow()
    await repository.flush()
    await audit.record(
        session,
        business_id=sale.business_id,
        action="sale.cancelled",
        principal=principal,
        entity_type="sale",
        entity_id=sale.id,
        details={"sale_number": sale.sale_number, "reason": data.reason},
    )
    return await get_sale(session, principal, sale.id)
