"""The aggregate's points written column by column: exact decimals, the same JSON as one
dict per point would give."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pyarrow.compute as pc
import pytest

from tableside.ledger.series_json import decimal_text, points_json


def _text(scaled: list[int], digits: int) -> list[str]:
    array = np.array(scaled, np.int64)
    return pc.binary_join_element_wise(*decimal_text(array, digits), "").to_pylist()


def _exact(value: int, digits: int) -> str:
    return format(Decimal(value).scaleb(-digits).normalize(), "f")


def test_decimal_text_is_exact_without_trailing_zeros() -> None:
    assert _text([0, 5, -5, 10, 1250, -1250, 100, -100, 123456], 2) == [
        "0", "0.05", "-0.05", "0.1", "12.5", "-12.5", "1", "-1", "1234.56",
    ]  # fmt: skip
    assert _text([1000, 1500, 1, -999, 2**53 - 1], 3) == [
        "1", "1.5", "0.001", "-0.999", "9007199254740.991",
    ]  # fmt: skip


@pytest.mark.parametrize("digits", [2, 3])
def test_decimal_text_matches_decimal_on_random_values(digits: int) -> None:
    values = np.random.default_rng(digits).integers(-(10**12), 10**12, 5_000).tolist()
    assert _text(values, digits) == [_exact(value, digits) for value in values]


def _one_by_one(
    labels: list[str],
    groups: list[dict[str, object] | None],
    cents: list[int],
    transactions: list[int],
    thousandths: list[int],
    covers: list[int] | None,
) -> list[dict[str, object]]:
    width = len(groups)
    return [
        {
            "period_start": labels[index // width],
            "revenue": cents[index] / 100,
            "transactions": transactions[index],
            "items_sold": thousandths[index] / 1000,
            "covers": None if covers is None else covers[index],
            "group": groups[index % width],
        }
        for index in range(len(labels) * width)
    ]


@pytest.mark.parametrize("with_covers", [True, False])
def test_points_parse_to_the_same_values_as_dicts(with_covers: bool) -> None:
    rng = np.random.default_rng(7)
    labels = ["2026-03-07", "2026-03-08", "2026-03-09"]
    groups: list[dict[str, object] | None] = [
        {"key": "a", "name": 'Caf\u00e9 "Cr\u00e8me"\\ \u2014 \U0001f355'},
        {"key": None, "name": "No item"},
    ]
    size = len(labels) * len(groups)
    cents = rng.integers(-100_000, 10_000_000, size)
    transactions = rng.integers(0, 500, size)
    thousandths = rng.integers(-5_000, 900_000, size)
    covers = rng.integers(0, 90, size) if with_covers else None
    text = b"".join(points_json(labels, groups, cents, transactions, thousandths, covers))
    expected = _one_by_one(
        labels,
        groups,
        cents.tolist(),
        transactions.tolist(),
        thousandths.tolist(),
        covers.tolist() if covers is not None else None,
    )
    assert json.loads(text) == expected


def test_ungrouped_and_empty_series() -> None:
    one = np.array([250], np.int64)
    text = b"".join(points_json(["2026-01-01"], [None], one, one, one, one))
    assert json.loads(text) == [
        {
            "period_start": "2026-01-01",
            "revenue": 2.5,
            "transactions": 250,
            "items_sold": 0.25,
            "covers": 250,
            "group": None,
        }
    ]
    empty = np.array([], np.int64)
    assert b"".join(points_json([], [None], empty, empty, empty, None)) == b"[]"
    with pytest.raises(ValueError):
        points_json(["2026-01-01"], [None], empty, empty, empty, None)
