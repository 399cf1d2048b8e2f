"""SQL for customers and their order history."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func, or_, select

from tableside.kit.money import CENT
from tableside.kit.pagination import ListParams
from tableside.kit.repository import TenantRepository, escape_like
from tableside.models import Customer, Order, OrderStatus

# A search term made only of these characters (and at least one digit) is a phone number.
_PHONE_TERM = re.compile(r"[0-9\s+().\-/]+")


@dataclass(frozen=True)
class OrderStats:
    order_count: int
    completed_order_count: int
    total_spent: Decimal
    last_order_at: datetime | None


class CustomerRepository(TenantRepository[Customer]):
    model = Customer
    sortable = {
        "name": "name",
        "email": "email",
        "city": "city",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }
    default_sort = "name"
    searchable = ("name", "email", "phone")

    async def list_customers(
        self, params: ListParams, *, include_inactive: bool = False
    ) -> tuple[Sequence[Customer], int]:
        """One page of customers; `params.search` matches name, email or phone."""
        stmt = self.base_select()
        if not include_inactive:
            stmt = stmt.where(Customer.is_active.is_(True))
        if params.search:
            stmt = stmt.where(search_condition(params.search))
            params = dataclasses.replace(params, search=None)
        return await self.paginate(stmt, params)

    async def order_stats(self, customer_id: uuid.UUID) -> OrderStats:
        """Counts, completed spend and the latest order time of one customer."""
        completed = Order.status == OrderStatus.completed
        stmt = select(
            func.count(Order.id),
            func.count(Order.id).filter(completed),
            func.coalesce(func.sum(Order.total_amount).filter(completed), 0),
            func.max(Order.created_at),
        ).where(Order.business_id == self.business_id, Order.customer_id == customer_id)
        count, completed_count, spent, last_at = (await self.session.execute(stmt)).one()
        # Money columns hold cents; an empty sum comes back as a bare 0.
        return OrderStats(int(count), int(completed_count), Decimal(spent).quantize(CENT), last_at)


def search_condition(term: str) -> ColumnElement[bool]:
    """Case-insensitive partial match on name, email or phone.

    A phone-like term is also compared on digits only, so "555-0101" finds "+1 (555) 0101"."""
    pattern = f"%{escape_like(term)}%"
    conditions: list[ColumnElement[bool]] = [
        Customer.name.ilike(pattern, escape="\\"),
        Customer.email.ilike(pattern, escape="\\"),
        Customer.phone.ilike(pattern, escape="\\"),
    ]
    digits = re.sub(r"\D", "", term)
    if digits and _PHONE_TERM.fullmatch(term):
        phone_digits = func.regexp_replace(Customer.phone, "[^0-9]", "", "g")
        conditions.append(phone_digits.contains(digits, autoescape=True))
    return or_(*conditions)
