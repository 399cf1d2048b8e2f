"""Sales files as bytes: where they come from, what their header says, and the facts the import
needs before it touches the database (SHA-256, encoding, the data's byte range).

Two shapes are recognised from the header:

- daily (the SFS export): `date,daily_sales[,marketing_spend,is_holiday,product_category,
  transactions,day_of_week,location]`: one revenue figure per business day, or per day and
  menu category (`product_category`) when the export splits a day by category;
- lines: `timestamp` or `date`, `item` or `sku` (or both), `quantity`, `amount`
  [, `location`, `transaction_id`, `covers`]: one row per sold line.

Nothing here parses data rows on the fast path: PostgreSQL's COPY does. `parse_rows` is the
fallback for files COPY cannot read (a row with the wrong number of cells, blank lines, cells
spanning lines), where every row needs its own line number.
"""

from __future__ import annotations

import codecs
import csv
import enum
import hashlib
import io
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tableside.errors import BadRequest, ValidationFailed
from tableside.kit.csv_header import header_problems

CHUNK_SIZE = 1024 * 1024
_WHITESPACE = b" \t\r\n"
_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# A header is a handful of column names: a longer first line is not one, and no more of the
# file than this is kept (and searched) while looking for the header's end.
MAX_HEADER_BYTES = 64 * 1024
NO_DATA_ROWS = "The file has a header but no data rows"
_NAME_SEPARATORS = re.compile(r"[\s_-]+")
# What the cells of a blank row may hold: a spreadsheet saves its empty rows as delimiters
# only (`,,,`), sometimes with a space or tab left in a cell. Such rows are skipped as blank
# lines are (here and in the staged rows: `ingest_repository.blank_row`).
BLANK_CELL = " \t\r\n"


class Shape(enum.StrEnum):
    lines = "lines"
    daily = "daily"


# File column -> staging column. `None` marks a column that is accepted and ignored.
LINE_COLUMNS: dict[str, str | None] = {
    "timestamp": "ts",
    "date": "day",
    "item": "item",
    "sku": "sku",
    "quantity": "quantity",
    "amount": "amount",
    "location": "location",
    "transaction_id": "txn",
    "covers": "covers",
}
DAILY_COLUMNS: dict[str, str | None] = {
    "date": "day",
    "daily_sales": "amount",
    "transactions": "transactions",
    "marketing_spend": "marketing_spend",
    "is_holiday": "is_holiday",
    "product_category": "product_category",
    "location": "location",
    # The SFS export repeats the weekday; the business calendar knows it already.
    "day_of_week": None,
}
IGNORED_STAGING_COLUMN = "extra"


