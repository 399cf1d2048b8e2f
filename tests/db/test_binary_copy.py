"""Reading query results as numpy columns through binary COPY."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import BigInteger, Date, DateTime, Integer, Uuid, cast, func, literal, null, select

from tableside.db.binary_copy import BinaryCopyError, ColumnKind, copy_columns, decode_binary_copy
from tableside.db.database import Database

KEY = uuid.UUID("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
ALL_KINDS = [
    ColumnKind.int4,
    ColumnKind.int8,
    ColumnKind.date,
    ColumnKind.timestamptz,
    ColumnKind.uuid,
]
START = datetime(1999, 12, 31, 23, 0, 0, 250_000, tzinfo=UTC)


def _every_kind(count: int):  # type: ignore[no-untyped-def]
    n = func.generate_series(-1, count - 2).table_valued("n").render_derived()
    return select(
        cast(n.c.n, Integer) * 7,
        cast(n.c.n, BigInteger) * 2**40,
        cast(literal(date(2000, 1, 1), Date) + n.c.n, Date),
        literal(START, DateTime(timezone=True)) + func.make_interval(0, 0, 0, n.c.n),
        literal(KEY, Uuid),
    ).select_from(n)


async def test_every_kind_comes_back_exactly(database: Database) -> None:
    async with database.session() as session:
        ints, bigs, days, instants, keys = await copy_columns(session, _every_kind(4), ALL_KINDS)
    assert ints.tolist() == [-7, 0, 7, 14]
    assert bigs.tolist() == [-(2**40), 0, 2**40, 2 * 2**40]
    assert days.dtype == np.dtype("datetime64[D]")
    assert days.astype(object).tolist() == [date(1999, 12, 31) + timedelta(n) for n in range(4)]
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert instants.astype(np.int64).tolist() == [
        (START + timedelta(days=n - 1) - epoch) // timedelta(microseconds=1) for n in range(4)
    ]
    assert [uuid.UUID(bytes=key) for key in keys.tolist()] == [KEY] * 4


async def test_no_rows_give_empty_columns(database: Database) -> None:
    async with database.session() as session:
        columns = await copy_columns(session, _every_kind(0), ALL_KINDS)
    assert [len(column) for column in columns] == [0] * 5
    assert columns[2].dtype == np.dtype("datetime64[D]")


async def test_null_and_mismatched_kinds_are_refused(database: Database) -> None:
    async with database.session() as session:
        with pytest.raises(BinaryCopyError, match="NULL"):
            await copy_columns(session, select(cast(null(), Integer)), [ColumnKind.int4])
        with pytest.raises(BinaryCopyError, match="another type"):
            await copy_columns(session, select(cast(literal(1), Integer)), [ColumnKind.int8])
        with pytest.raises(ValueError, match="one ColumnKind"):
            await copy_columns(session, select(literal(1)), [])


async def test_text_values_are_quoted(database: Database) -> None:
    awkward = "it's $1 \\ -- ; DROP TABLE x"
    stmt = select(func.length(literal(awkward)).cast(Integer))
    async with database.session() as session:
        (lengths,) = await copy_columns(session, stmt, [ColumnKind.int4])
    assert lengths.tolist() == [len(awkward)]


def test_damaged_streams_are_refused() -> None:
    signature = b"PGCOPY\n\xff\r\n\x00"
    header = signature + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
    row = b"\x00\x01" + b"\x00\x00\x00\x04" + (42).to_bytes(4, "big")
    (values,) = decode_binary_copy(header + row + row + b"\xff\xff", [ColumnKind.int4])
    assert values.tolist() == [42, 42]
    for damaged in (
        b"COPY" + header[4:] + row + b"\xff\xff",  # signature
        header + row,  # no trailer
        header + row[:-1] + b"\xff\xff",  # a short row
        header[:-4] + b"\x00\x00\x00\x09" + row + b"\xff\xff",  # extension past the end
        header + b"\x00\x02" + row[2:] + b"\xff\xff",  # wrong field count
    ):
        with pytest.raises(BinaryCopyError):
            decode_binary_copy(damaged, [ColumnKind.int4])
