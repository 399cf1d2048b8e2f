"""Idempotency keys on POST: the first response is stored and replayed for retries (API.md).

A client sends `Idempotency-Key` (or `X-Idempotency-Key`) with a POST. The key is scoped to the
caller (user, API key or anonymous client address), the method and the path. The first request
claims the key by inserting an `in_progress` row in its own committed transaction, so exactly
one of any number of concurrent duplicates, on any number of processes, runs the handler. The
others wait for the stored response and replay it byte for byte with `Idempotent-Replayed:
true`; a different request body under the same key is `409 IDEMPOTENCY_CONFLICT`.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tableside.auth.tokens import hash_token
from tableside.config import Settings
from tableside.db.database import Database
from tableside.errors import AppError, IdempotencyConflict, RateLimited, ValidationFailed
from tableside.http.errors import error_response
from tableside.http.middleware import BODY_LIMIT_STATE, client_ip, header
from tableside.http.ratelimit import RateLimiter, bearer_claims
from tableside.kit.schemas import utcnow
from tableside.models.idempotency import IdempotencyRecord

logger = structlog.get_logger("tableside.idempotency")

MAX_KEY_LENGTH = 255
MAX_PATH_LENGTH = 500  # the width of idempotency_records.path
REPLAYED_HEADER = (b"idempotent-replayed", b"true")

IN_PROGRESS = "in_progress"
COMPLETED = "completed"

# How long an unfinished claim holds its key. A process that dies mid-request never completes
# or releases its claim; the lease lets a retry run again instead of waiting out the full TTL.
# Long work belongs in jobs (202), so no request legitimately runs this long.
IN_PROGRESS_LEASE = timedelta(minutes=5)

# Waiting for a concurrent duplicate: start polling quickly, back off to spare the database.
POLL_FIRST_DELAY = 0.02
POLL_MAX_DELAY = 0.25

# Responses that say nothing final about the request, so a retry must run it again: bad or
# stale credentials and rate limits are fixed by the client, 5xx may succeed next time.
_NOT_STORED = frozenset({401, 408, 429})

# Indirection so tests can observe a duplicate waiting without sleeping themselves.
_sleep = asyncio.sleep


@dataclass(frozen=True)
class KeyedRequest:
    """A POST carrying an idempotency key: who sent it, where to, and what it said."""

    principal: str
    business_id: uuid.UUID | None
    method: str
    path: str
    key: str
    request_hash: str
    user_key: str | None = None  # rate-limit keys for counting a bearer caller's replays
    business_key: str | None = None


class IdempotencyMiddleware:
    """Store the first response to a keyed POST and replay it for retries with the same key."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key = idempotency_key(scope)
        if key is None or len(scope["path"]) > MAX_PATH_LENGTH:
            # Paths that long match no route (they get a 404); the record could not hold them.
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            error = ValidationFailed(
                details=[
                    {
                        "field": "Idempotency-Key",
                        "message": f"must be 1 to {MAX_KEY_LENGTH} characters",
                    }
                ]
            )
            await error_response(error, state.get("request_id"))(scope, receive, send)
            return
        settings: Settings = scope["app"].state.settings
        # The limit the body-size middleware in front applied to this path (the import routes
        # take larger bodies than the rest): within it the key holds, whatever the size.
        limit = state.get(BODY_LIMIT_STATE, settings.max_body_bytes)
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            # The body-size middleware in front answers 413; never buffer such a body here.
            await self.app(scope, receive, send)
            return
        # A body over the limit while streaming raises in `receive`; the body-size middleware
        # in front turns that into 413 before anything was claimed.
        body = await _read_body(receive)
        if body is None:
            return  # the client disconnected before sending the whole body
        request = keyed_request(scope, key, body)
        await _Exchange(self.app, scope, _replaying(body, receive), send, request).run()


def idempotency_key(scope: Scope) -> str | None:
    """The request's `Idempotency-Key` (or `X-Idempotency-Key`), or None when it has none."""
    value = header(scope, b"idempotency-key")
    if value is None:
        value = header(scope, b"x-idempotency-key")
    return value.strip() if value is not None else None


