"""Exact money. One rounding rule everywhere: half up (away from zero) to the currency's
minor unit, applied once per computed amount (a line total, the tax, a discount share),
never to intermediate products."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
# The largest amount an order, a sale, one of their lines or a payment holds (NUMERIC(12, 2)):
# a computed sum past it is refused as a request no business means, never left to overflow.
MAX_AMOUNT = Decimal("9999999999.99")

# ISO 4217 currencies whose minor unit is not the cent.
_MINOR_UNIT_EXPONENT = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip
THREE_DECIMAL_CURRENCIES = tuple(sorted(c for c, e in _MINOR_UNIT_EXPONENT.items() if e == 3))


def minor_unit(currency: str = "USD") -> Decimal:
    """The smallest amount of `currency`: 0.01 for USD, 1 for JPY, 0.001 for KWD."""
    exponent = _MINOR_UNIT_EXPONENT.get(currency.upper(), 2)
    return Decimal(1).scaleb(-exponent)


def round_money(value: Decimal, currency: str = "USD") -> Decimal:
    """Round half up to the currency's minor unit."""
    return value.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal, currency: str = "USD") -> Decimal:
    """`percent`% of `amount`, rounded once."""
    return round_money(amount * percent / HUNDRED, currency)


def allocate(total: Decimal, weights: Sequence[Decimal], currency: str = "USD") -> list[Decimal]:
    """Split `total` across `weights` in proportion, in minor units, so the parts add up to
    `total` exactly (largest remainders get the leftover units; ties go to the earlier part)."""
    if not weights:
        return []
    unit = minor_unit(currency)
    weight_sum = sum(weights, Decimal(0))
    if weight_sum == 0:
        shares = [Decimal(0)] * len(weights)
        shares[0] = total
        return shares
    raw = [total * weight / weight_sum for weight in weights]
    floors = [share.quantize(unit, rounding=ROUND_DOWN) for share in raw]
    leftover_units = int((total - sum(floors, Decimal(0))) / unit)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for index in order[:leftover_units]:
        floors[index] += unit
    return floors
