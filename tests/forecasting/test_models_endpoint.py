"""GET /forecasts/models and GET /forecasts/{id}/feature-importance."""

from __future__ import annotations

import httpx
import pytest

from tableside.forecasting.engine import registry
from tests.factories import assert_error
from tests.forecasting.conftest import FORECASTS, Bistro


async def test_every_method_is_listed_with_its_latest_metrics(
    bistro: Bistro, client: httpx.AsyncClient
) -> None:
    headers = bistro.owner.headers
    before = (await client.get(f"{FORECASTS}/models", headers=headers)).json()
    names = [m["name"] for m in before["items"]]
    assert names == list(registry.METHODS) and before["total"] == len(names)
    for expected in ("seasonal_naive", "exp_smoothing", "arima", "theta", "mstl",
                     "intermittent", "linear_trend", "gradient_boosting", "random_forest",
                     "prophet", "ensemble", "best"):  # fmt: skip
        assert expected in names
    by_name = {m["name"]: m for m in before["items"]}
    assert by_name["gradient_boosting"]["tree_model"] is True
    assert "lightgbm" in by_name["gradient_boosting"]["aliases"]
    assert by_name["seasonal_naive"]["available"] is True
    assert by_name["prophet"]["available"] is registry.is_available("prophet")
    assert by_name["seasonal_naive"]["runs"] == 0
    assert by_name["seasonal_naive"]["last_trained_at"] is None
    assert by_name["seasonal_naive"]["test_metrics"] is None

    forecast = await bistro.create(scope="location", horizon=7)
    trained = (await bistro.predict(forecast["id"])).json()
    listed = (await client.get(f"{FORECASTS}/models", headers=headers)).json()["items"]
    after = {m["name"]: m for m in listed}
    entry = after["seasonal_naive"]
    assert entry["runs"] == 1 and entry["last_trained_at"] == trained["generated_at"]
    assert entry["test_metrics"]["mase"] is not None and entry["test_metrics"]["grade"]
    assert after["theta"]["runs"] == 0


async def test_feature_importance(bistro: Bistro, client: httpx.AsyncClient) -> None:
    headers = bistro.owner.headers
    naive = await bistro.create(scope="location", horizon=7)
    response = await client.get(f"{FORECASTS}/{naive['id']}/feature-importance", headers=headers)
    error = assert_error(response, 409, "NOT_A_TREE_MODEL")
    assert "gradient_boosting" in error["message"]

    trees = await bistro.create(
        target="item_units",
        scope="item",
        item_skus=["PIZ", "PAS"],
        method="lightgbm",
        horizon=7,
        training_config={"params": {"num_threads": 1}},
    )
    assert trees["method"] == "gradient_boosting"
    path = f"{FORECASTS}/{trees['id']}/feature-importance"
    assert_error(await client.get(path, headers=headers), 409, "NOT_TRAINED")
    predicted = await bistro.predict(trees["id"])
    assert predicted.status_code == 200, predicted.text
    body = (await client.get(path, headers=headers)).json()
    assert body["method"] == "gradient_boosting" and body["model_version"] == 1
    features = body["features"]
    # Competition ranking: a feature's rank is 1 + the number of features strictly ahead.
    for feature in features:
        ahead = sum(other["importance"] > feature["importance"] for other in features)
        assert feature["rank"] == ahead + 1
    assert sum(f["importance"] for f in features) == pytest.approx(1, abs=1e-3)
    importances = [f["importance"] for f in features]
    assert importances == sorted(importances, reverse=True)
