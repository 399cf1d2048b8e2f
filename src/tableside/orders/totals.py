"""The order's money, computed from its lines (the rule is in the package docstring).

Pure functions on `Decimal`: no database, no framework, so the rule can be tested alone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from tableside.kit.money import percent_of, round_money


@dataclass(frozen=True)
class Totals:
    """The amounts stored on an order."""

    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    tip_amount: Decimal
    total_amount: Decimal


def line_total(unit_price: Decimal, quantity: int, currency: str = "USD") -> Decimal:
    """Price times quantity. Exact for a price already in minor units; the rounding only
    normalises the exponent (12.5 -> 12.50)."""
    return round_money(unit_price * quantity, currency)


def discount_for(
    subtotal: Decimal,
    *,
    discount_amount: Decimal,
    discount_percent: Decimal | None,
    currency: str = "USD",
) -> Decimal:
    """The discount actually granted: the percent of the subtotal when a percent is set,
    otherwise the fixed amount; capped at the subtotal so a total never goes below the tax."""
    if discount_percent is not None:
        discount = percent_of(subtotal, discount_percent, currency)
    else:
        discount = round_money(discount_amount, currency)
    return min(discount, subtotal)


def compute_totals(
    line_totals: Iterable[Decimal],
    *,
    tax_rate: Decimal,
    discount_amount: Decimal = Decimal(0),
    discount_percent: Decimal | None = None,
    tip_amount: Decimal = Decimal(0),
    currency: str = "USD",
) -> Totals:
    """Subtotal, discount, tax and total from the line totals of the lines that count (the
    caller leaves voided lines out)."""
    subtotal = round_money(sum(line_totals, Decimal(0)), currency)
    discount = discount_for(
        subtotal,
        discount_amount=discount_amount,
        discount_percent=discount_percent,
        currency=currency,
    )
    tax = percent_of(subtotal - discount, tax_rate, currency)
    tip = round_money(tip_amount, currency)
    return Totals(
        subtotal=subtotal,
        discount_amount=discount,
        tax_amount=tax,
        tip_amount=tip,
        total_amount=subtotal - discount + tax + tip,
    )
