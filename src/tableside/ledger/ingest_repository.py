"""SQL of ledger ingestion, set-based from end to end.

Rows arrive by COPY in a temporary staging table of text columns (`_ingest_raw`, one row per
line with its line number). Item, location and (daily rows) category references are resolved
once per distinct value (`_ingest_keys` -> `_ingest_items`, `_ingest_locations`,
`_ingest_categories`). One INSERT ... SELECT converts and
checks every row (`_ingest_typed`: values, business date, local hour, or the row's first
error). Valid rows then go to `sales_ledger` in one INSERT whose RETURNING feeds one grouped
pass for both rollups, which are upserted in key order (adding, never overwriting).

Conversion runs optimistically first: plain casts, which PostgreSQL evaluates quickly, plus
cheap shape checks. A cast that fails raises, so that attempt runs in a savepoint; when it
fails the careful variant runs instead, where every cast is guarded by a regular expression
(and dates by calendar arithmetic) and a bad value becomes that row's error. Both variants
accept and reject the same values; the careful one only costs more.

The statements run on the session's own asyncpg connection, inside the request's (or job's)
transaction, so a failure anywhere writes nothing. Constants are rendered as SQL literals:
they are UUIDs, integers and time-zone names read from the database, never client text.
"""

from __future__ import annotations

import time
import unicodedata
import uuid
from collections.abc import AsyncIterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import asyncpg
from sqlalchemy import Date, Uuid, delete, func, literal_column, select, text, update
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.errors import ValidationFailed
from tableside.kit.money import minor_unit
from tableside.ledger.batch_repository import DailyOverlap, OverlappedImport
from tableside.ledger.csv_format import BLANK_CELL, IGNORED_STAGING_COLUMN, Shape
from tableside.ledger.lines import sold_at_window
from tableside.models import NO_KEY, LedgerBatch, LedgerUpload, Location, SaleSource

STAGING_COLUMNS = (
    "ts",
    "day",
    "item_id",
    "sku",
    "item",
    "quantity",
    "amount",
    "location",
    "txn",
    "covers",
    "transactions",
    "marketing_spend",
    "is_holiday",
    "product_category",
    "extra",
)
ITEM_COLUMNS = ("item_id", "sku", "item")
MAX_ERRORS = 1000

# Limits that keep every value inside its ledger column (and the sums sane).
MAX_AMOUNT = Decimal("1e12")  # NUMERIC(14, 2)
MAX_QUANTITY = Decimal("1e6")
MAX_COUNT = 32767  # transactions is a SMALLINT; covers share the bound

_NUM_RE = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?\s*$"
# A count may carry a decimal point and zeros (`2.0`): JSON encoders and spreadsheets
# write whole numbers that way.
_INT_RE = r"^\s*[+-]?\d{1,9}(\.0*)?\s*$"
_WHOLE_RE = r"^\s*[+-]?\d+(\.0*)?\s*$"
# Anything outside these characters can never match the patterns above.
_NUM_CHARS = r"[^0-9eE.+\-\s]"
_INT_CHARS = r"[^0-9.+\-\s]"
_DATE_RE = r"^\d{4}-\d\d-\d\d$"
_TS_RE = (
    r"^\d{4}-\d\d-\d\d[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d*)?)?"
    r"\s*(Z|[+-](\d|0\d|1[0-5])(:?[0-5]\d(:?[0-5]\d)?)?)?$"
)
# A number whose decimal separator is a comma, without thousands separators (1.234,50 is not
# guessed at): what a decimal-comma spreadsheet writes for a plain number.
_DECIMAL_COMMA_RE = r"^\s*[+-]?\d+,\d+\s*$"
_BOOL_RE = r"^\s*(t|tr|tru|true|f|fa|fal|fals|false|y|ye|yes|n|no|on|of|off|1|0)\s*$"
# A flag as a float column holds it (pandas, for a column with gaps): 1.0, 0.0, 1.00.
_FLOAT_FLAG_RE = r"^\s*[01]\.0+\s*$"
_UUID_RE = r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$"

# Grouped sums are kept in integer minor units (exact: quantities have at most 3 decimals,
# amounts and costs 2) because bigint sums cost a fraction of numeric ones.
_QUANTITY = "(g.quantity_milli::numeric / 1000)::numeric(20, 3)"
_NET = "(g.net_cents::numeric / 100)::numeric(20, 2)"
_COST = "(g.cost_cents::numeric / 100)::numeric(20, 2)"
_COSTED = "(g.costed_cents::numeric / 100)::numeric(20, 2)"


def _add_item_sums(alias: str) -> str:
    """The ON CONFLICT update of an item table (per-location rollup or business-wide
    totals, aliased `alias`): the new sums added (costed revenue too), the newest category
    kept."""
    return (
        f"quantity = {alias}.quantity + excluded.quantity,"
        f" net_amount = {alias}.net_amount + excluded.net_amount,"
        f" cost = {alias}.cost + excluded.cost,"
        f" line_count = {alias}.line_count + excluded.line_count,"
        f" costed_revenue = {alias}.costed_revenue + excluded.costed_revenue,"
        f" category_id = coalesce(excluded.category_id, {alias}.category_id)"
    )


# The keys of a daily file that earlier daily imports hold (`find_daily_overlaps`), one row
# per key and earlier import, until the transaction ends.
OVERLAP_KEYS = sql_table(
    "_ingest_overlap",
    sql_column("batch_id", Uuid),
    sql_column("business_date", Date),
    sql_column("location_key", Uuid),
    sql_column("category_key", Uuid),
)


TS_MESSAGE = "is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM])"
DATE_MESSAGE = "is not a date (YYYY-MM-DD)"
YEARS_MESSAGE = "must be in the years 1901 to 9998"


def literal(value: object) -> str:
    """A constant as SQL. Only for values the server produced or a type guarantees."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, uuid.UUID):
        return f"'{value}'::uuid"
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("NUL in an SQL literal")
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__}")


@dataclass(frozen=True)
class TypedPlan:
    """What the conversion needs to know about the input."""

    shape: Shape
    json: bool  # bulk JSON: references are ids; CSV: locations may be names
    item_columns: tuple[str, ...]  # staging columns naming the item that the input has
    missing_item_field: str  # the staging column named when a line names no item
    time_column: str  # the staging column named when a line has no time (ts or day)
    has_txn: bool
    business_timezone: str
    cutoff_hour: int
    default_location_id: uuid.UUID | None
    present: frozenset[str]  # staging columns the input has
    currency: str = "USD"  # the business's: amounts finer than its minor unit are refused
    # A semicolon-separated file: its numbers may have a decimal comma (12,50), as the
    # spreadsheets of decimal-comma locales, which save CSV with semicolons, write them.
    decimal_comma: bool = False

    @property
    def has_categories(self) -> bool:
        """A daily file naming each row's menu category (`product_category`)."""
        return self.shape is Shape.daily and "product_category" in self.present

    @property
    def money_decimals(self) -> int:
        """Decimals an amount may have: the currency's (0 for JPY), at most the ledger's 2."""
        return min(2, -int(minor_unit(self.currency).as_tuple().exponent))

    def money_decimals_message(self) -> str:
        if self.money_decimals < 2:
            return f"has more decimals than {self.currency} allows"
        return "has more than 2 decimals"


@dataclass
class Written:
    """What the ledger insert wrote, from the grouped rollup pass."""

    lines: int = 0
    net_amount: Decimal = Decimal(0)
    first_date: date | None = None
    last_date: date | None = None


@dataclass
class Timings:
    """Seconds spent per phase (for logs and the benchmark)."""

    phases: dict[str, float] = field(default_factory=dict)

    def add(self, phase: str, started: float) -> None:
        self.phases[phase] = self.phases.get(phase, 0.0) + time.perf_counter() - started


