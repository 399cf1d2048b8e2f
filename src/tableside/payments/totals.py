"""A sale's money, computed from its lines.

The rule is the orders' one (`tableside.orders.totals`, documented in the orders package):
line totals, subtotal, discount, tax at the business rate, total; a counter sale has no tip.

The discount is spread over the lines in proportion to their totals with `kit.money.allocate`,
so the lines' net amounts add up to `subtotal - discount` to the minor unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tableside.kit.money import allocate, round_money
from tableside.orders.totals import compute_totals, line_total


class DiscountTooLarge(ValueError):
    """A fixed discount above the subtotal: the client made a mistake, nothing is capped."""


@dataclass(frozen=True)
class LineAmounts:
    """One line's money: its total, its share of the sale's discount and what is left."""

    line_total: Decimal
    discount_amount: Decimal
    net_amount: Decimal


@dataclass(frozen=True)
class SaleTotals:
    """The amounts stored on a sale and on each of its lines (in the lines' order)."""

    lines: tuple[LineAmounts, ...]
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal


def spread_discount(
    line_totals: Sequence[Decimal], discount: Decimal, currency: str = "USD"
) -> tuple[LineAmounts, ...]:
    """Each line's share of `discount`, proportional to its total; the shares add up to the
    discount exactly and no share exceeds its line (the discount never exceeds the sum)."""
    shares = allocate(discount, list(line_totals), currency)
    return tuple(
        LineAmounts(line_total=total, discount_amount=share, net_amount=total - share)
        for total, share in zip(line_totals, shares, strict=True)
    )


def sale_totals(
    priced_lines: Sequence[tuple[Decimal, int]],
    *,
    tax_rate: Decimal,
    discount_amount: Decimal | None = None,
    discount_percent: Decimal | None = None,
    currency: str = "USD",
) -> SaleTotals:
    """Totals of a counter sale from `(unit_price, quantity)` pairs, by the orders' money rule
    (`orders.totals.compute_totals`, with no tip), plus each line's share of the discount.

    Raises `DiscountTooLarge` when a fixed discount is above the subtotal: at the till that is
    a mistake to report, where an order caps a discount its lines later fell below.
    """
    totals = [line_total(price, quantity, currency) for price, quantity in priced_lines]
    money = compute_totals(
        totals,
        tax_rate=tax_rate,
        discount_amount=discount_amount or Decimal(0),
        discount_percent=discount_percent,
        currency=currency,
    )
    if discount_percent is None and round_money(discount_amount or Decimal(0), currency) > (
        money.subtotal
    ):
        raise DiscountTooLarge(
            f"the discount {round_money(discount_amount or Decimal(0), currency)}"
            f" is above the subtotal {money.subtotal}"
        )
    return SaleTotals(
        lines=spread_discount(totals, money.discount_amount, currency),
        subtotal=money.subtotal,
        discount_amount=money.discount_amount,
        tax_amount=money.tax_amount,
        total_amount=money.total_amount,
    )
