"""Menu imports: a JSON array or a CSV file of items, validated row by row and written in bulk.

Every row is validated before anything is written: types and ranges, the category, SKUs and
barcodes repeated inside the file, and barcodes another item already has. Each row then gets
one result: `created`, `updated` (its SKU matched an existing item) or `failed` with its
errors. Valid rows are written even when others fail. A request that cannot be read at all
(an empty or binary upload, bad encoding, an unusable header) writes nothing.

Writes are set-based, whatever the file's size: one SELECT of the existing codes and
categories, one multi-row INSERT for new categories, batched multi-row INSERTs for new items
and one executemany per shape of update, all in the request's transaction.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.audit import service as audit
from tableside.auth.dependencies import Principal
from tableside.errors import BadRequest, ValidationFailed
from tableside.kit.csv_header import header_problems
from tableside.menu.codes import (
    format_sku,
    generated_sku_number,
    random_in_store_barcode,
    sku_prefix,
)
from tableside.menu.repository import CategoryRef, CategoryRepository, ItemCodes, ItemRepository
from tableside.menu.schemas import (
    MAX_IMPORT_ROWS,
    ImportReport,
    ImportRow,
    ImportSummary,
    RowError,
    RowResult,
)

CSV_REQUIRED_COLUMNS = ("name", "price")
CSV_COLUMNS = (
    "name",
    "category",
    "price",
    "cost",
    "description",
    "is_active",
    "sku",
    "barcode",
    "stock",
    "station",
)
# An empty cell in these columns clears the value (no cost, no description, made to order,
# handed over at the counter)...
_EMPTY_MEANS_NULL = frozenset({"cost", "description", "stock", "station"})
# ...and in these it means "not given": required values fail as missing, a code is generated
# (new item) or kept (update), `is_active` is true for a new item and unchanged otherwise.
_EMPTY_MEANS_ABSENT = frozenset({"name", "price", "sku", "barcode", "is_active"})

# Browsers and spreadsheets label CSV files many ways; anything else is refused.
_CSV_CONTENT_TYPES = frozenset(
    {
        "text/csv",
        "text/plain",
        "text/x-csv",
        "text/comma-separated-values",
        "application/csv",
        "application/x-csv",
        "application/vnd.ms-excel",
        "application/octet-stream",
    }
)

# Item columns an update may set, besides `category_id`.
_UPDATABLE = ("name", "price", "cost", "description", "stock", "station", "is_active", "barcode")
_INSERT_COLUMNS = (
    "id",
    "category_id",
    "name",
    "description",
    "price",
    "cost",
    "sku",
    "barcode",
    "stock",
    "station",
    "is_active",
)


@dataclass
class RawRow:
    """A row as read from the request, before validation."""

    number: int
    data: dict[str, Any] | None
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Row:
    number: int
    raw_sku: str | None
    errors: list[dict[str, Any]]
    parsed: ImportRow | None = None
    category_id: uuid.UUID | None = None
    category_name: str | None = None  # for SKU prefixes
    new_category_key: str | None = None  # a category this import creates (casefolded name)
    target: ItemCodes | None = None  # the existing item this row updates
    item_id: uuid.UUID | None = None
    sku: str | None = None
    barcode: str | None = None

    @property
    def ok(self) -> bool:
        return self.parsed is not None and not self.errors

    def fail(self, field_name: str | None, message: str) -> None:
        self.errors.append({"field": field_name, "message": message})


# ---------------------------------------------------------------------------------------------
# Reading the request


def rows_from_json(items: Sequence[Any]) -> list[RawRow]:
    """Rows of a bulk request, numbered from 1."""
    rows = []
    for index, item in enumerate(items, start=1):
        if isinstance(item, dict):
            rows.append(RawRow(number=index, data=item))
        else:
            rows.append(
                RawRow(
                    number=index,
                    data=None,
                    errors=[{"field": None, "message": "must be a JSON object"}],
                )
            )
    return rows


def rows_from_csv(content: bytes, content_type: str | None) -> list[RawRow]:
    """Rows of an uploaded CSV. A row's number is its line number minus one (the header is
    line 1), so it names the right line even after blank lines or multi-line cells.

    Raises BadRequest for an upload that is not a UTF-8 CSV with data, and ValidationFailed
    for a header with missing, unknown or repeated columns or more than the row limit.
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type and media_type not in _CSV_CONTENT_TYPES:
        raise BadRequest(f"Expected a CSV file, got {media_type}")
    if not content.strip():
        raise BadRequest("The file is empty")
    if b"\x00" in content:
        raise BadRequest("The file is not a CSV file (it contains binary data)")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"The file is not UTF-8 text (invalid byte at offset {exc.start}); save it as CSV UTF-8"
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        header = _read_header(reader)
        rows: list[RawRow] = []
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_IMPORT_ROWS:
                raise ValidationFailed(
                    f"A file may hold at most {MAX_IMPORT_ROWS} rows",
                    details=[
                        {"field": "file", "message": f"more than {MAX_IMPORT_ROWS} data rows"}
                    ],
                )
            rows.append(_csv_row(start - 1, header, cells))
    except csv.Error as exc:
        raise BadRequest(f"The file is not a valid CSV (line {reader.line_num}): {exc}") from exc
    if not rows:
        raise BadRequest("The file has a header but no data rows")
    return rows


