"""Training configurations the engine refuses are refused when the definition is saved, and
method aliases that choose a variant keep it."""

from __future__ import annotations

import uuid

import httpx

from tableside.db.database import Database
from tests.factories import assert_error
from tests.factories.ledger import create_shop
from tests.forecasting.conftest import FORECASTS, Bistro


async def test_a_configuration_the_engine_refuses_is_refused_on_save(
    client: httpx.AsyncClient, database: Database
) -> None:
    shop = Bistro(shop=await create_shop(client, database, timezone="UTC"), client=client)
    headers = shop.owner.headers

    async def post(method: str = "seasonal_naive", **config: object) -> httpx.Response:
        body = {"name": f"F {uuid.uuid4().hex[:6]}", "target": "revenue", "method": method,
                "training_config": config}  # fmt: skip
        return await client.post(FORECASTS, headers=headers, json=body)

    error = assert_error(await post(params={"bogus": 1}), 422, "INVALID_CONFIG")
    assert error["details"][0]["field"] == "training_config.params"
    assert "bogus" in error["message"]
    error = assert_error(await post("moving_average", params={"window": 0}), 422, "INVALID_CONFIG")
    assert "window" in error["message"]
    error = assert_error(await post(params={"min_history": "x"}), 422, "INVALID_CONFIG")
    error = assert_error(await post("linear_trend", country="XX"), 422, "INVALID_CONFIG")
    assert error["details"][0]["field"] == "training_config.country"
    assert_error(await post(country="US", subdivision="ZZ"), 422, "INVALID_CONFIG")
    listed = await client.get(FORECASTS, headers=headers)
    assert listed.json()["total"] == 0
    assert (await post("moving_average", params={"window": 3}, country="US")).status_code == 201

    # A change the engine refuses changes nothing.
    forecast = await shop.create(method="exp_smoothing")
    patched = await client.patch(
        f"{FORECASTS}/{forecast['id']}",
        headers=headers,
        json={"training_config": {"params": {"damped": "sometimes", "bogus": 2}}},
    )
    assert_error(patched, 422, "INVALID_CONFIG")
    theta = {"method": "theta", "training_config": {"params": {"damped": True}}}
    assert_error(
        await client.patch(f"{FORECASTS}/{forecast['id']}", headers=headers, json=theta),
        422,
        "INVALID_CONFIG",
    )
    stored = (await client.get(f"{FORECASTS}/{forecast['id']}", headers=headers)).json()
    assert (
        stored["method"] == "exp_smoothing"
        and stored["training_config"] == forecast["training_config"]
    )

    # The ad-hoc requests too: no job, no definition.
    generate = await client.post(
        f"{FORECASTS}/generate", headers=headers, json={"parameters": {"bogus": 1}}
    )
    assert_error(generate, 422, "INVALID_CONFIG")
    assert (await client.get(FORECASTS, headers=headers)).json()["total"] == 2
    jobs = await client.get("/api/v1/jobs", headers=headers)
    assert [job for job in jobs.json()["items"] if job["kind"] == "forecasting.retrain"] == []


async def test_an_alias_keeps_the_variant_it_names(
    bistro: Bistro, client: httpx.AsyncClient
) -> None:
    forecast = await bistro.create(
        target="item_units", scope="item", item_skus=["TIR"], method="tsb", horizon=7
    )
    assert forecast["method"] == "intermittent"
    assert forecast["training_config"]["params"] == {"variant": "tsb"}
    response = await bistro.predict(forecast["id"])
    assert response.status_code == 200, response.text
    runs = await client.get(f"{FORECASTS}/{forecast['id']}/runs", headers=bistro.owner.headers)
    chosen = runs.json()["items"][0]["parameters"]["engine"]["chosen_variant"]
    assert chosen and set(chosen.values()) == {"tsb"}

    # Parameters sent with the alias win over the variant it names.
    explicit = await bistro.create(
        target="item_units", scope="item", item_skus=["TIR"], method="croston",
        training_config={"params": {"variant": "adida"}},
    )  # fmt: skip
    assert explicit["training_config"]["params"] == {"variant": "adida"}

    # The ad-hoc requests keep it too, and a request with the plain method is another one.
    for method in ("tsb", "intermittent"):
        response = await client.post(
            f"{FORECASTS}/generate",
            headers=bistro.owner.headers,
            json={"item_skus": ["TIR"], "method": method, "horizon_days": 7},
        )
        assert response.status_code == 202, response.text
    listed = await client.get(
        FORECASTS, headers=bistro.owner.headers, params={"is_active": "false"}
    )
    params = sorted(str(f["training_config"]["params"]) for f in listed.json()["items"])
    assert params == ["{'variant': 'tsb'}", "{}"]


async def test_changing_the_method_drops_the_variant_an_alias_chose(
    bistro: Bistro, client: httpx.AsyncClient
) -> None:
    """The variant that `tsb` or `croston` chose belongs to that alias: switching the method
    replaces it (another alias) or drops it (another method) instead of refusing the change
    with a parameter the owner never set, or keeping the old variant under the new name."""
    forecast = await bistro.create(
        target="item_units", scope="item", item_skus=["TIR"], method="tsb", horizon=7
    )
    path = f"{FORECASTS}/{forecast['id']}"
    headers = bistro.owner.headers

    async def patch(method: str) -> dict[str, object]:
        response = await client.patch(path, headers=headers, json={"method": method})
        assert response.status_code == 200, response.text
        return dict(response.json())

    croston = await patch("croston")
    assert croston["method"] == "intermittent"
    assert croston["training_config"]["params"] == {"variant": "croston_sba"}
    best = await patch("best")
    assert best["method"] == "best" and best["training_config"]["params"] == {}
    assert (await patch("tsb"))["training_config"]["params"] == {"variant": "tsb"}
    # The plain name, as on create: the variant chosen per series.
    assert (await patch("intermittent"))["training_config"]["params"] == {}
    # A variant set by hand is the owner's: kept, and refused by a method without variants.
    explicit = {"method": "intermittent", "training_config": {"params": {"variant": "adida"}}}
    assert (await client.patch(path, headers=headers, json=explicit)).status_code == 200
    assert_error(
        await client.patch(path, headers=headers, json={"method": "theta"}), 422, "INVALID_CONFIG"
    )