class ByteSource(Protocol):
    """A file that can be read from the start as many times as needed."""

    filename: str | None

    def chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes from the beginning, in chunks."""
        ...


@dataclass
class BytesSource:
    """A file already in memory (a small upload, a stored upload in a job, a test)."""

    data: bytes
    filename: str | None = None

    async def chunks(self) -> AsyncIterator[bytes]:
        view = memoryview(self.data)
        for start in range(0, len(view), CHUNK_SIZE):
            yield bytes(view[start : start + CHUNK_SIZE])


@dataclass
class PathSource:
    """A file on disk (the CLI). Chunks are read synchronously: they are small and local."""

    path: Path
    filename: str | None = None

    def __post_init__(self) -> None:
        self.filename = self.filename or self.path.name

    async def chunks(self) -> AsyncIterator[bytes]:
        with self.path.open("rb") as handle:
            while chunk := handle.read(CHUNK_SIZE):
                yield chunk


class AsyncReadable(Protocol):
    async def read(self, size: int = -1) -> bytes: ...

    async def seek(self, offset: int) -> None: ...


@dataclass
class UploadSource:
    """An uploaded file (Starlette's `UploadFile` spools it to disk past 1 MB)."""

    upload: AsyncReadable
    filename: str | None = None

    async def chunks(self) -> AsyncIterator[bytes]:
        await self.upload.seek(0)
        while chunk := await self.upload.read(CHUNK_SIZE):
            yield chunk


@dataclass(frozen=True)
class Header:
    """What the header line says: the shape, the staging column of every file column (in file
    order), and the delimiter."""

    shape: Shape
    names: tuple[str, ...]
    staging_columns: tuple[str, ...]
    delimiter: str

    def has(self, name: str) -> bool:
        return name in self.names

    def file_column(self, staging_column: str) -> str:
        """The file's name for a staging column (for error messages)."""
        for name, staged in zip(self.names, self.staging_columns, strict=True):
            if staged == staging_column:
                return name
        return staging_column


@dataclass
class FileFacts:
    """The result of one read of the whole file, before any database work."""

    sha256: str
    size: int
    header: Header
    header_line: int  # 1-based line number of the header
    data_start: int  # byte offset just after the header line
    data_end: int  # byte offset just after the last non-blank byte
    filename: str | None = None

    @property
    def first_data_line(self) -> int:
        return self.header_line + 1


async def inspect(source: ByteSource) -> FileFacts:
    """Read the file once: hash it, check it is UTF-8 text, find and check its header and the
    byte range of its data rows.

    Raises BadRequest for an empty, binary or non-UTF-8 file, one whose first line is too
    long to be a header, or one with a header and no rows, and ValidationFailed for a header
    with missing, unknown or repeated columns."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    content_end = 0
    head = bytearray()
    header_found: tuple[bytes, int, int] | None = None  # (line, line number, end offset)
    async for chunk in source.chunks():
        digest.update(chunk)
        if size == 0 and chunk.startswith(_UTF16_BOMS):
            raise BadRequest(
                'The file is UTF-16 text (as Excel\'s "Unicode Text" saves it); save it as'
                " CSV UTF-8"
            )
        if b"\x00" in chunk:
            raise BadRequest("The file is not a CSV file (it contains binary data)")
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise BadRequest(
                f"The file is not UTF-8 text (invalid byte at offset {size + exc.start});"
                " save it as CSV UTF-8"
            ) from exc
        stripped = chunk.rstrip(_WHITESPACE)
        if stripped:
            content_end = size + len(stripped)
        if header_found is None and len(head) < MAX_HEADER_BYTES:
            head.extend(chunk)
            header_found = _find_header(bytes(head))
        size += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise BadRequest("The file is not UTF-8 text (it ends inside a character)") from exc
    if content_end == 0:
        raise BadRequest("The file is empty")
    if header_found is None:
        if b"\r" in bytes(head).strip(_WHITESPACE):
            # Old Mac spreadsheets end lines with a carriage return alone: the whole file
            # would read as one header line with no rows after it.
            raise BadRequest(
                "The file's lines end with a carriage return only (the old Mac CSV format);"
                " save it as CSV UTF-8"
            )
        if len(head) >= MAX_HEADER_BYTES:
            raise _long_first_line()
        header_found = _find_header(bytes(head) + b"\n")
    if header_found is None:  # nothing but a byte-order mark
        raise BadRequest("The file is empty")
    line, line_number, line_end = header_found
    if len(line) > MAX_HEADER_BYTES:
        raise _long_first_line()
    if line_end >= content_end:
        raise BadRequest(NO_DATA_ROWS)
    return FileFacts(
        sha256=digest.hexdigest(),
        size=size,
        header=parse_header(line.decode("utf-8")),
        header_line=line_number,
        data_start=line_end,
        data_end=content_end,
        filename=source.filename,
    )


def _long_first_line() -> BadRequest:
    return BadRequest(
        f"The file's first line is longer than {MAX_HEADER_BYTES // 1024} KiB, so it is not a"
        " CSV header: a sales file starts with a line of column names such as date,daily_sales"
    )


def _find_header(head: bytes) -> tuple[bytes, int, int] | None:
    """The first non-blank line of `head` (BOM removed), its line number and the offset after
    its newline; None while no complete line has arrived."""
    offset = len(_BOM) if head.startswith(_BOM) else 0
    line_number = 1
    while True:
        newline = head.find(b"\n", offset)
        if newline < 0:
            return None
        line = head[offset:newline].rstrip(b"\r")
        if line.strip(_WHITESPACE):
            return line, line_number, newline + 1
        offset = newline + 1
        line_number += 1


def _delimiter(line: str) -> str:
    """Comma, unless the header uses semicolons or tabs instead (spreadsheets in locales with
    a decimal comma export with semicolons, and the numbers of such a file may then have a
    decimal comma: see `TypedPlan.decimal_comma`)."""
    if "," not in line:
        for candidate in (";", "\t"):
            if candidate in line:
                return candidate
    return ","


def column_name(cell: str) -> str:
    """A header cell as the column name it means: trimmed, lower case, with spaces and
    hyphens between words read as the underscore (`Daily Sales` is `daily_sales`, as a
    header typed in a spreadsheet writes it)."""
    return _NAME_SEPARATORS.sub("_", cell.strip().lower())


def parse_header(line: str) -> Header:
    """Recognise the shape from the header's column names (trimmed, case-insensitive,
    spaces or hyphens for underscores: see `column_name`)."""
    delimiter = _delimiter(line)
    try:
        cells = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration) as exc:
        raise BadRequest(f"The header line is not valid CSV: {exc}") from exc
    names = tuple(column_name(cell) for cell in cells)
    shape = Shape.daily if "daily_sales" in names else Shape.lines
    allowed = DAILY_COLUMNS if shape is Shape.daily else LINE_COLUMNS
    problems: list[dict[str, str]] = []
    if shape is Shape.daily:
        missing = [name for name in ("date", "daily_sales") if name not in names]
    else:
        missing = []
        if "timestamp" not in names and "date" not in names:
            missing.append("timestamp (or date)")
        if "item" not in names and "sku" not in names:
            missing.append("item (or sku)")
        missing += [name for name in ("quantity", "amount") if name not in names]
        if "timestamp" in names and "date" in names:
            problems.append({"field": "file", "message": "give either timestamp or date, not both"})
    problems += header_problems(
        names,
        missing=missing,
        allowed=list(allowed),
        allowed_label=f"allowed for the {shape} shape",
    )
    if problems:
        raise ValidationFailed("The CSV header cannot be used", details=problems)
    staging = tuple(allowed[name] or IGNORED_STAGING_COLUMN for name in names)
    return Header(shape=shape, names=names, staging_columns=staging, delimiter=delimiter)


async def data_chunks(source: ByteSource, facts: FileFacts) -> AsyncIterator[bytes]:
    """The bytes of the data rows only: after the header line, without trailing blank lines."""
    position = 0
    async for chunk in source.chunks():
        start, end = position, position + len(chunk)
        position = end
        if end <= facts.data_start:
            continue
        if start >= facts.data_end:
            break
        piece = chunk[max(facts.data_start - start, 0) : min(facts.data_end, end) - start]
        if piece:
            yield piece


@dataclass
class ParsedRows:
    """Data rows read by Python's csv module: (line number, cells) for every row with the
    header's number of cells, and the line numbers of those without."""

    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    malformed: list[tuple[int, str]] = field(default_factory=list)


