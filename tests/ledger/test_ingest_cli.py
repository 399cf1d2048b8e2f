"""`tableside import sales FILE` against the test database (the command runs its own event
loop, so it is invoked from a thread)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from click.testing import Result
from typer.testing import CliRunner

from tableside.cli import app
from tableside.db.database import Database
from tests.factories.ledger import create_shop, csv_bytes, fetch, ledger_lines

runner = CliRunner()


async def invoke(*args: str) -> Result:
    return await asyncio.to_thread(runner.invoke, app, ["import", "sales", *args])


async def test_import_sales_command(
    client: httpx.AsyncClient, database: Database, cli_env: None, tmp_path: Path
) -> None:
    shop = await create_shop(client, database)
    slug = shop.owner.business_slug
    path = tmp_path / "sales.csv"
    path.write_bytes(
        csv_bytes(
            ["timestamp", "sku", "quantity", "amount"],
            [[f"2026-08-0{1 + i % 9}T12:00:00Z", "PIZ", 1, "12.50"] for i in range(50)],
        )
    )
    result = await invoke(str(path), "--business-slug", slug, "--location", "Harbour")
    assert result.exit_code == 0, result.output
    assert "lines written" in result.output and "50" in result.output
    rows = await ledger_lines(database, shop.business_id)
    assert len(rows) == 50 and {r["location_id"] for r in rows} == {shop.locations["Harbour"]}
    batches = await fetch(database, shop.business_id, "SELECT kind, filename FROM ledger_batches")
    assert batches == [{"kind": "csv_lines", "filename": "sales.csv"}]

    again = await invoke(str(path), "--business-slug", slug)
    assert again.exit_code == 0, again.output
    assert "Already imported" in again.output
    assert len(await ledger_lines(database, shop.business_id)) == 50


async def test_errors_exit_with_status_one(
    client: httpx.AsyncClient, database: Database, cli_env: None, tmp_path: Path
) -> None:
    shop = await create_shop(client, database)
    slug = shop.owner.business_slug
    path = tmp_path / "daily.csv"
    path.write_bytes(
        csv_bytes(
            ["date", "daily_sales"],
            [["2026-01-01", "100"], ["2026-01-02", "lots"], ["2026-01-03", "90"]],
        )
    )
    failed = await invoke(str(path), "--business-slug", slug)
    assert failed.exit_code == 1, failed.output
    assert "1 of 3 lines are invalid" in failed.output and "daily_sales" in failed.output
    assert await ledger_lines(database, shop.business_id) == []

    skipped = await invoke(
        str(path), "--business-slug", slug, "--skip-invalid", "--batch-id", "jan"
    )
    assert skipped.exit_code == 0, skipped.output
    assert "lines skipped" in skipped.output
    assert len(await ledger_lines(database, shop.business_id)) == 2

    # The same file under the same batch id adds nothing; another file is refused, since
    # answering "already imported" would drop its lines.
    repeat = await invoke(str(path), "--business-slug", slug, "--batch-id", "jan")
    assert repeat.exit_code == 0 and "Already imported" in repeat.output
    other = tmp_path / "other.csv"
    other.write_bytes(csv_bytes(["date", "daily_sales"], [["2026-02-01", "5"]]))
    reused = await invoke(str(other), "--business-slug", slug, "--batch-id", "jan")
    assert reused.exit_code == 1 and "already imported with other lines" in reused.output
    assert len(await ledger_lines(database, shop.business_id)) == 2

    unknown = await invoke(str(other), "--business-slug", "no-such-business")
    assert unknown.exit_code == 1 and "No business" in unknown.output
    await create_shop(client, database)  # so the database surely holds several businesses
    several = await invoke(str(other))
    assert several.exit_code == 1 and "--business-slug" in several.output
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    refused = await invoke(str(empty), "--business-slug", slug)
    assert refused.exit_code == 1 and "empty" in refused.output


async def test_report_is_all_stdout_holds_when_not_a_terminal(
    client: httpx.AsyncClient, database: Database, cli_env: None, tmp_path: Path
) -> None:
    """Redirected (`> report.txt`), stdout holds the report from its first line: the progress
    bar is for a person at a terminal and never leaves a blank line behind."""
    shop = await create_shop(client, database)
    path = tmp_path / "sales.csv"
    path.write_bytes(
        csv_bytes(
            ["timestamp", "sku", "quantity", "amount"],
            [["2026-08-01T12:00:00Z", "PIZ", 1, "12.50"]],
        )
    )
    result = await invoke(
        str(path), "--business-slug", shop.owner.business_slug, "--location", "Harbour"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip(), result.output
    assert result.stdout.splitlines()[0].strip() != ""
