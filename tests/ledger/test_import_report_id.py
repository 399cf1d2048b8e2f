"""An import's answer names the import in the history, so an integrator can read it or take
it back (`/sales/imports/{import_id}`) without searching the history by batch id."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from typer.testing import CliRunner

from tableside.cli import app
from tableside.db.database import Database
from tests.factories.ledger import bulk, create_shop, csv_bytes, ledger_lines, upload

IMPORTS = "/api/v1/sales/imports"


def line(sku: str = "PIZ") -> dict[str, object]:
    return {"sold_at": "2026-06-01T12:00:00Z", "sku": sku, "quantity": 1, "amount": "9.50"}


async def test_a_bulk_answer_names_its_import(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    first = await bulk(client, shop.owner, [line(), line("PAS")], batch_id="b-1")
    assert first.status_code == 201, first.text
    import_id = first.json()["import_id"]
    found = await client.get(f"{IMPORTS}/{import_id}", headers=shop.owner.headers)
    assert found.status_code == 200, found.text
    assert found.json()["batch_id"] == "b-1" and found.json()["lines_written"] == 2
    # The same batch again names the same import.
    again = await bulk(client, shop.owner, [line(), line("PAS")], batch_id="b-1")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["import_id"] == import_id
    # And it is the id that takes the import back.
    taken = await client.delete(f"{IMPORTS}/{import_id}", headers=shop.owner.headers)
    assert taken.status_code == 204, taken.text
    assert await ledger_lines(database, shop.business_id) == []


async def test_a_file_answer_names_its_import(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    content = csv_bytes(
        ["timestamp", "sku", "quantity", "amount"], [["2026-06-01T12:00:00Z", "PIZ", "1", "9.5"]]
    )
    response = await upload(client, shop.owner, content)
    assert response.status_code == 201, response.text
    import_id = response.json()["import_id"]
    found = await client.get(f"{IMPORTS}/{import_id}", headers=shop.owner.headers)
    assert found.status_code == 200 and found.json()["filename"] == "sales.csv"


async def test_nothing_recorded_names_no_import(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = await create_shop(client, database)
    response = await bulk(client, shop.owner, [line("NOPE")], skip_invalid=True)
    assert response.status_code == 201, response.text
    assert response.json()["lines_written"] == 0 and response.json()["import_id"] is None


async def test_the_cli_names_the_import_it_wrote(
    client: httpx.AsyncClient, database: Database, cli_env: None, tmp_path: Path
) -> None:
    shop = await create_shop(client, database)
    path = tmp_path / "daily.csv"
    path.write_bytes(csv_bytes(["date", "daily_sales"], [["2026-01-01", "100"]]))
    slug = shop.owner.business_slug
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["import", "sales", str(path), "--business-slug", slug,
                                  "--batch-id", "jan"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    history = await client.get(IMPORTS, headers=shop.owner.headers)
    (entry,) = history.json()["items"]
    assert entry["batch_id"] == "jan"
    assert f"import │ {entry['id']}" in " ".join(result.output.split())
