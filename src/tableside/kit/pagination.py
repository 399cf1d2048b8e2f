"""Pagination, sorting and free-text search for every list endpoint (API.md)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from tableside.errors import ValidationFailed

T = TypeVar("T")

MAX_PAGE_SIZE = 100
# The largest page number: PostgreSQL's integer. Its offset (times MAX_PAGE_SIZE) still fits
# the 64-bit OFFSET the driver sends; a larger page number was a 500 from the driver.
MAX_PAGE = 2_147_483_647


class SortOrder(StrEnum):
    asc = "asc"
    desc = "desc"


@dataclass(frozen=True)
class ListParams:
    page: int = 1
    page_size: int = 20
    sort_by: str | None = None
    sort_order: SortOrder | None = None
    search: str | None = None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def list_params(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1")] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page")] = 20,
    sort_by: Annotated[str | None, Query(description="Field to sort by")] = None,
    sort_order: Annotated[
        SortOrder | None, Query(description="asc or desc (default depends on the list)")
    ] = None,
    search: Annotated[
        str | None, Query(max_length=200, description="Case-insensitive partial match")
    ] = None,
) -> ListParams:
    """Query parameters shared by every list endpoint."""
    return ListParams(
        page=page,
        page_size=page_size,
        sort_by=sort_by,
        sort_order=sort_order,
        search=search.strip() if search and search.strip() else None,
    )


ListParamsDep = Annotated[ListParams, Depends(list_params)]


class Page(BaseModel, Generic[T]):
    """A page of a list, in the one shape API.md gives."""

    items: list[T]
    total: int
    page: int
    page_size: int
    pages: int
    has_next: bool
    has_previous: bool

    @classmethod
    def build(cls, items: list[T], total: int, params: ListParams) -> Page[T]:
        return cls(items=items, **cls.paging(total, params.page, params.page_size))

    @staticmethod
    def paging(total: int, page: int, page_size: int) -> dict[str, Any]:
        """The page fields (total, page, page_size, pages, has_next, has_previous)."""
        pages = math.ceil(total / page_size) if total else 0
        return {
            "total": total,
            "page": page,
            "page_size": page_size,
            "pages": pages,
            "has_next": page < pages,
            "has_previous": page > 1,
        }


S = TypeVar("S", bound=BaseModel)


def page_of(schema: type[S], rows: Sequence[object], total: int, params: ListParams) -> Page[S]:
    """A page of response models built from ORM rows."""
    return Page[S].build([schema.model_validate(row) for row in rows], total, params)


def page_length(page_size: int | None, limit: int | None, default: int) -> int:
    """The page length asked for as `page_size` (API.md's name) or `limit` (the source
    documents' name for it), `default` when neither is given; both, differing, is a 422."""
    if limit is not None and page_size is not None and limit != page_size:
        raise ValidationFailed(
            details=[
                {
                    "field": "page_size",
                    "message": "give page_size or limit, not two different lengths",
                }
            ]
        )
    return page_size or limit or default
