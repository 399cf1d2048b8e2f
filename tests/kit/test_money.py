"""Exact money: half-up rounding to the minor unit and allocations that add up to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tableside.kit.money import allocate, minor_unit, percent_of, round_money

D = Decimal


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("2.345", "USD", "2.35"),
        ("2.344999", "USD", "2.34"),
        ("-2.345", "USD", "-2.35"),  # half up means away from zero
        ("0.005", "EUR", "0.01"),
        ("1234.5", "JPY", "1235"),
        ("1.2345", "KWD", "1.235"),
    ],
)
def test_round_money_half_up_to_the_minor_unit(value: str, currency: str, expected: str) -> None:
    assert round_money(D(value), currency) == D(expected)
    assert str(round_money(D(value), currency)) == expected


def test_minor_units() -> None:
    assert minor_unit("usd") == D("0.01")
    assert minor_unit("JPY") == D("1")
    assert minor_unit("BHD") == D("0.001")


def test_percent_of_rounds_once() -> None:
    # 8.875% of 25.98 = 2.305725 -> 2.31
    assert percent_of(D("25.98"), D("8.875")) == D("2.31")
    assert percent_of(D("0"), D("20")) == D("0.00")


def test_allocate_spreads_leftover_cents_to_the_largest_remainders() -> None:
    assert allocate(D("10.00"), [D(1), D(1), D(1)]) == [D("3.34"), D("3.33"), D("3.33")]
    assert allocate(D("1.00"), [D("0.10"), D("0.30"), D("0.60")]) == [
        D("0.10"),
        D("0.30"),
        D("0.60"),
    ]
    assert allocate(D("5.00"), [D(0), D(0)]) == [D("5.00"), D(0)]
    assert allocate(D("5.00"), []) == []


@settings(max_examples=300, deadline=None)
@given(
    total=st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False),
    weights=st.lists(
        st.decimals(min_value=0, max_value=10000, places=2, allow_nan=False),
        min_size=1,
        max_size=30,
    ),
)
def test_allocate_always_adds_up_to_the_cent(total: Decimal, weights: list[Decimal]) -> None:
    parts = allocate(total, weights)
    assert sum(parts, D(0)) == total
    assert all(part >= 0 for part in parts)
    assert all(part == part.quantize(D("0.01")) for part in parts)
    weight_sum = sum(weights, D(0))
    if weight_sum:
        # No part strays more than one cent from its exact proportional share.
        for part, weight in zip(parts, weights, strict=True):
            assert abs(part - total * weight / weight_sum) < D("0.01")