def _delimiter(text: str) -> str:
    """Comma, unless the header line uses semicolons or tabs instead (spreadsheets in locales
    with a decimal comma export with semicolons)."""
    first_line = text.split("\n", 1)[0]
    if "," not in first_line:
        for candidate in (";", "\t"):
            if candidate in first_line:
                return candidate
    return ","


def _read_header(reader: Any) -> list[str]:
    """The header's column names, normalized; refuses missing, unknown and repeated ones."""
    header: list[str] | None = None
    for cells in reader:
        if any(cell.strip() for cell in cells):
            header = [cell.strip().lower() for cell in cells]
            break
    if header is None:
        raise BadRequest("The file is empty")
    problems = header_problems(
        header,
        missing=[column for column in CSV_REQUIRED_COLUMNS if column not in header],
        allowed=CSV_COLUMNS,
    )
    if problems:
        raise ValidationFailed("The CSV header cannot be used", details=problems)
    return header


def _csv_row(number: int, header: list[str], cells: list[str]) -> RawRow:
    if len(cells) != len(header):
        return RawRow(
            number=number,
            data=None,
            errors=[
                {
                    "field": None,
                    "message": f"has {len(cells)} cells; the header has {len(header)} columns",
                }
            ],
        )
    data: dict[str, Any] = {}
    for column, cell in zip(header, cells, strict=True):
        value = cell.strip()
        if value:
            data[column] = value
        elif column == "category":
            data["category_id"] = None  # no category
        elif column in _EMPTY_MEANS_NULL:
            data[column] = None
    return RawRow(number=number, data=data)


# ---------------------------------------------------------------------------------------------
# Validating and writing


async def import_rows(
    session: AsyncSession,
    principal: Principal,
    raw_rows: Sequence[RawRow],
    *,
    dry_run: bool,
    source: str,
) -> ImportReport:
    """Validate every row, then create and update items for the valid ones (unless
    `dry_run`), and report one result per row."""
    items = ItemRepository(session, principal.business_id)
    categories = CategoryRepository(session, principal.business_id)
    rows = [_parse(raw) for raw in raw_rows]
    category_refs = await categories.all_refs()
    new_categories = _resolve_categories(rows, category_refs)
    _flag_repeated_codes(rows)
    existing = await items.codes_matching(
        [row.parsed.sku for row in rows if row.ok and row.parsed and row.parsed.sku],
        [row.parsed.barcode for row in rows if row.ok and row.parsed and row.parsed.barcode],
    )
    _match_existing(rows, existing)
    valid = [row for row in rows if row.ok]
    if not dry_run and any(
        row.target is None and not row.parsed.sku for row in valid if row.parsed
    ):
        await items.lock_sku_generation()
    await _assign_codes(items, valid)
    # Only categories some valid row uses are created or reactivated.
    used = {row.new_category_key for row in valid if row.new_category_key}
    new_categories = {key: value for key, value in new_categories.items() if key in used}
    used_ids = {row.category_id for row in valid}
    to_reactivate = [ref.id for ref in category_refs if not ref.is_active and ref.id in used_ids]
    if not dry_run:
        await categories.insert_many(
            [{"id": category_id, "name": name} for name, category_id in new_categories.values()]
        )
        await categories.reactivate(to_reactivate)
        await _write(items, valid)
    report = _report(rows, dry_run=dry_run)
    if not dry_run:
        await audit.record(
            session,
            business_id=principal.business_id,
            action="menu.imported",
            principal=principal,
            entity_type="menu_item",
            details={
                "source": source,
                **report.summary.model_dump(),
                "categories_created": sorted(name for name, _ in new_categories.values()),
            },
        )
    return report


