"""Opaque cursors of the raw-lines listing: the position (sold_at, id) of the last line a page
returned, signed so a cursor that was altered, minted for another business or for other
filters, is refused."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from datetime import UTC, datetime

from tableside.errors import ValidationFailed

_MAC_BYTES = 12


def _mac(secret: str, business_id: uuid.UUID, filters: str, payload: str) -> str:
    message = f"ledger-cursor|{business_id}|{filters}|{payload}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return digest[:_MAC_BYTES].hex()


def encode_cursor(
    secret: str, business_id: uuid.UUID, filters: str, sold_at: datetime, line_id: int
) -> str:
    """base64url("<sold_at ISO>|<id>|<mac>"), unpadded. The mac also covers `filters` (the
    listing's filters as text): a position only means "the rest" for the filters it was
    reached with."""
    payload = f"{sold_at.astimezone(UTC).isoformat()}|{line_id}"
    token = f"{payload}|{_mac(secret, business_id, filters, payload)}"
    return base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")


def decode_cursor(
    secret: str, business_id: uuid.UUID, filters: str, cursor: str
) -> tuple[datetime, int]:
    """The (sold_at, id) a cursor points after; 422 on `cursor` when it is not one of ours
    or was returned for other filters."""
    # One message whatever is wrong: a forged cursor and one sent with other filters both
    # fail the mac, and the endpoint's description says the filters must be the same.
    invalid = ValidationFailed(
        details=[{"field": "cursor", "message": "is not a cursor returned by this endpoint"}]
    )
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        sold_at_text, id_text, mac = raw.split("|")
        payload = f"{sold_at_text}|{id_text}"
        # As bytes: compare_digest refuses str holding non-ASCII (TypeError, a 500), and a
        # forged cursor may hold anything that decodes as UTF-8.
        if not hmac.compare_digest(
            mac.encode(), _mac(secret, business_id, filters, payload).encode()
        ):
            raise invalid
        sold_at = datetime.fromisoformat(sold_at_text)
        line_id = int(id_text)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise invalid from exc
    if sold_at.tzinfo is None:
        raise invalid
    return sold_at, line_id
