"""SQL of recorded ingestions (`ledger_batches`): listing them and taking one back out of the
ledger, whole or (a daily import overlapped by a newer one) under some of its keys. Every
statement is scoped to one business."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, FromClause, delete, exists, func, select, text

from tableside.kit.repository import TenantRepository
from tableside.ledger.lines import DailyDelta, HourlyDelta, RollupDeltas, sold_at_window
from tableside.ledger.repository import LINE_CATEGORY_KEY, LINE_ITEM_KEY, LINE_LOCATION_KEY
from tableside.models import NO_KEY, LedgerBatch, LedgerLine


@dataclass(frozen=True)
class LineKeys:
    """Some rollup keys of batches' item-less (daily) lines: `table` has the columns
    `batch_id`, `business_date`, `location_key` and `category_key`, one row per key of a
    batch; every date lies between `first_date` and `last_date`."""

    table: FromClause
    first_date: date
    last_date: date


@dataclass(frozen=True)
class OverlappedImport:
    """An earlier daily import holding totals under some keys of a newer daily file."""

    import_id: uuid.UUID
    filename: str | None
    dates: int  # business dates of the overlap (any location or category)
    first_date: date
    last_date: date


@dataclass(frozen=True)
class DailyOverlap:
    """The keys of a daily file that earlier daily imports already hold: the imports, and
    the business dates concerned (each counted once, whichever imports hold it)."""

    imports: list[OverlappedImport]
    dates: int
    first_date: date
    last_date: date


@dataclass(frozen=True)
class BatchContents:
    """What a batch's lines still add up to."""

    lines: int
    net_amount: Decimal
    first_date: date | None
    last_date: date | None


# A ledger line's daily rollup key (alias `l`, bound :no_key), as every writer keys it: the
# location, the item, and for lines without an item their category.
_LINE_KEYS = {
    "business_date": "l.business_date",
    "location_key": "coalesce(l.location_id, :no_key)",
    "item_key": "coalesce(l.menu_item_id, :no_key)",
    "category_key": "CASE WHEN l.menu_item_id IS NULL"
    " THEN coalesce(l.category_id, :no_key) ELSE :no_key END",
}