def _parse(raw: RawRow) -> _Row:
    raw_sku = raw.data.get("sku") if raw.data else None
    row = _Row(
        number=raw.number,
        raw_sku=raw_sku.strip() if isinstance(raw_sku, str) else None,
        errors=list(raw.errors),
    )
    if raw.data is None:
        return row
    try:
        row.parsed = ImportRow.model_validate(raw.data)
    except ValidationError as exc:
        for error in exc.errors():
            location = ".".join(str(part) for part in error["loc"]) or None
            row.fail(location, str(error["msg"]).removeprefix("Value error, "))
    return row


def _resolve_categories(
    rows: list[_Row], refs: Sequence[CategoryRef]
) -> dict[str, tuple[str, uuid.UUID]]:
    """Point each row at a category id; names match existing categories in any letter case.
    Returns the categories to create: casefolded name → (name as first written, new id)."""
    by_id = {ref.id: ref for ref in refs}
    by_exact = {ref.name: ref for ref in refs}
    by_folded: dict[str, CategoryRef] = {}
    for ref in refs:
        by_folded.setdefault(ref.name.casefold(), ref)
    new: dict[str, tuple[str, uuid.UUID]] = {}
    for row in rows:
        parsed = row.parsed
        if parsed is None:
            continue
        given = parsed.model_fields_set
        if "category" in given and "category_id" in given:
            row.fail("category", "give either category (a name) or category_id, not both")
        elif parsed.category_id is not None:
            by_given_id = by_id.get(parsed.category_id)
            if by_given_id is None:
                row.fail("category_id", "is not a category of this business")
            else:
                row.category_id, row.category_name = by_given_id.id, by_given_id.name
        elif parsed.category is not None:
            named = by_exact.get(parsed.category) or by_folded.get(parsed.category.casefold())
            if named is not None:
                row.category_id, row.category_name = named.id, named.name
            else:
                key = parsed.category.casefold()
                name, category_id = new.setdefault(key, (parsed.category, uuid.uuid4()))
                row.category_id, row.category_name, row.new_category_key = category_id, name, key
    return new


def _flag_repeated_codes(rows: list[_Row]) -> None:
    """Fail every row whose SKU or barcode another row of the same file also has: which of
    them was meant cannot be known."""
    for code in ("sku", "barcode"):
        holders: dict[str, list[_Row]] = defaultdict(list)
        for row in rows:
            value = getattr(row.parsed, code, None) if row.parsed else None
            if value:
                holders[value].append(row)
        for value, same in holders.items():
            if len(same) > 1:
                numbers = ", ".join(str(row.number) for row in same)
                for row in same:
                    row.fail(code, f"{value!r} appears on rows {numbers} of this file")


def _match_existing(rows: list[_Row], existing: Sequence[ItemCodes]) -> None:
    """A SKU that exists makes the row an update; a barcode another item has fails it."""
    by_sku = {item.sku: item for item in existing}
    by_barcode = {item.barcode: item for item in existing}
    for row in rows:
        if not row.ok or row.parsed is None:
            continue
        if row.parsed.sku:
            row.target = by_sku.get(row.parsed.sku)
        barcode = row.parsed.barcode
        if barcode and barcode in by_barcode:
            holder = by_barcode[barcode]
            if row.target is None or holder.id != row.target.id:
                row.fail("barcode", f"{barcode!r} already belongs to item {holder.sku}")


