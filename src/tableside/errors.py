"""Application errors. Services raise these; one handler renders them in the API.md format."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Base of every error a client may see.

    `keep_changes` lets a service record something (a failed login, a revoked token family)
    and still fail the request: the transaction is committed instead of rolled back.
    """

    status_code = 500
    code = "INTERNAL_ERROR"
    default_message = "An unexpected error occurred"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        keep_changes: bool = False,
    ) -> None:
        self.message = message or self.default_message
        self.details = details or []
        self.headers = headers or {}
        self.keep_changes = keep_changes
        super().__init__(self.message)


class ValidationFailed(AppError):
    status_code = 422
    code = "VALIDATION_ERROR"
    default_message = "Request validation failed"


class BadRequest(AppError):
    status_code = 400
    code = "BAD_REQUEST"
    default_message = "The request cannot be used"


class Unauthorized(AppError):
    status_code = 401
    code = "UNAUTHORIZED"
    default_message = "Missing, expired or invalid credentials"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Forbidden(AppError):
    status_code = 403
    code = "FORBIDDEN"
    default_message = "You are not allowed to do this"


class NotFound(AppError):
    status_code = 404
    code = "NOT_FOUND"
    default_message = "Not found"


class DuplicateEntry(AppError):
    status_code = 409
    code = "DUPLICATE_ENTRY"
    default_message = "A record with this value already exists"


class InvalidState(AppError):
    status_code = 409
    code = "INVALID_STATE"
    default_message = "This transition is not allowed"


class IdempotencyConflict(AppError):
    status_code = 409
    code = "IDEMPOTENCY_CONFLICT"
    default_message = "This idempotency key was used with a different request"


class MethodNotAllowed(AppError):
    status_code = 405
    code = "METHOD_NOT_ALLOWED"
    default_message = "Method not allowed"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "PAYLOAD_TOO_LARGE"
    default_message = "Request body is too large"


class RateLimited(AppError):
    status_code = 429
    code = "RATE_LIMITED"
    default_message = "Too many requests"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "SERVICE_UNAVAILABLE"
    default_message = "A required component is unavailable"