def keyed_request(scope: Scope, key: str, body: bytes) -> KeyedRequest:
    """Who the key belongs to and a digest of everything that makes the request what it is."""
    method = scope["method"]
    path = scope["path"]
    digest = hashlib.sha256()
    # NUL separators: a method, path or query string never contains one, so no two different
    # requests concatenate to the same bytes.
    for part in (method.encode(), path.encode(), scope.get("query_string", b"")):
        digest.update(part)
        digest.update(b"\0")
    digest.update(_canonical_body(scope, body))
    claims = bearer_claims(scope)
    api_key = header(scope, b"x-api-key")
    if claims is not None:
        return KeyedRequest(
            principal=f"user:{claims.user_id}",
            business_id=claims.business_id,
            method=method,
            path=path,
            key=key,
            request_hash=digest.hexdigest(),
            user_key=f"user:{claims.user_id}",
            business_key=f"business:{claims.business_id}",
        )
    principal = f"apikey:{hash_token(api_key)}" if api_key else f"anon:{client_ip(scope)}"
    return KeyedRequest(principal, None, method, path, key, digest.hexdigest())


def _canonical_body(scope: Scope, body: bytes) -> bytes:
    """The body as far as it says what the request is. A multipart body (a file upload)
    carries a boundary the client picks at random for every request, so a retry of the same
    upload differs in those bytes only: its delimiters are hashed without the boundary (which
    by definition occurs nowhere else in the body)."""
    content_type = header(scope, b"content-type") or ""
    media_type, _, params = content_type.partition(";")
    if media_type.strip().lower() != "multipart/form-data":
        return body
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary" and value.strip().strip('"'):
            return body.replace(b"--" + value.strip().strip('"').encode("latin-1"), b"--")
    return body