async def _assign_codes(items: ItemRepository, rows: list[_Row]) -> None:
    """Ids for every valid row; SKUs and barcodes for new items that came without them."""
    taken_barcodes = {row.parsed.barcode for row in rows if row.parsed and row.parsed.barcode}
    creates = [row for row in rows if row.target is None]
    prefixes: dict[int, str] = {}
    for row in rows:
        assert row.parsed is not None
        if row.target is not None:
            row.item_id, row.sku = row.target.id, row.target.sku
            row.barcode = row.parsed.barcode or row.target.barcode
            continue
        row.item_id, row.sku, row.barcode = uuid.uuid4(), row.parsed.sku, row.parsed.barcode
        if row.sku is None:
            prefixes[row.number] = sku_prefix(row.category_name, row.parsed.name)
    # Generated SKUs continue after the highest of their shape in the database or the file.
    highest = await items.max_sku_numbers(prefixes.values())
    for row in rows:
        if row.parsed and row.parsed.sku and (shape := generated_sku_number(row.parsed.sku)):
            prefix, number = shape
            highest[prefix] = max(highest.get(prefix, 0), number)
    for row in creates:
        if row.number in prefixes:
            prefix = prefixes[row.number]
            highest[prefix] = highest.get(prefix, 0) + 1
            row.sku = format_sku(prefix, highest[prefix])
    needing_barcode = [row for row in creates if row.barcode is None]
    while needing_barcode:
        for row in needing_barcode:
            candidate = random_in_store_barcode()
            while candidate in taken_barcodes:
                candidate = random_in_store_barcode()
            taken_barcodes.add(candidate)
            row.barcode = candidate
        clashes = await items.barcodes_taken(row.barcode for row in needing_barcode if row.barcode)
        needing_barcode = [row for row in needing_barcode if row.barcode in clashes]


async def _write(items: ItemRepository, rows: list[_Row]) -> None:
    """One batched INSERT for new items and one executemany per shape of update."""
    inserts = []
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        parsed = row.parsed
        assert parsed is not None
        if row.target is None:
            values = parsed.model_dump(exclude={"category"})
            values.update(
                id=row.item_id, category_id=row.category_id, sku=row.sku, barcode=row.barcode
            )
            inserts.append({column: values[column] for column in _INSERT_COLUMNS})
            continue
        given = parsed.model_fields_set
        fields = [name for name in _UPDATABLE if name in given]
        if "barcode" in fields and parsed.barcode is None:
            fields.remove("barcode")
        if "category" in given or "category_id" in given:
            fields.append("category_id")
        if not fields:
            continue
        values = {name: getattr(parsed, name) for name in fields if name != "category_id"}
        values.update(id=row.item_id, category_id=row.category_id)
        updates[tuple(fields)].append(values)
    await items.insert_many(inserts)
    for shape, grouped in updates.items():
        await items.update_many(shape, grouped)


def _report(rows: list[_Row], *, dry_run: bool) -> ImportReport:
    results = []
    counts = {"created": 0, "updated": 0, "failed": 0}
    for row in rows:
        if row.ok:
            status = "updated" if row.target is not None else "created"
            results.append(
                RowResult(
                    row=row.number,
                    status=status,
                    # A dry run creates nothing, so a new item has no id yet.
                    item_id=row.item_id if (row.target is not None or not dry_run) else None,
                    sku=row.sku,
                )
            )
        else:
            status = "failed"
            results.append(
                RowResult(
                    row=row.number,
                    status=status,
                    sku=row.raw_sku,
                    errors=[RowError(**error) for error in row.errors],
                )
            )
        counts[status] += 1
    return ImportReport(
        dry_run=dry_run,
        summary=ImportSummary(total=len(rows), **counts),
        results=results,
    )
