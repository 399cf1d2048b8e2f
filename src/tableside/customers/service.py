"""Customer profiles, search and order history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from tableside.audit import service as audit
from tableside.auth.dependencies import Principal
from tableside.customers.repository import (
    CustomerRepository,
    OrderStats,
)
from tableside.customers.schemas import CustomerCreate, CustomerUpdate
from tableside.errors import NotFound
from tableside.kit.pagination import ListParams
from tableside.models import Customer, Order, OrderStatus
from tableside.orders.repository import OrderHistoryRepository


@dataclass(frozen=True)
class CustomerView:
    """A customer with the summary of their orders."""

    customer: Customer
    stats: OrderStats


async def list_customers(
    session: AsyncSession, principal: Principal, params: ListParams, *, include_inactive: bool
) -> tuple[Sequence[Customer], int]:
    """One page of customers, searched by name, email or phone."""
    return await CustomerRepository(session, principal.business_id).list_customers(
        params, include_inactive=include_inactive
    )


async def _get(session: AsyncSession, principal: Principal, customer_id: uuid.UUID) -> Customer:
    customer = await CustomerRepository(session, principal.business_id).get(customer_id)
    if customer is None:
        raise NotFound("Customer not found")
    return customer


async def _view(session: AsyncSession, principal: Principal, customer: Customer) -> CustomerView:
    stats = await CustomerRepository(session, principal.business_id).order_stats(customer.id)
    return CustomerView(customer, stats)


async def get_customer(
    session: AsyncSession, principal: Principal, customer_id: uuid.UUID
) -> CustomerView:
    """A customer (active or not) with their order summary."""
    return await _view(session, principal, await _get(session, principal, customer_id))


async def create_customer(
    session: AsyncSession, principal: Principal, data: CustomerCreate
) -> CustomerView:
    """Create a profile; a duplicate email in the business is 409 DUPLICATE_ENTRY."""
    values = data.model_dump()
    if values["email"] is not None:
        values["email"] = values["email"].lower()
    customer = await CustomerRepository(session, principal.business_id).add(
        Customer(business_id=principal.business_id, **values)
    )
    return await _view(session, principal, customer)


async def update_customer(
    session: AsyncSession, principal: Principal, customer_id: uuid.UUID, changes: CustomerUpdate
) -> CustomerView:
    """Apply the fields sent; `is_active: true` restores a deleted customer."""
    customer = await _get(session, principal, customer_id)
    updates = changes.model_dump(exclude_unset=True)
    if updates.get("email") is not None:
        updates["email"] = updates["email"].lower()
    for field, value in updates.items():
        setattr(customer, field, value)
    await CustomerRepository(session, principal.business_id).flush()
    return await _view(session, principal, customer)


async def delete_customer(
    session: AsyncSession, principal: Principal, customer_id: uuid.UUID
) -> None:
    """Deactivate: past orders and sales keep pointing at the profile."""
    customer = await _get(session, principal, customer_id)
    if not customer.is_active:
        return
    customer.is_active = False
    await CustomerRepository(session, principal.business_id).flush()
    await audit.record(
        session,
        business_id=principal.business_id,
        action="customer.deactivated",
        principal=principal,
        entity_type="customer",
        entity_id=customer.id,
        details={"name": customer.name},
    )


async def list_customer_orders(
    session: AsyncSession,
    principal: Principal,
    customer_id: uuid.UUID,
    params: ListParams,
    *,
    status: OrderStatus | None,
) -> tuple[Sequence[Order], int]:
    """The customer's orders, newest first unless sorted otherwise."""
    customer = await _get(session, principal, customer_id)
    return await OrderHistoryRepository(session, principal.business_id).history(
        params, customer_id=customer.id, status=status
    )
