"""football-train against the fake MLflow: registration, idempotence, loading it back."""

from __future__ import annotations

import json

import pytest

from footballpred_app.model_store import ModelStore, ModelUnavailableError
from footballpred_app.registry import MlflowError, RegistryClient, artifact_path, version_tags
from footballpred_app.train import train_and_register


def test_training_registers_a_staged_aliased_version(settings, database, registry, fake_mlflow) -> None:
    summary = train_and_register(settings, database, registry)
    assert summary["action"] == "registered" and summary["version"] == "1"
    assert summary["trained_on_matches"] == 292
    assert summary["metrics"]["holdout_log_loss"] < summary["metrics"]["holdout_baseline_log_loss"]

    [version] = registry.search_versions(settings.model_name)
    assert version["current_stage"] == "Staging"
    assert registry.get_version_by_alias(settings.model_name, "staging")["version"] == "1"
    assert version_tags(version)["data_fingerprint"] == summary["data_fingerprint"]

    run = fake_mlflow.runs[summary["run_id"]]
    assert run["info"]["status"] == "FINISHED"
    assert {p["key"] for p in run["data"]["params"]} >= {"model_type", "prior_goals", "trained_on_matches"}
    assert {m["key"] for m in run["data"]["metrics"]} >= {"train_log_loss", "holdout_accuracy"}
    [artifact] = [k for k in fake_mlflow.artifacts if k.endswith("model/poisson_params.json")]
    params = json.loads(fake_mlflow.artifacts[artifact])
    assert set(params["attack"]) >= {"Arsenal", "PSG", "Bayern Munich"}
    assert params["meta"]["data_fingerprint"] == summary["data_fingerprint"]


def test_retraining_on_the_same_data_is_skipped_unless_forced(settings, database, registry) -> None:
    train_and_register(settings, database, registry)
    skipped = train_and_register(settings, database, registry)
    assert skipped["action"] == "skipped" and skipped["version"] == "1"
    assert skipped["alias_set"] is False
    assert len(registry.search_versions(settings.model_name)) == 1
    forced = train_and_register(settings, database, registry, force=True)
    assert forced["action"] == "registered" and forced["version"] == "2"
    assert registry.get_version_by_alias(settings.model_name, "staging")["version"] == "2"


def test_model_store_loads_the_aliased_version(settings, database, registry) -> None:
    train_and_register(settings, database, registry)
    train_and_register(settings, database, registry, force=True)
    registry.set_alias(settings.model_name, "staging", "1")
    loaded = ModelStore(registry, settings.model_name, "staging").load()
    assert (loaded.version, loaded.alias) == ("1", "staging")
    assert loaded.model.predict("Arsenal", "Chelsea").prediction in {"home_win", "draw", "away_win"}


def test_model_store_falls_back_to_the_latest_version(settings, database, registry) -> None:
    train_and_register(settings, database, registry)
    train_and_register(settings, database, registry, force=True)
    loaded = ModelStore(registry, settings.model_name, "no-such-alias").load()
    assert (loaded.version, loaded.alias) == ("2", None)


def test_model_store_without_a_model_raises_and_rate_limits(registry, fake_mlflow) -> None:
    store = ModelStore(registry, "football-match-predictor", "staging")
    with pytest.raises(ModelUnavailableError):
        store.get()
    calls = len(fake_mlflow.calls)
    with pytest.raises(ModelUnavailableError):
        store.get()
    assert len(fake_mlflow.calls) == calls  # the second miss did not ask the registry again


def test_training_an_empty_database_stops_with_a_message(settings, registry) -> None:
    from footballpred_app.db import Base, Database

    empty = Database("sqlite://")
    Base.metadata.create_all(empty.engine)
    with pytest.raises(SystemExit, match="football-migrate"):
        train_and_register(settings, empty, registry)


@pytest.mark.parametrize("uri, path", [
    ("mlflow-artifacts:/1/abc/artifacts", "1/abc/artifacts"),
    ("mlflow-artifacts://127.0.0.1:5001/1/abc/artifacts/model", "1/abc/artifacts/model"),
])
def test_artifact_path(uri: str, path: str) -> None:
    assert artifact_path(uri) == path


def test_artifact_path_refuses_non_proxied_stores() -> None:
    with pytest.raises(MlflowError, match="serve-artifacts"):
        artifact_path("file:///mlruns/1/abc/artifacts")


def test_registry_errors_carry_mlflow_error_codes(fake_mlflow) -> None:
    client = RegistryClient("http://mlflow.test", transport=fake_mlflow.transport())
    assert client.get_registered_model("absent") is None
    with pytest.raises(MlflowError) as raised:
        client.create_model_version("absent", "mlflow-artifacts:/x", "run", {})
    assert (raised.value.status_code, raised.value.error_code) == (404, "RESOURCE_DOES_NOT_EXIST")
    fake_mlflow.down = True
    with pytest.raises(MlflowError):
        client.ping()
