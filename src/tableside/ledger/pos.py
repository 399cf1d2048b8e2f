"""What the point of sale writes to the sales ledger (E1): the lines of a completed sale and of
each refund of it, as `LineIn`s for `ledger.writer.record_lines`. Pure: sale rows in, ledger
lines out; the payments domain calls it inside the transaction that completes or refunds.

A completed sale
    One ledger line per sale line, at the sale's `sold_at` (a past instant for a sale from
    another system): its location, menu item, category, quantity, net amount (after the
    sale's discount, before tax) and cost (unit cost x quantity; unknown when the line has no
    unit cost). The first line carries the sale's one transaction and its covers (the party
    seated at a dine-in order's table when the sale completed); the others carry 0. Server:
    the order's, else the user who rang the sale up; customer: the sale's. A sale without
    lines writes nothing.

A refund
    Booked when it happens (`sold_at` = the refund's time, so a closed day is never rewritten;
    the sale's own instant when that is later: another system's sale may be stamped a few
    minutes ahead of our clock),
    with the sale's location, items, categories, server and customer, and only when the sale
    was completed: a refund of a pending sale only reopens its balance, and nothing of that
    sale is in the ledger yet.

    - Money. The ledger holds net sales; a sale's total also holds its tax (and an order's
      tip). A refund of R out of a total T with net N takes back R x N / T, rounded to the
      minor unit: exactly R when the sale has neither tax nor tip. It is spread over the lines
      in proportion to their net amounts, cumulatively: once refunds add up to X, line i has
      given back `spread_refunded(share(X), nets)[i]`, and each refund writes the difference
      from the previous total. So the lines of one refund add up to its share exactly, and the
      refund that empties the sale (X = T, share = N) brings every line to exactly 0. The
      spread is Sainte-Lague's (Webster's) apportionment, not largest remainders: a line's
      part never shrinks as X grows, so no refund line is ever positive (with largest
      remainders one cent could move back to a line, booking revenue on a refund).
    - Quantity and cost. A partial refund gives money back, not goods: quantity 0 and cost 0.
      The refund that makes the sale fully refunded carries the full negative quantity and
      cost of every line (negative in proportion: each line's own cost), so the sale's units
      and cost net to 0 (a line whose cost is unknown keeps an unknown cost).
    - Transactions and covers are always 0 on refund lines: a refunded visit still happened,
      so the sale keeps its transaction and the hour keeps its guests.
    - A refund line with nothing on it (0 quantity, 0 amount, no cost) is not written.
"""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from tableside.kit.money import minor_unit, round_money
from tableside.ledger.lines import LineIn
from tableside.models import Sale, SaleLine

ZERO = Decimal("0")


@dataclass(frozen=True)
class Attribution:
    """Who a sale's lines are credited to, fixed when the sale completes."""

    server_id: uuid.UUID | None = None
    covers: int = 0


def line_cost(line: SaleLine) -> Decimal | None:
    """Unit cost x quantity, or None when the line's cost is unknown."""
    if line.unit_cost is None:
        return None
    return line.unit_cost * line.quantity


def sale_lines(sale: Sale, lines: Sequence[SaleLine], attribution: Attribution) -> list[LineIn]:
    """The ledger lines of a sale that has just completed (`lines` in position order)."""
    return [
        LineIn(
            sold_at=sale.sold_at,
            quantity=Decimal(line.quantity),
            net_amount=line.net_amount,
            location_id=sale.location_id,
            menu_item_id=line.menu_item_id,
            category_id=line.category_id,
            cost=line_cost(line),
            covers=attribution.covers if index == 0 else 0,
            transactions=1 if index == 0 else 0,
            sale_id=sale.id,
            server_id=attribution.server_id,
            customer_id=sale.customer_id,
        )
        for index, line in enumerate(lines)
    ]


