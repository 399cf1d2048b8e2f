"""Generated item codes: SKU prefixes and in-store EAN-13 barcodes."""

from __future__ import annotations

import pytest

from tableside.menu.codes import (
    ean13_check_digit,
    format_sku,
    generated_sku_number,
    is_valid_ean13,
    random_in_store_barcode,
    sku_prefix,
)


@pytest.mark.parametrize(
    ("names", "prefix"),
    [
        (("Pizza", "Margherita"), "PIZ"),
        ((None, "Margherita"), "MAR"),
        (("", "espresso"), "ESP"),
        (("Crème brûlée",), "CRE"),
        (("7 Up",), "UPX"),
        (("123", "Gö"), "GOX"),
        (("42", "%%"), "ITM"),
        ((), "ITM"),
    ],
)
def test_sku_prefix(names: tuple[str | None, ...], prefix: str) -> None:
    assert sku_prefix(*names) == prefix


def test_sku_numbers() -> None:
    assert format_sku("PIZ", 7) == "PIZ-0007"
    assert format_sku("PIZ", 12345) == "PIZ-12345"
    assert generated_sku_number("PIZ-0042") == ("PIZ", 42)
    assert generated_sku_number("PIZZA-001") is None
    assert generated_sku_number("piz-0001") is None
    assert generated_sku_number("PIZ-") is None


def test_ean13_check_digits() -> None:
    # Published examples: 4006381333931 (Stabilo), 5901234123457 (GS1 sample).
    assert ean13_check_digit("400638133393") == "1"
    assert ean13_check_digit("590123412345") == "7"
    assert is_valid_ean13("4006381333931")
    assert not is_valid_ean13("4006381333932")
    assert not is_valid_ean13("1234567890123")
    assert not is_valid_ean13("40063813339")
    with pytest.raises(ValueError):
        ean13_check_digit("12345")


def test_random_barcodes_are_valid_in_store_codes() -> None:
    codes = {random_in_store_barcode() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert code.startswith("2")
        assert is_valid_ean13(code)
