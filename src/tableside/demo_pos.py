"""Bella Vista's front of house for the demo: a menu of about forty items across kitchen
stations, tables in both restaurants, regular customers, and a few orders in progress."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tableside.models import (
    Customer,
    DiningTable,
    KitchenTicket,
    Location,
    LocationType,
    MenuCategory,
    MenuItem,
    OrderType,
    TableStatus,
    User,
)

# (category, [(name, price, cost, station, sku, stock, description)])
# Stock is set only for goods sold as they are; made-to-order dishes have none.
MenuRow = tuple[str, str, str, str | None, str, int | None, str]
DEMO_MENU: tuple[tuple[str, tuple[MenuRow, ...]], ...] = (
    ("Antipasti", (
        ("Bruschetta al Pomodoro", "9.50", "2.10", "cold", "ANT-001", None, "Grilled bread, tomato, basil, garlic"),
        ("Burrata e Prosciutto", "16.00", "6.40", "cold", "ANT-002", None, "Burrata, prosciutto di Parma, rocket"),
        ("Calamari Fritti", "14.50", "4.20", "fry", "ANT-003", None, "Fried squid, lemon aioli"),
        ("Arancini", "11.00", "2.80", "fry", "ANT-004", None, "Saffron rice balls, mozzarella, ragù"),
        ("Carpaccio di Manzo", "17.50", "6.90", "cold", "ANT-005", None, "Beef carpaccio, parmigiano, capers"),
        ("Insalata Caprese", "13.00", "4.10", "cold", "ANT-006", None, "Tomato, fior di latte, basil"),
    )),
    ("Pizza", (
        ("Margherita", "15.00", "3.40", "pizza", "PIZ-001", None, "Tomato, fior di latte, basil"),
        ("Marinara", "13.00", "2.20", "pizza", "PIZ-002", None, "Tomato, garlic, oregano"),
        ("Diavola", "18.00", "4.60", "pizza", "PIZ-003", None, "Spicy salame, chilli oil"),
        ("Quattro Formaggi", "19.00", "5.30", "pizza", "PIZ-004", None, "Four cheeses, honey"),
        ("Capricciosa", "19.50", "5.60", "pizza", "PIZ-005", None, "Ham, mushrooms, artichokes, olives"),
        ("Prosciutto e Rucola", "21.00", "6.80", "pizza", "PIZ-006", None, "Prosciutto, rocket, parmigiano"),
        ("Funghi e Tartufo", "23.00", "7.90", "pizza", "PIZ-007", None, "Mushrooms, truffle cream"),
    )),
    ("Pasta", (
        ("Spaghetti Carbonara", "19.00", "4.30", "pasta", "PAS-001", None, "Guanciale, egg yolk, pecorino"),
        ("Cacio e Pepe", "17.00", "3.20", "pasta", "PAS-002", None, "Tonnarelli, pecorino, black pepper"),
        ("Tagliatelle al Ragù", "21.00", "5.40", "pasta", "PAS-003", None, "Slow-cooked beef and pork ragù"),
        ("Lasagna della Nonna", "22.00", "5.90", "pasta", "PAS-004", None, "Baked lasagna, béchamel"),
        ("Linguine alle Vongole", "24.00", "8.10", "pasta", "PAS-005", None, "Clams, white wine, parsley"),
        ("Gnocchi al Pesto", "18.50", "3.90", "pasta", "PAS-006", None, "Potato gnocchi, basil pesto"),
        ("Risotto ai Funghi", "22.50", "6.20", "pasta", "PAS-007", None, "Carnaroli, porcini, parmigiano"),
    )),
    ("Secondi", (
        ("Pollo alla Griglia", "24.00", "7.10", "grill", "SEC-001", None, "Grilled chicken, salsa verde"),
        ("Bistecca alla Fiorentina", "58.00", "24.50", "grill", "SEC-002", None, "Dry-aged T-bone for two"),
        ("Branzino al Forno", "32.00", "12.40", "grill", "SEC-003", None, "Roasted sea bass, lemon"),
        ("Saltimbocca alla Romana", "28.00", "9.80", "grill", "SEC-004", None, "Veal, prosciutto, sage"),
        ("Melanzane alla Parmigiana", "21.00", "4.90", "grill", "SEC-005", None, "Baked aubergine, tomato"),
    )),
    ("Dolci", (
        ("Tiramisù", "10.00", "2.40", "pastry", "DOL-001", None, "Mascarpone, espresso, savoiardi"),
        ("Panna Cotta", "9.00", "1.80", "pastry", "DOL-002", None, "Vanilla cream, berry coulis"),
        ("Cannoli Siciliani", "9.50", "2.10", "pastry", "DOL-003", None, "Ricotta, pistachio"),
        ("Affogato", "7.50", "1.60", "bar", "DOL-004", None, "Vanilla gelato, espresso"),
        ("Gelato (3 scoops)", "8.00", "1.90", "pastry", "DOL-005", None, "Pistachio, stracciatella, lemon"),
    )),
    ("Bevande", (
        ("Espresso", "3.50", "0.45", "bar", "BEV-001", None, "Double shot"),
        ("Cappuccino", "5.00", "0.80", "bar", "BEV-002", None, "Espresso, steamed milk"),
        ("Aperol Spritz", "14.00", "3.10", "bar", "BEV-003", None, "Aperol, prosecco, soda"),
        ("Negroni", "15.00", "3.60", "bar", "BEV-004", None, "Gin, Campari, vermouth"),
        ("Chianti Classico (glass)", "13.00", "3.90", "bar", "BEV-005", None, "Tuscany"),
        ("San Pellegrino 750 ml", "6.00", "1.40", None, "BEV-006", 120, "Sparkling water, bottle"),
        ("Limonata", "4.50", "1.10", None, "BEV-007", 96, "San Pellegrino lemon soda, can"),
    )),
    ("Bottega", (
        ("Olio Extra Vergine 500 ml", "22.00", "9.50", None, "BOT-001", 24, "Estate olive oil to take home"),
        ("Biscotti al Cioccolato", "8.50", "2.60", None, "BOT-002", 40, "Bag of chocolate biscotti"),
        ("Limoncello 500 ml", "29.00", "11.00", None, "BOT-003", 12, "House limoncello"),
    )),
)  # fmt: skip

# (prefix, location name, [(section, capacity, count)])
DEMO_TABLES = (
    ("D", "Bella Vista Downtown", (("Main Floor", 4, 8), ("Window", 2, 4), ("Patio", 6, 3))),
    ("B", "Bella Vista Brooklyn", (("Main Floor", 4, 6), ("Bar", 2, 4), ("Private Room", 10, 1))),
)

DEMO_CUSTOMERS = (
    ("Alessandro Rossi", "alessandro.rossi@example.com", "+1 212 555 0101", "New York", "NY"),
    ("Emma Johnson", "emma.johnson@example.com", "+1 212 555 0102", "New York", "NY"),
    ("Liam O'Connor", "liam.oconnor@example.com", "+1 718 555 0103", "Brooklyn", "NY"),
    ("Sophia Chen", "sophia.chen@example.com", "+1 646 555 0104", "New York", "NY"),
    ("Noah Williams", "noah.williams@example.com", "+1 917 555 0105", "New York", "NY"),
    ("Isabella Garcia", "isabella.garcia@example.com", "+1 718 555 0106", "Brooklyn", "NY"),
    ("Mason Brown", "mason.brown@example.com", "+1 347 555 0107", "Queens", "NY"),
    ("Ava Martinez", "ava.martinez@example.com", "+1 212 555 0108", "New York", "NY"),
    ("Ethan Davis", "ethan.davis@example.com", "+1 718 555 0109", "Brooklyn", "NY"),
    ("Mia Wilson", "mia.wilson@example.com", "+1 646 555 0110", "New York", "NY"),
    ("Lucas Moore", "lucas.moore@example.com", "+1 917 555 0111", "Jersey City", "NJ"),
    ("Charlotte Taylor", "charlotte.taylor@example.com", "+1 212 555 0112", "New York", "NY"),
)


def _barcode(sequence: int) -> str:
    """A valid in-store EAN-13 (prefix 2) for demo item `sequence`."""
    body = f"20000{sequence:07d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


async def load_front_of_house(
    session: AsyncSession, business_id: uuid.UUID, locations: list[Location]
) -> None:
    """Menu, tables and customers of the demo business (the session is scoped to it)."""
    sequence = 0
    for position, (category_name, rows) in enumerate(DEMO_MENU):
        category = MenuCategory(business_id=business_id, name=category_name, sort_order=position)
        session.add(category)
        await session.flush()
        for name, price, cost, station, sku, stock, description in rows:
            sequence += 1
            session.add(
                MenuItem(
                    business_id=business_id,
                    category_id=category.id,
                    name=name,
                    description=description,
                    price=Decimal(price),
                    cost=Decimal(cost),
                    sku=sku,
                    barcode=_barcode(sequence),
                    stock=stock,
                    station=station,
                )
            )
    by_name = {location.name: location for location in locations}
    for prefix, location_name, sections in DEMO_TABLES:
        location = by_name[location_name]
        assert location.type == LocationType.restaurant
        number = 0
        for section, capacity, count in sections:
            for _ in range(count):
                number += 1
                session.add(
                    DiningTable(
                        business_id=business_id,
                        location_id=location.id,
                        table_number=f"{prefix}{number}",
                        section=section,
                        capacity=capacity,
                        status=TableStatus.available,
                    )
                )
    for name, email, phone, city, state in DEMO_CUSTOMERS:
        session.add(
            Customer(
                business_id=business_id, name=name, email=email, phone=phone, city=city, state=state
            )
        )
    await session.flush()


# (table number or None for takeaway, party size, [(sku, quantity, notes)], how far it got)
DemoOrder = tuple[str | None, int, tuple[tuple[str, int, str | None], ...], str]
DEMO_OPEN_ORDERS: tuple[DemoOrder, ...] = (
    ("D1", 4, (("ANT-001", 1, None), ("PIZ-001", 2, "one without basil"), ("PAS-001", 1, None),
               ("BEV-003", 2, None), ("BEV-006", 1, None)), "preparing"),
    ("D5", 2, (("ANT-002", 1, None), ("SEC-003", 1, "sauce on the side"), ("BEV-005", 2, None)),
     "ready"),
    ("D9", 2, (("PAS-002", 1, None), ("PAS-005", 1, None)), "pending"),
    ("B3", 3, (("PIZ-003", 1, "extra chilli"), ("PIZ-006", 1, None), ("DOL-001", 3, None)),
     "sent"),
    (None, 1, (("PIZ-004", 1, None), ("BEV-007", 2, None)), "sent"),
)  # fmt: skip


async def load_open_orders(
    session: AsyncSession, business_id: uuid.UUID, server: User, chef: User
) -> None:
    """A few orders in progress through the real order and kitchen services, so totals,
    order numbers, tickets and table statuses are exactly what the API would produce."""
    from tableside.auth.dependencies import Principal
    from tableside.kitchen import service as kitchen
    from tableside.orders import service as orders
    from tableside.orders import workflow
    from tableside.orders.schemas import OrderCreate, OrderLineCreate
    from tableside.tables import service as tables
    from tableside.tables.schemas import SeatParty

    as_server = Principal(
        business_id=business_id, role=server.role, kitchen_profile=None, user=server
    )
    as_chef = Principal(
        business_id=business_id, role=chef.role, kitchen_profile=chef.kitchen_profile, user=chef
    )
    items = {
        item.sku: item
        for item in (
            await session.execute(select(MenuItem).where(MenuItem.business_id == business_id))
        ).scalars()
    }
    table_rows = (
        await session.execute(select(DiningTable).where(DiningTable.business_id == business_id))
    ).scalars()
    table_ids = {table.table_number: table.id for table in table_rows}
    for table_number, party_size, lines, stage in DEMO_OPEN_ORDERS:
        table_id = table_ids[table_number] if table_number else None
        if table_id is not None:
            await tables.seat_party(
                session, as_server, table_id, SeatParty(party_size=party_size, server_id=server.id)
            )
        order = await orders.create_order(
            session,
            as_server,
            OrderCreate(
                order_type=OrderType.dine_in if table_id else OrderType.takeaway,
                table_id=table_id,
                items=[
                    OrderLineCreate(menu_item_id=items[sku].id, quantity=quantity, notes=notes)
                    for sku, quantity, notes in lines
                ],
            ),
        )
        if stage == "pending":
            continue
        await workflow.send_order(session, as_server, order.id)
        tickets = (
            await session.execute(
                select(KitchenTicket.id).where(
                    KitchenTicket.business_id == business_id, KitchenTicket.order_id == order.id
                )
            )
        ).scalars()
        for position, ticket_id in enumerate(tickets):
            if stage == "ready" or (stage == "preparing" and position == 0):
                await kitchen.start_ticket(session, as_chef, ticket_id, chef.id)
            if stage == "ready":
                await kitchen.ready_ticket(session, as_chef, ticket_id)
