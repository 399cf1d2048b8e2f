"""The demo business "Bella Vista": three locations and a user of every role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.auth.passwords import hash_password
from tableside.db.database import Database, enter_system_scope, set_tenant
from tableside.demo_forecasts import load_demo_forecasts
from tableside.demo_history import load_sales_history
from tableside.demo_pos import load_front_of_house, load_open_orders
from tableside.kit.schemas import utcnow
from tableside.models import (
    Business,
    BusinessType,
    Customer,
    KitchenProfile,
    Location,
    LocationType,
    MenuItem,
    Role,
    User,
)

DEMO_SLUG = "bella-vista"
HISTORY_DAYS = 730
DEMO_PASSWORD = "Demo1234!"


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    role: Role
    kitchen_profile: KitchenProfile | None = None


DEMO_USERS = (
    DemoUser("owner@bellavista.example", "Sofia Romano", Role.owner),
    DemoUser("admin@bellavista.example", "Marco Bianchi", Role.admin),
    DemoUser("manager@bellavista.example", "Giulia Conti", Role.manager),
    DemoUser("cashier@bellavista.example", "Luca Ferrari", Role.cashier),
    DemoUser("server@bellavista.example", "Chiara Russo", Role.wait_staff),
    DemoUser(
        "chef@bellavista.example",
        "Matteo Greco",
        Role.kitchen_staff,
        KitchenProfile.kitchen_manager,
    ),
    DemoUser(
        "cook@bellavista.example", "Elena Marino", Role.kitchen_staff, KitchenProfile.kitchen_write
    ),
    DemoUser("viewer@bellavista.example", "Paolo Galli", Role.viewer),
)

DEMO_LOCATIONS = (
    ("Bella Vista Downtown", LocationType.restaurant, "120 Mulberry St, New York, NY 10013"),
    ("Bella Vista Brooklyn", LocationType.restaurant, "85 Atlantic Ave, Brooklyn, NY 11201"),
    ("Bella Vista Commissary", LocationType.central_kitchen, "44-02 Vernon Blvd, Queens, NY 11101"),
)


async def load_demo(
    database: Database, *, reset: bool = False, history_days: int = HISTORY_DAYS
) -> tuple[Business, bool]:
    """Create the demo business unless it exists; with `reset`, drop and recreate it.

    Returns the business and whether it was created now. `history_days` of sales history
    (built from real restaurant data, see `demo_history`) end yesterday.
    """
    async with database.session() as session:
        await enter_system_scope(session)
        existing = (
            await session.execute(select(Business).where(Business.slug == DEMO_SLUG))
        ).scalar_one_or_none()
        if existing is not None and not reset:
            return existing, False
        if existing is not None:
            await session.execute(delete(Business).where(Business.id == existing.id))
        business = Business(
            name="Bella Vista",
            slug=DEMO_SLUG,
            type=BusinessType.restaurant,
            tax_rate=Decimal("8.875"),
            currency="USD",
            timezone="America/New_York",
            day_cutoff_hour=4,
            email="hello@bellavista.example",
            phone="+1 212 555 0142",
            address="120 Mulberry St, New York, NY 10013",
        )
        session.add(business)
        await session.flush()
        await set_tenant(session, business.id)
        locations = [
            Location(business_id=business.id, name=name, type=location_type, address=address)
            for name, location_type, address in DEMO_LOCATIONS
        ]
        session.add_all(locations)
        hashed = hash_password(DEMO_PASSWORD)
        verified_at = utcnow()
        users = {
            person.email: User(
                business_id=business.id,
                email=person.email,
                full_name=person.full_name,
                hashed_password=hashed,
                role=person.role,
                kitchen_profile=person.kitchen_profile,
                email_verified_at=verified_at,
            )
            for person in DEMO_USERS
        }
        session.add_all(users.values())
        await session.flush()
        await load_front_of_house(session, business.id, locations)
        await _load_history(session, business.id, locations, users, history_days)
        await load_open_orders(
            session,
            business.id,
            server=users["server@bellavista.example"],
            chef=users["chef@bellavista.example"],
        )
        await load_demo_forecasts(session, business.id, history_days=history_days)
        return business, True


async def _load_history(
    session: AsyncSession,
    business_id: uuid.UUID,
    locations: list[Location],
    users: dict[str, User],
    days: int,
) -> None:
    """Two years of sales at both restaurants, served by the demo's server and manager and
    now and then by a known customer."""
    items = (
        await session.execute(select(MenuItem).where(MenuItem.business_id == business_id))
    ).scalars()
    customers = (
        await session.execute(
            select(Customer.id).where(Customer.business_id == business_id).order_by(Customer.name)
        )
    ).scalars()
    await load_sales_history(
        session,
        business_id,
        locations,
        list(items),
        days=days,
        server_ids=[
            users["server@bellavista.example"].id,
            users["manager@bellavista.example"].id,
        ],
        customer_ids=list(customers),
    )
