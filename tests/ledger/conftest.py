"""Fixtures shared by the ledger tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tableside.config import get_settings


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[None]:
    """The environment `tableside` commands read, pointed at the test database."""
    monkeypatch.setenv("TABLESIDE_DATABASE_URL", database_url)
    monkeypatch.setenv("TABLESIDE_SECRET_KEY", "cli-test-secret-0123456789abcdef0123456789")
    monkeypatch.setenv("TABLESIDE_LOG_LEVEL", "WARNING")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
