"""Booking sales and refunds in the sales ledger (E1), inside the transaction that completes or
refunds the sale. What the lines hold is decided in `ledger.pos`; this module gathers what it
needs (the sale's lines, its order's server and party) and hands the lines to the ledger."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.ledger import pos
from tableside.ledger.writer import record_lines
from tableside.models import OrderType, Sale, SaleStatus
from tableside.payments.repository import SaleRepository


async def attribution(repository: SaleRepository, sale: Sale) -> pos.Attribution:
    """The sale's server (its order's, else whoever rang it up) and covers (the party at a
    dine-in order's table, read now: the table is freed once the order is paid)."""
    seating = await repository.seating(sale.order_id) if sale.order_id is not None else None
    if seating is None:
        return pos.Attribution(server_id=sale.user_id)
    covers = (seating.party_size or 0) if seating.order_type == OrderType.dine_in else 0
    return pos.Attribution(server_id=seating.server_id or sale.user_id, covers=covers)


async def book_sale(session: AsyncSession, repository: SaleRepository, sale: Sale) -> int:
    """Write a sale that has just completed to the ledger; returns the lines written."""
    lines = await repository.lines_of(sale.id)
    booked = pos.sale_lines(sale, lines, await attribution(repository, sale))
    return await record_lines(session, sale.business_id, booked, source=sale.source)


async def book_refund(
    session: AsyncSession,
    repository: SaleRepository,
    sale: Sale,
    *,
    refunded_before: Decimal,
    at: datetime,
    currency: str,
) -> int:
    """Write one refund of a completed sale (the sale already updated by it) to the ledger."""
    lines = await repository.lines_of(sale.id)
    booked = pos.refund_lines(
        sale,
        lines,
        await attribution(repository, sale),
        refunded_before=refunded_before,
        refunded_after=sale.refunded_amount,
        final=sale.status == SaleStatus.refunded,
        at=at,
        currency=currency,
    )
    return await record_lines(session, sale.business_id, booked, source=sale.source)
