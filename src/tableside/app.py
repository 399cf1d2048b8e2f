"""The application factory: middleware, error handlers, routers and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tableside import __version__
from tableside.api import api_router
from tableside.config import Settings, get_settings
from tableside.db.database import Database, resolve_database_url
from tableside.http.errors import error_response, install_error_handlers, install_openapi_errors
from tableside.http.idempotency import IdempotencyMiddleware
from tableside.http.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from tableside.http.ratelimit import AnonymousRateLimitMiddleware, RateLimiter
from tableside.jobs.registry import discover_handlers
from tableside.kit.memory import freeze_startup_objects
from tableside.logging import configure_logging
from tableside.system.metrics import RequestMetrics
from tableside.system.router import router as system_router

DESCRIPTION = """
Tableside is an open-source operating system for restaurants: point of sale and kitchen,
inventory and labor, and forecasting that turns every sale into tomorrow's plans.

Authenticate with `POST /api/v1/auth/login` (the **Authorize** button takes your email and
password) or send an API key in `X-API-Key`. Every error has the body
`{"error": {"code", "message", "details", "request_id", "timestamp"}}`.
"""


async def start_services(app: FastAPI) -> None:
    """Open what the app needs: the database, rate-limit storage and the in-process worker."""
    settings: Settings = app.state.settings
    if getattr(app.state, "database", None) is None:
        app.state.database = Database(await resolve_database_url(settings), settings)
    from tableside.jobs.runtime import start_in_process_worker

    if settings.run_worker_in_process:
        await start_in_process_worker(app)


async def stop_services(app: FastAPI) -> None:
    from tableside.jobs.runtime import stop_in_process_worker

    await stop_in_process_worker(app)
    database: Database | None = getattr(app.state, "database", None)
    if database is not None:
        await database.dispose()


# Bulk ingestion routes: their bodies may exceed the general limit.
LARGE_BODY_PATHS = ("/api/v1/sales/bulk", "/api/v1/sales/import", "/api/v1/menu/items/import-csv")


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the ASGI app. Tests pass their own settings and database."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await start_services(app)
        freeze_startup_objects()
        try:
            yield
        finally:
            await stop_services(app)

    app = FastAPI(
        title="Tableside API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        swagger_ui_parameters={"persistAuthorization": True},
    )
    app.state.settings = settings
    app.state.database = database
    app.state.rate_limiter = RateLimiter(settings)
    app.state.metrics = RequestMetrics()

    # Every job kind's handler, worker or not: cancelling a job through the API runs its
    # kind's cleanup hook (`job_handler(on_cancel=...)`).
    discover_handlers()
    install_error_handlers(app)
    install_openapi_errors(app)
    app.include_router(system_router)
    app.include_router(api_router)

    # Added innermost first: the request-context middleware wraps everything else.
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(AnonymousRateLimitMiddleware)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        render_error=error_response,
        large_paths=LARGE_BODY_PATHS,
        large_max_bytes=settings.max_import_body_bytes,
    )
    app.add_middleware(
        RequestContextMiddleware, render_error=error_response, metrics=app.state.metrics
    )
    return app
