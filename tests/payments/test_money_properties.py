"""Property tests for the money of a sale: totals, split payments and cash change."""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tableside.db.database import Database
from tableside.payments.totals import DiscountTooLarge, sale_totals
from tests.factories import Account, money
from tests.factories.sales import SALES, card, cash, counter_sale, create_item, pay, set_business

CENT = Decimal("0.01")

prices = st.integers(min_value=0, max_value=99_999).map(lambda c: Decimal(c) * CENT)
quantities = st.integers(min_value=1, max_value=999)
tax_rates = st.integers(min_value=0, max_value=25_000).map(lambda m: Decimal(m) / 1000)
percents = st.integers(min_value=0, max_value=10_000).map(lambda b: Decimal(b) * CENT)
lines_strategy = st.lists(st.tuples(prices, quantities), min_size=1, max_size=15)

API_SETTINGS = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _half_up_cents(value: Fraction) -> int:
    """An independent oracle: round a non-negative amount of cents half up."""
    return int(value + Fraction(1, 2))


def _cents(value: Decimal) -> int:
    return int(value / CENT)


@settings(max_examples=400, deadline=None)
@given(lines=lines_strategy, tax_rate=tax_rates, data=st.data())
def test_totals_add_up_to_the_cent(
    lines: list[tuple[Decimal, int]], tax_rate: Decimal, data: st.DataObject
) -> None:
    subtotal_cents = sum(_cents(price) * qty for price, qty in lines)
    kind = data.draw(st.sampled_from(["none", "amount", "percent"]))
    discount_amount = discount_percent = None
    if kind == "amount":
        discount_amount = Decimal(data.draw(st.integers(0, subtotal_cents))) * CENT
    elif kind == "percent":
        discount_percent = data.draw(percents)

    totals = sale_totals(
        lines,
        tax_rate=tax_rate,
        discount_amount=discount_amount,
        discount_percent=discount_percent,
    )

    if discount_percent is not None:
        expected_discount = _half_up_cents(
            Fraction(subtotal_cents) * Fraction(discount_percent) / 100
        )
    else:
        expected_discount = _cents(discount_amount or Decimal(0))
    taxable = subtotal_cents - expected_discount
    expected_tax = _half_up_cents(Fraction(taxable) * Fraction(tax_rate) / 100)

    assert _cents(totals.subtotal) == subtotal_cents
    assert _cents(totals.discount_amount) == expected_discount
    assert _cents(totals.tax_amount) == expected_tax
    assert totals.total_amount == totals.subtotal - totals.discount_amount + totals.tax_amount
    assert sum(line.net_amount for line in totals.lines) == totals.subtotal - totals.discount_amount
    assert sum(line.discount_amount for line in totals.lines) == totals.discount_amount
    for line, (price, qty) in zip(totals.lines, lines, strict=True):
        assert line.line_total == price * qty
        assert 0 <= line.discount_amount <= line.line_total
        assert line.net_amount == line.line_total - line.discount_amount
    for amount in (totals.subtotal, totals.discount_amount, totals.tax_amount, totals.total_amount):
        assert amount.as_tuple().exponent == -2


@settings(max_examples=100, deadline=None)
@given(lines=lines_strategy, extra_cents=st.integers(min_value=1, max_value=10_000))
def test_a_discount_above_the_subtotal_is_refused(
    lines: list[tuple[Decimal, int]], extra_cents: int
) -> None:
    subtotal = sum((price * qty for price, qty in lines), Decimal("0.00"))
    try:
        sale_totals(lines, tax_rate=Decimal(0), discount_amount=subtotal + extra_cents * CENT)
    except DiscountTooLarge:
        return
    raise AssertionError("a discount above the subtotal was accepted")


