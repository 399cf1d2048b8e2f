"""Order numbers: `YYYYMMDD-NNNN`, sequential per business and business day."""

from __future__ import annotations

from datetime import date


def format_order_number(business_date: date, sequence: int) -> str:
    """`20260115-0042`: the business day, then the day's sequence (at least four digits; a
    day past 9999 orders simply gets a longer number)."""
    return f"{business_date:%Y%m%d}-{sequence:04d}"