class IngestRepository:
    """The ingestion statements for one business, on the session's connection."""

    def __init__(self, session: AsyncSession, business_id: uuid.UUID) -> None:
        self.session = session
        self.business_id = business_id
        self.timings = Timings()
        self._conn: asyncpg.Connection | None = None

    # -- connection --------------------------------------------------------------------------

    async def connection(self) -> asyncpg.Connection:
        """The asyncpg connection under the session, inside the session's transaction."""
        if self._conn is None:
            # The driver opens its transaction lazily, on the first statement: run one, so
            # COPY below is part of the caller's unit of work and not autocommitted.
            await self.session.execute(text("SELECT 1"))
            raw = await (await self.session.connection()).get_raw_connection()
            conn = raw.driver_connection
            if conn is None or not conn.is_in_transaction():
                raise RuntimeError("ingestion needs the session's open transaction")
            self._conn = conn
        return self._conn

    async def _execute(self, sql: str, phase: str) -> str:
        conn = await self.connection()
        started = time.perf_counter()
        status: str = await conn.execute(sql)
        self.timings.add(phase, started)
        return status

    # -- staging -----------------------------------------------------------------------------

    async def create_staging(self, first_line: int) -> None:
        """Fresh temporary tables for this transaction (dropped at commit)."""
        columns = ", ".join(f"{name} text" for name in STAGING_COLUMNS)
        await self._execute(
            "DROP TABLE IF EXISTS pg_temp._ingest_raw, pg_temp._ingest_keys,"
            " pg_temp._ingest_items, pg_temp._ingest_locations, pg_temp._ingest_typed,"
            " pg_temp._ingest_sales, pg_temp._ingest_groups, pg_temp._ingest_categories;"
            # Hash aggregates of a large file stay in memory instead of sorting on disk.
            " SET LOCAL work_mem = '256MB';"
            " CREATE TEMP TABLE _ingest_raw (line_no bigint GENERATED BY DEFAULT AS IDENTITY"
            f" (START WITH {max(first_line, 1)}), {columns}) ON COMMIT DROP;"
            " CREATE TEMP TABLE _ingest_typed (line_no bigint, txn text, err text,"
            " sold_at timestamptz, business_date date, hour_start timestamptz,"
            " local_hour smallint, location_id uuid, menu_item_id uuid, category_id uuid,"
            " quantity numeric, net_amount numeric, cost numeric, covers integer,"
            " transactions integer, is_refund boolean, marketing_spend numeric,"
            " is_holiday boolean, product_category text) ON COMMIT DROP",
            "stage",
        )

    async def copy_csv(
        self, chunks: AsyncIterable[bytes], columns: Sequence[str], delimiter: str
    ) -> int | None:
        """COPY the CSV data rows into staging; None when COPY cannot read them (a row with
        the wrong number of cells, a blank line): the caller then parses the file itself."""
        conn = await self.connection()
        started = time.perf_counter()
        await conn.execute("SAVEPOINT ingest_copy")
        try:
            status = await conn.copy_to_table(
                "_ingest_raw",
                source=chunks,
                columns=list(columns),
                format="csv",
                delimiter=delimiter,
                header=False,
            )
        except asyncpg.BadCopyFileFormatError:
            await conn.execute("ROLLBACK TO SAVEPOINT ingest_copy")
            self.timings.add("copy", started)
            return None
        await conn.execute("RELEASE SAVEPOINT ingest_copy")
        self.timings.add("copy", started)
        return int(status.split()[-1])

    async def copy_records(
        self, records: Sequence[tuple[object, ...]], columns: Sequence[str]
    ) -> bool:
        """COPY rows that carry their own line numbers (bulk JSON, parsed CSV). False, with
        nothing copied, when a value holds a NUL character or a lone surrogate (text cannot)."""
        if not records:
            return True
        conn = await self.connection()
        started = time.perf_counter()
        await conn.execute("SAVEPOINT ingest_records")
        try:
            await conn.copy_records_to_table(
                "_ingest_raw", records=records, columns=["line_no", *columns]
            )
        except (asyncpg.CharacterNotInRepertoireError, UnicodeEncodeError):
            await conn.execute("ROLLBACK TO SAVEPOINT ingest_records")
            return False
        finally:
            self.timings.add("copy", started)
        await conn.execute("RELEASE SAVEPOINT ingest_records")
        return True

    async def truncate_staging(self) -> None:
        await self._execute("TRUNCATE _ingest_raw", "stage")

    async def has_data_rows(self, columns: Sequence[str]) -> bool:
        """Whether staging holds a row that is not blank (stops at the first one)."""
        conn = await self.connection()
        found = await conn.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM _ingest_raw r WHERE NOT ({blank_row(columns)}))"
        )
        return bool(found)

    # -- references --------------------------------------------------------------------------

    async def resolve_references(self, plan: TypedPlan) -> None:
        """Map every distinct item and location reference to its id (or an error)."""
        key_columns = [*plan.item_columns, "location"]
        if plan.has_categories:
            key_columns.append("product_category")
        keys = ", ".join(f"coalesce({c}, '') AS k_{c}" for c in key_columns)
        await self._execute(
            f"CREATE TEMP TABLE _ingest_keys ON COMMIT DROP AS SELECT DISTINCT {keys}"
            " FROM _ingest_raw",
            "references",
        )
        if plan.shape is Shape.lines:
            await self._execute(self._items_sql(plan), "references")
        if plan.has_categories:
            await self._execute(self._categories_sql(), "references")
        await self._execute(self._locations_sql(plan), "references")
        # Fresh statistics: the planner then hashes these small maps instead of guessing.
        analyze = "ANALYZE _ingest_locations"
        if plan.shape is Shape.lines:
            analyze += "; ANALYZE _ingest_items"
        if plan.has_categories:
            analyze += "; ANALYZE _ingest_categories"
        await self._execute(analyze, "references")

    def _categories_sql(self) -> str:
        """Daily rows' `product_category` to the business's menu category of that name,
        trimmed: the exact name first, else the one category whose name differs only in
        case (names are unique per business only as written: `Food` and `FOOD` may both
        exist, and then `food` names neither)."""
        business = literal(self.business_id)
        return f"""
        CREATE TEMP TABLE _ingest_categories ON COMMIT DROP AS
        WITH parsed AS (
            SELECT DISTINCT k_product_category, btrim(k_product_category, {_NAME_PADDING}) AS t
            FROM _ingest_keys
        )
        SELECT p.k_product_category,
            coalesce(exact.id, CASE WHEN folded.total = 1 THEN folded.id END) AS category_id,
            CASE
                WHEN p.t = '' OR exact.id IS NOT NULL OR folded.total = 1 THEN NULL
                WHEN folded.total > 1 THEN 'product_category|matches ' || folded.total
                    || ' menu categories by name; write it as on the menu'
                ELSE 'product_category|no menu category named ''' || p.t || ''''
            END AS err
        FROM parsed p
        LEFT JOIN LATERAL (SELECT c.id FROM menu_categories c
            WHERE c.business_id = {business} AND p.t <> ''
                AND {_same("c.name", "p.t")}
            -- two names may differ in their accents' writing only: the one as written
            ORDER BY (c.name = p.t) DESC, c.id LIMIT 1) exact ON true
        LEFT JOIN LATERAL (
            SELECT count(*) AS total, min(c.id::text)::uuid AS id FROM menu_categories c
            WHERE c.business_id = {business} AND p.t <> ''
                AND {_folded("c.name")} = {_folded("p.t")}
        ) folded ON true
        """

    def _items_sql(self, plan: TypedPlan) -> str:
        business = literal(self.business_id)
        has = set(plan.item_columns)
        k_id = "k.k_item_id" if "item_id" in has else "''"
        k_sku = "k.k_sku" if "sku" in has else "''"
        k_item = "k.k_item" if "item" in has else "''"
        key_list = ", ".join(f"k_{c}" for c in plan.item_columns)
        required = literal(
            f"{plan.missing_item_field}|is required" + (" (or sku)" if plan.json else "")
        )
        return f"""
        CREATE TEMP TABLE _ingest_items ON COMMIT DROP AS
        WITH keys AS (
            SELECT DISTINCT {key_list} FROM _ingest_keys
        ), parsed AS (
            SELECT k.*, btrim({k_id}, {_NAME_PADDING}) AS t_id,
                btrim({k_sku}, {_NAME_PADDING}) AS t_sku,
                btrim({k_item}, {_NAME_PADDING}) AS t_item,
                CASE WHEN lower(btrim({k_id}, {_NAME_PADDING})) ~ {literal(_UUID_RE)}
                     THEN btrim({k_id}, {_NAME_PADDING})::uuid END AS wanted_id
            FROM keys k
        ), matched AS (
            SELECT p.*, by_id.id AS id_match, by_sku.id AS sku_match, by_sku.name AS sku_name,
                coalesce(by_name.total, 0) AS name_total, item_sku.id AS item_sku_match,
                coalesce(by_name.others, 0) AS name_others,
                -- what the item cell names on its own: a SKU, else the one active item (or
                -- the one inactive item) of that name
                coalesce(item_sku.id, CASE WHEN by_name.active = 1
                    OR (by_name.active = 0 AND by_name.total = 1) THEN by_name.id END)
                    AS item_alone
            FROM parsed p
            LEFT JOIN LATERAL (SELECT m.id FROM menu_items m
                WHERE m.business_id = {business} AND m.id = p.wanted_id) by_id ON true
            LEFT JOIN LATERAL (SELECT m.id, m.name FROM menu_items m
                WHERE m.business_id = {business} AND p.t_sku <> '' AND m.sku = p.t_sku) by_sku
                ON true
            LEFT JOIN LATERAL (SELECT m.id FROM menu_items m
                WHERE m.business_id = {business} AND p.t_item <> '' AND m.sku = p.t_item) item_sku
                ON true
            LEFT JOIN LATERAL (
                SELECT count(*) FILTER (WHERE m.is_active) AS active, count(*) AS total,
                    count(*) FILTER (WHERE m.is_active AND m.sku <> p.t_item) AS others,
                    (array_agg(m.id ORDER BY m.is_active DESC, m.created_at, m.id))[1] AS id
                FROM menu_items m
                WHERE m.business_id = {business} AND p.t_item <> ''
                    AND {_folded("m.name")} = {_folded("p.t_item")}
            ) by_name ON true
        ), chosen AS (
            SELECT x.*, CASE
                WHEN x.t_id <> '' THEN x.id_match
                ELSE coalesce(x.sku_match, x.item_alone)
                END AS item_id_chosen
            FROM matched x
        )
        SELECT {", ".join(f"c.k_{col}" for col in plan.item_columns)},
            m.id AS menu_item_id, m.category_id, m.cost AS unit_cost,
            CASE
                WHEN c.t_id <> '' AND c.wanted_id IS NULL THEN 'item_id|is not a valid id'
                WHEN c.t_id <> '' AND c.id_match IS NULL THEN 'item_id|unknown menu item'
                WHEN c.t_id <> '' AND c.t_sku <> '' AND c.sku_match IS DISTINCT FROM c.id_match
                    THEN 'sku|does not name the same item as menu_item_id'
                WHEN c.t_id = '' AND c.sku_match IS NOT NULL AND c.item_alone IS NOT NULL
                    AND c.item_alone <> c.sku_match
                    AND {_folded("c.sku_name")} <> {_folded("c.t_item")}
                    THEN 'item|names another menu item than the sku'
                WHEN c.t_id = '' AND c.t_sku = '' AND c.t_item = '' THEN {required}
                -- A cell that is one item's SKU and another active item's name: which one
                -- the till meant, only a sku column can say.
                WHEN c.t_id = '' AND c.t_sku = '' AND c.item_sku_match IS NOT NULL
                    AND c.name_others > 0
                    THEN 'item|is the SKU of one menu item and the name of another;'
                        || ' use a sku column'
                WHEN c.item_id_chosen IS NULL AND c.name_total > 1
                    THEN 'item|matches ' || c.name_total || ' menu items by name; use the SKU'
                WHEN c.item_id_chosen IS NULL AND c.t_item <> '' THEN 'item|unknown item'
                WHEN c.item_id_chosen IS NULL THEN 'sku|unknown item'
            END AS err
        FROM chosen c
        LEFT JOIN menu_items m ON m.business_id = {business} AND m.id = c.item_id_chosen
        """

    def _locations_sql(self, plan: TypedPlan) -> str:
        business = literal(self.business_id)
        zone = literal(plan.business_timezone)
        by_name = (
            f"""LEFT JOIN LATERAL (
                SELECT l.id, l.timezone, count(*) OVER () AS total FROM locations l
                WHERE l.business_id = {business} AND p.t <> '' AND p.wanted_id IS NULL
                    AND {_folded("l.name")} = {_folded("p.t")}
                ORDER BY (l.name = p.t) DESC, ({_same("l.name", "p.t")}) DESC, l.created_at
                LIMIT 1
            ) by_name ON true"""
            if not plan.json
            else "LEFT JOIN LATERAL (SELECT NULL::uuid AS id, NULL::text AS timezone,"
            " 0 AS total) by_name ON true"
        )
        exact_name = (
            f"""LEFT JOIN LATERAL (SELECT l.id FROM locations l
                WHERE l.business_id = {business} AND {_same("l.name", "p.t")}
                ORDER BY (l.name = p.t) DESC, l.id LIMIT 1) exact ON true"""
            if not plan.json
            else "LEFT JOIN LATERAL (SELECT NULL::uuid AS id) exact ON true"
        )
        not_id = "location|is not a valid id" if plan.json else "location|unknown location"
        default = literal(plan.default_location_id) if plan.default_location_id else "NULL::uuid"
        return f"""
        CREATE TEMP TABLE _ingest_locations ON COMMIT DROP AS
        WITH parsed AS (
            SELECT DISTINCT k_location, btrim(k_location, {_NAME_PADDING}) AS t,
                CASE WHEN lower(btrim(k_location, {_NAME_PADDING})) ~ {literal(_UUID_RE)}
                     THEN btrim(k_location, {_NAME_PADDING})::uuid END AS wanted_id
            FROM _ingest_keys
        ), resolved AS (
            SELECT p.k_location, p.t, p.wanted_id, by_id.id AS id_match, by_id.timezone AS id_zone,
                by_name.id AS name_match, by_name.timezone AS name_zone,
                coalesce(by_name.total, 0) AS name_total, exact.id AS exact_match
            FROM parsed p
            LEFT JOIN LATERAL (SELECT l.id, l.timezone FROM locations l
                WHERE l.business_id = {business}
                    AND l.id = coalesce(p.wanted_id, CASE WHEN p.t = ''
                        THEN {default} END)) by_id ON true
            {by_name}
            {exact_name}
        )
        SELECT r.k_location,
            coalesce(r.id_match, r.name_match) AS location_id,
            coalesce(r.id_zone, r.name_zone, {zone}) AS tz,
            CASE
                WHEN r.t = '' THEN NULL
                WHEN r.wanted_id IS NOT NULL AND r.id_match IS NULL
                    THEN 'location|unknown location'
                WHEN r.wanted_id IS NULL AND r.name_match IS NULL THEN {literal(not_id)}
                WHEN r.wanted_id IS NULL AND r.exact_match IS NULL AND r.name_total > 1
                    THEN 'location|matches ' || r.name_total || ' locations by name; use the id'
            END AS err
        FROM resolved r
        """

    # -- conversion --------------------------------------------------------------------------

    async def convert(self, plan: TypedPlan) -> None:
        """Fill `_ingest_typed` from staging: optimistic casts, else the careful variant."""
        conn = await self.connection()
        started = time.perf_counter()
        await conn.execute("SAVEPOINT ingest_convert")
        try:
            await conn.execute(convert_sql(plan, careful=False))
        except asyncpg.DataError:
            await conn.execute("ROLLBACK TO SAVEPOINT ingest_convert")
            self.timings.add("convert_optimistic", started)
            started = time.perf_counter()
            await conn.execute(convert_sql(plan, careful=True))
            self.timings.add("convert_careful", started)
        else:
            self.timings.add("convert", started)
        await conn.execute("RELEASE SAVEPOINT ingest_convert")
        if plan.shape is Shape.daily:
            await self._execute(_repeated_days_sql(plan), "convert")

    async def counts(self) -> tuple[int, int]:
        """(valid rows, invalid rows) in `_ingest_typed`."""
        conn = await self.connection()
        row = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE err IS NULL) AS ok,"
            " count(*) FILTER (WHERE err IS NOT NULL) AS bad FROM _ingest_typed"
        )
        assert row is not None
        return int(row["ok"]), int(row["bad"])

    async def errors(self, limit: int = MAX_ERRORS) -> list[tuple[int, str, str]]:
        """The first `limit` invalid rows: (line number, staging column, message)."""
        conn = await self.connection()
        rows = await conn.fetch(
            "SELECT line_no, err FROM _ingest_typed WHERE err IS NOT NULL"
            f" ORDER BY line_no LIMIT {int(limit)}"
        )
        result = []
        for row in rows:
            column, _, message = str(row["err"]).partition("|")
            result.append((int(row["line_no"]), column, message))
        return result

    # -- writing -----------------------------------------------------------------------------

    async def write(self, plan: TypedPlan, batch_id: uuid.UUID) -> Written:
        """Insert the valid rows into the ledger and add them to both rollups."""
        try:
            return await self._write(plan, batch_id)
        except asyncpg.NumericValueOutOfRangeError as exc:
            # Every line fits its columns; only a sum can overflow (a day past 10^12).
            raise ValidationFailed(
                "These lines would take a day's total past what the ledger holds"
                " (999,999,999,999.99)",
                details=[{"field": "amount", "message": "a day's total is too large"}],
            ) from exc

    async def _write(self, plan: TypedPlan, batch_id: uuid.UUID) -> Written:
        if plan.has_txn:
            await self._execute(
                "CREATE TEMP TABLE _ingest_sales ON COMMIT DROP AS"
                " SELECT txn, min(line_no) FILTER (WHERE NOT is_refund) AS first_line,"
                " max(covers) FILTER (WHERE NOT is_refund) AS covers"
                " FROM _ingest_typed WHERE err IS NULL AND txn IS NOT NULL GROUP BY txn",
                "sales",
            )
        if plan.shape is Shape.daily:
            transactions, covers, join = "t.transactions", "0", ""
        elif plan.has_txn:
            transactions = (
                "CASE WHEN t.txn IS NULL THEN (NOT t.is_refund)::int"
                " WHEN s.first_line = t.line_no THEN 1 ELSE 0 END"
            )
            covers = (
                "CASE WHEN t.txn IS NULL THEN CASE WHEN t.is_refund THEN 0 ELSE t.covers END"
                " WHEN s.first_line = t.line_no THEN s.covers ELSE 0 END"
            )
            join = "LEFT JOIN _ingest_sales s ON s.txn = t.txn"
        else:
            transactions = "(NOT t.is_refund)::int"
            covers = "CASE WHEN t.is_refund THEN 0 ELSE t.covers END"
            join = ""
        lines = f"""
            SELECT t.location_id, t.business_date, t.sold_at, t.hour_start, t.local_hour,
                t.menu_item_id, t.category_id, t.quantity, t.net_amount, t.cost,
                {covers} AS covers, {transactions} AS transactions
            FROM _ingest_typed t {join}
            WHERE t.err IS NULL
        """
        await self._execute(
            f"""
            INSERT INTO sales_ledger (business_id, location_id, business_date, sold_at,
                hour_start, local_hour, menu_item_id, category_id, quantity, net_amount,
                cost, covers, transactions, source, batch_id)
            SELECT {literal(self.business_id)}, w.*, 'import', {literal(batch_id)}
            FROM ({lines}) w
            """,
            "ledger",
        )
        await self._execute(
            f"""
            CREATE TEMP TABLE _ingest_groups ON COMMIT DROP AS
            SELECT GROUPING(menu_item_id) = 0 AS daily, business_date, location_id,
                menu_item_id, category_id, hour_start, local_hour,
                sum((quantity * 1000)::bigint) AS quantity_milli,
                sum((net_amount * 100)::bigint) AS net_cents,
                sum((coalesce(cost, 0) * 100)::bigint) AS cost_cents,
                coalesce(sum((net_amount * 100)::bigint) FILTER (WHERE cost IS NOT NULL), 0)
                    AS costed_cents,
                sum(sign(quantity))::bigint AS line_count,
                sum(transactions)::bigint AS transactions, sum(covers)::bigint AS covers,
                count(*) AS lines
            FROM ({lines}) w
            GROUP BY GROUPING SETS (
                (business_date, location_id, menu_item_id, category_id),
                (hour_start, location_id, business_date, local_hour)
            )
            """,
            "groups",
        )
        business = literal(self.business_id)
        no_key = literal(NO_KEY)
        # The groups are per item and category already: lines without an item are keyed by
        # their category (as `lines.category_key`), item lines by the item alone.
        category_key = (
            f"CASE WHEN g.menu_item_id IS NULL THEN coalesce(g.category_id, {no_key})"
            f" ELSE {no_key} END"
        )
        await self._execute(
            f"""
            INSERT INTO sales_daily_item_rollups AS d (business_id, business_date, location_key,
                item_key, category_key, category_id, quantity, net_amount, cost, line_count,
                costed_revenue)
            SELECT {business}, g.business_date, coalesce(g.location_id, {no_key}),
                coalesce(g.menu_item_id, {no_key}), {category_key}, g.category_id, {_QUANTITY},
                {_NET}, {_COST}, g.line_count, {_COSTED}
            FROM _ingest_groups g WHERE g.daily
            ORDER BY 2, 3, 4, 5
            ON CONFLICT (business_id, business_date, location_key, item_key, category_key)
            DO UPDATE SET {_add_item_sums("d")}
            """,
            "rollups",
        )
        await self._execute(
            f"""
            INSERT INTO sales_daily_item_totals AS t (business_id, business_date, item_key,
                category_key, category_id, quantity, net_amount, cost, line_count,
                costed_revenue)
            SELECT {business}, g.business_date, coalesce(g.menu_item_id, {no_key}),
                {category_key}, max(g.category_id::text)::uuid,
                (sum(g.quantity_milli) / 1000)::numeric(20, 3),
                (sum(g.net_cents) / 100)::numeric(20, 2),
                (sum(g.cost_cents) / 100)::numeric(20, 2), sum(g.line_count),
                (sum(g.costed_cents) / 100)::numeric(20, 2)
            FROM _ingest_groups g WHERE g.daily
            GROUP BY 2, 3, 4
            ORDER BY 2, 3, 4
            ON CONFLICT (business_id, business_date, item_key, category_key) DO UPDATE SET
                {_add_item_sums("t")}
            """,
            "rollups",
        )
        await self._execute(
            f"""
            INSERT INTO sales_hourly_rollups AS h (business_id, hour_start, location_key,
                business_date, local_hour, quantity, net_amount, cost, transactions, covers)
            SELECT {business}, g.hour_start, coalesce(g.location_id, {no_key}), g.business_date,
                g.local_hour, {_QUANTITY}, {_NET}, {_COST}, g.transactions, g.covers
            FROM _ingest_groups g WHERE NOT g.daily
            ORDER BY 2, 3
            ON CONFLICT (business_id, hour_start, location_key) DO UPDATE SET
                quantity = h.quantity + excluded.quantity,
                net_amount = h.net_amount + excluded.net_amount,
                cost = h.cost + excluded.cost,
                transactions = h.transactions + excluded.transactions,
                covers = h.covers + excluded.covers
            """,
            "rollups",
        )
        conn = await self.connection()
        row = await conn.fetchrow(
            "SELECT coalesce(sum(lines), 0)::bigint AS lines,"
            " (coalesce(sum(net_cents), 0)::numeric / 100)::numeric(20, 2) AS net_amount,"
            " min(business_date) AS first_date, max(business_date) AS last_date"
            " FROM _ingest_groups WHERE daily"
        )
        assert row is not None
        return Written(
            lines=int(row["lines"]),
            net_amount=Decimal(row["net_amount"]),
            first_date=row["first_date"],
            last_date=row["last_date"],
        )

    async def upsert_signals(self) -> int:
        """Daily imports: marketing spend, holiday flag and category per business date and
        location.

        Within the file each row of a date is one category's record: its marketing spend
        adds up like its sales, the date is a holiday if any row says so (not one if all say
        not), and the category is kept when all the date's rows name the same one. A cell
        empty in every row of the date leaves what was known; across files, a later file's
        value replaces an earlier one's."""
        business = literal(self.business_id)
        no_key = literal(NO_KEY)
        try:
            status = await self._execute(
                f"""
                INSERT INTO sales_daily_signals AS s (id, business_id, location_key,
                    business_date, marketing_spend, is_holiday, product_category, created_at,
                    updated_at)
                SELECT gen_random_uuid(), {business}, x.location_key, x.business_date,
                    x.marketing_spend, x.is_holiday, x.product_category, now(), now()
                FROM (
                    SELECT coalesce(location_id, {no_key}) AS location_key, business_date,
                        sum(marketing_spend) AS marketing_spend,
                        bool_or(is_holiday) AS is_holiday,
                        CASE WHEN count(DISTINCT product_category) = 1
                            THEN min(product_category) END AS product_category
                    FROM _ingest_typed
                    WHERE err IS NULL AND (marketing_spend IS NOT NULL
                        OR is_holiday IS NOT NULL OR product_category IS NOT NULL)
                    GROUP BY 1, 2
                ) x
                ORDER BY x.location_key, x.business_date
                ON CONFLICT (business_id, location_key, business_date) DO UPDATE SET
                    marketing_spend = coalesce(excluded.marketing_spend, s.marketing_spend),
                    is_holiday = coalesce(excluded.is_holiday, s.is_holiday),
                    product_category = coalesce(excluded.product_category, s.product_category),
                    updated_at = now()
                """,
                "signals",
            )
        except asyncpg.NumericValueOutOfRangeError as exc:
            # Every row's spend fits its column; only a date's sum can overflow.
            raise ValidationFailed(
                "These rows would take a day's marketing spend past what the ledger holds"
                " (999,999,999,999.99)",
                details=[{"field": "marketing_spend", "message": "a day's total is too large"}],
            ) from exc
        return int(status.split()[-1])

    async def find_daily_overlaps(self, batch_id: uuid.UUID) -> DailyOverlap | None:
        """The earlier daily imports (`csv_daily` batches other than `batch_id`) with lines
        under a key of the staged valid rows: the same business date, location (or none)
        and category (or none). The keys they hold are kept in `OVERLAP_KEYS`.

        Run under the business's ledger lock, so a daily file committed meanwhile is seen.
        The common case, no overlap, costs one probe of the daily rollup's primary key per
        key of the file (item-less rollup rows exist only where item-less lines were
        written); only keys found there are looked for in the ledger, through its
        (business_id, sold_at) index within the window of those dates."""
        business, no_key = literal(self.business_id), literal(NO_KEY)
        conn = await self.connection()
        started = time.perf_counter()
        await conn.execute(
            "DROP TABLE IF EXISTS pg_temp._ingest_held, pg_temp._ingest_overlap;"
            " CREATE TEMP TABLE _ingest_overlap (batch_id uuid, business_date date,"
            " location_key uuid, category_key uuid) ON COMMIT DROP;"
            " CREATE TEMP TABLE _ingest_held ON COMMIT DROP AS"
            " SELECT k.* FROM (SELECT DISTINCT business_date,"
            f" coalesce(location_id, {no_key}) AS location_key,"
            f" coalesce(category_id, {no_key}) AS category_key"
            " FROM _ingest_typed WHERE err IS NULL AND menu_item_id IS NULL) k"
            " WHERE EXISTS (SELECT 1 FROM sales_daily_item_rollups r"
            f" WHERE r.business_id = {business} AND r.business_date = k.business_date"
            f" AND r.location_key = k.location_key AND r.item_key = {no_key}"
            " AND r.category_key = k.category_key)"
        )
        span = await conn.fetchrow(
            "SELECT min(business_date) AS first, max(business_date) AS last FROM _ingest_held"
        )
        assert span is not None
        if span["first"] is None:
            self.timings.add("overlap", started)
            return None
        since, until = (literal(t.isoformat()) for t in sold_at_window(span["first"], span["last"]))
        await conn.execute(
            "INSERT INTO _ingest_overlap"
            " SELECT DISTINCT l.batch_id, h.business_date, h.location_key, h.category_key"
            " FROM _ingest_held h"
            f" JOIN sales_ledger l ON l.business_id = {business}"
            f" AND l.sold_at >= {since}::timestamptz AND l.sold_at < {until}::timestamptz"
            " AND l.business_date = h.business_date AND l.menu_item_id IS NULL"
            f" AND coalesce(l.location_id, {no_key}) = h.location_key"
            f" AND coalesce(l.category_id, {no_key}) = h.category_key"
            f" JOIN ledger_batches b ON b.business_id = {business} AND b.id = l.batch_id"
            f" AND b.kind = 'csv_daily' AND b.id <> {literal(batch_id)}"
        )
        rows = await conn.fetch(
            "SELECT o.batch_id, b.filename, count(DISTINCT o.business_date) AS dates,"
            " min(o.business_date) AS first, max(o.business_date) AS last"
            " FROM _ingest_overlap o"
            f" JOIN ledger_batches b ON b.business_id = {business} AND b.id = o.batch_id"
            " GROUP BY o.batch_id, b.filename, b.created_at"
            " ORDER BY b.created_at, o.batch_id"
        )
        total = await conn.fetchrow(
            "SELECT count(DISTINCT business_date) AS dates, min(business_date) AS first,"
            " max(business_date) AS last FROM _ingest_overlap"
        )
        self.timings.add("overlap", started)
        if not rows or total is None:
            return None  # item-less lines under these keys, but none of a daily import
        return DailyOverlap(
            imports=[
                OverlappedImport(
                    import_id=row["batch_id"],
                    filename=row["filename"],
                    dates=int(row["dates"]),
                    first_date=row["first"],
                    last_date=row["last"],
                )
                for row in rows
            ],
            dates=int(total["dates"]),
            first_date=total["first"],
            last_date=total["last"],
        )

    # -- batches, locations, uploads -----------------------------------------------------------

    async def finish_batch(self, batch_id: uuid.UUID, written: Written, skipped: int) -> None:
        """Record what the batch wrote and how many invalid lines it left out."""
        await self.session.execute(
            update(LedgerBatch)
            .where(LedgerBatch.business_id == self.business_id, LedgerBatch.id == batch_id)
            .values(
                line_count=written.lines,
                lines_skipped=skipped,
                net_amount=written.net_amount,
                first_date=written.first_date,
                last_date=written.last_date,
            )
        )

    async def find_batch(
        self, *, external_id: str | None = None, content_hash: str | None = None
    ) -> LedgerBatch | None:
        """An imported batch by the sender's id or by the file's SHA-256 (other sources keep
        their own ids).

        Read with a share lock: a revert of that batch in progress (which holds its row) is
        waited for, and the batch is then found gone, so the same lines sent meanwhile are
        imported instead of answered "already imported" and lost."""
        stmt = select(LedgerBatch).where(
            LedgerBatch.business_id == self.business_id,
            LedgerBatch.source == SaleSource.import_,
        )
        if external_id is not None:
            stmt = stmt.where(LedgerBatch.external_id == external_id)
        elif content_hash is not None:
            stmt = stmt.where(LedgerBatch.content_hash == content_hash)
        else:
            return None
        stmt = stmt.with_for_update(read=True)
        return (await self.session.execute(stmt)).scalars().first()

    async def find_location(self, reference: str) -> uuid.UUID | None:
        """A location of this business by id or name (as written, else the one location of
        that name in any case), None when there is none. A name several locations share in
        other cases is refused (ValidationFailed), as in a file's `location` cell."""
        reference = raw = reference.strip()
        if "\x00" in reference:
            return None  # no name holds one (and PostgreSQL text cannot)
        stmt = select(Location.id, Location.name).where(Location.business_id == self.business_id)
        try:
            wanted: uuid.UUID | None = uuid.UUID(reference)
        except ValueError:
            wanted = None
        if wanted is not None:
            found = (await self.session.execute(stmt.where(Location.id == wanted))).first()
            return found.id if found else None
        # Matched as a file's cell is: in any case, however the accents are written.
        composed = func.normalize(Location.name, literal_column("NFC"))
        reference = unicodedata.normalize("NFC", reference)
        rows = (
            await self.session.execute(stmt.where(func.lower(composed) == func.lower(reference)))
        ).all()
        exact = [row for row in rows if unicodedata.normalize("NFC", row.name) == reference]
        if exact:
            return min(exact, key=lambda row: row.name != raw).id
        if len(rows) > 1:
            message = f"matches {len(rows)} locations by name; use the id"
            raise ValidationFailed(
                f"The location {message}", details=[{"field": "location", "message": message}]
            )
        return rows[0].id if rows else None

    async def upload_by_hash(self, content_hash: str) -> LedgerUpload | None:
        stmt = select(LedgerUpload).where(
            LedgerUpload.business_id == self.business_id,
            LedgerUpload.content_hash == content_hash,
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_upload(self, upload_id: uuid.UUID) -> LedgerUpload | None:
        stmt = select(LedgerUpload).where(
            LedgerUpload.business_id == self.business_id, LedgerUpload.id == upload_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def add_upload(self, upload: LedgerUpload) -> LedgerUpload:
        self.session.add(upload)
        await self.session.flush()
        return upload

    async def delete_upload(self, upload_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(LedgerUpload).where(
                LedgerUpload.business_id == self.business_id, LedgerUpload.id == upload_id
            )
        )


# -- the conversion statement ------------------------------------------------------------------


def blank_row(columns: Sequence[str]) -> str:
    """SQL: the staged row `r` has nothing but blank cells in `columns` (skipped as a blank
    line is). For a row with data, the first cell decides (AND stops there)."""
    return " AND ".join(
        f"coalesce(btrim(r.{column}, {literal(BLANK_CELL)}), '') = ''" for column in columns
    )


def _same(name: str, cell: str) -> str:
    """SQL: a stored name and a file's cell are the same text, however either writes its
    accents (a precomposed 'é' or 'e' and a combining accent, as macOS tools write it)."""
    return f"normalize({name}, NFC) = normalize({cell}, NFC)"


def _folded(expr: str) -> str:
    """SQL: a name or cell as names are matched in any case: canonically composed, then
    lowered (lowering a decomposed letter leaves its accent apart)."""
    return f"lower(normalize({expr}, NFC))"


def _num(column: str, careful: bool, decimal_comma: bool = False) -> str:
    cell = f"r.{column}"
    if decimal_comma:
        cell = (
            f"(CASE WHEN {cell} ~ {literal(_DECIMAL_COMMA_RE)}"
            f" THEN replace({cell}, ',', '.') ELSE {cell} END)"
        )
    if careful:
        return (
            f"CASE WHEN length({cell}) <= 40 AND {cell} ~ {literal(_NUM_RE)}"
            f" THEN {cell}::numeric END"
        )
    # The character gate keeps the fast path as strict as `_NUM_RE` on servers whose casts
    # accept more (PostgreSQL 16+ reads '0x10', '0o7' and '1_000' as numbers).
    return f"CASE WHEN {cell} !~ {literal(_NUM_CHARS)} THEN NULLIF({cell}, '')::numeric END"


def _int(column: str, careful: bool) -> str:
    if careful:
        return f"CASE WHEN r.{column} ~ {literal(_INT_RE)} THEN r.{column}::numeric::int END"
    # `2.0` fails the int cast, which sends the file to the careful variant above.
    return f"CASE WHEN r.{column} !~ {literal(_INT_CHARS)} THEN NULLIF(r.{column}, '')::int END"


def _valid_ymd(expr: str) -> str:
    """For a string known to start with YYYY-MM-DD in digits: whether that date exists."""
    year, month, day = (f"substr({expr}, {a}, {n})::int" for a, n in ((1, 4), (6, 2), (9, 2)))
    return (
        f"CASE WHEN {year} >= 1 AND {month} BETWEEN 1 AND 12 THEN {day} BETWEEN 1 AND"
        f" date_part('day', make_date({year}, {month}, 1) + interval '1 month'"
        f" - interval '1 day')::int ELSE false END"
    )


def _local_to_utc(local: str, zone: str) -> str:
    """A local wall time to an instant; in a fall-back night's repeated hour the first of
    the two (what Python's zoneinfo picks with fold=0, and so what the small path does)."""
    first = f"(({local}) AT TIME ZONE {zone})"
    return (
        f"CASE WHEN ({first} - interval '1 hour') AT TIME ZONE {zone} = ({local})"
        f" THEN {first} - interval '1 hour'"
        f" WHEN ({first} - interval '30 minutes') AT TIME ZONE {zone} = ({local})"
        f" THEN {first} - interval '30 minutes' ELSE {first} END"
    )


def _not_a_number(plan: TypedPlan) -> str:
    """The message for a cell that is not a number: in a file, what a number looks like (an
    export's `$12.50`, `1,234.50` or `(12.50)` is refused, and the operator fixes the column)."""
    if plan.json:
        return "is not a number"
    point = "a decimal comma" if plan.decimal_comma else "a decimal point"
    return (
        f"is not a number: write digits with {point}, without a currency sign, "
        "thousands separators or brackets (a minus sign for a refund)"
    )


def _number_checks(
    column: str,
    decimals: int,
    bound: Decimal,
    *,
    negative: bool,
    not_a_number: str = "is not a number",
    too_precise: str | None = None,
) -> list[str]:
    """CASE branches for a numeric column already converted to `e.<column>`; `too_precise`
    is the message for a value with more than `decimals` decimals.

    Written for speed on valid rows, which pass every branch: `scale` (a header read) before
    the rounding test, plain comparisons instead of abs(); NaN and infinity only fail the
    bound, and are told apart once they do."""
    value = f"e.{column}"
    precision_error = literal(f"{column}|{too_precise or f'has more than {decimals} decimals'}")
    nan_error = literal(f"{column}|{not_a_number}")
    branches = [
        f"WHEN e.r_{column} IS NOT NULL AND {value} IS NULL THEN {nan_error}",
        f"WHEN {value} >= {bound} OR {value} <= -{bound} THEN CASE"
        f" WHEN {value} = 'NaN' OR {value} = 'Infinity' OR {value} = '-Infinity'"
        f" THEN {nan_error} ELSE '{column}|is too large' END",
        f"WHEN scale({value}) > {decimals} AND {value} <> round({value}, {decimals})"
        f" THEN {precision_error}",
    ]
    if not negative:
        branches.append(f"WHEN {value} < 0 THEN '{column}|must not be negative'")
    return branches


# The free-text cells of a file, which no lookup or cast checks: a line break in one is a
# quotation mark left open, which took the rows below into the cell (they would be lost
# without a word). Every other cell holding rows would fail its cast or match nothing.
_FREE_TEXT = ("txn", IGNORED_STAGING_COLUMN)


def _spanning_cell(plan: TypedPlan) -> str:
    """SQL: the first free-text column of the row `r` whose cell holds a line break."""
    columns = [c for c in _FREE_TEXT if c in plan.present]
    if plan.json or not columns:
        return "NULL::text"
    branches = " ".join(f"WHEN r.{c} ~ '[\r\n]' THEN {literal(c)}" for c in columns)
    return f"CASE {branches} END"


def _checks(plan: TypedPlan) -> list[str]:
    """Every row check, in order: the first that fails is the row's error. Checks of columns
    the input does not have are left out (every valid row runs through all the others)."""
    has = plan.present.__contains__
    lines = plan.shape is Shape.lines
    checks = []
    if lines:
        checks.append("WHEN e.item_err IS NOT NULL THEN e.item_err")
    checks.append("WHEN e.location_err IS NOT NULL THEN e.location_err")
    if _spanning_cell(plan) != "NULL::text":
        checks.append(
            "WHEN e.spanning IS NOT NULL THEN e.spanning || '|spans several lines: a quotation"
            " mark opened here and never closed took the rows below into this cell'"
        )
    if lines:
        required = "ts|is required (or date)" if plan.json else f"{plan.time_column}|is required"
        times = [f"e.r_{column} IS NULL" for column in ("ts", "day") if has(column)]
        checks.append(f"WHEN {' AND '.join(times)} THEN {literal(required)}")
        if has("ts") and has("day"):
            checks.append(
                "WHEN e.r_ts IS NOT NULL AND e.r_day IS NOT NULL"
                " THEN 'day|give either sold_at or date, not both'"
            )
    else:
        checks.append("WHEN e.r_day IS NULL THEN 'day|is required'")
    if has("ts"):
        checks.append(
            "WHEN e.r_ts IS NOT NULL AND (NOT e.ts_ok OR e.ts_value IS NULL)"
            f" THEN {literal('ts|' + TS_MESSAGE)}"
        )
    if has("day"):
        checks.append(
            "WHEN e.r_day IS NOT NULL AND (NOT e.day_ok OR e.day_value IS NULL)"
            f" THEN {literal('day|' + DATE_MESSAGE)}"
        )
    # Business dates a query can name (1900-01-01 to 9999-01-01) and Python can read back:
    # an instant in 1901-9998 lands on one in any zone, whatever the cutoff.
    if has("ts"):
        checks.append(
            "WHEN e.ts_value < '1901-01-01T00:00:00Z' OR e.ts_value >= '9999-01-01T00:00:00Z'"
            f" THEN 'ts|{YEARS_MESSAGE}'"
        )
    if has("day"):
        checks.append(
            "WHEN e.day_value < '1901-01-01' OR e.day_value > '9998-12-31'"
            f" THEN 'day|{YEARS_MESSAGE}'"
        )
    if lines:
        # Sale lines happened: a future one would be read as demand by the forecasts. (Daily
        # rows may lie ahead: they carry planned marketing spend and holidays.) The same 5
        # minutes of clock skew as a single sale; a date may be a day ahead of the business's
        # own, for a location in a zone ahead of it.
        if has("ts"):
            checks.append(
                "WHEN e.ts_value > now() + interval '5 minutes' THEN 'ts|must not be in the future'"
            )
        if has("day"):
            zone, cutoff = literal(plan.business_timezone), int(plan.cutoff_hour)
            today = f"((now() AT TIME ZONE {zone}) - interval '{cutoff} hours')::date"
            checks.append(f"WHEN e.day_value > {today} + 1 THEN 'day|must not be after today'")
        checks.append("WHEN e.r_quantity IS NULL THEN 'quantity|is required'")
        checks += _number_checks(
            "quantity", 3, MAX_QUANTITY, negative=True, not_a_number=_not_a_number(plan)
        )
    checks.append("WHEN e.r_amount IS NULL THEN 'amount|is required'")
    money = {"too_precise": plan.money_decimals_message(), "not_a_number": _not_a_number(plan)}
    checks += _number_checks("amount", plan.money_decimals, MAX_AMOUNT, negative=lines, **money)
    if lines:
        checks += [
            "WHEN (e.quantity < 0 AND e.amount > 0) OR (e.quantity > 0 AND e.amount < 0)"
            " THEN 'amount|must have the same sign as quantity (a refund has both negative)'",
            # Only an item costing a fortune can push the line's cost past its column.
            "WHEN e.unit_cost >= 1000000 AND abs(e.line_cost) >= 1e12"
            " THEN 'quantity|is too large for the item''s cost'",
        ]
    for column in ("covers", "transactions"):
        if has(column):
            # A whole number past the int range has no value to compare: told by its digits.
            checks += [
                f"WHEN e.r_{column} IS NOT NULL AND e.{column} IS NULL THEN CASE"
                f" WHEN e.r_{column} ~ {literal(_WHOLE_RE)} THEN CASE"
                f" WHEN e.r_{column} ~ '^\\s*-' THEN '{column}|must not be negative'"
                f" ELSE '{column}|is too large (at most {MAX_COUNT})' END"
                f" ELSE '{column}|is not a whole number' END",
                f"WHEN e.{column} < 0 THEN '{column}|must not be negative'",
                f"WHEN e.{column} > {MAX_COUNT} THEN '{column}|is too large (at most {MAX_COUNT})'",
            ]
    if has("marketing_spend"):
        checks += _number_checks(
            "marketing_spend", plan.money_decimals, MAX_AMOUNT, negative=False, **money
        )
    if has("is_holiday"):
        checks.append(
            "WHEN e.r_is_holiday IS NOT NULL AND e.is_holiday IS NULL"
            " THEN 'is_holiday|must be true/false, yes/no or 1/0 (1.0/0.0)'"
        )
    if has("product_category"):
        checks.append(
            "WHEN char_length(e.product_category) > 120"
            " THEN 'product_category|is longer than 120 characters'"
        )
    if plan.has_categories:
        checks.append("WHEN e.category_err IS NOT NULL THEN e.category_err")
    return checks


def _converted(plan: TypedPlan, careful: bool) -> list[str]:
    """Level-one columns: the raw text (NULL when empty) and its conversion, for the columns
    the input has; typed NULLs for the others."""
    has = plan.present.__contains__
    out = []
    for column in (
        "ts",
        "day",
        "quantity",
        "amount",
        "covers",
        "transactions",
        "marketing_spend",
        "is_holiday",
    ):
        out.append(
            f"NULLIF(r.{column}, '') AS r_{column}" if has(column) else f"NULL::text AS r_{column}"
        )
    if careful:
        ts_ok = (
            f"CASE WHEN length(r.ts) <= 64 AND r.ts ~* {literal(_TS_RE)}"
            f" THEN {_valid_ymd('r.ts')} ELSE false END"
        )
        day_ok = f"CASE WHEN r.day ~ {literal(_DATE_RE)} THEN {_valid_ymd('r.day')} ELSE false END"
        holiday = (
            f"CASE WHEN r.is_holiday ~ {literal(_FLOAT_FLAG_RE)} THEN r.is_holiday ~ '^\\s*1'"
            f" WHEN r.is_holiday ~* {literal(_BOOL_RE)} THEN r.is_holiday::boolean END"
        )
    else:
        # Cheap shape checks (LIKE with fixed positions costs next to nothing); the casts
        # reject everything else by raising. The tail after HH:MM may hold seconds, a
        # fraction and an offset, never a zone name (which PostgreSQL would accept).
        ts_ok = (
            "((r.ts LIKE '____-__-__T__:__%' OR r.ts LIKE '____-__-__ __:__%'"
            " OR r.ts LIKE '____-__-__t__:__%') AND length(r.ts) <= 64"
            " AND r.ts NOT LIKE '___________24%' AND r.ts NOT LIKE '________________:60%'"
            " AND btrim(substr(r.ts, 17), '0123456789:.+- Zz') = '')"
        )
        day_ok = "(r.day LIKE '____-__-__' AND length(r.day) = 10)"
        # pandas writes a flag column with gaps as floats: 1.0 and 0.0.
        holiday = (
            "CASE r.is_holiday WHEN '1.0' THEN true WHEN '0.0' THEN false"
            " ELSE NULLIF(r.is_holiday, '')::boolean END"
        )
    comma = plan.decimal_comma
    typed = {
        "ts": (ts_ok, "ts_ok", "false"),
        "day": (day_ok, "day_ok", "false"),
        "quantity": (_num("quantity", careful, comma), "quantity", "NULL::numeric"),
        "amount": (_num("amount", careful, comma), "amount", "NULL::numeric"),
        "covers": (_int("covers", careful), "covers", "NULL::int"),
        "transactions": (_int("transactions", careful), "transactions", "NULL::int"),
        "marketing_spend": (
            _num("marketing_spend", careful, comma),
            "marketing_spend",
            "NULL::numeric",
        ),
        "is_holiday": (holiday, "is_holiday", "NULL::boolean"),
    }
    for column, (expression, name, absent) in typed.items():
        out.append(f"{expression if has(column) else absent} AS {name}")
    category = "NULLIF(r.product_category, '')" if has("product_category") else "NULL::text"
    out.append(f"{category} AS product_category")
    return out


# What a spreadsheet pads a time cell with; a line break inside a quoted date stays an error.
_PADDING = "E' \\t'"
# What pads a reference cell (an item, SKU, id or location): that, and the no-break space a
# name pasted from a web page or a spreadsheet keeps, which names are saved without (the
# menu and location schemas strip every kind of space).
_NAME_PADDING = "E' \\t\\u00a0'"


def _staged_rows(plan: TypedPlan) -> str:
    """The staged rows with their date and timestamp cells trimmed: spreadsheets pad cells,
    and every other cell is read trimmed (numbers by their casts, references by `btrim`).
    Trimmed once per row in a subquery (`OFFSET 0` keeps the planner from repeating the
    trim in every check that reads the cell)."""
    padded = [column for column in ("ts", "day") if column in plan.present]
    if not padded:
        return "_ingest_raw"
    cells = [
        f"btrim({column}, {_PADDING}) AS {column}" if column in padded else column
        for column in ("line_no", *STAGING_COLUMNS)
    ]
    return f"(SELECT {', '.join(cells)} FROM _ingest_raw OFFSET 0)"


def _repeated_days_sql(plan: TypedPlan) -> str:
    """The UPDATE that makes every valid daily row sharing its date, location and category
    with another row of the file an error naming the other's line.

    A daily row is the whole of its date's sales (an earlier import holding the date is an
    overlap, not an addition): two in one file are an export pasted twice or two versions
    of a day, and adding them up would double the day. Each is named, none kept, so
    `skip_invalid` writes neither guess."""
    scope = [
        name
        for name, present in (
            ("location", "location" in plan.present),
            ("category", plan.has_categories),
        )
        if present
    ]
    where = f" for the same {' and '.join(scope)}" if scope else ""
    reason = f"{where}; a daily row is the whole of its date's sales: give the date once"
    return f"""
        UPDATE _ingest_typed t SET err = 'day|' || d.day || CASE
            WHEN d.line_no = d.first_line THEN ' is given again on line ' || d.second_line
            ELSE ' is given already on line ' || d.first_line END || {literal(reason)}
        FROM (
            SELECT line_no, to_char(business_date, 'YYYY-MM-DD') AS day,
                count(*) OVER w AS n, first_value(line_no) OVER w AS first_line,
                nth_value(line_no, 2) OVER w AS second_line
            FROM _ingest_typed WHERE err IS NULL
            WINDOW w AS (PARTITION BY business_date, location_id, category_id ORDER BY line_no
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        ) d
        WHERE t.line_no = d.line_no AND d.n > 1
    """


def convert_sql(plan: TypedPlan, *, careful: bool) -> str:
    """The INSERT ... SELECT that converts and checks every staged row.

    Each nested subquery computes one layer once per row: `OFFSET 0` keeps the planner from
    folding them together, which would repeat the casts in every outer reference."""
    cutoff = f"interval '{int(plan.cutoff_hour)} hours'"
    if plan.shape is Shape.lines:
        item_join = "JOIN _ingest_items i ON " + " AND ".join(
            f"i.k_{c} = coalesce(r.{c}, '')" for c in plan.item_columns
        )
        items = (
            "i.menu_item_id, i.category_id, i.unit_cost, i.err AS item_err,"
            " NULL::text AS category_err"
        )
    elif plan.has_categories:
        # A daily row is one category's sales of the day when it names one.
        item_join = (
            "JOIN _ingest_categories k ON k.k_product_category = coalesce(r.product_category, '')"
        )
        items = (
            "NULL::uuid AS menu_item_id, k.category_id, NULL::numeric AS unit_cost,"
            " NULL::text AS item_err, k.err AS category_err"
        )
    else:
        item_join = ""
        items = (
            "NULL::uuid AS menu_item_id, NULL::uuid AS category_id,"
            " NULL::numeric AS unit_cost, NULL::text AS item_err, NULL::text AS category_err"
        )
    # Trimmed like every other cell: a padded `T1 ` is the sale `T1`, and a cell of spaces
    # names no sale (not one sale shared by every such row).
    txn = f"NULLIF(btrim(r.txn, {_PADDING}), '')" if "txn" in plan.present else "NULL::text"
    has_offset = (
        "(c.r_ts LIKE '%Z' OR c.r_ts LIKE '%z' OR c.r_ts LIKE '________________%+%'"
        " OR c.r_ts LIKE '________________%-%')"
    )
    if "ts" in plan.present:
        guard = " WHEN NOT c.ts_ok THEN NULL" if careful else ""
        ts_value = (
            f"CASE WHEN c.r_ts IS NULL THEN NULL{guard} WHEN {has_offset}"
            f" THEN c.r_ts::timestamptz ELSE {_local_to_utc('c.r_ts::timestamp', 'c.tz')} END"
        )
    else:
        ts_value = "NULL::timestamptz"
    if "day" in plan.present:
        guard = " WHEN NOT c.day_ok THEN NULL" if careful else ""
        day_value = f"CASE WHEN c.r_day IS NULL THEN NULL{guard} ELSE c.r_day::date END"
    else:
        day_value = "NULL::date"
    day_start = _local_to_utc(f"c.day_value + {cutoff}", "c.tz")
    spanning = _spanning_cell(plan)
    # A file's empty rows are no rows (a bulk line is one, even `{}`: its index is reported).
    present = [column for column in STAGING_COLUMNS if column in plan.present]
    skip_blank = "" if plan.json else f"WHERE NOT ({blank_row(present)})"
    level1 = f"""
        SELECT r.line_no, {txn} AS txn, {items}, l.location_id, l.tz, l.err AS location_err,
            {", ".join(_converted(plan, careful))}, {spanning} AS spanning
        FROM {_staged_rows(plan)} r
        {item_join}
        JOIN _ingest_locations l ON l.k_location = coalesce(r.location, '')
        {skip_blank}
    """
    level2 = f"""
        SELECT c.*, {ts_value} AS ts_value, {day_value} AS day_value
        FROM ({level1} OFFSET 0) c
    """
    level3 = f"""
        SELECT c.*, CASE WHEN c.ts_value IS NOT NULL THEN c.ts_value
            WHEN c.day_value IS NOT NULL THEN {day_start} END AS sold_at
        FROM ({level2} OFFSET 0) c
    """
    level4 = f"""
        SELECT d.*, d.sold_at AT TIME ZONE d.tz AS local_at,
            round(d.unit_cost * d.quantity, 2) AS line_cost
        FROM ({level3} OFFSET 0) d
    """
    return f"""
        INSERT INTO _ingest_typed (line_no, txn, err, sold_at, business_date, hour_start,
            local_hour, location_id, menu_item_id, category_id, quantity, net_amount, cost,
            covers, transactions, is_refund, marketing_spend, is_holiday, product_category)
        SELECT e.line_no, e.txn, CASE {" ".join(_checks(plan))} END,
            e.sold_at,
            CASE WHEN e.ts_value IS NOT NULL THEN (e.local_at - {cutoff})::date
                ELSE e.day_value END,
            e.sold_at - (e.local_at - date_trunc('hour', e.local_at)),
            date_part('hour', e.local_at)::smallint,
            e.location_id, e.menu_item_id, e.category_id, coalesce(e.quantity, 0), e.amount,
            e.line_cost, coalesce(e.covers, 0), coalesce(e.transactions, 0),
            (e.quantity < 0 OR e.amount < 0), e.marketing_spend, e.is_holiday,
            e.product_category
        FROM ({level4} OFFSET 0) e
    """
