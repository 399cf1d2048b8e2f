"""Pure ASGI middleware: request ids, structured access logs, request metrics and body limits."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tableside.errors import AppError, PayloadTooLarge
from tableside.http.context import client_ip_var, request_id_var

logger = structlog.get_logger("tableside.access")

_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def route_template(scope: Scope) -> str:
    """The matched route as a template with its full prefix (`/api/v1/users/{user_id}`).

    Nested routers report their path relative to their own prefix, so the prefix is taken
    from the leading segments of the concrete path; "unmatched" keeps metric labels bounded.
    """
    route = scope.get("route")
    relative = getattr(route, "path", None)
    if not relative:
        return "unmatched"
    relative_segments = relative.strip("/").split("/") if relative.strip("/") else []
    actual_segments = scope["path"].strip("/").split("/")
    prefix_length = max(len(actual_segments) - len(relative_segments), 0)
    prefix = "/".join(actual_segments[:prefix_length])
    return (f"/{prefix}" if prefix else "") + (relative if relative != "/" else "") or "/"


def client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RequestContextMiddleware:
    """Accept or create `X-Request-ID`, echo it, and log one structured line per request."""

    def __init__(self, app: ASGIApp, render_error: Any, metrics: Any = None) -> None:
        self.app = app
        self.render_error = render_error
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = header(scope, b"x-request-id")
        request_id = (
            incoming if incoming and _REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
        )
        scope.setdefault("state", {})["request_id"] = request_id
        request_id_token = request_id_var.set(request_id)
        ip_token = client_ip_var.set(client_ip(scope))
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status_code = 500
        response_started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status_code, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status_code = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            # The last line of defence: log the trace, answer 500 without any internals.
            logger.exception("unhandled error", path=scope["path"])
            if not response_started:
                await self.render_error(AppError(), request_id)(
                    scope, receive, send_with_request_id
                )
        finally:
            elapsed = time.perf_counter() - started
            route_path = route_template(scope)
            state = scope.get("state", {})
            principal = state.get("principal")
            logger.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                route=route_path,
                status=status_code,
                duration_ms=round(elapsed * 1000, 2),
                user_id=str(principal.user_id) if principal and principal.user_id else None,
                business_id=str(principal.business_id) if principal else None,
                client_ip=client_ip(scope),
            )
            if self.metrics is not None:
                self.metrics.observe(scope["method"], route_path, status_code, elapsed)
            structlog.contextvars.unbind_contextvars("request_id")
            request_id_var.reset(request_id_token)
            client_ip_var.reset(ip_token)


BODY_LIMIT_STATE = "body_limit"


class BodySizeLimitMiddleware:
    """Refuse bodies over the limit with 413, by Content-Length or while streaming.

    Paths in `large_paths` (bulk imports) get `large_max_bytes` instead."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        render_error: Any,
        large_paths: tuple[str, ...] = (),
        large_max_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.render_error = render_error
        self.large_paths = frozenset(large_paths)
        self.large_max_bytes = large_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = (
            max(self.max_bytes, self.large_max_bytes)
            if scope["path"].rstrip("/") in self.large_paths
            else self.max_bytes
        )
        # The idempotency middleware behind this one buffers bodies up to the same limit.
        scope.setdefault("state", {})[BODY_LIMIT_STATE] = limit
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(scope, receive, send, limit)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await self._reject(scope, receive, send, limit)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        error = PayloadTooLarge(f"Request body is larger than {limit} bytes")
        response = self.render_error(error, scope.get("state", {}).get("request_id"))
        await response(scope, receive, send)


class _BodyTooLarge(Exception):
    pass
