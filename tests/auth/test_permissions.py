"""The permission matrix: every cell against API.md, and the HTTP layer enforcing it."""

from __future__ import annotations

import httpx
import pytest

from tableside.auth.permissions import PERMISSIONS, Action, Area, can_grant_role, is_allowed
from tableside.models import KitchenProfile, Role
from tests.factories import Account, add_user, register

OWN, A, M, C, W, K, V = (
    "owner",
    "admin",
    "manager",
    "cashier",
    "wait_staff",
    "kitchen_staff",
    "viewer",
)
ALL = {OWN, A, M, C, W, K, V}
MGR = {OWN, A, M}
ADM = {OWN, A}

# API.md's table, transcribed independently of the module under test.
EXPECTED: dict[str, tuple[set[str], set[str], set[str]]] = {
    "business": (ADM, ADM, ADM),
    "users": (MGR, ADM, ADM),
    "invitations": (MGR, MGR, ADM),
    "api_keys": (ADM, ADM, ADM),
    "integrations": (ADM, ADM, ADM),
    "audit_log": (ADM, ADM, ADM),
    "system": (ADM, ADM, ADM),
    "jobs": (ALL, ALL, MGR),
    "locations": (ALL, ADM, ADM),
    "menu": (ALL, MGR, ADM),
    "inventory": (ALL, MGR, ADM),
    "suppliers": (ALL, MGR, ADM),
    "orders": (ALL, MGR | {C, W}, MGR),
    "tables": (ALL, MGR | {C, W}, MGR),
    "reservations": (ALL, MGR | {C, W}, MGR),
    "customers": (ALL, MGR | {C, W}, MGR),
    "deliveries": (ALL, MGR | {C, W}, MGR),
    "payments": (MGR | {C}, MGR | {C}, MGR),
    "kitchen": (MGR | {K}, MGR | {K}, MGR),
    "labor": (MGR, MGR, MGR),
    "forecasts": (MGR | {V}, MGR, ADM),
    "analytics": (MGR | {V}, MGR, ADM),
    "reports": (MGR | {V}, MGR, ADM),
}
# Kitchen profiles add rights to any role: read ⊂ write ⊂ manager.
PROFILE_KITCHEN = {
    "kitchen_read": {"read"},
    "kitchen_write": {"read", "write"},
    "kitchen_manager": {"read", "write", "manage"},
}


def test_matrix_covers_every_area_and_action() -> None:
    assert {str(a) for a in PERMISSIONS} == set(EXPECTED)
    for area in PERMISSIONS:
        assert set(PERMISSIONS[area]) == set(Action)


@pytest.mark.parametrize("area", list(Area))
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("profile", [None, *KitchenProfile])
def test_every_cell(area: Area, role: Role, profile: KitchenProfile | None) -> None:
    read, write, manage = EXPECTED[str(area)]
    for action, allowed_roles in zip(Action, (read, write, manage), strict=True):
        expected = str(role) in allowed_roles
        if area == Area.kitchen and profile is not None:
            expected = expected or str(action) in PROFILE_KITCHEN[str(profile)]
        assert is_allowed(role, profile, area, action) is expected, (area, role, profile, action)


def test_role_grants() -> None:
    assert can_grant_role(Role.owner, Role.owner)
    assert not can_grant_role(Role.admin, Role.owner)
    assert can_grant_role(Role.admin, Role.admin)
    assert can_grant_role(Role.manager, Role.cashier)
    assert not can_grant_role(Role.manager, Role.admin)
    assert not can_grant_role(Role.cashier, Role.manager)


# Endpoints that exist now, with the (area, action) the matrix must enforce on them.
ENDPOINTS = [
    ("GET", "/api/v1/business", None, ("business", 0)),
    ("PUT", "/api/v1/business", {"phone": "+1 555 0100"}, ("business", 1)),
    ("GET", "/api/v1/users", None, ("users", 0)),
    ("GET", "/api/v1/users/invitations", None, ("invitations", 0)),
    ("GET", "/api/v1/api-keys", None, ("api_keys", 0)),
    ("GET", "/api/v1/audit-log", None, ("audit_log", 0)),
    ("GET", "/api/v1/locations", None, ("locations", 0)),
    ("POST", "/api/v1/locations", {"name": "Matrix {role}"}, ("locations", 1)),
    ("GET", "/api/v1/system/metrics", None, ("system", 0)),
    ("GET", "/api/v1/jobs", None, ("jobs", 0)),
    ("GET", "/api/v1/forecasts", None, ("forecasts", 0)),
    ("GET", "/api/v1/forecasts/models", None, ("forecasts", 0)),
    (
        "POST",
        "/api/v1/forecasts",
        {"name": "Matrix {role}", "target": "revenue", "method": "seasonal_naive"},
        ("forecasts", 1),
    ),
    ("GET", "/api/v1/sales/aggregate", None, ("analytics", 0)),
    ("GET", "/api/v1/analytics/items", None, ("analytics", 0)),
]


@pytest.fixture
async def staff(client: httpx.AsyncClient) -> dict[str, Account]:
    owner = await register(client)
    people = {"owner": owner}
    for role in (A, M, C, W, K, V):
        people[role] = await add_user(client, owner, role)
    return people


async def test_http_layer_walks_the_matrix(
    client: httpx.AsyncClient, staff: dict[str, Account]
) -> None:
    for method, path, body, (area, column) in ENDPOINTS:
        allowed = EXPECTED[area][column]
        for role, account in staff.items():
            payload = (
                {k: v.format(role=role) if isinstance(v, str) else v for k, v in body.items()}
                if body
                else None
            )
            response = await client.request(method, path, headers=account.headers, json=payload)
            if role in allowed:
                assert response.status_code in (200, 201), (method, path, role, response.text)
            else:
                assert response.status_code == 403, (method, path, role, response.text)
                assert response.json()["error"]["code"] == "FORBIDDEN"


async def test_kitchen_profile_reaches_me(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    server = await add_user(client, owner, W, kitchen_profile="kitchen_read")
    me = (await client.get("/api/v1/auth/me", headers=server.headers)).json()
    assert me["kitchen_profile"] == "kitchen_read"
    assert me["permissions"]["kitchen"] == ["read"]
    assert "orders" in me["permissions"]
