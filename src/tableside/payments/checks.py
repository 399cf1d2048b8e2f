"""Small shared rules of the payments domain: the zero amount and body-value errors."""

from __future__ import annotations

from decimal import Decimal

from tableside.errors import ValidationFailed
from tableside.kit.money import MAX_AMOUNT, round_money

ZERO = Decimal("0.00")


def invalid(field_name: str, message: str, summary: str | None = None) -> ValidationFailed:
    """422 VALIDATION_ERROR naming one field of the request."""
    return ValidationFailed(summary, details=[{"field": field_name, "message": message}])


def check_minor_unit(value: Decimal, currency: str, field_name: str) -> None:
    """Amounts finer than the currency's minor unit (a cent of yen) are refused, not rounded."""
    if round_money(value, currency) != value:
        raise invalid(field_name, f"has more decimals than {currency} allows")


def too_large(field_name: str, what: str, value: Decimal) -> ValidationFailed:
    """422 for an amount computed from the request that is past `MAX_AMOUNT`."""
    return invalid(
        field_name,
        f"{what} {value} is above the largest amount a sale holds ({MAX_AMOUNT})",
        "An amount of this sale is too large",
    )
