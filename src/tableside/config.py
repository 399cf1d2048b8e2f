"""One settings object for the whole process, read from `TABLESIDE_*` environment variables."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process configuration. Every field maps to `TABLESIDE_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="TABLESIDE_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("./var")
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL. Without it an embedded PostgreSQL starts in data_dir.",
    )
    db_pool_size: int = 10
    db_max_overflow: int = 20
    db_app_role: str = Field(
        default="tableside_app",
        description="Role the app switches to on every connection; it has no BYPASSRLS.",
    )
    redis_url: str | None = None

    secret_key: str | None = Field(
        default=None, description="JWT signing key. Generated and kept in data_dir when unset."
    )
    jwt_algorithm: str = "HS256"
    access_token_minutes: int = 30
    refresh_token_days: int = 7
    password_reset_minutes: int = 60
    email_verification_hours: int = 24
    invitation_days: int = 7

    rate_limit_enabled: bool = True
    rate_limit_user: str = "600/minute"
    rate_limit_business: str = "3000/minute"
    rate_limit_anonymous: str = "60/minute"

    max_body_bytes: int = 10 * 1024 * 1024
    # Sales imports (`/api/v1/sales/bulk` takes up to 100,000 lines, about 17 MB of JSON, and
    # `/sales/import` takes files) may send more than any other request.
    max_import_body_bytes: int = 256 * 1024 * 1024
    # Uploaded sales files above this size are imported by a background job (202).
    sales_import_background_bytes: int = 5 * 1024 * 1024
    idempotency_ttl_hours: int = 24
    idempotency_wait_seconds: float = 30.0

    run_worker_in_process: bool = True
    worker_concurrency: int = 4

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    email_from: str = "Tableside <no-reply@tableside.local>"
    public_url: str = "http://127.0.0.1:8000"

    log_level: str = "INFO"
    log_json: bool = True

    _generated_secret: str | None = PrivateAttr(default=None)

    def resolved_secret_key(self) -> str:
        """The signing key: configured, or generated once and persisted in the data dir.

        Read once per process: every authenticated request needs it.
        """
        if self.secret_key:
            return self.secret_key
        if self._generated_secret is None:
            path = self.data_dir / "secret_key"
            if not path.exists():
                self.data_dir.mkdir(parents=True, exist_ok=True)
                # Exclusive create: two processes starting together agree on one key.
                try:
                    with path.open("x") as handle:
                        handle.write(secrets.token_urlsafe(48))
                    path.chmod(0o600)
                except FileExistsError:
                    pass
            self._generated_secret = path.read_text().strip()
        return self._generated_secret


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own `Settings`)."""
    return Settings()
