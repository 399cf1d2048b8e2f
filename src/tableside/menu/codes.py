"""Generated item codes: SKUs from a name, and in-store EAN-13 barcodes.

A generated SKU is a three-letter prefix taken from the category's name (or the item's, when it
has no category), a hyphen and a number zero-padded to four digits: `PIZ-0001`. Numbers grow
per prefix, so a new item follows the highest SKU already of that shape.

A generated barcode is a valid EAN-13 in the `2` range, which GS1 leaves to in-store use, so it
can never collide with a manufacturer's code printed on bought-in goods.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

SKU_NUMBER_WIDTH = 4
SKU_PREFIX_LENGTH = 3
FALLBACK_PREFIX = "ITM"
IN_STORE_BARCODE_DIGIT = "2"

# A generated SKU: the prefix, a hyphen and digits. The digit count is capped so the number
# always fits a bigint when the database picks the highest one.
GENERATED_SKU_PATTERN = r"^[A-Z]{3}-[0-9]{1,18}$"
_GENERATED_SKU = re.compile(GENERATED_SKU_PATTERN)


def sku_prefix(*names: str | None) -> str:
    """Three uppercase ASCII letters from the first name that has any letters.

    `Pizza` gives `PIZ`, `Crème brûlée` gives `CRE`; a name with fewer than three letters is
    padded with `X` (`Go` gives `GOX`), and no letters at all gives `ITM`.
    """
    for name in names:
        if not name:
            continue
        ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        letters = re.sub(r"[^A-Z]", "", ascii_text.upper())
        if letters:
            return letters[:SKU_PREFIX_LENGTH].ljust(SKU_PREFIX_LENGTH, "X")
    return FALLBACK_PREFIX


def format_sku(prefix: str, number: int) -> str:
    """`PIZ`, 7 → `PIZ-0007`."""
    return f"{prefix}-{number:0{SKU_NUMBER_WIDTH}d}"


def generated_sku_number(sku: str) -> tuple[str, int] | None:
    """The prefix and number of a SKU of the generated shape, else None."""
    if not _GENERATED_SKU.match(sku):
        return None
    prefix, number = sku.split("-", 1)
    return prefix, int(number)


def ean13_check_digit(first_twelve: str) -> str:
    """The EAN-13 check digit: weights 1 and 3 alternate from the left."""
    if len(first_twelve) != 12 or not first_twelve.isdigit():
        raise ValueError("an EAN-13 check digit needs exactly 12 digits")
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(first_twelve))
    return str((10 - total % 10) % 10)


def is_valid_ean13(code: str) -> bool:
    """Whether `code` is 13 digits with a correct check digit."""
    return len(code) == 13 and code.isdigit() and ean13_check_digit(code[:12]) == code[12]


def random_in_store_barcode() -> str:
    """A random EAN-13 starting with `2` (GS1's in-store range), check digit included."""
    body = IN_STORE_BARCODE_DIGIT + "".join(str(secrets.randbelow(10)) for _ in range(11))
    return body + ean13_check_digit(body)
