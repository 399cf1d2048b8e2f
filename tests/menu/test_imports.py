"""Menu imports: CSV and JSON bulk, per-row results, updates by SKU, dry runs, bad files."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from tableside.menu.codes import is_valid_ean13
from tests.factories import Account, add_user, assert_error, register
from tests.factories.menu import MENU, create_category, create_item, csv_file, upload_csv


async def _all_items(client: httpx.AsyncClient, owner: Account) -> dict[str, dict[str, Any]]:
    response = await client.get(
        f"{MENU}/items",
        headers=owner.headers,
        params={"include_inactive": "true", "page_size": 100},
    )
    return {item["name"]: item for item in response.json()["items"]}


async def _bulk(
    client: httpx.AsyncClient, owner: Account, items: list[Any], dry_run: bool = False
) -> httpx.Response:
    return await client.post(
        f"{MENU}/items/bulk-import",
        headers=owner.headers,
        json={"items": items, "dry_run": dry_run},
    )


async def test_csv_import_creates_items_and_categories(
    client: httpx.AsyncClient, owner: Account
) -> None:
    await create_category(client, owner, "Pizza")
    content = csv_file(
        [
            ["Margherita", "pizza", "11.50", "3.20", "Tomato, mozzarella", "true"],
            ["Diavola", "Pizza", "13", "", "Spicy", ""],
            ["Cola", "Drinks", "2.5", "0.8", "", "false"],
            ["Tap water", "", "0", "", "", "yes"],
        ]
    )
    response = await upload_csv(client, owner, content)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["dry_run"] is False
    assert report["summary"] == {"total": 4, "created": 4, "updated": 0, "failed": 0}
    assert [r["row"] for r in report["results"]] == [1, 2, 3, 4]
    assert all(r["status"] == "created" and r["item_id"] for r in report["results"])
    assert [r["sku"] for r in report["results"]] == ["PIZ-0001", "PIZ-0002", "DRI-0001", "TAP-0001"]

    items = await _all_items(client, owner)
    margherita = items["Margherita"]
    assert margherita["category_name"] == "Pizza"  # matched in any letter case
    assert margherita["price"] == 11.50
    assert margherita["cost"] == 3.20
    assert margherita["margin"] == 8.30
    assert margherita["station"] == "kitchen"
    assert margherita["description"] == "Tomato, mozzarella"
    assert items["Diavola"]["cost"] is None
    assert items["Diavola"]["is_active"] is True
    assert items["Cola"]["category_name"] == "Drinks"
    assert items["Cola"]["is_active"] is False
    assert items["Tap water"]["category_id"] is None
    for item in items.values():
        assert re.fullmatch(r"2\d{12}", item["barcode"]) and is_valid_ean13(item["barcode"])
    categories = await client.get(f"{MENU}/categories", headers=owner.headers)
    assert sorted(c["name"] for c in categories.json()["items"]) == ["Drinks", "Pizza"]

    audit = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"action": "menu.imported"}
    )
    details = audit.json()["items"][0]["details"]
    assert details["created"] == 4
    assert details["categories_created"] == ["Drinks"]


async def test_csv_mixed_rows_report_failures_with_line_numbers(
    client: httpx.AsyncClient, owner: Account
) -> None:
    await create_item(client, owner, "Existing", barcode="4006381333931")
    header = ["name", "category", "price", "cost", "description", "is_active", "sku", "barcode"]
    content = csv_file(
        [
            ["Good one", "Mains", "10", "", "", "", "", ""],  # line 2
            ["", "Mains", "10", "", "", "", "", ""],  # line 3: no name
            ["Negative", "Mains", "-1", "-2", "", "", "", ""],  # line 4
            ["Three places", "Mains", "1.005", "", "", "", "", ""],  # line 5
            ["Words", "Mains", "ten", "", "", "maybe", "", ""],  # line 6
            ["Taken barcode", "Mains", "5", "", "", "", "", "4006381333931"],  # line 7
            ["Good two", "Mains", "8.25", "2", "", "", "GOOD-2", ""],  # line 8
            ["No price", "Mains", "", "", "", "", "", ""],  # line 9
        ],
        header=header,
    )
    content += b"Too,many,cells,here,x,y,z,w,extra\n"  # line 10
    response = await upload_csv(client, owner, content)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["summary"] == {"total": 9, "created": 2, "updated": 0, "failed": 7}
    by_row = {r["row"]: r for r in report["results"]}
    assert by_row[1]["status"] == "created"
    assert by_row[7]["status"] == "created"
    assert by_row[7]["sku"] == "GOOD-2"

    def fields(row: int) -> set[str | None]:
        assert by_row[row]["status"] == "failed"
        assert by_row[row]["item_id"] is None
        return {error["field"] for error in by_row[row]["errors"]}

    assert fields(2) == {"name"}
    assert fields(3) == {"price", "cost"}
    assert fields(4) == {"price"}
    assert "decimal places" in by_row[4]["errors"][0]["message"]
    assert fields(5) == {"price", "is_active"}
    assert fields(6) == {"barcode"}
    assert "already belongs to item" in by_row[6]["errors"][0]["message"]
    assert fields(8) == {"price"}
    assert fields(9) == {None}
    assert "9 cells" in by_row[9]["errors"][0]["message"]

    items = await _all_items(client, owner)
    assert set(items) == {"Existing", "Good one", "Good two"}


async def test_import_updates_items_by_sku(client: httpx.AsyncClient, owner: Account) -> None:
    drinks = await create_category(client, owner, "Drinks")
    cola = await create_item(
        client,
        owner,
        "Cola",
        "2.50",
        sku="COLA-330",
        cost="0.80",
        stock=24,
        category_id=drinks["id"],
        station="bar",
        description="Can",
    )
    header = ["name", "price", "cost", "sku"]
    content = csv_file(
        [["Cola 330ml", "2.80", "", "COLA-330"], ["Fanta", "2.60", "0.70", ""]], header=header
    )
    response = await upload_csv(client, owner, content)
    report = response.json()
    assert report["summary"] == {"total": 2, "created": 1, "updated": 1, "failed": 0}
    assert report["results"][0] == {
        "row": 1,
        "status": "updated",
        "item_id": cola["id"],
        "sku": "COLA-330",
        "errors": [],
    }
    updated = (await client.get(f"{MENU}/items/{cola['id']}", headers=owner.headers)).json()
    assert updated["name"] == "Cola 330ml"
    assert updated["price"] == 2.80
    assert updated["cost"] is None  # an empty cell clears
    # Columns the file does not have keep their values.
    assert updated["stock"] == 24
    assert updated["station"] == "bar"
    assert updated["description"] == "Can"
    assert updated["category_id"] == drinks["id"]
    assert updated["barcode"] == cola["barcode"]

    # JSON rows update only the keys they have.
    bulk = await _bulk(
        client, owner, [{"sku": "COLA-330", "name": "Cola", "price": 3, "stock": 30}]
    )
    assert bulk.json()["results"][0]["status"] == "updated"
    again = (await client.get(f"{MENU}/items/{cola['id']}", headers=owner.headers)).json()
    assert again["price"] == 3.00
    assert again["stock"] == 30
    assert again["station"] == "bar"


async def test_duplicate_codes_inside_a_file_fail_every_such_row(
    client: httpx.AsyncClient, owner: Account
) -> None:
    header = ["name", "price", "sku", "barcode"]
    content = csv_file(
        [
            ["A", "1", "DUP-1", ""],
            ["B", "1", "UNIQUE-1", "2000000000008"],
            ["C", "1", "DUP-1", ""],
            ["D", "1", "", "2000000000008"],
            ["E", "1", "", ""],
        ],
        header=header,
    )
    report = (await upload_csv(client, owner, content)).json()
    assert report["summary"] == {"total": 5, "created": 1, "updated": 0, "failed": 4}
    by_row = {r["row"]: r for r in report["results"]}
    assert by_row[1]["errors"] == [
        {"field": "sku", "message": "'DUP-1' appears on rows 1, 3 of this file"}
    ]
    assert by_row[3]["errors"][0]["field"] == "sku"
    assert by_row[2]["errors"][0]["field"] == "barcode"
    assert by_row[4]["errors"][0]["message"].endswith("appears on rows 2, 4 of this file")
    assert by_row[5]["status"] == "created"


async def test_dry_run_writes_nothing(client: httpx.AsyncClient, owner: Account) -> None:
    existing = await create_item(client, owner, "Espresso", "2.00", sku="ESP-1")
    content = csv_file(
        [["Espresso", "Coffee", "2.20", "ESP-1"], ["Latte", "Coffee", "3.40", ""]],
        header=["name", "category", "price", "sku"],
    )
    response = await upload_csv(client, owner, content, dry_run=True)
    report = response.json()
    assert report["dry_run"] is True
    assert report["summary"] == {"total": 2, "created": 1, "updated": 1, "failed": 0}
    assert report["results"][0]["item_id"] == existing["id"]
    assert report["results"][1]["item_id"] is None
    assert report["results"][1]["sku"] == "COF-0001"

    items = await _all_items(client, owner)
    assert set(items) == {"Espresso"}
    assert items["Espresso"]["price"] == 2.00
    categories = await client.get(
        f"{MENU}/categories", headers=owner.headers, params={"include_inactive": "true"}
    )
    assert categories.json()["total"] == 0

    bulk = await _bulk(client, owner, [{"name": "Mocha", "price": "4"}], dry_run=True)
    assert bulk.json()["summary"]["created"] == 1
    assert set(await _all_items(client, owner)) == {"Espresso"}


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"", "text/csv", 400, "BAD_REQUEST"),
        (b"  \n\n", "text/csv", 400, "BAD_REQUEST"),
        (b"name,price\n", "text/csv", 400, "BAD_REQUEST"),
        ("name,price\nCaf\u00e9,2\n".encode("latin-1"), "text/csv", 400, "BAD_REQUEST"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png", 400, "BAD_REQUEST"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "application/octet-stream", 400, "BAD_REQUEST"),
        (b'{"name": "x", "price": 1}', "application/json", 400, "BAD_REQUEST"),
        (b'name,price\n"unterminated,2\n', "text/csv", 400, "BAD_REQUEST"),
        (b"name,category\nPizza,Mains\n", "text/csv", 422, "VALIDATION_ERROR"),
        (b"title,cost\nPizza,2\n", "text/csv", 422, "VALIDATION_ERROR"),
        (b"name,price,colour\nPizza,2,red\n", "text/csv", 422, "VALIDATION_ERROR"),
        (b"name,price,price\nPizza,2,3\n", "text/csv", 422, "VALIDATION_ERROR"),
    ],
)
async def test_unusable_files_write_nothing(
    client: httpx.AsyncClient,
    owner: Account,
    content: bytes,
    content_type: str,
    status: int,
    code: str,
) -> None:
    response = await upload_csv(client, owner, content, content_type=content_type)
    error = assert_error(response, status, code)
    if status == 422:
        assert error["details"][0]["field"] == "file"
    assert await _all_items(client, owner) == {}


async def test_missing_columns_are_named(client: httpx.AsyncClient, owner: Account) -> None:
    response = await upload_csv(client, owner, b"name,category,colour\nPizza,Mains,red\n")
    error = assert_error(response, 422, "VALIDATION_ERROR")
    messages = [detail["message"] for detail in error["details"]]
    assert messages[0] == "missing required column(s): price"
    assert messages[1].startswith("unknown column(s): 'colour'")


async def test_missing_file_field(client: httpx.AsyncClient, owner: Account) -> None:
    response = await client.post(
        f"{MENU}/items/import-csv",
        headers=owner.headers,
        files={"upload": ("menu.csv", b"name,price\nA,1\n", "text/csv")},
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "file"


async def test_csv_with_bom_semicolons_and_blank_lines(
    client: httpx.AsyncClient, owner: Account
) -> None:
    content = "\ufeffName;Price;Station\r\nCafé crème;2,5;bar\r\n\r\nCroissant;1.80;\r\n"
    response = await upload_csv(client, owner, content.encode("utf-8"))
    report = response.json()
    assert report["summary"] == {"total": 2, "created": 1, "updated": 0, "failed": 1}
    by_row = {r["row"]: r for r in report["results"]}
    assert by_row[1]["status"] == "failed"  # a decimal comma is not a price
    assert by_row[1]["errors"][0]["field"] == "price"
    assert by_row[3]["status"] == "created"  # line 4, after a blank line
    items = await _all_items(client, owner)
    assert items["Croissant"]["station"] is None  # an empty station: handed over at the counter


async def test_csv_quoted_multiline_cells_keep_line_numbers(
    client: httpx.AsyncClient, owner: Account
) -> None:
    content = b'name,price,description\n"Soup",4,"Hot\nand fresh"\n"Bad",x,\n'
    report = (await upload_csv(client, owner, content)).json()
    assert [(r["row"], r["status"]) for r in report["results"]] == [
        (1, "created"),
        (3, "failed"),
    ]
    items = await _all_items(client, owner)
    assert items["Soup"]["description"] == "Hot\nand fresh"


async def test_csv_optional_columns(client: httpx.AsyncClient, owner: Account) -> None:
    header = ["name", "category", "price", "cost", "description", "is_active", "sku", "barcode",
              "stock", "station"]  # fmt: skip
    content = csv_file(
        [
            ["Beer", "Bar", "5", "1.5", "Lager", "1", "BEER-1", "4006381333931", "48", "Bar"],
            ["Wine", "Bar", "7", "", "", "0", "", "", "", "bar"],
            ["Bad stock", "Bar", "7", "", "", "", "", "", "-4", "grill bar"],
        ],
        header=header,
    )
    report = (await upload_csv(client, owner, content)).json()
    assert report["summary"]["created"] == 2
    bad = report["results"][2]
    assert {e["field"] for e in bad["errors"]} == {"stock", "station"}
    items = await _all_items(client, owner)
    assert items["Beer"]["stock"] == 48
    assert items["Beer"]["station"] == "bar"
    assert items["Beer"]["barcode"] == "4006381333931"
    assert items["Beer"]["sku"] == "BEER-1"
    assert items["Wine"]["stock"] is None
    assert items["Wine"]["is_active"] is False
    assert items["Wine"]["sku"] == "BAR-0001"


async def test_bulk_json_import(client: httpx.AsyncClient, owner: Account) -> None:
    stranger = await register(client)
    theirs = await create_category(client, stranger, "Theirs")
    mine = await create_category(client, owner, "Mine")
    retired = await create_category(client, owner, "Retired")
    await client.delete(f"{MENU}/categories/{retired['id']}", headers=owner.headers)
    rows: list[Any] = [
        {"name": "With id", "price": 3, "category_id": mine["id"], "station": None},
        {"name": "With name", "price": "4.10", "category": "Brand new", "stock": 5},
        {"name": "Foreign", "price": 1, "category_id": theirs["id"]},
        {"name": "Both", "price": 1, "category": "Mine", "category_id": mine["id"]},
        {"name": "Extra", "price": 1, "unit_price": 2},
        "not an object",
        {"name": "Float price", "price": 2.999},
        {"name": "Back again", "price": 2, "category": "retired"},
    ]
    response = await _bulk(client, owner, rows)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["summary"] == {"total": 8, "created": 3, "updated": 0, "failed": 5}
    by_row = {r["row"]: r for r in report["results"]}
    assert by_row[3]["errors"] == [
        {"field": "category_id", "message": "is not a category of this business"}
    ]
    assert by_row[4]["errors"][0]["field"] == "category"
    assert by_row[5]["errors"][0]["field"] == "unit_price"
    assert by_row[6]["errors"] == [{"field": None, "message": "must be a JSON object"}]
    assert by_row[7]["errors"][0]["field"] == "price"

    items = await _all_items(client, owner)
    assert items["With id"]["category_name"] == "Mine"
    assert items["With id"]["station"] is None
    assert items["With name"]["category_name"] == "Brand new"
    assert items["With name"]["stock"] == 5
    assert items["With name"]["sku"] == "BRA-0001"
    assert items["Back again"]["category_id"] == retired["id"]
    # Importing into an inactive category brings it back.
    category = await client.get(f"{MENU}/categories/{retired['id']}", headers=owner.headers)
    assert category.json()["is_active"] is True


async def test_bulk_row_limit(client: httpx.AsyncClient, owner: Account) -> None:
    rows = [{"name": f"Item {n}", "price": "1"} for n in range(10_001)]
    error = assert_error(await _bulk(client, owner, rows), 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "items"
    assert_error(await _bulk(client, owner, []), 422, "VALIDATION_ERROR")
    assert await _all_items(client, owner) == {}


async def test_csv_row_limit(client: httpx.AsyncClient, owner: Account) -> None:
    content = csv_file([[f"Item {n}", "1"] for n in range(10_001)], header=["name", "price"])
    error = assert_error(await upload_csv(client, owner, content), 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "file"
    assert await _all_items(client, owner) == {}


async def test_large_import_then_reimport_updates_everything(
    client: httpx.AsyncClient, owner: Account
) -> None:
    rows = [
        [f"Dish {n}", f"Cat {n % 7}", f"{n % 50}.{n % 100:02d}", "", "", ""] for n in range(600)
    ]
    first = (await upload_csv(client, owner, csv_file(rows))).json()
    assert first["summary"] == {"total": 600, "created": 600, "updated": 0, "failed": 0}
    skus = [r["sku"] for r in first["results"]]
    assert len(set(skus)) == 600
    with_skus = [[*row[:3], sku] for row, sku in zip(rows, skus, strict=True)]
    second = (
        await upload_csv(
            client, owner, csv_file(with_skus, header=["name", "category", "price", "sku"])
        )
    ).json()
    assert second["summary"] == {"total": 600, "created": 0, "updated": 600, "failed": 0}
    listed = await client.get(f"{MENU}/items", headers=owner.headers, params={"page_size": 1})
    assert listed.json()["total"] == 600
    categories = await client.get(f"{MENU}/categories", headers=owner.headers)
    assert categories.json()["total"] == 7
    assert sum(c["item_count"] for c in categories.json()["items"]) == 600


async def test_import_roles(client: httpx.AsyncClient, owner: Account) -> None:
    content = csv_file([["Soup", "", "4", "", "", ""]])
    for role in ("viewer", "cashier"):
        user = await add_user(client, owner, role)
        assert_error(await upload_csv(client, user, content), 403, "FORBIDDEN")
        assert_error(await _bulk(client, user, [{"name": "Soup", "price": 4}]), 403, "FORBIDDEN")
    manager = await add_user(client, owner, "manager")
    response = await upload_csv(client, manager, content)
    assert response.json()["summary"]["created"] == 1


async def test_a_write_conflict_rolls_the_whole_import_back(
    client: httpx.AsyncClient, owner: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New items are inserted before updates run; a conflict in the updates (as a concurrent
    request could cause) must take the inserts and new categories back with it."""
    from tableside.errors import DuplicateEntry
    from tableside.menu.repository import ItemRepository

    await create_item(client, owner, "Cola", sku="COLA-1")

    async def conflicting_update(*_args: Any, **_kwargs: Any) -> None:
        raise DuplicateEntry(details=[{"field": "barcode", "message": "already exists"}])

    monkeypatch.setattr(ItemRepository, "update_many", conflicting_update)
    content = csv_file(
        [["Cola", "Drinks", "2", "COLA-1"], ["Fanta", "Drinks", "2", ""]],
        header=["name", "category", "price", "sku"],
    )
    assert_error(await upload_csv(client, owner, content), 409, "DUPLICATE_ENTRY")
    assert set(await _all_items(client, owner)) == {"Cola"}
    categories = await client.get(
        f"{MENU}/categories", headers=owner.headers, params={"include_inactive": "true"}
    )
    assert categories.json()["total"] == 0


async def test_imports_and_creates_running_together_generate_distinct_skus(
    client: httpx.AsyncClient, owner: Account
) -> None:
    burgers = await create_category(client, owner, "Burgers")
    content = csv_file(
        [[f"Burger {n}", "Burgers", "9"] for n in range(40)], header=["name", "category", "price"]
    )
    responses = await asyncio.gather(
        upload_csv(client, owner, content),
        upload_csv(client, owner, content),
        *(
            client.post(
                f"{MENU}/items",
                headers=owner.headers,
                json={"name": f"Single {n}", "price": "8", "category_id": burgers["id"]},
            )
            for n in range(5)
        ),
    )
    assert [r.status_code for r in responses] == [200, 200] + [201] * 5
    skus = [r["sku"] for response in responses[:2] for r in response.json()["results"]]
    skus += [response.json()["sku"] for response in responses[2:]]
    assert len(skus) == 85
    assert sorted(skus) == [f"BUR-{n:04d}" for n in range(1, 86)]
