"""Render every error (ours, validation, routing, unexpected) in the one API.md body."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from tableside.errors import (
    AppError,
    BadRequest,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    ValidationFailed,
)
from tableside.http.context import request_id_var
from tableside.http.middleware import _BodyTooLarge
from tableside.kit.schemas import utcnow

logger = structlog.get_logger("tableside.errors")

_STATUS_ERRORS: dict[int, type[AppError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    422: ValidationFailed,
}


class ErrorInfo(BaseModel):
    code: str = Field(description="VALIDATION_ERROR, UNAUTHORIZED, NOT_FOUND... (API.md)")
    message: str
    details: list[dict[str, Any]] = Field(
        description="What failed: `field` and `message`, and for rows or lines their `index` "
        "or `line`; empty when there is nothing more to say"
    )
    request_id: str = Field(description="The X-Request-ID of the request")
    timestamp: str = Field(description="ISO 8601 in UTC with Z")


class ErrorResponse(BaseModel):
    """The body of every error response (API.md)."""

    error: ErrorInfo


_ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "BAD_REQUEST: well-formed but unusable (wrong file type, empty upload)",
    401: "UNAUTHORIZED: missing, expired or invalid credentials",
    403: "FORBIDDEN: the role does not allow it",
    404: "NOT_FOUND: absent, or another business's",
    409: "A conflict (INVALID_STATE, IDEMPOTENCY_CONFLICT, DUPLICATE_ENTRY or the endpoint's own)",
    413: "PAYLOAD_TOO_LARGE: the body is over the configured limit",
    422: "VALIDATION_ERROR: the body, query or path does not validate",
    429: "RATE_LIMITED: over a rate limit (see Retry-After)",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, each with the API.md body. Given on a
    router or route, a 422 here replaces FastAPI's own `{"detail": [...]}`, which the API
    never sends."""
    return {
        status: {"model": ErrorResponse, "description": _ERROR_DESCRIPTIONS[status]}
        for status in statuses
    }


def error_body(error: AppError, request_id: str | None) -> dict[str, Any]:
    return {
        "error": {
            "code": error.code,
            "message": error.message,
            "details": error.details,
            "request_id": request_id or request_id_var.get(),
            "timestamp": utcnow().isoformat(timespec="seconds").replace("+00:00", "Z"),
        }
    }


def error_response(error: AppError, request_id: str | None = None) -> JSONResponse:
    return JSONResponse(
        error_body(error, request_id), status_code=error.status_code, headers=error.headers
    )


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"} and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)


def _message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "is invalid"))
    return message.removeprefix("Value error, ")


def _detail(error: dict[str, Any]) -> dict[str, str]:
    """One `details` entry. FastAPI locates a body that is not JSON as ("body", <the
    character where parsing failed>), which would read as a field named "1": that error is
    reported on `body`, with the parser's reason and the position."""
    loc = tuple(error["loc"])
    if error.get("type") == "json_invalid":
        reason = str((error.get("ctx") or {}).get("error", "")).strip()
        message = "is not valid JSON" + (f": {reason}" if reason else "")
        if len(loc) > 1:
            message += f" (at character {loc[1]})"
        return {"field": "body", "message": message}
    return {"field": _field(loc), "message": _message(error)}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def handle_app_error(request: Request, exc: AppError) -> JSONResponse:
        return error_response(exc, _request_id(request))

    @app.exception_handler(RequestValidationError)
    async def handle_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [_detail(e) for e in exc.errors()]
        return error_response(ValidationFailed(details=details), _request_id(request))

    @app.exception_handler(StarletteHTTPException)
    async def handle_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, _BodyTooLarge):
            return error_response(PayloadTooLarge(), _request_id(request))
        error_class = _STATUS_ERRORS.get(exc.status_code, AppError)
        message = exc.detail if isinstance(exc.detail, str) else None
        if exc.status_code == 404 and message == "Not Found":
            message = f"No route for {request.method} {request.url.path}"
        if exc.status_code == 405:
            message = f"Method {request.method} is not allowed on {request.url.path}"
        error = error_class(message, headers=dict(exc.headers or {}))
        if error_class is AppError:
            error.status_code = exc.status_code
        return error_response(error, _request_id(request))
