"""SQL of the forecasting domain: definitions, runs and their series, and the reads of the
ledger's rollups that feed the engine. Every statement starts from the caller's business."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    Uuid,
    cast,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from tableside.kit.repository import TenantRepository
from tableside.models import (
    NO_KEY,
    Business,
    DailyItemRollup,
    DailySignal,
    Forecast,
    ForecastRun,
    ForecastRunStatus,
    ForecastSeries,
    ForecastTarget,
    HourlyRollup,
    Job,
    JobStatus,
    Location,
    MenuCategory,
    MenuItem,
)


class ForecastRepository(TenantRepository[Forecast]):
    """Forecast definitions of one business."""

    model = Forecast
    sortable = {
        "created_at": "created_at",
        "updated_at": "updated_at",
        "name": "name",
        "target": "target",
        "method": "method",
        "last_trained_at": "last_trained_at",
    }
    default_sort = "created_at"
    searchable = ("name", "description")

    def list_select(
        self,
        *,
        target: ForecastTarget | None = None,
        method: str | None = None,
        is_active: bool | None = None,
        include_adhoc: bool = True,
    ) -> Select[Forecast]:
        stmt = self.base_select()
        if target is not None:
            stmt = stmt.where(Forecast.target == target)
        if method is not None:
            stmt = stmt.where(Forecast.method == method)
        if is_active is not None:
            stmt = stmt.where(Forecast.is_active.is_(is_active))
        if not include_adhoc:
            stmt = stmt.where(Forecast.origin.not_in(("generate", "quick")))
        return stmt

    async def get_for_update(self, forecast_id: uuid.UUID) -> Forecast | None:
        """The forecast, row-locked until the transaction ends: runs of one forecast are
        numbered one at a time. Never held while a model fits (see `runs.store`)."""
        stmt = self.base_select().where(Forecast.id == forecast_id).with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def lock_training(self, forecast_id: uuid.UUID) -> None:
        """Serialize the trainings of one forecast until this transaction ends (a predict
        that finds the run stale trains; another predict or a retrain job meanwhile waits
        and uses that run). An advisory lock, not the row's: a PATCH or DELETE of the
        forecast does not wait for a training. A job holds the same lock across its
        transactions with `hold_training_lock`."""
        await self.session.execute(select(func.pg_advisory_xact_lock(_training_key(forecast_id))))

    async def find_by_name(self, name: str) -> Forecast | None:
        stmt = self.base_select().where(Forecast.name == name)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def active(self) -> Sequence[Forecast]:
        stmt = self.base_select().where(Forecast.is_active.is_(True)).order_by(Forecast.id)
        return (await self.session.execute(stmt)).scalars().all()

    async def revenue_candidates(
        self, location_id: uuid.UUID | None, *, every: bool = False
    ) -> Sequence[Forecast]:
        """Revenue forecasts of the whole business (or of this location; with `every`, the
        per-location forecasts of every location) that could project revenue, most recently
        trained first."""
        stmt = self.base_select().where(Forecast.target == ForecastTarget.revenue)
        if every:
            stmt = stmt.where(Forecast.scope == "location", Forecast.location_id.is_(None))
        elif location_id is None:
            stmt = stmt.where(Forecast.scope == "business", Forecast.location_id.is_(None))
        else:
            stmt = stmt.where(Forecast.scope == "location", Forecast.location_id == location_id)
        stmt = stmt.order_by(Forecast.last_trained_at.desc().nulls_last())
        return (await self.session.execute(stmt)).scalars().all()

    async def active_job(self, forecast_id: uuid.UUID, kind: str) -> Job | None:
        """A queued or running job of `kind` for this forecast (a retrain asked twice while
        it waits is the same job)."""
        stmt = (
            select(Job)
            .where(
                Job.business_id == self.business_id,
                Job.kind == kind,
                Job.status.in_((JobStatus.queued, JobStatus.running)),
                Job.params["forecast_id"].astext == str(forecast_id),
            )
            .order_by(Job.created_at)
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()


def _training_key(forecast_id: uuid.UUID) -> ColumnElement[int]:
    """The advisory lock key of one forecast's trainings (forecast ids are unique across
    businesses, so the key needs no business)."""
    return func.hashtextextended(f"tableside.forecast.training:{forecast_id}", 0)


@asynccontextmanager
async def hold_training_lock(
    engine: AsyncEngine,
    forecast_id: uuid.UUID,
    *,
    on_wait: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[None]:
    """Hold the forecast's training lock (the one `ForecastRepository.lock_training` takes
    in a predict's transaction) for the whole block, across the transactions of a job:
    session-level, on a connection of its own that stays idle meanwhile, so the job keeps
    no transaction open while its model fits. `on_wait` runs first when another training
    holds the lock. A block left any way but normally (an abort's cancellation included)
    closes the connection instead of unlocking it: closing is what surely releases the lock,
    and a pooled connection must never keep one."""
    key = _training_key(forecast_id)
    async with engine.connect() as conn:
        locked = False
        try:
            if not (await conn.execute(select(func.pg_try_advisory_lock(key)))).scalar_one():
                await conn.commit()
                if on_wait is not None:
                    await on_wait()
                await conn.execute(select(func.pg_advisory_lock(key)))
            # The lock outlives the transaction that took it: end that one at once.
            await conn.commit()
            locked = True
            yield
        finally:
            await _release_training_lock(conn, key, locked)


async def _release_training_lock(conn: AsyncConnection, key: Any, locked: bool) -> None:
    """Unlock; when that cannot be done for sure (the lock was being taken when the job was
    cancelled, or the unlock failed), close the connection, which releases every lock it has,
    instead of returning it to the pool with one."""
    if locked:
        try:
            await conn.execute(select(func.pg_advisory_unlock(key)))
            await conn.commit()
            return
        except Exception:
            # Closed, the connection has released the lock all the same: the job's own
            # outcome stands.
            await conn.invalidate()
            return
        except BaseException:
            await conn.invalidate()
            raise
    await conn.invalidate()


class RunRepository(TenantRepository[ForecastRun]):
    """Runs of the business's forecasts."""

    model = ForecastRun
    sortable = {
        "model_version": "model_version",
        "generated_at": "generated_at",
        "created_at": "created_at",
    }
    default_sort = "model_version"
    default_order_desc = True

    def for_forecast(self, forecast_id: uuid.UUID) -> Select[ForecastRun]:
        return self.base_select().where(ForecastRun.forecast_id == forecast_id)

    async def newest_version(self, forecast_id: uuid.UUID) -> int:
        """The highest model version of the forecast's runs, failed ones included (0 when
        it has none)."""
        return await self.next_version(forecast_id) - 1

    async def next_version(self, forecast_id: uuid.UUID) -> int:
        stmt = select(func.coalesce(func.max(ForecastRun.model_version), 0)).where(
            ForecastRun.business_id == self.business_id, ForecastRun.forecast_id == forecast_id
        )
        return int((await self.session.execute(stmt)).scalar_one()) + 1

    async def latest(self, forecast_id: uuid.UUID) -> ForecastRun | None:
        """The newest successful run of the forecast."""
        stmt = (
            self.for_forecast(forecast_id)
            .where(ForecastRun.status == ForecastRunStatus.succeeded)
            .order_by(ForecastRun.model_version.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def succeeded_between(
        self, forecast_id: uuid.UUID, trained_before: date
    ) -> Sequence[ForecastRun]:
        """Successful runs trained on data ending before `trained_before`, newest first."""
        stmt = (
            self.for_forecast(forecast_id)
            .where(
                ForecastRun.status == ForecastRunStatus.succeeded,
                ForecastRun.trained_through < trained_before,
            )
            .order_by(ForecastRun.trained_through.desc(), ForecastRun.model_version.desc())
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def latest_by_method(self) -> dict[str, tuple[datetime, dict[str, Any] | None, int]]:
        """Per method: when it last trained successfully in this business, that run's
        backtest metrics and how many runs used it."""
        ranked = (
            select(
                ForecastRun.method,
                ForecastRun.generated_at,
                ForecastRun.metrics,
                func.row_number()
                .over(partition_by=ForecastRun.method, order_by=ForecastRun.generated_at.desc())
                .label("rank"),
                func.count().over(partition_by=ForecastRun.method).label("runs"),
            )
            .where(
                ForecastRun.business_id == self.business_id,
                ForecastRun.status == ForecastRunStatus.succeeded,
            )
            .subquery()
        )
        rows = await self.session.execute(
            select(ranked.c.method, ranked.c.generated_at, ranked.c.metrics, ranked.c.runs).where(
                ranked.c.rank == 1
            )
        )
        return {row.method: (row.generated_at, row.metrics, int(row.runs)) for row in rows}


class SeriesRepository(TenantRepository[ForecastSeries]):
    """The predicted series of runs."""

    model = ForecastSeries

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """One multi-row INSERT for a run's series (no ORM objects: a run may have hundreds)."""
        if not rows:
            return
        values = [{**row, "business_id": self.business_id, "id": uuid.uuid4()} for row in rows]
        await self.session.execute(insert(ForecastSeries), values)

    async def of_runs(self, run_ids: Iterable[uuid.UUID]) -> Sequence[ForecastSeries]:
        ids = list(run_ids)
        if not ids:
            return []
        stmt = (
            self.base_select()
            .where(ForecastSeries.run_id.in_(ids))
            .order_by(ForecastSeries.run_id, ForecastSeries.series_key)
        )
        return (await self.session.execute(stmt)).scalars().all()


# The rollups the engine reads ----------------------------------------------------------------


@dataclass(frozen=True)
class BusinessCalendarFacts:
    timezone: str
    cutoff_hour: int
    currency: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class ItemRef:
    id: uuid.UUID
    sku: str
    name: str
    category_id: uuid.UUID | None


@dataclass(frozen=True)
class SeriesFilter:
    """Which rollup rows a forecast reads: business dates from `date_from` to `date_to`
    (inclusive), optionally one location, one category or some items."""

    date_from: date
    date_to: date
    location_id: uuid.UUID | None = None
    category_id: uuid.UUID | None = None
    item_ids: tuple[uuid.UUID, ...] | None = None


class SalesDataRepository:
    """Reads of the ledger's rollups (and the menu and locations they refer to) for one
    business. Rollups are not ORM tenant models, so each statement filters by business here."""

    def __init__(self, session: AsyncSession, business_id: uuid.UUID) -> None:
        self.session = session
        self.business_id = business_id

    async def business(self) -> BusinessCalendarFacts:
        row = (
            await self.session.execute(
                select(
                    Business.timezone,
                    Business.day_cutoff_hour,
                    Business.currency,
                    Business.settings,
                ).where(Business.id == self.business_id)
            )
        ).one()
        return BusinessCalendarFacts(row[0], int(row[1]), row[2], dict(row[3] or {}))

    async def location_ids(self) -> set[uuid.UUID]:
        stmt = select(Location.id).where(Location.business_id == self.business_id)
        return set((await self.session.execute(stmt)).scalars())

    async def location_zones(self) -> dict[uuid.UUID, str]:
        """The locations keeping a time zone of their own (the others keep the business's)."""
        stmt = select(Location.id, Location.timezone).where(
            Location.business_id == self.business_id, Location.timezone.is_not(None)
        )
        return {row[0]: row[1] for row in await self.session.execute(stmt) if row[1]}

    async def category_exists(self, category_id: uuid.UUID) -> bool:
        stmt = select(MenuCategory.id).where(
            MenuCategory.business_id == self.business_id, MenuCategory.id == category_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    async def items(
        self, *, ids: Iterable[uuid.UUID] = (), skus: Iterable[str] = ()
    ) -> list[ItemRef]:
        """Menu items of the business among `ids` or `skus` (unknown ones are simply absent)."""
        ids, skus = list(ids), list(skus)
        if not ids and not skus:
            return []
        condition = (
            MenuItem.id.in_(ids)
            if ids and not skus
            else MenuItem.sku.in_(skus)
            if skus and not ids
            else (MenuItem.id.in_(ids) | MenuItem.sku.in_(skus))
        )
        stmt = select(MenuItem.id, MenuItem.sku, MenuItem.name, MenuItem.category_id).where(
            MenuItem.business_id == self.business_id, condition
        )
        return [ItemRef(*row) for row in await self.session.execute(stmt)]

    def _daily_filtered(self, stmt: Any, where: SeriesFilter) -> Any:
        roll = DailyItemRollup
        stmt = stmt.where(
            roll.business_id == self.business_id,
            roll.business_date >= where.date_from,
            roll.business_date <= where.date_to,
        )
        if where.location_id is not None:
            stmt = stmt.where(roll.location_key == where.location_id)
        if where.category_id is not None:
            stmt = stmt.where(roll.category_id == where.category_id)
        if where.item_ids is not None:
            stmt = stmt.where(roll.item_key.in_(where.item_ids))
        return stmt

    async def daily_rows(
        self, where: SeriesFilter, *, by_location: bool, by_item: bool
    ) -> list[tuple[date, uuid.UUID, uuid.UUID, Decimal, Decimal]]:
        """(business_date, location_key, item_key, quantity, net_amount) summed over the
        dimensions not asked for (their key is then NO_KEY)."""
        roll = DailyItemRollup
        location = roll.location_key if by_location else _no_key()
        item = roll.item_key if by_item else _no_key()
        stmt = select(
            roll.business_date, location, item, func.sum(roll.quantity), func.sum(roll.net_amount)
        )
        stmt = self._daily_filtered(stmt, where)
        stmt = stmt.group_by(*_group_keys(roll.business_date, location, item, by_location, by_item))
        return [tuple(row) for row in await self.session.execute(stmt)]

    async def top_items(self, date_from: date, date_to: date, limit: int) -> list[uuid.UUID]:
        """The items with the most units sold between the dates, most first."""
        roll = DailyItemRollup
        units = func.sum(roll.quantity)
        stmt = (
            select(roll.item_key)
            .where(
                roll.business_id == self.business_id,
                roll.business_date >= date_from,
                roll.business_date <= date_to,
                roll.item_key != NO_KEY,
            )
            .group_by(roll.item_key)
            .order_by(units.desc(), roll.item_key)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def open_days(
        self, date_from: date, date_to: date, location_id: uuid.UUID | None
    ) -> list[tuple[date, uuid.UUID]]:
        """(business_date, location_key) of every day a location sold anything: the days it
        was open. Days absent here are closed days, never zero-demand days."""
        stmt = self._open_days_query(date_from, date_to, location_id)
        return [(row[0], row[1]) for row in await self.session.execute(stmt)]

    def _open_days_query(
        self, date_from: date, date_to: date, location_id: uuid.UUID | None
    ) -> Select[date, uuid.UUID]:
        roll = DailyItemRollup
        stmt = (
            select(roll.business_date, roll.location_key)
            .where(
                roll.business_id == self.business_id,
                roll.business_date >= date_from,
                roll.business_date <= date_to,
                roll.line_count > 0,
            )
            .group_by(roll.business_date, roll.location_key)
        )
        if location_id is not None:
            stmt = stmt.where(roll.location_key == location_id)
        return stmt

    async def signals(
        self, date_from: date, date_to: date, location_id: uuid.UUID | None
    ) -> list[tuple[date, uuid.UUID, Decimal | None, bool | None]]:
        """(business_date, location_key, marketing_spend, is_holiday) of the daily signals
        that sales imports recorded; `NO_KEY` rows hold what a file said for the whole
        business, and they are kept when `location_id` narrows the scope."""
        stmt = select(
            DailySignal.business_date,
            DailySignal.location_key,
            DailySignal.marketing_spend,
            DailySignal.is_holiday,
        ).where(*self._signals_filter(date_from, location_id), DailySignal.business_date <= date_to)
        return [(row[0], row[1], row[2], row[3]) for row in await self.session.execute(stmt)]

    async def signals_digest(self, date_from: date, location_id: uuid.UUID | None) -> str:
        """The count and latest change of the daily signals from `date_from` on (the history
        and every planned day) that `signals` would read."""
        stmt = select(func.count(), func.max(DailySignal.updated_at)).where(
            *self._signals_filter(date_from, location_id)
        )
        row = (await self.session.execute(stmt)).one()
        return f"signals:{row[0]}:{row[1]}"

    def _signals_filter(
        self, date_from: date, location_id: uuid.UUID | None
    ) -> list[ColumnElement[bool]]:
        """The business's signals from `date_from` on, of `location_id` and the whole
        business's (`NO_KEY`) when a location narrows the scope."""
        conditions = [
            DailySignal.business_id == self.business_id,
            DailySignal.business_date >= date_from,
        ]
        if location_id is not None:
            conditions.append(DailySignal.location_key.in_([location_id, NO_KEY]))
        return conditions

    async def first_sales(self, where: SeriesFilter) -> dict[tuple[uuid.UUID, uuid.UUID], date]:
        """The first business date each (location, item) sold in the range."""
        roll = DailyItemRollup
        stmt = self._daily_filtered(
            select(roll.location_key, roll.item_key, func.min(roll.business_date)), where
        ).group_by(roll.location_key, roll.item_key)
        return {(row[0], row[1]): row[2] for row in await self.session.execute(stmt)}

    async def hourly_rows(
        self, date_from: date, date_to: date, location_id: uuid.UUID | None, *, by_location: bool
    ) -> list[tuple[date, int, uuid.UUID, Decimal, Decimal, int, int]]:
        """(business_date, local_hour, location_key, quantity, net_amount, transactions,
        covers) per local hour. The two UTC hours of a fall-back day's repeated hour add up
        into one local hour, as the engine's naive local clock has it once."""
        roll = HourlyRollup
        location = roll.location_key if by_location else _no_key()
        stmt = select(
            roll.business_date,
            roll.local_hour,
            location,
            func.sum(roll.quantity),
            func.sum(roll.net_amount),
            cast(func.sum(roll.transactions), BigInteger),
            cast(func.sum(roll.covers), BigInteger),
        ).where(
            roll.business_id == self.business_id,
            roll.business_date >= date_from,
            roll.business_date <= date_to,
        )
        if location_id is not None:
            stmt = stmt.where(roll.location_key == location_id)
        keys = [roll.business_date, roll.local_hour] + ([roll.location_key] if by_location else [])
        stmt = stmt.group_by(*keys)
        return [tuple(row) for row in await self.session.execute(stmt)]

    async def fingerprint(
        self, where: SeriesFilter, *, hourly: bool, by_hour: bool = False
    ) -> tuple[int, str]:
        """A digest of the rollup rows a forecast reads: the row count and sums weighted by
        the day, so a new sale, a refund or a sale moved to another day all change it.
        Cheaper than reading the rows. With `by_hour` (forecasts by the hour, which learn
        each hour's value), also a checksum of every hourly row, so a sale moved to another
        hour of the same day changes it too; forecasts by the day or coarser, which learn
        only day totals, do without it."""
        if hourly:
            roll = HourlyRollup
            day_number = cast(func.extract("epoch", roll.business_date) / 86400, Integer)
            columns: list[ColumnElement[Any]] = [
                func.count(),
                func.coalesce(func.sum(roll.net_amount), 0),
                func.coalesce(func.sum(roll.quantity), 0),
                func.coalesce(func.sum(roll.covers), 0),
                func.coalesce(func.sum(roll.transactions * day_number), 0),
                func.coalesce(func.sum(roll.net_amount * day_number), 0),
                func.max(roll.business_date),
            ]
            if by_hour:
                columns.append(func.coalesce(func.sum(_hour_row_hash()), 0))
            stmt = select(*columns).where(
                roll.business_id == self.business_id,
                roll.business_date >= where.date_from,
                roll.business_date <= where.date_to,
            )
            if where.location_id is not None:
                stmt = stmt.where(roll.location_key == where.location_id)
        else:
            daily = DailyItemRollup
            day_number = cast(func.extract("epoch", daily.business_date) / 86400, Integer)
            stmt = self._daily_filtered(
                select(
                    func.count(),
                    func.coalesce(func.sum(daily.net_amount), 0),
                    func.coalesce(func.sum(daily.quantity), 0),
                    func.coalesce(func.sum(daily.line_count), 0),
                    func.coalesce(func.sum(daily.quantity * day_number), 0),
                    func.coalesce(func.sum(daily.net_amount * day_number), 0),
                    func.max(daily.business_date),
                ),
                where,
            )
        row = (await self.session.execute(stmt)).one()
        count = int(row[0])
        digest = "|".join(str(value) for value in row)
        if not hourly and (where.category_id is not None or where.item_ids is not None):
            # Narrowed to some items, the rows read miss the sales of the others, which still
            # decide the open days (a day the location traded is a zero for these items).
            digest += "|" + await self._open_days_digest(where)
        return count, digest

    async def _open_days_digest(self, where: SeriesFilter) -> str:
        """The count and day-weighted sum of the (business date, location) pairs that traded
        in the filter's dates and location, whatever was sold."""
        days = self._open_days_query(where.date_from, where.date_to, where.location_id).subquery()
        day_number = cast(func.extract("epoch", days.c.business_date) / 86400, Integer)
        stmt = select(func.count(), func.coalesce(func.sum(day_number), 0))
        row = (await self.session.execute(stmt)).one()
        return f"open:{row[0]}:{row[1]}"


def _hour_row_hash() -> ColumnElement[int]:
    """A 64-bit hash of one hourly rollup row: its hour (the UTC instant, so the session's
    time zone does not enter), location, local hour and values. Summed over the rows, any
    change of any row changes the sum (barring a 1 in 2^64 coincidence), whichever hour of
    the day it moved to; the hour's epoch keeps two rows' hashes from trading places."""
    roll = HourlyRollup
    row = func.concat_ws(
        "|",
        cast(func.extract("epoch", roll.hour_start), BigInteger),
        roll.location_key,
        roll.local_hour,
        roll.quantity,
        roll.net_amount,
        roll.transactions,
        roll.covers,
    )
    return func.hashtextextended(row, 0)


def _no_key() -> Any:
    return literal(NO_KEY, type_=Uuid)


def _group_keys(day: Any, location: Any, item: Any, by_location: bool, by_item: bool) -> list[Any]:
    keys = [day]
    if by_location:
        keys.append(location)
    if by_item:
        keys.append(item)
    return keys


class ForecastSystemRepository:
    """The one cross-business read of the domain: which businesses' active forecasts the
    nightly retraining should start now (the caller entered the system scope)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active_forecasts(self) -> list[tuple[uuid.UUID, uuid.UUID, str, int]]:
        """(business_id, forecast_id, business time zone, day-cutoff hour) of every active
        forecast of an active business."""
        stmt = (
            select(Forecast.business_id, Forecast.id, Business.timezone, Business.day_cutoff_hour)
            .join(Business, Business.id == Forecast.business_id)
            .where(Forecast.is_active.is_(True), Business.is_active.is_(True))
            .order_by(Forecast.business_id, Forecast.id)
        )
        return [(row[0], row[1], row[2], int(row[3])) for row in await self.session.execute(stmt)]
