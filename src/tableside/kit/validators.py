"""Reusable field validators: time zones, currencies, slugs."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from zoneinfo import available_timezones

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


@lru_cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_timezone(value: str) -> str:
    if value not in _timezones():
        raise ValueError("must be an IANA time zone such as Europe/Rome or America/New_York")
    return value


def validate_currency(value: str) -> str:
    value = value.upper()
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError("must be a three-letter ISO 4217 code such as USD or EUR")
    return value


def slugify(text: str, max_length: int = 60) -> str:
    """A URL-safe slug: ASCII letters and digits joined by single hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "business"
