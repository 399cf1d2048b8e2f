"""A sale's money, computed from its lines.

Pure functions on `Decimal` (no database, no framework) so the rule can be tested alone:

- line_total = unit_price x quantity (exact for a price already in minor units);
- subtotal = the sum of the line totals;
- discount = the fixed amount, or percent_of(subtotal, discount_percent); never above the
  subtotal;
- tax = percent_of(subtotal - discount, tax_rate);
- total = subtotal - discount + tax.

The discount is spread over the lines in proportion to their totals with `kit.money.allocate`,
so the lines' net amounts add up to `subtotal - discount` to the minor unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tableside.kit.money import allocate, percent_of, round_money


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


def line_total(unit_price: Decimal, quantity: int, currency: str = "USD") -> Decimal:
    """Price times quantity, in the currency's minor unit."""
    return round_money(unit_price * quantity, currency)


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
    """Totals of a counter sale from `(unit_price, quantity)` pairs.

    Raises `DiscountTooLarge` when a fixed discount is above the subtotal.
    """
    totals = [line_total(price, quantity, currency) for price, quantity in priced_lines]
    subtotal = round_money(sum(totals, Decimal(0)), currency)
    if discount_percent is not None:
        discount = min(percent_of(subtotal, discount_percent, currency), subtotal)
    else:
        discount = round_money(discount_amount or Decimal(0), currency)
        if discount > subtotal:
            raise DiscountTooLarge(f"the discount {discount} is above the subtotal {subtotal}")
    taxable = subtotal - discount
    tax = percent_of(taxable, tax_rate, currency)
    return SaleTotals(
        lines=spread_discount(totals, discount, currency),
        subtotal=subtotal,
        discount_amount=discount,
        tax_amount=tax,
        total_amount=taxable + tax,
    )