def parse_rows(data: bytes, facts: FileFacts) -> ParsedRows:
    """Parse the data rows (the bytes from `data_chunks`), numbering each by the line it
    starts on; blank lines and rows of empty cells are skipped."""
    text = data.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=facts.header.delimiter)
    width = len(facts.header.names)
    parsed = ParsedRows()
    previous_end = 0
    try:
        for cells in reader:
            line = facts.header_line + previous_end + 1
            previous_end = reader.line_num
            if not any(cell.strip(BLANK_CELL) for cell in cells):
                continue
            if len(cells) != width:
                parsed.malformed.append(
                    (line, f"has {len(cells)} cells; the header has {width} columns")
                )
                continue
            parsed.rows.append((line, cells))
    except csv.Error as exc:
        line = facts.header_line + previous_end + 1
        raise ValidationFailed(
            f"The file is not valid CSV (line {line}): {exc}",
            details=[{"field": "file", "line": line, "message": str(exc)}],
        ) from exc
    return parsed


def staging_records(
    parsed: ParsedRows, header: Header, columns: Sequence[str]
) -> list[tuple[object, ...]]:
    """Rows as records for the staging table: line number, then `columns` (cells of columns
    the file lacks are NULL)."""
    positions = [
        header.staging_columns.index(column) if column in header.staging_columns else -1
        for column in columns
    ]
    return [
        (line, *[(cells[p] if p >= 0 and cells[p] != "" else None) for p in positions])
        for line, cells in parsed.rows
    ]
