"""Business settings and locations."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import add_user, assert_error, register


async def test_get_and_update_business(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    current = await client.get("/api/v1/business", headers=owner.headers)
    assert current.status_code == 200
    assert current.json()["timezone"] == "UTC"
    response = await client.put(
        "/api/v1/business",
        headers=owner.headers,
        json={
            "name": "Renamed Trattoria",
            "tax_rate": "8.875",
            "currency": "eur",
            "timezone": "Europe/Rome",
            "day_cutoff_hour": 4,
            "type": "restaurant",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["currency"] == "EUR"
    assert body["timezone"] == "Europe/Rome"
    assert body["day_cutoff_hour"] == 4
    assert body["tax_rate"] == 8.875
    audit = await client.get(
        "/api/v1/audit-log", headers=owner.headers, params={"action": "business.updated"}
    )
    assert audit.json()["items"][0]["details"]["after"]["timezone"] == "Europe/Rome"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "Mars/Olympus_Mons"),
        ("currency", "EURO"),
        ("currency", "kwd"),  # three decimals: amounts are kept to two
        ("tax_rate", "-1"),
        ("tax_rate", "101"),
        ("tax_rate", "8.87501"),
        ("day_cutoff_hour", 24),
        ("slug", "Not A Slug"),
        ("type", "spaceship"),
        # Settings every sale and report reads cannot be cleared.
        ("name", None),
        ("slug", None),
        ("type", None),
        ("tax_rate", None),
        ("currency", None),
        ("timezone", None),
        ("day_cutoff_hour", None),
        ("allow_negative_stock", None),
    ],
)
async def test_business_rejects_bad_values(
    client: httpx.AsyncClient, field: str, value: object
) -> None:
    owner = await register(client)
    response = await client.put("/api/v1/business", headers=owner.headers, json={field: value})
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == field


async def test_slug_must_be_unique(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    other = await register(client)
    response = await client.put(
        "/api/v1/business", headers=owner.headers, json={"slug": other.business_slug}
    )
    error = assert_error(response, 409, "DUPLICATE_ENTRY")
    assert error["details"][0]["field"] == "slug"


async def test_business_settings_roles(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    manager = await add_user(client, owner, "manager")
    admin = await add_user(client, owner, "admin")
    assert_error(await client.get("/api/v1/business", headers=manager.headers), 403, "FORBIDDEN")
    response = await client.put(
        "/api/v1/business", headers=admin.headers, json={"name": "By Admin"}
    )
    assert response.status_code == 200


async def test_locations_crud(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    cashier = await add_user(client, owner, "cashier")
    created = await client.post(
        "/api/v1/locations",
        headers=owner.headers,
        json={"name": "Central Kitchen", "type": "central_kitchen", "address": "1 Dock Rd"},
    )
    assert created.status_code == 201, created.text
    location = created.json()
    duplicate = await client.post(
        "/api/v1/locations", headers=owner.headers, json={"name": "Central Kitchen"}
    )
    assert_error(duplicate, 409, "DUPLICATE_ENTRY")
    bad_type = await client.post(
        "/api/v1/locations", headers=owner.headers, json={"name": "X", "type": "garage"}
    )
    assert_error(bad_type, 422, "VALIDATION_ERROR")
    # Everyone reads locations; only owner/admin write.
    listing = await client.get(
        "/api/v1/locations", headers=cashier.headers, params={"type": "central_kitchen"}
    )
    assert [loc["id"] for loc in listing.json()["items"]] == [location["id"]]
    forbidden = await client.post(
        "/api/v1/locations", headers=cashier.headers, json={"name": "Nope"}
    )
    assert_error(forbidden, 403, "FORBIDDEN")
    updated = await client.put(
        f"/api/v1/locations/{location['id']}", headers=owner.headers, json={"name": "Commissary"}
    )
    assert updated.json()["name"] == "Commissary"
    assert updated.json()["type"] == "central_kitchen"
    deleted = await client.delete(f"/api/v1/locations/{location['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    active = await client.get("/api/v1/locations", headers=owner.headers)
    assert location["id"] not in [loc["id"] for loc in active.json()["items"]]
    everything = await client.get(
        "/api/v1/locations", headers=owner.headers, params={"include_inactive": True}
    )
    assert location["id"] in [loc["id"] for loc in everything.json()["items"]]


async def test_other_business_location_is_not_found(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    stranger = await register(client)
    theirs = (await client.get("/api/v1/locations", headers=stranger.headers)).json()["items"][0]
    for method in ("GET", "PATCH", "PUT", "DELETE"):
        response = await client.request(
            method,
            f"/api/v1/locations/{theirs['id']}",
            headers=owner.headers,
            json={"name": "Hijack"} if method in ("PATCH", "PUT") else None,
        )
        assert_error(response, 404, "NOT_FOUND")
    still = await client.get(f"/api/v1/locations/{theirs['id']}", headers=stranger.headers)
    assert still.json()["name"] != "Hijack"
    assert still.json()["is_active"] is True