class BatchRepository(TenantRepository[LedgerBatch]):
    model = LedgerBatch
    # `lines_written` is the response's name for the count; `lines` was the first spelling.
    sortable = {
        "created_at": "created_at",
        "first_date": "first_date",
        "lines_written": "line_count",
        "lines": "line_count",
    }
    default_sort = "created_at"
    default_order_desc = True
    searchable = ("filename", "external_id")
    nulls_last = True

    def _lines_of(
        self, batch: LedgerBatch, keys: LineKeys | None = None
    ) -> list[ColumnElement[bool]]:
        """WHERE clauses selecting exactly the batch's ledger lines (only those under `keys`
        when given)."""
        line = LedgerLine
        clauses: list[ColumnElement[bool]] = [
            line.business_id == self.business_id,
            line.batch_id == batch.id,
        ]
        first, last = (keys.first_date, keys.last_date) if keys else (None, None)
        first, last = first or batch.first_date, last or batch.last_date
        if first is not None and last is not None:
            since, until = sold_at_window(first, last)
            clauses += [
                line.sold_at >= since,
                line.sold_at < until,
                line.business_date.between(first, last),
            ]
        if keys is not None:
            key = keys.table.c
            clauses += [
                line.menu_item_id.is_(None),
                exists().where(
                    key.batch_id == line.batch_id,
                    key.business_date == line.business_date,
                    key.location_key == LINE_LOCATION_KEY,
                    key.category_key == LINE_CATEGORY_KEY,
                ),
            ]
        return clauses

    async def reversal(
        self, batch: LedgerBatch, keys: LineKeys | None = None
    ) -> tuple[RollupDeltas, int]:
        """What taking the batch's lines (those under `keys`, when given) out subtracts from
        every rollup row they added to (the lines grouped by rollup key, signs flipped), and
        how many lines that is."""
        line = LedgerLine
        where = self._lines_of(batch, keys)
        location_key, item_key, category_key = LINE_LOCATION_KEY, LINE_ITEM_KEY, LINE_CATEGORY_KEY
        deltas = RollupDeltas()
        daily = await self.session.execute(
            select(
                line.business_date,
                location_key,
                item_key,
                category_key,
                func.coalesce(func.sum(line.quantity), 0),
                func.coalesce(func.sum(line.net_amount), 0),
                func.coalesce(func.sum(line.cost), 0),
                func.sum(func.sign(line.quantity)),
                func.coalesce(func.sum(line.net_amount).filter(line.cost.is_not(None)), 0),
                func.count(),
            )
            .where(*where)
            .group_by(line.business_date, location_key, item_key, category_key)
        )
        count = 0
        for day, location, item, category, quantity, amount, cost, signs, costed, lines in daily:
            # The category is left as the row has it here; the lines left decide it once
            # these are gone (`refresh_categories`).
            deltas.daily[(day, location, item, category)] = DailyDelta(
                None, -quantity, -amount, -cost, -int(signs), -costed
            )
            count += int(lines)
        hourly = await self.session.execute(
            select(
                line.hour_start,
                location_key,
                func.min(line.business_date),
                func.min(line.local_hour),
                func.coalesce(func.sum(line.quantity), 0),
                func.coalesce(func.sum(line.net_amount), 0),
                func.coalesce(func.sum(line.cost), 0),
                func.sum(line.transactions),
                func.sum(line.covers),
            )
            .where(*where)
            .group_by(line.hour_start, location_key)
        )
        for start, location, day, hour, quantity, amount, cost, sales, covers in hourly:
            deltas.hourly[(start, location)] = HourlyDelta(
                day,
                int(hour),
                -quantity,
                -amount,
                -Decimal(cost or 0),
                -int(sales),
                -int(covers),
            )
        return deltas, count

    async def delete_lines(self, batch: LedgerBatch, keys: LineKeys | None = None) -> int:
        """Delete the batch's ledger lines (those under `keys`, when given); returns how
        many."""
        result = await self.session.execute(delete(LedgerLine).where(*self._lines_of(batch, keys)))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def contents(self, batch: LedgerBatch) -> BatchContents:
        """What the batch's lines in the ledger add up to now."""
        line = LedgerLine
        row = (
            await self.session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(line.net_amount), 0),
                    func.min(line.business_date),
                    func.max(line.business_date),
                ).where(*self._lines_of(batch))
            )
        ).one()
        return BatchContents(int(row[0]), Decimal(row[1]), row[2], row[3])

    async def prune_empty_rollups(self, first: date, last: date) -> None:
        """Delete the rollup rows of these dates left empty: every sum 0 and no ledger line
        under their key any more (the writers add rows, never remove them; an empty row
        would list an item or an hour that sold nothing). A row whose lines cancel out (a
        sale and its refund) stays, as a rebuild would make it."""
        scope = {"business": self.business_id, "first": first, "last": last}
        window = (
            "l.business_id = r.business_id AND l.business_date = r.business_date"
            " AND l.sold_at >= r.business_date - 1 AND l.sold_at < r.business_date + 3"
            f" AND {_LINE_KEYS['location_key']} = r.location_key"
        )
        dated = "r.business_id = :business AND r.business_date BETWEEN :first AND :last"
        empty_items = (
            "r.quantity = 0 AND r.net_amount = 0 AND r.cost = 0 AND r.line_count = 0"
            " AND r.costed_revenue = 0"
        )
        await self.session.execute(
            text(
                f"DELETE FROM sales_daily_item_rollups r WHERE {dated} AND {empty_items}"
                f" AND NOT EXISTS (SELECT 1 FROM sales_ledger l WHERE {window}"
                f" AND {_LINE_KEYS['item_key']} = r.item_key"
                f" AND {_LINE_KEYS['category_key']} = r.category_key)"
            ),
            {**scope, "no_key": NO_KEY},
        )
        await self.session.execute(
            text(
                f"DELETE FROM sales_daily_item_totals r WHERE {dated} AND {empty_items}"
                " AND NOT EXISTS (SELECT 1 FROM sales_daily_item_rollups d"
                " WHERE d.business_id = r.business_id AND d.business_date = r.business_date"
                " AND d.item_key = r.item_key AND d.category_key = r.category_key)"
            ),
            scope,
        )
        await self.session.execute(
            text(
                f"DELETE FROM sales_hourly_rollups r WHERE {dated} AND r.quantity = 0"
                " AND r.net_amount = 0 AND r.cost = 0 AND r.transactions = 0 AND r.covers = 0"
                f" AND NOT EXISTS (SELECT 1 FROM sales_ledger l WHERE {window}"
                " AND l.hour_start = r.hour_start)"
            ),
            {**scope, "no_key": NO_KEY},
        )

    async def refresh_categories(self, deltas: RollupDeltas, first: date, last: date) -> None:
        """Give the daily item rows under the keys of `deltas` (lines just taken out, all
        dated `first` to `last`) the category of the newest line left under their key, as a
        rebuild does: the lines taken out may have been the ones that set it (an item moved
        to another category between a till sale and an import of the same day). Only rows
        the take-out has already locked are updated."""
        if not deltas.daily:
            return
        taken = list(deltas.daily)
        dates, locations, items, categories = ([key[n] for key in taken] for n in range(4))
        since, until = sold_at_window(first, last)
        params = {
            "business": self.business_id,
            "no_key": NO_KEY,
            "since": since,
            "until": until,
            "first": first,
            "last": last,
            "dates": dates,
            "locations": locations,
            "items": items,
            "categories": categories,
        }
        for table, keys in (
            ("sales_daily_item_rollups", list(_LINE_KEYS)),
            ("sales_daily_item_totals", ["business_date", "item_key", "category_key"]),
        ):
            grouping = ", ".join(_LINE_KEYS[key] for key in keys)
            named = ", ".join(f"{_LINE_KEYS[key]} AS {key}" for key in keys)
            # The newest line carrying a category per key, over the lines of those dates (a
            # hashed max(id), then that line by its key: no sort of the dates' lines).
            newest = (
                f"SELECT {named}, max(l.id) AS line_id FROM sales_ledger l"
                " WHERE l.business_id = :business AND l.sold_at >= :since"
                " AND l.sold_at < :until AND l.business_date BETWEEN :first AND :last"
                f" AND l.category_id IS NOT NULL GROUP BY {grouping}"
            )
            touched = (
                f"SELECT DISTINCT {', '.join(keys)} FROM unnest(CAST(:dates AS date[]),"
                " CAST(:locations AS uuid[]), CAST(:items AS uuid[]),"
                " CAST(:categories AS uuid[]))"
                " AS t(business_date, location_key, item_key, category_key)"
            )
            matched = " AND ".join(f"r.{key} = w.{key}" for key in keys)
            await self.session.execute(
                text(
                    f"WITH touched AS ({touched}), newest AS ({newest}),"
                    " wanted AS (SELECT t.*, (SELECT c.category_id FROM sales_ledger c"
                    " WHERE c.business_id = :business AND c.id = n.line_id) AS category_id"
                    f" FROM touched t LEFT JOIN newest n USING ({', '.join(keys)}))"
                    f" UPDATE {table} r SET category_id = w.category_id FROM wanted w"
                    f" WHERE r.business_id = :business AND {matched}"
                    " AND r.category_id IS DISTINCT FROM w.category_id"
                ),
                params,
            )

    async def lock(self, batch_id: uuid.UUID) -> LedgerBatch | None:
        """The batch, locked until the transaction ends (a second revert waits, then finds
        it gone)."""
        stmt = self.base_select().where(LedgerBatch.id == batch_id).with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()