class _Exchange:
    """One keyed request: claim the key and run, or replay, conflict or wait for the first."""

    def __init__(
        self, app: ASGIApp, scope: Scope, receive: Receive, send: Send, request: KeyedRequest
    ) -> None:
        self.app = app
        self.scope = scope
        self.receive = receive
        self.send = send
        self.request = request
        self.settings: Settings = scope["app"].state.settings
        self.store = IdempotencyStore(scope["app"].state.database)

    async def run(self) -> None:
        """Claim the key and run the app, or answer from (or about) the request that holds it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.idempotency_wait_seconds
        delay = POLL_FIRST_DELAY
        while True:
            claim_id = await self.store.claim(self.request, utcnow() + IN_PROGRESS_LEASE)
            if claim_id is not None:
                await self._run_claimed(claim_id)
                return
            record = await self.store.load(self.request)
            if record is None:
                continue  # released (5xx) or purged since our claim failed: claim again
            if record.expires_at <= utcnow():
                await self.store.delete_expired(record.id)
                continue
            if record.request_hash != self.request.request_hash:
                await self._reject(IdempotencyConflict())
                return
            if record.status == COMPLETED:
                await self._replay(record)
                return
            if loop.time() >= deadline:
                await self._reject(
                    IdempotencyConflict(
                        "A request with this idempotency key is still in progress; retry later"
                    )
                )
                return
            await _sleep(delay)
            delay = min(delay * 2, POLL_MAX_DELAY)

    async def _run_claimed(self, claim_id: uuid.UUID) -> None:
        status: int | None = None
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        complete = False

        async def capture(message: Message) -> None:
            nonlocal status, headers, complete
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                complete = not message.get("more_body", False)
            await self.send(message)

        try:
            await self.app(self.scope, self.receive, capture)
        except BaseException:
            # Shielded so a cancelled request (client gone) still frees its key for a retry.
            await asyncio.shield(self._release_quietly(claim_id))
            raise
        if status is None or not complete or not is_storable(status):
            await self._release_quietly(claim_id)
            return
        try:
            await self.store.complete(
                claim_id,
                status,
                headers,
                b"".join(chunks),
                utcnow() + timedelta(hours=self.settings.idempotency_ttl_hours),
            )
        except Exception:
            # The client already has its response; a failed store only costs replayability.
            logger.exception("could not store idempotent response", key=self.request.key)
            await self._release_quietly(claim_id)

    async def _release_quietly(self, claim_id: uuid.UUID) -> None:
        try:
            await self.store.release(claim_id)
        except Exception:
            # The lease still frees the key eventually; the request's own outcome matters more.
            logger.exception("could not release idempotency claim", key=self.request.key)

    async def _replay(self, record: IdempotencyRecord) -> None:
        if self.request.user_key and self.request.business_key:
            # A replay never reaches the auth dependency, which counts authenticated requests;
            # count it here so retries stay inside the caller's budget and carry its headers.
            limiter: RateLimiter = self.scope["app"].state.rate_limiter
            try:
                limit_state = await limiter.hit_principal(
                    self.request.user_key, self.request.business_key
                )
            except RateLimited as exc:
                await self._reject(exc)
                return
            if limit_state is not None:
                self.scope["state"]["rate_limit"] = limit_state
        headers = [
            (str(name).encode("latin-1"), str(value).encode("latin-1"))
            for name, value in record.response_headers or []
        ]
        headers.append(REPLAYED_HEADER)
        await self.send(
            {
                "type": "http.response.start",
                "status": record.response_status or 200,
                "headers": headers,
            }
        )
        await self.send(
            {"type": "http.response.body", "body": record.response_body or b"", "more_body": False}
        )

    async def _reject(self, error: AppError) -> None:
        response = error_response(error, self.scope.get("state", {}).get("request_id"))
        await response(self.scope, self.receive, self.send)


def is_storable(status: int) -> bool:
    """Whether a response with `status` is final for its request and so replayed for retries."""
    return status < 500 and status not in _NOT_STORED


class IdempotencyStore:
    """The `idempotency_records` rows. Each call is its own short, committed transaction.

    The table has no row-level security: it is read before the tenant is known, and always
    by the exact principal, method, path and key.
    """

    def __init__(self, database: Database) -> None:
        self.database = database

    async def claim(self, request: KeyedRequest, lease_until: datetime) -> uuid.UUID | None:
        """Insert an in-progress row for the key; its id if this call won, else None."""
        statement = (
            insert(IdempotencyRecord)
            .values(
                id=uuid.uuid4(),
                business_id=request.business_id,
                principal=request.principal,
                method=request.method,
                path=request.path,
                key=request.key,
                request_hash=request.request_hash,
                status=IN_PROGRESS,
                expires_at=lease_until,
            )
            .on_conflict_do_nothing(index_elements=["principal", "method", "path", "key"])
            .returning(IdempotencyRecord.id)
        )
        async with self.database.session() as session:
            claimed: uuid.UUID | None = (await session.execute(statement)).scalar_one_or_none()
        return claimed

    async def load(self, request: KeyedRequest) -> IdempotencyRecord | None:
        """The row holding the key, if any."""
        statement = select(IdempotencyRecord).where(
            IdempotencyRecord.principal == request.principal,
            IdempotencyRecord.method == request.method,
            IdempotencyRecord.path == request.path,
            IdempotencyRecord.key == request.key,
        )
        async with self.database.session() as session:
            record: IdempotencyRecord | None = (
                await session.execute(statement)
            ).scalar_one_or_none()
        return record

    async def complete(
        self,
        claim_id: uuid.UUID,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        expires_at: datetime,
    ) -> None:
        """Record the response of the claimed request, to be replayed until `expires_at`."""
        statement = (
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == claim_id, IdempotencyRecord.status == IN_PROGRESS)
            .values(
                status=COMPLETED,
                response_status=status,
                # latin-1 maps every byte to one character, so headers round-trip exactly.
                response_headers=[[k.decode("latin-1"), v.decode("latin-1")] for k, v in headers],
                response_body=body,
                expires_at=expires_at,
                updated_at=utcnow(),
            )
        )
        async with self.database.session() as session:
            await session.execute(statement)

    async def release(self, claim_id: uuid.UUID) -> None:
        """Drop an unfinished claim so the next request with the key runs again."""
        async with self.database.session() as session:
            await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.id == claim_id, IdempotencyRecord.status == IN_PROGRESS
                )
            )

    async def delete_expired(self, record_id: uuid.UUID) -> None:
        """Remove one row whose time is up (re-checked, so a fresh claim is never removed)."""
        async with self.database.session() as session:
            await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.id == record_id, IdempotencyRecord.expires_at <= utcnow()
                )
            )


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when the client disconnects first."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the already-read body, then defers to the real one
    (which is how the app still learns of a client disconnect)."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
