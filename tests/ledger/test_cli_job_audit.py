"""Audit of the CLI import, large-file jobs and the import history: faults found and fixed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

from tableside.cli import app
from tableside.config import get_settings
from tableside.db.database import Database
from tests.factories.ledger import create_shop, csv_bytes, ledger_lines

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[None]:
    monkeypatch.setenv("TABLESIDE_DATABASE_URL", database_url)
    monkeypatch.setenv("TABLESIDE_SECRET_KEY", "cli-test-secret-0123456789abcdef0123456789")
    monkeypatch.setenv("TABLESIDE_LOG_LEVEL", "WARNING")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def invoke(*args: str) -> Result:
    return await asyncio.to_thread(runner.invoke, app, ["import", "sales", *args])


# --- the CLI ---------------------------------------------------------------------------------


async def test_cli_prints_batch_ids_and_file_names_as_written(
    client: httpx.AsyncClient, database: Database, cli_env: None, tmp_path: Path
) -> None:
    """Square brackets in a batch id or a file name are text, not terminal markup: the report
    of an import that committed must not crash (exit 1 and a traceback, for lines that are
    in) nor lose part of the id."""
    shop = await create_shop(client, database)
    slug = shop.owner.business_slug
    path = tmp_path / "daily [corrected].csv"
    path.write_bytes(csv_bytes(["date", "daily_sales"], [["2026-03-01", "100"]]))
    result = await invoke(str(path), "--business-slug", slug, "--batch-id", "[/x] march")
    assert result.exit_code == 0, result.output
    assert "[/x] march" in result.output
    assert len(await ledger_lines(database, shop.business_id)) == 1

    second = tmp_path / "april.csv"
    second.write_bytes(csv_bytes(["date", "daily_sales"], [["2026-04-01", "80"]]))
    tagged = await invoke(str(second), "--business-slug", slug, "--batch-id", "[jan]")
    assert tagged.exit_code == 0 and "[jan]" in tagged.output, tagged.output
    # The header's unknown column is named as written in the error.
    header = tmp_path / "header.csv"
    header.write_bytes(csv_bytes(["date", "daily_sales", "[/note]"], [["2026-05-01", "1", ""]]))
    bad = await invoke(str(header), "--business-slug", slug)
    assert bad.exit_code == 1 and "[/note]" in bad.output, bad.output
    # An overlapping daily file names the earlier one by its file name, brackets and all.
    other = tmp_path / "other.csv"
    other.write_bytes(csv_bytes(["date", "daily_sales"], [["2026-03-01", "90"]]))
    refused = await invoke(str(other), "--business-slug", slug)
    assert refused.exit_code == 1, refused.output
    assert "daily [corrected].csv" in " ".join(refused.output.split())
