"""A query's result as numpy columns, read through PostgreSQL's binary COPY.

A year of days by item is 73,000 rows. Decoding them record by record (a Python object per
value) costs several times the query itself; `COPY (query) TO STDOUT (FORMAT binary)` sends
the same rows in a documented layout that numpy reads in one step when every column has a
fixed width and no value is NULL, which the queries using this guarantee (NOT NULL columns,
sums of groups that have rows, `coalesce` elsewhere).

Layout (PostgreSQL manual, "COPY", binary format): an 11-byte signature, a 32-bit flags
field, a 32-bit header-extension length and that many bytes; then per row a 16-bit field
count and, per field, a 32-bit length followed by the value in its binary send format; then
a 16-bit -1. All integers are big-endian. Dates are days and timestamps microseconds since
2000-01-01.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.kit.memory import paused_gc

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_HEADER_FIXED = len(SIGNATURE) + 8  # signature, flags, extension length
_TRAILER = b"\xff\xff"
_POSTGRES_EPOCH_DAY = np.datetime64("2000-01-01", "D")
_POSTGRES_EPOCH_MICROSECOND = np.datetime64("2000-01-01T00:00:00", "us")


class ColumnKind(enum.Enum):
    """A fixed-width column type and what numpy makes of it."""

    int4 = "int4"  # -> int64
    int8 = "int8"  # -> int64
    date = "date"  # -> datetime64[D]
    timestamptz = "timestamptz"  # -> datetime64[us], UTC
    uuid = "uuid"  # -> V16, the UUID's 16 bytes (uuid.UUID(bytes=...) names one)


_WIRE: dict[ColumnKind, np.dtype[Any]] = {
    ColumnKind.int4: np.dtype(">i4"),
    ColumnKind.int8: np.dtype(">i8"),
    ColumnKind.date: np.dtype(">i4"),
    ColumnKind.timestamptz: np.dtype(">i8"),
    ColumnKind.uuid: np.dtype("V16"),
}


class BinaryCopyError(ValueError):
    """The COPY data is not rows of the expected fixed-width, non-NULL columns."""


def decode_binary_copy(data: bytes, kinds: Sequence[ColumnKind]) -> list[np.ndarray[Any, Any]]:
    """The columns of binary COPY `data` whose rows hold `kinds`, each as one numpy array
    (see `ColumnKind` for the array types). Raises `BinaryCopyError` on anything else: a bad
    signature, a NULL, a field of another width or count, a truncated stream."""
    if not data.startswith(SIGNATURE) or len(data) < _HEADER_FIXED + len(_TRAILER):
        raise BinaryCopyError("not a binary COPY stream")
    extension = int.from_bytes(data[_HEADER_FIXED - 4 : _HEADER_FIXED], "big", signed=True)
    start = _HEADER_FIXED + extension
    if extension < 0 or not data.endswith(_TRAILER) or start > len(data) - len(_TRAILER):
        raise BinaryCopyError("truncated binary COPY stream")
    fields: list[tuple[str, np.dtype[Any]]] = [("count", np.dtype(">i2"))]
    for index, kind in enumerate(kinds):
        fields += [(f"length{index}", np.dtype(">i4")), (f"value{index}", _WIRE[kind])]
    row = np.dtype(fields)
    body = len(data) - len(_TRAILER) - start
    if body % row.itemsize:
        raise BinaryCopyError(
            "rows are not of the expected widths: a NULL or a column of another type"
        )
    rows = np.frombuffer(data, row, count=body // row.itemsize, offset=start)
    if (rows["count"] != len(kinds)).any():
        raise BinaryCopyError(f"rows do not have {len(kinds)} fields")
    columns: list[np.ndarray[Any, Any]] = []
    for index, kind in enumerate(kinds):
        width = _WIRE[kind].itemsize
        if (rows[f"length{index}"] != width).any():
            raise BinaryCopyError(f"field {index + 1} is NULL or not {width} bytes wide")
        values = rows[f"value{index}"]
        if kind is ColumnKind.uuid:
            columns.append(values.copy())
        elif kind is ColumnKind.date:
            columns.append(_POSTGRES_EPOCH_DAY + values.astype(np.int64).astype("timedelta64[D]"))
        elif kind is ColumnKind.timestamptz:
            offsets = values.astype(np.int64).astype("timedelta64[us]")
            columns.append(_POSTGRES_EPOCH_MICROSECOND + offsets)
        else:
            columns.append(values.astype(np.int64))
    return columns


async def copy_columns(
    session: AsyncSession, stmt: Select[Any], kinds: Sequence[ColumnKind]
) -> list[np.ndarray[Any, Any]]:
    """Run `stmt` in the session's transaction (row-level security applies as to any SELECT)
    and return its columns as numpy arrays, aligned row for row. `kinds` names the type of
    each selected column; every column must be NOT NULL and of a fixed width."""
    if len(kinds) != len(stmt.selected_columns):
        raise ValueError("one ColumnKind per selected column")
    connection = await session.connection()
    compiled = stmt.compile(dialect=connection.dialect)
    parameters = compiled.construct_params()
    arguments = [parameters[name] for name in compiled.positiontup or ()]
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    chunks: list[bytes] = []

    async def keep(chunk: bytes) -> None:
        chunks.append(chunk)

    with paused_gc():
        # COPY takes no bind parameters: asyncpg has PostgreSQL quote each value as a
        # literal of the parameter's type and writes it into the statement.
        await driver.copy_from_query(str(compiled), *arguments, output=keep, format="binary")
    return decode_binary_copy(b"".join(chunks), kinds)
