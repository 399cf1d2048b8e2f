"""HTTP endpoints under /api/v1/customers."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi import status as http_status

from tableside.auth.dependencies import Principal, require
from tableside.auth.permissions import Action, Area
from tableside.customers import service
from tableside.customers.schemas import (
    Customer,
    CustomerCreate,
    CustomerDetail,
    CustomerSummary,
    CustomerUpdate,
    OrderSummary,
)
from tableside.db.session import SessionDep
from tableside.kit.pagination import ListParamsDep, Page, page_of
from tableside.models import OrderStatus

router = APIRouter(prefix="/customers", tags=["customers"])

CustomerReader = Annotated[Principal, Depends(require(Area.customers, Action.read))]
CustomerWriter = Annotated[Principal, Depends(require(Area.customers, Action.write))]
CustomerManager = Annotated[Principal, Depends(require(Area.customers, Action.manage))]


def _detail(view: service.CustomerView) -> CustomerDetail:
    base = Customer.model_validate(view.customer).model_dump()
    summary = CustomerSummary.model_validate(view.stats)
    return CustomerDetail.model_validate({**base, "summary": summary})


@router.get("", response_model=Page[Customer], summary="List customers")
async def list_customers(
    principal: CustomerReader,
    session: SessionDep,
    params: ListParamsDep,
    include_inactive: bool = False,
) -> Page[Customer]:
    """`search` matches name, email or phone (phone numbers also ignoring formatting)."""
    rows, total = await service.list_customers(
        session, principal, params, include_inactive=include_inactive
    )
    return page_of(Customer, rows, total, params)


@router.get("/search", response_model=Page[Customer], summary="Search customers")
async def search_customers(
    principal: CustomerReader,
    session: SessionDep,
    params: ListParamsDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Name, email or phone")],
    include_inactive: bool = False,
) -> Page[Customer]:
    """The same list as `GET /customers?search=`, with the term in `q`."""
    params = dataclasses.replace(params, search=q.strip() or None)
    rows, total = await service.list_customers(
        session, principal, params, include_inactive=include_inactive
    )
    return page_of(Customer, rows, total, params)


@router.post(
    "",
    response_model=CustomerDetail,
    status_code=http_status.HTTP_201_CREATED,
    summary="Create a customer",
)
async def create_customer(
    body: CustomerCreate, principal: CustomerWriter, session: SessionDep
) -> CustomerDetail:
    return _detail(await service.create_customer(session, principal, body))


@router.get(
    "/{customer_id}", response_model=CustomerDetail, summary="Get a customer and order summary"
)
async def get_customer(
    customer_id: uuid.UUID, principal: CustomerReader, session: SessionDep
) -> CustomerDetail:
    return _detail(await service.get_customer(session, principal, customer_id))


@router.patch("/{customer_id}", response_model=CustomerDetail, summary="Update a customer")
async def update_customer(
    customer_id: uuid.UUID, body: CustomerUpdate, principal: CustomerWriter, session: SessionDep
) -> CustomerDetail:
    return _detail(await service.update_customer(session, principal, customer_id, body))


router.add_api_route(
    "/{customer_id}",
    update_customer,
    methods=["PUT"],
    response_model=CustomerDetail,
    summary="Update a customer (same as PATCH: only the fields sent change)",
)


@router.delete(
    "/{customer_id}",
    status_code=http_status.HTTP_204_NO_CONTENT,
    summary="Deactivate a customer (their order history stays)",
)
async def delete_customer(
    customer_id: uuid.UUID, principal: CustomerManager, session: SessionDep
) -> Response:
    await service.delete_customer(session, principal, customer_id)
    return Response(status_code=http_status.HTTP_204_NO_CONTENT)


@router.get(
    "/{customer_id}/orders",
    response_model=Page[OrderSummary],
    summary="The customer's orders, newest first",
)
async def list_customer_orders(
    customer_id: uuid.UUID,
    principal: CustomerReader,
    session: SessionDep,
    params: ListParamsDep,
    status: OrderStatus | None = None,
) -> Page[OrderSummary]:
    rows, total = await service.list_customer_orders(
        session, principal, customer_id, params, status=status
    )
    return page_of(OrderSummary, rows, total, params)
