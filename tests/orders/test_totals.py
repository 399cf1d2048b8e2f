"""The money rule on its own: exact lines, one rounding per amount, capped discounts."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tableside.kit.money import round_money
from tableside.orders.numbering import format_order_number
from tableside.orders.totals import compute_totals, line_total

D = Decimal


def test_tax_8875_on_two_pizzas() -> None:
    totals = compute_totals([line_total(D("12.99"), 2)], tax_rate=D("8.875"))
    assert totals.subtotal == D("25.98")
    # 25.98 x 8.875% = 2.305725 -> 2.31 (half up, once)
    assert totals.tax_amount == D("2.31")
    assert totals.total_amount == D("28.29")


def test_percent_discount_then_tax_then_tip() -> None:
    totals = compute_totals(
        [D("25.98"), D("16.99")],
        tax_rate=D("8.875"),
        discount_percent=D("15"),
        tip_amount=D("5.00"),
    )
    assert totals.subtotal == D("42.97")
    assert totals.discount_amount == D("6.45")  # 6.4455 -> 6.45
    assert totals.tax_amount == D("3.24")  # 36.52 x 8.875% = 3.24115
    assert totals.total_amount == D("44.76")


def test_fixed_discount_is_capped_at_the_subtotal() -> None:
    totals = compute_totals([D("4.00")], tax_rate=D("10"), discount_amount=D("9.00"))
    assert totals.discount_amount == D("4.00")
    assert totals.tax_amount == D("0.00")
    assert totals.total_amount == D("0.00")


def test_currency_without_minor_unit() -> None:
    totals = compute_totals([line_total(D("1250"), 3, "JPY")], tax_rate=D("10"), currency="JPY")
    assert totals.subtotal == D("3750")
    assert totals.tax_amount == D("375")
    assert totals.total_amount == D("4125")


def test_order_number_format() -> None:
    from datetime import date

    assert format_order_number(date(2026, 1, 15), 42) == "20260115-0042"
    assert format_order_number(date(2026, 1, 15), 12345) == "20260115-12345"


cents = st.integers(min_value=0, max_value=500_000).map(lambda c: D(c) / 100)


@given(
    prices=st.lists(st.tuples(cents, st.integers(1, 999)), max_size=12),
    tax=st.integers(0, 100_000).map(lambda r: D(r) / 1000),
    percent=st.one_of(st.none(), st.integers(0, 10_000).map(lambda p: D(p) / 100)),
    fixed=cents,
    tip=cents,
)
def test_totals_invariants(
    prices: list[tuple[Decimal, int]],
    tax: Decimal,
    percent: Decimal | None,
    fixed: Decimal,
    tip: Decimal,
) -> None:
    lines = [line_total(price, quantity) for price, quantity in prices]
    assert all(total == price * qty for total, (price, qty) in zip(lines, prices, strict=True))
    totals = compute_totals(
        lines, tax_rate=tax, discount_amount=fixed, discount_percent=percent, tip_amount=tip
    )
    assert totals.subtotal == sum(lines, D(0))
    assert D(0) <= totals.discount_amount <= totals.subtotal
    assert totals.tax_amount == round_money((totals.subtotal - totals.discount_amount) * tax / 100)
    assert totals.total_amount == (
        totals.subtotal - totals.discount_amount + totals.tax_amount + totals.tip_amount
    )
    for amount in (totals.subtotal, totals.discount_amount, totals.tax_amount, totals.total_amount):
        assert amount == round_money(amount)
