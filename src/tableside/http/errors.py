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
    """OpenAPI `responses` for these error statuses, each with the API.md body. Every
    operation already gets the errors any operation of its kind can send (`document_errors`);
    a router or route gives here the ones only it sends (a 409 of its own, a 401 without
    credentials), or its own wording."""
    return {
        status: {"model": ErrorResponse, "description": _ERROR_DESCRIPTIONS[status]}
        for status in statuses
    }


# FastAPI documents every validated operation's 422 with these schemas: a `{"detail": [...]}`
# body the API never sends, as the error handlers below render every error in the API.md body.
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_ERROR_SCHEMA_REF = "#/components/schemas/ErrorResponse"
_WRITE_METHODS = {"post", "put", "patch"}


def _statuses_of(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses any operation like this one can answer with, whatever its domain:
    422 when it reads parameters or a body; 400 (a body that cannot be read) and 413 (a body
    over the limit) when it takes a body; 401 and 403 when it needs credentials; 404 for an
    id in its path; 409 for a POST (an `Idempotency-Key` reused with another body), PUT or
    PATCH (a unique value taken, a transition not allowed); 429 unless its path is exempt
    from rate limits."""
    # Imported here: the rate-limit middleware renders its 429 with this module.
    from tableside.http.ratelimit import is_exempt

    parameters = operation.get("parameters") or []
    has_body = "requestBody" in operation
    statuses: set[int] = set()
    if parameters or has_body:
        statuses.add(422)
    if has_body:
        statuses |= {400, 413}
    if operation.get("security"):
        statuses |= {401, 403}
    if any(parameter.get("in") == "path" for parameter in parameters):
        statuses.add(404)
    if method in _WRITE_METHODS:
        statuses.add(409)
    if not is_exempt(path):
        statuses.add(429)
    return statuses


def _is_fastapi_validation_error(response: dict[str, Any]) -> bool:
    schemas = [media.get("schema", {}) for media in (response.get("content") or {}).values()]
    return any(
        schema.get("$ref", "").rsplit("/", 1)[-1] in _FASTAPI_VALIDATION_SCHEMAS
        for schema in schemas
    )


def document_errors(openapi: dict[str, Any]) -> dict[str, Any]:
    """Give every operation of an OpenAPI document the API.md error body for the errors it
    can answer with (see `_statuses_of`), in place of FastAPI's `{"detail": [...]}` for 422,
    and drop FastAPI's validation error schemas. Statuses a route documents itself (its own
    description or model) are kept. Returns the same, changed, document."""
    for path, operations in openapi.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            for status in sorted(_statuses_of(path, method, operation)):
                current = responses.get(str(status))
                if current is None or _is_fastapi_validation_error(current):
                    responses[str(status)] = {
                        "description": _ERROR_DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": {"$ref": _ERROR_SCHEMA_REF}}},
                    }
    schemas: dict[str, Any] = openapi.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    error_schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in error_schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas.setdefault("ErrorResponse", error_schema)
    return openapi


def install_openapi_errors(app: FastAPI) -> None:
    """Build the app's OpenAPI document (once, as FastAPI does) with `document_errors`."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


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
