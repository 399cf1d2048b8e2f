"""Reusable field validators: time zones, currencies, slugs, non-null update fields, text
parameters without NUL, calendar dates as YYYY-MM-DD."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import Request
from pydantic import BeforeValidator

from tableside.errors import ValidationFailed
from tableside.kit.money import CENT, THREE_DECIMAL_CURRENCIES, minor_unit
from tableside.kit.schemas import NUL_MESSAGE

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def _reject_null(value: Any) -> Any:
    if value is None:
        raise ValueError("must not be null")
    return value


# For update fields that may be left out but not cleared (their columns are NOT NULL: a null
# would reach the database and come back as a constraint error naming no field).
NotNull = BeforeValidator(_reject_null)


def _iso_date(value: Any) -> Any:
    """Pydantic reads a number as a Unix time (`date_to=0` was 1970-01-01, and a compact
    `20260601` an unhelpful error about time); a calendar date is YYYY-MM-DD only (API.md)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


# A calendar date parameter: YYYY-MM-DD, nothing else.
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


@lru_cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_timezone(value: str) -> str:
    if value not in _timezones():
        raise ValueError("must be an IANA time zone such as Europe/Rome or America/New_York")
    return value


def validate_currency(value: str) -> str:
    """An ISO 4217 code, upper-cased. Currencies counted in thousandths (KWD, BHD...) are
    refused: every amount is stored with two decimals, so their third would be lost."""
    value = value.upper()
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError("must be a three-letter ISO 4217 code such as USD or EUR")
    if minor_unit(value) < CENT:
        raise ValueError(
            f"{value} has three decimal places; Tableside keeps amounts to two, so "
            f"{', '.join(THREE_DECIMAL_CURRENCIES)} cannot be used"
        )
    return value


def slugify(text: str, max_length: int = 60) -> str:
    """A URL-safe slug: ASCII letters and digits joined by single hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "business"


def reject_nul_parameters(request: Request) -> None:
    """A dependency: 422 naming every query or path parameter that holds a NUL character.
    PostgreSQL text cannot hold one, so a search, a filter or a path token with `%00` failed
    in the database as a 500."""
    fields = [name for name, value in request.query_params.multi_items() if "\x00" in value]
    fields += [name for name, value in request.path_params.items() if "\x00" in str(value)]
    if fields:
        raise ValidationFailed(
            details=[{"field": name, "message": NUL_MESSAGE} for name in dict.fromkeys(fields)]
        )