def net_share(refunded: Decimal, net: Decimal, total: Decimal, currency: str) -> Decimal:
    """The part of `refunded` (money given back out of the sale's `total`) that was net sales."""
    if total <= 0 or refunded <= 0:
        return ZERO
    if refunded >= total:
        return net
    if net == total:
        return refunded
    return round_money(refunded * net / total, currency)


def spread_refunded(total: Decimal, nets: Sequence[Decimal], currency: str) -> list[Decimal]:
    """`total` (at most the sum of `nets`) split over the lines in proportion to their nets,
    in minor units, adding up to `total` exactly; each part at most its line's net.

    Sainte-Lague (Webster) apportionment: the units go to the `total` largest of the values
    net_i / (k - 1/2), k = 1, 2, ... (ties to the earlier line). Those sets only grow with the
    total, so a line's part never shrinks when more is refunded (largest remainders can take
    a unit back: the Alabama paradox). At `total` = the sum of the nets every part is its net.
    Computed from the rounded quotas, which are at most len(nets) / 2 units off, by taking the
    smallest values out or the largest next values in, one unit at a time."""
    unit = minor_unit(currency)
    weights = [int(net / unit) for net in nets]
    units, weight_sum = int(total / unit), sum(weights)
    if units <= 0 or weight_sum <= 0:
        return [Decimal(0) * unit for _ in nets]
    half = Fraction(1, 2)
    parts = [int(Fraction(units * weight, weight_sum) + half) for weight in weights]
    surplus = sum(parts) - units
    if surplus > 0:
        # The smallest values in the allocation first; among equal ones the later line's.
        heap = [
            (Fraction(weight) / (part - half), -index)
            for index, (weight, part) in enumerate(zip(weights, parts, strict=True))
            if part > 0
        ]
        heapq.heapify(heap)
        for _ in range(surplus):
            _, negative_index = heapq.heappop(heap)
            index = -negative_index
            parts[index] -= 1
            if parts[index] > 0:
                value = Fraction(weights[index]) / (parts[index] - half)
                heapq.heappush(heap, (value, negative_index))
    elif surplus < 0:
        # The largest values not yet in first; among equal ones the earlier line's.
        heap = [
            (-Fraction(weight) / (part + half), index)
            for index, (weight, part) in enumerate(zip(weights, parts, strict=True))
            if weight > 0
        ]
        heapq.heapify(heap)
        for _ in range(-surplus):
            _, index = heapq.heappop(heap)
            parts[index] += 1
            heapq.heappush(heap, (-Fraction(weights[index]) / (parts[index] + half), index))
    return [part * unit for part in parts]


def refund_lines(
    sale: Sale,
    lines: Sequence[SaleLine],
    attribution: Attribution,
    *,
    refunded_before: Decimal,
    refunded_after: Decimal,
    final: bool,
    at: datetime,
    currency: str,
) -> list[LineIn]:
    """The negative ledger lines of one refund of a completed sale.

    `refunded_before` and `refunded_after` are what the sale had given back before and after
    this refund; `final` says this refund made the sale fully refunded."""
    nets = [line.net_amount for line in lines]
    net = sum(nets, ZERO)
    before = spread_refunded(
        net_share(refunded_before, net, sale.total_amount, currency), nets, currency
    )
    after = (
        list(nets)
        if final
        else spread_refunded(
            net_share(refunded_after, net, sale.total_amount, currency), nets, currency
        )
    )
    written: list[LineIn] = []
    for line, given_before, given_after in zip(lines, before, after, strict=True):
        amount = given_before - given_after
        quantity = Decimal(-line.quantity) if final else ZERO
        full_cost = line_cost(line)
        cost = None if full_cost is None else (-full_cost if final else ZERO)
        if amount == 0 and quantity == 0 and not cost:
            continue
        written.append(
            LineIn(
                sold_at=at,
                quantity=quantity,
                net_amount=amount,
                location_id=sale.location_id,
                menu_item_id=line.menu_item_id,
                category_id=line.category_id,
                cost=cost,
                sale_id=sale.id,
                server_id=attribution.server_id,
                customer_id=sale.customer_id,
            )
        )
    return written
