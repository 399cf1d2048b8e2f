"""The points of an aggregate's time series as JSON text, built column by column.

A year by day and item is 73,000 points and 12 MB of JSON. Building a dict per point and
serializing them costs more than the query; here every field is formatted for all points
at once by Arrow's compute kernels (numbers to text, labels repeated by index) and the
fields are concatenated point by point in one kernel, so Python touches each period and
group once, never each point.

Money and quantities are exact integers (cents, thousandths) written as exact decimals with
no trailing zeros (`12.5`, `12`, `-0.05`): the same JSON numbers `DecimalNumber` writes
elsewhere (a parser reads each as the nearest double of the exact amount).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

IntGrid = np.ndarray[Any, np.dtype[np.int64]]
_SIGNS = pa.array(["", "-"])


def _as_text(values: np.ndarray[Any, Any]) -> pa.Array:
    return pa.array(values).cast(pa.string())


@cache
def _fractions(digits: int) -> pa.Array:
    """The decimal tail of every fraction of 10**digits: "", ".001", ..., ".1", ..., ".999"
    for 3 digits (trailing zeros dropped), to be picked by index."""
    tails = [f".{fraction:0{digits}d}".rstrip("0") for fraction in range(10**digits)]
    return pa.array(["", *tails[1:]])


def decimal_text(scaled: IntGrid, digits: int) -> list[pa.Array]:
    """Integers counting units of 10**-digits (cents: 2) as exact decimal text, in pieces to
    concatenate element-wise: the sign when any is negative, the whole part, the fraction.
    Integer arithmetic and a table lookup, several times faster than formatting doubles."""
    whole, fraction = np.divmod(np.abs(scaled), 10**digits)
    pieces = [_as_text(whole), _fractions(digits).take(pa.array(fraction))]
    negative = scaled < 0
    if negative.any():
        pieces.insert(0, _SIGNS.take(pa.array(negative.astype(np.int8))))
    return pieces


def points_json(
    period_labels: Sequence[str],
    group_labels: Sequence[dict[str, Any] | None],
    cents: IntGrid,
    transactions: IntGrid,
    thousandths: IntGrid,
    covers: IntGrid | None,
) -> list[bytes | memoryview]:
    """The JSON array of every (period, group) point, period by period and within a period
    group by group: `{"period_start", "revenue", "transactions", "items_sold", "covers",
    "group"}`. The grids hold one value per point in that order (length periods x groups);
    `covers` None writes null on every point. The text comes in pieces, to be joined once
    with the rest of the response (12 MB are not copied twice)."""
    width = len(group_labels)
    count = len(period_labels) * width
    if count == 0:
        return [b"[]"]
    if not len(cents) == len(transactions) == len(thousandths) == count:
        raise ValueError("every grid needs one value per (period, group)")
    period_index = pa.array(np.repeat(np.arange(len(period_labels), dtype=np.int32), width))
    group_index = pa.array(np.tile(np.arange(width, dtype=np.int32), len(period_labels)))
    starts = pa.array(
        [f'{{"period_start":{orjson.dumps(label).decode()},"revenue":' for label in period_labels]
    ).take(period_index)
    # Each point ends with "}," so the array's text is the points' concatenation; the last
    # comma is dropped below.
    ends = pa.array([f',"group":{orjson.dumps(label).decode()}}},' for label in group_labels]).take(
        group_index
    )
    covers_pieces: list[pa.Array | str] = (
        [',"covers":null'] if covers is None else [',"covers":', _as_text(covers)]
    )
    points = pc.binary_join_element_wise(
        starts,
        *decimal_text(cents, 2),
        ',"transactions":',
        _as_text(transactions),
        ',"items_sold":',
        *decimal_text(thousandths, 3),
        *covers_pieces,
        ends,
        "",
    )
    _, offsets, data = points.buffers()
    bounds = np.frombuffer(offsets, np.int32, count=count + 1, offset=points.offset * 4)
    first, last = int(bounds[0]), int(bounds[-1])
    return [b"[", memoryview(data)[first : last - 1], b"]"]
