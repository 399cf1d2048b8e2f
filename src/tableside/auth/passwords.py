"""Password hashing (Argon2) and the password policy."""

from __future__ import annotations

import re

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

_hasher = PasswordHash((Argon2Hasher(),))

# Verifying against this keeps the time of a login for an unknown email the same as for a
# known one, so response times do not reveal which emails have accounts.
_DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")

PASSWORD_RULES = "at least 8 characters with an upper-case letter, a lower-case letter and a digit"


def password_problems(password: str) -> list[str]:
    """What the password lacks under the policy (empty when it is acceptable)."""
    problems = []
    if len(password) < 8:
        problems.append("must be at least 8 characters")
    if len(password) > 128:
        problems.append("must be at most 128 characters")
    if not re.search(r"[A-Z]", password):
        problems.append("must contain an upper-case letter")
    if not re.search(r"[a-z]", password):
        problems.append("must contain a lower-case letter")
    if not re.search(r"\d", password):
        problems.append("must contain a digit")
    return problems


def validate_password(password: str) -> str:
    """Pydantic validator: raise ValueError naming every broken rule."""
    problems = password_problems(password)
    if problems:
        raise ValueError("; ".join(problems))
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """Check a password; with no hash, still spend the same time and fail."""
    if hashed is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    try:
        return bool(_hasher.verify(password, hashed))
    except Exception:
        return False
