"""The permission matrix of API.md, as data. One dependency checks it; a test walks every cell."""

from __future__ import annotations

from enum import StrEnum

from tableside.models.user import KitchenProfile, Role

Grantee = Role | KitchenProfile


class Area(StrEnum):
    business = "business"
    users = "users"
    invitations = "invitations"
    api_keys = "api_keys"
    integrations = "integrations"
    audit_log = "audit_log"
    system = "system"
    jobs = "jobs"
    menu = "menu"
    inventory = "inventory"
    suppliers = "suppliers"
    locations = "locations"
    orders = "orders"
    tables = "tables"
    reservations = "reservations"
    customers = "customers"
    deliveries = "deliveries"
    payments = "payments"
    kitchen = "kitchen"
    labor = "labor"
    forecasts = "forecasts"
    analytics = "analytics"
    reports = "reports"


class Action(StrEnum):
    read = "read"
    write = "write"
    manage = "manage"


EVERYONE: frozenset[Grantee] = frozenset(Role)
MANAGER_PLUS: frozenset[Grantee] = frozenset({Role.owner, Role.admin, Role.manager})
ADMIN_PLUS: frozenset[Grantee] = frozenset({Role.owner, Role.admin})
FRONT_OF_HOUSE: frozenset[Grantee] = MANAGER_PLUS | {Role.cashier, Role.wait_staff}
TILL: frozenset[Grantee] = MANAGER_PLUS | {Role.cashier}
INSIGHT_READERS: frozenset[Grantee] = MANAGER_PLUS | {Role.viewer}
KITCHEN_READ: frozenset[Grantee] = MANAGER_PLUS | {
    Role.kitchen_staff,
    KitchenProfile.kitchen_read,
    KitchenProfile.kitchen_write,
    KitchenProfile.kitchen_manager,
}
KITCHEN_WRITE: frozenset[Grantee] = MANAGER_PLUS | {
    Role.kitchen_staff,
    KitchenProfile.kitchen_write,
    KitchenProfile.kitchen_manager,
}
KITCHEN_MANAGE: frozenset[Grantee] = MANAGER_PLUS | {KitchenProfile.kitchen_manager}


def _row(read: frozenset[Grantee], write: frozenset[Grantee], manage: frozenset[Grantee]) -> dict:
    return {Action.read: read, Action.write: write, Action.manage: manage}


# Who may do what. Rows follow API.md's table; `locations` are read by everyone because every
# till needs them, `invitations` may be sent by managers (they bring in their own staff, never
# above their own rank), and `jobs` are readable by everyone for the jobs they started.
PERMISSIONS: dict[Area, dict[Action, frozenset[Grantee]]] = {
    Area.business: _row(ADMIN_PLUS, ADMIN_PLUS, ADMIN_PLUS),
    Area.users: _row(MANAGER_PLUS, ADMIN_PLUS, ADMIN_PLUS),
    Area.invitations: _row(MANAGER_PLUS, MANAGER_PLUS, ADMIN_PLUS),
    Area.api_keys: _row(ADMIN_PLUS, ADMIN_PLUS, ADMIN_PLUS),
    Area.integrations: _row(ADMIN_PLUS, ADMIN_PLUS, ADMIN_PLUS),
    Area.audit_log: _row(ADMIN_PLUS, ADMIN_PLUS, ADMIN_PLUS),
    Area.system: _row(ADMIN_PLUS, ADMIN_PLUS, ADMIN_PLUS),
    Area.jobs: _row(EVERYONE, EVERYONE, MANAGER_PLUS),
    Area.locations: _row(EVERYONE, ADMIN_PLUS, ADMIN_PLUS),
    Area.menu: _row(EVERYONE, MANAGER_PLUS, ADMIN_PLUS),
    Area.inventory: _row(EVERYONE, MANAGER_PLUS, ADMIN_PLUS),
    Area.suppliers: _row(EVERYONE, MANAGER_PLUS, ADMIN_PLUS),
    Area.orders: _row(EVERYONE, FRONT_OF_HOUSE, MANAGER_PLUS),
    Area.tables: _row(EVERYONE, FRONT_OF_HOUSE, MANAGER_PLUS),
    Area.reservations: _row(EVERYONE, FRONT_OF_HOUSE, MANAGER_PLUS),
    Area.customers: _row(EVERYONE, FRONT_OF_HOUSE, MANAGER_PLUS),
    Area.deliveries: _row(EVERYONE, FRONT_OF_HOUSE, MANAGER_PLUS),
    Area.payments: _row(TILL, TILL, MANAGER_PLUS),
    Area.kitchen: _row(KITCHEN_READ, KITCHEN_WRITE, KITCHEN_MANAGE),
    Area.labor: _row(MANAGER_PLUS, MANAGER_PLUS, MANAGER_PLUS),
    Area.forecasts: _row(INSIGHT_READERS, MANAGER_PLUS, ADMIN_PLUS),
    Area.analytics: _row(INSIGHT_READERS, MANAGER_PLUS, ADMIN_PLUS),
    Area.reports: _row(INSIGHT_READERS, MANAGER_PLUS, ADMIN_PLUS),
}

ROLE_RANK: dict[Role, int] = {
    Role.owner: 100,
    Role.admin: 80,
    Role.manager: 60,
    Role.cashier: 40,
    Role.wait_staff: 40,
    Role.kitchen_staff: 40,
    Role.viewer: 20,
}


def is_allowed(
    role: Role, kitchen_profile: KitchenProfile | None, area: Area, action: Action
) -> bool:
    """Whether a role (plus an optional kitchen profile) may perform `action` in `area`."""
    granted = PERMISSIONS[area][action]
    return role in granted or (kitchen_profile is not None and kitchen_profile in granted)


def can_grant_role(granter: Role, target: Role) -> bool:
    """Nobody hands out a role above their own; only an owner makes another owner."""
    if target == Role.owner:
        return granter == Role.owner
    return ROLE_RANK[granter] >= ROLE_RANK[target]
