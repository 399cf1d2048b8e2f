"""The `tableside` command line: create-user and migrate against the test database."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tableside.cli import app
from tableside.config import get_settings
from tests.factories import PASSWORD, unique_email

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("TABLESIDE_DATABASE_URL", database_url)
    monkeypatch.setenv("TABLESIDE_SECRET_KEY", "cli-test-secret-0123456789abcdef0123456789")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_migrate_is_idempotent(cli_env: None) -> None:
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "migrated" in result.output


def test_create_user_new_business_then_join(cli_env: None) -> None:
    owner_email = unique_email("cli-owner")
    created = runner.invoke(
        app,
        [
            "create-user",
            "--email",
            owner_email,
            "--password",
            PASSWORD,
            "--full-name",
            "Cli Owner",
            "--business-name",
            "Shell Shack",
        ],
    )
    assert created.exit_code == 0, created.output
    assert "Shell Shack" in created.output
    slug = created.output.split("(")[1].split(")")[0]
    joined = runner.invoke(
        app,
        [
            "create-user",
            "--email",
            unique_email("cli-cook"),
            "--password",
            PASSWORD,
            "--full-name",
            "Cli Cook",
            "--business-slug",
            slug,
            "--role",
            "kitchen_staff",
        ],
    )
    assert joined.exit_code == 0, joined.output
    assert "kitchen_staff" in joined.output


def test_create_user_rejects_bad_input(cli_env: None) -> None:
    weak = runner.invoke(
        app,
        [
            "create-user",
            "--email",
            unique_email(),
            "--password",
            "weak",
            "--full-name",
            "X",
            "--business-name",
            "Nope",
        ],
    )
    assert weak.exit_code != 0
    unknown = runner.invoke(
        app,
        [
            "create-user",
            "--email",
            unique_email(),
            "--password",
            PASSWORD,
            "--full-name",
            "X",
            "--business-slug",
            "no-such-business-slug",
            "--role",
            "viewer",
        ],
    )
    assert unknown.exit_code != 0
