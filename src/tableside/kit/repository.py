"""Repository base: every query starts from a statement already filtered by business."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from tableside.db.base import Base
from tableside.errors import DuplicateEntry, ValidationFailed
from tableside.kit.pagination import ListParams, SortOrder

M = TypeVar("M", bound=Base)
# A SELECT of any columns (the model alone, or the model and joined values).
AnySelect = Select[*tuple[Any, ...]]


class TenantRepository(Generic[M]):
    """SQL for one tenant-owned model. Subclasses set `model`, `sortable` and `searchable`."""

    model: type[M]
    sortable: Mapping[str, str] = {"created_at": "created_at"}
    default_sort: str = "created_at"
    default_order_desc: bool = False
    searchable: Sequence[str] = ()
    # Rows without a value for the sort column come last whatever the direction.
    nulls_last: bool = False

    def __init__(self, session: AsyncSession, business_id: uuid.UUID) -> None:
        self.session = session
        self.business_id = business_id

    def _column(self, name: str) -> InstrumentedAttribute[Any]:
        column: InstrumentedAttribute[Any] = getattr(self.model, name)
        return column

    def base_select(self) -> Select[M]:
        """Every query of this repository starts here."""
        return select(self.model).where(self._column("business_id") == self.business_id)

    async def get(self, entity_id: uuid.UUID) -> M | None:
        stmt = self.base_select().where(self._column("id") == entity_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def add(self, entity: M) -> M:
        """Insert and flush; a unique violation becomes 409 DUPLICATE_ENTRY."""
        self.session.add(entity)
        await self.flush()
        return entity

    async def flush(self) -> None:
        try:
            async with self.session.begin_nested():
                await self.session.flush()
        except IntegrityError as exc:
            raise integrity_error_to_app_error(exc) from exc

    async def delete(self, entity: M) -> None:
        await self.session.delete(entity)
        await self.session.flush()

    async def paginate(self, stmt: Select[M], params: ListParams) -> tuple[Sequence[M], int]:
        """Apply search, sorting and paging; return the page's rows and the total count."""
        page, total = await self.page_statement(stmt, params)
        rows = (await self.session.execute(page)).scalars().all()
        return rows, total

    async def page_statement(self, stmt: AnySelect, params: ListParams) -> tuple[AnySelect, int]:
        """Search, count, sort and limit `stmt` (which may select more than the model, e.g. a
        joined name); return the page's statement and the total count."""
        if params.search and self.searchable:
            pattern = f"%{escape_like(params.search)}%"
            stmt = stmt.where(
                or_(*(self._column(name).ilike(pattern, escape="\\") for name in self.searchable))
            )
        total = (
            await self.session.execute(select(func.count()).select_from(stmt.subquery()))
        ).scalar_one()
        sort_key = params.sort_by or self.default_sort
        if sort_key not in self.sortable:
            raise ValidationFailed(
                details=[
                    {
                        "field": "sort_by",
                        "message": f"must be one of: {', '.join(sorted(self.sortable))}",
                    }
                ]
            )
        sort_column: Any = self._column(self.sortable[sort_key])
        descending = (
            params.sort_order == SortOrder.desc
            if params.sort_order is not None
            else self.default_order_desc
        )
        ordered = sort_column.desc() if descending else sort_column.asc()
        if self.nulls_last:
            ordered = ordered.nulls_last()
        page = (
            stmt.order_by(ordered, self._column("id").asc())
            .offset(params.offset)
            .limit(params.page_size)
        )
        return page, int(total)


def escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def integrity_error_to_app_error(exc: IntegrityError) -> DuplicateEntry | ValidationFailed:
    """Translate a constraint violation into the API error a client can act on."""
    driver_error = getattr(exc.orig, "__cause__", None) or exc.orig
    if getattr(driver_error, "sqlstate", None) == "23505":
        field = _field_from_constraint(
            getattr(driver_error, "constraint_name", None),
            getattr(driver_error, "table_name", None),
        )
        return DuplicateEntry(
            f"A record with this {field} already exists" if field else None,
            details=[{"field": field, "message": "already exists"}] if field else [],
        )
    return ValidationFailed("The data violates a constraint")


def _field_from_constraint(constraint: str | None, table: str | None) -> str | None:
    """`uq_users_business_id_email` on `users` → `email` (the naming convention's shape)."""
    if not constraint or not table or not constraint.startswith(f"uq_{table}_"):
        return None
    return constraint.removeprefix(f"uq_{table}_").removeprefix("business_id_") or None
