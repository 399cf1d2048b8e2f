"""SQL of the ledger: lines, rollups, batches. Every statement is scoped to one business."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import case, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.ledger.lines import Calendar, DailyDelta, RollupDeltas, StampedLine
from tableside.models import (
    NO_KEY,
    Business,
    DailyItemRollup,
    DailyItemTotal,
    HourlyRollup,
    LedgerBatch,
    LedgerLine,
    Location,
    SaleSource,
)

# The rollup keys of a ledger line, as SQL over `sales_ledger` (the same rule as
# `lines.category_key` and the ingest's grouping): every query that groups lines into rollup
# rows groups by these.
LINE_LOCATION_KEY = func.coalesce(LedgerLine.location_id, NO_KEY)
LINE_ITEM_KEY = func.coalesce(LedgerLine.menu_item_id, NO_KEY)
# A line without an item (a daily import's row per category) is kept apart by its category.
LINE_CATEGORY_KEY = case(
    (LedgerLine.menu_item_id.is_(None), func.coalesce(LedgerLine.category_id, NO_KEY)),
    else_=NO_KEY,
)


class LedgerRepository:
    def __init__(self, session: AsyncSession, business_id: uuid.UUID) -> None:
        self.session = session
        self.business_id = business_id

    async def calendar(self) -> Calendar:
        """The business's zone and cutoff, with the locations that keep their own zone."""
        business = (
            await self.session.execute(
                select(Business.timezone, Business.day_cutoff_hour).where(
                    Business.id == self.business_id
                )
            )
        ).one()
        zones = (
            await self.session.execute(
                select(Location.id, Location.timezone).where(
                    Location.business_id == self.business_id, Location.timezone.is_not(None)
                )
            )
        ).all()
        return Calendar(business.timezone, business.day_cutoff_hour, {i: z for i, z in zones if z})

    async def currency(self) -> str:
        """The business's currency (imports refuse amounts finer than its minor unit)."""
        stmt = select(Business.currency).where(Business.id == self.business_id)
        return str((await self.session.execute(stmt)).scalar_one())

    async def insert_lines(
        self,
        lines: Sequence[StampedLine],
        *,
        source: SaleSource,
        batch_id: uuid.UUID | None = None,
    ) -> None:
        """Insert stamped lines (the small path: a sale, a refund, a webhook).

        Bulk imports use COPY instead (see `ledger.ingest`)."""
        if not lines:
            return
        await self.session.execute(
            insert(LedgerLine),
            [
                {
                    "business_id": self.business_id,
                    "location_id": s.line.location_id,
                    "business_date": s.business_date,
                    "sold_at": s.sold_at,
                    "hour_start": s.hour_start,
                    "local_hour": s.local_hour,
                    "menu_item_id": s.line.menu_item_id,
                    "category_id": s.line.category_id,
                    "quantity": s.line.quantity,
                    "net_amount": s.line.net_amount,
                    "cost": s.line.cost,
                    "covers": s.line.covers,
                    "transactions": s.line.transactions,
                    "source": source,
                    "sale_id": s.line.sale_id,
                    "batch_id": batch_id,
                    "server_id": s.line.server_id,
                    "customer_id": s.line.customer_id,
                }
                for s in lines
            ],
        )

    async def _upsert_item_rows(
        self, table: Any, keys: list[str], deltas: Mapping[tuple[Any, ...], DailyDelta]
    ) -> None:
        """Add daily item deltas to `table` (the per-location rollup or the business-wide
        totals), keyed by `keys` after business_id. Rows are upserted in key order so
        concurrent writers touching the same days lock them in the same order (no deadlock)."""
        rows = [
            {
                "business_id": self.business_id,
                **dict(zip(keys, key, strict=True)),
                "category_id": delta.category_id,
                "quantity": delta.quantity,
                "net_amount": delta.net_amount,
                "cost": delta.cost,
                "line_count": delta.line_count,
                "costed_revenue": delta.costed_revenue,
            }
            for key, delta in sorted(deltas.items(), key=lambda kv: kv[0])
        ]
        stmt = pg_insert(table).values(rows)
        excluded = stmt.excluded
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["business_id", *keys],
                set_={
                    "quantity": table.quantity + excluded.quantity,
                    "net_amount": table.net_amount + excluded.net_amount,
                    "cost": table.cost + excluded.cost,
                    "line_count": table.line_count + excluded.line_count,
                    "costed_revenue": table.costed_revenue + excluded.costed_revenue,
                    "category_id": func.coalesce(excluded.category_id, table.category_id),
                },
            )
        )

    async def apply_rollups(self, deltas: RollupDeltas) -> None:
        """Add the deltas to the rollups. Rows are upserted in key order so concurrent writers
        touching the same days lock them in the same order (no deadlock)."""
        if deltas.daily:
            await self._upsert_item_rows(
                DailyItemRollup,
                ["business_date", "location_key", "item_key", "category_key"],
                deltas.daily,
            )
            await self._upsert_item_rows(
                DailyItemTotal, ["business_date", "item_key", "category_key"], deltas.daily_totals()
            )
        if deltas.hourly:
            rows = [
                {
                    "business_id": self.business_id,
                    "hour_start": key[0],
                    "location_key": key[1],
                    "business_date": delta.business_date,
                    "local_hour": delta.local_hour,
                    "quantity": delta.quantity,
                    "net_amount": delta.net_amount,
                    "cost": delta.cost,
                    "transactions": delta.transactions,
                    "covers": delta.covers,
                }
                for key, delta in sorted(deltas.hourly.items(), key=lambda kv: kv[0])
            ]
            stmt = pg_insert(HourlyRollup).values(rows)
            excluded = stmt.excluded
            await self.session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["business_id", "hour_start", "location_key"],
                    set_={
                        "quantity": HourlyRollup.quantity + excluded.quantity,
                        "net_amount": HourlyRollup.net_amount + excluded.net_amount,
                        "cost": HourlyRollup.cost + excluded.cost,
                        "transactions": HourlyRollup.transactions + excluded.transactions,
                        "covers": HourlyRollup.covers + excluded.covers,
                    },
                )
            )

    async def claim_batch(self, batch: LedgerBatch) -> bool:
        """Record a batch unless the same batch id or file was ingested before.

        Returns False for a repeat (the caller then writes nothing). Concurrent repeats are
        serialized by the unique constraints: the second waits for the first and loses."""
        values = {
            "id": batch.id or uuid.uuid4(),
            "business_id": self.business_id,
            "source": batch.source,
            "kind": batch.kind,
            "external_id": batch.external_id,
            "content_hash": batch.content_hash,
            "request_hash": batch.request_hash,
            "filename": batch.filename,
            "created_by": batch.created_by,
            "line_count": 0,
            "net_amount": 0,
        }
        stmt = (
            pg_insert(LedgerBatch).values(values).on_conflict_do_nothing().returning(LedgerBatch.id)
        )
        claimed = (await self.session.execute(stmt)).scalar_one_or_none()
        if claimed is not None:
            batch.id = claimed
        return claimed is not None

    async def batch_by_key(
        self, *, external_id: str | None = None, content_hash: str | None = None
    ) -> LedgerBatch | None:
        stmt = select(LedgerBatch).where(LedgerBatch.business_id == self.business_id)
        if external_id is not None:
            stmt = stmt.where(LedgerBatch.external_id == external_id)
        if content_hash is not None:
            stmt = stmt.where(LedgerBatch.content_hash == content_hash)
        return (await self.session.execute(stmt)).scalars().first()

    async def lock_business_ledger(self) -> None:
        """Serialize writers of one business's rollups for the rest of the transaction (a bulk
        import and the tills then never deadlock on rollup rows)."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"ledger:{self.business_id}"},
        )