@API_SETTINGS
@given(
    lines=st.lists(
        st.tuples(st.integers(1, 20_000).map(lambda c: Decimal(c) * CENT), st.integers(1, 5)),
        min_size=1,
        max_size=4,
    ),
    tax_rate=tax_rates,
    discount_percent=st.one_of(st.none(), percents),
)
async def test_api_totals_match_the_rule(
    client: httpx.AsyncClient,
    owner: Account,
    database: Database,
    lines: list[tuple[Decimal, int]],
    tax_rate: Decimal,
    discount_percent: Decimal | None,
) -> None:
    await set_business(client, owner, tax_rate=str(tax_rate))
    items = [(await create_item(database, owner, price=price), qty) for price, qty in lines]
    extra: dict[str, Any] = {}
    if discount_percent is not None:
        extra["discount_percent"] = str(discount_percent)
    response = await counter_sale(client, owner, items, **extra)
    assert response.status_code == 201, response.text
    sale = response.json()
    expected = sale_totals(
        lines, tax_rate=tax_rate, discount_percent=discount_percent, discount_amount=None
    )
    subtotal, discount = money(sale["subtotal"]), money(sale["discount_amount"])
    tax, total = money(sale["tax_amount"]), money(sale["total_amount"])
    assert (subtotal, discount, tax, total) == (
        expected.subtotal,
        expected.discount_amount,
        expected.tax_amount,
        expected.total_amount,
    )
    assert total == subtotal - discount + tax
    assert sum(money(line["net_amount"]) for line in sale["lines"]) == subtotal - discount


@st.composite
def splits(draw: st.DrawFn) -> tuple[int, list[int]]:
    """A total in cents and a split of it into 1 to 5 positive parts."""
    total = draw(st.integers(min_value=1, max_value=500_000))
    count = draw(st.integers(min_value=1, max_value=min(5, total)))
    cuts: list[int] = []
    if count > 1:
        cuts = sorted(
            draw(st.sets(st.integers(1, total - 1), min_size=count - 1, max_size=count - 1))
        )
    bounds = [0, *cuts, total]
    return total, [b - a for a, b in itertools.pairwise(bounds)]


@API_SETTINGS
@given(split=splits())
async def test_split_card_payments_complete_exactly_at_the_last(
    client: httpx.AsyncClient, owner: Account, database: Database, split: tuple[int, list[int]]
) -> None:
    total_cents, parts = split
    total = Decimal(total_cents) * CENT
    item = await create_item(database, owner, price=total)
    sale = (await counter_sale(client, owner, [(item, 1)])).json()
    assert money(sale["total_amount"]) == total
    for position, part in enumerate(parts, start=1):
        response = await pay(client, owner, sale["id"], card(Decimal(part) * CENT))
        assert response.status_code == 201, response.text
        body = response.json()
        last = position == len(parts)
        assert body["status"] == ("completed" if last else "pending")
    assert money(body["total_paid"]) == total
    assert money(body["remaining_amount"]) == 0
    assert sum(money(p["amount"]) for p in body["payments"]) == total


@API_SETTINGS
@given(
    total_cents=st.integers(min_value=1, max_value=100_000),
    tenders=st.lists(st.integers(min_value=1, max_value=300_000), min_size=1, max_size=4),
)
async def test_cash_change_is_what_was_handed_over_beyond_the_balance(
    client: httpx.AsyncClient,
    owner: Account,
    database: Database,
    total_cents: int,
    tenders: list[int],
) -> None:
    total = Decimal(total_cents) * CENT
    item = await create_item(database, owner, price=total)
    sale = (await counter_sale(client, owner, [(item, 1)])).json()
    remaining = total
    tendered_list = [Decimal(t) * CENT for t in tenders]
    # Whatever the random tenders, a last one covers the balance.
    tendered_list.append(total)
    for tendered in tendered_list:
        response = await pay(client, owner, sale["id"], cash(tendered))
        if remaining == 0:
            assert response.status_code == 409, response.text
            continue
        assert response.status_code == 201, response.text
        body = response.json()
        payment = body["payments"][-1]
        assert money(payment["tendered_amount"]) == tendered
        assert money(payment["change_given"]) == max(tendered - remaining, Decimal(0))
        assert money(payment["amount"]) == min(tendered, remaining)
        remaining -= money(payment["amount"])
        assert money(body["remaining_amount"]) == remaining
    final = (await client.get(f"{SALES}/{sale['id']}", headers=owner.headers)).json()
    assert final["status"] == "completed"
    assert money(final["total_paid"]) == total
    change = sum(money(p["change_given"]) for p in final["payments"])
    handed = sum(money(p["tendered_amount"]) for p in final["payments"])
    assert money(final["change_given"]) == change == handed - total
