"""Fixtures: the real app and real SQL (SQLite), with Redis, Kafka and MLflow replaced by fakes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fake_mlflow import FakeMlflow
from fastapi.testclient import TestClient

from footballpred_app.app import create_app
from footballpred_app.config import Settings
from footballpred_app.db import Base, Database
from footballpred_app.events import PublisherStats
from footballpred_app.model_store import ModelStore
from footballpred_app.registry import RegistryClient
from footballpred_app.seed import seed_database
from footballpred_app.services import Services
from footballpred_app.train import train_and_register


class FakeCache:
    def __init__(self) -> None:
        self.store: dict[str, dict[str, Any]] = {}
        self.down = False

    def get(self, key: str) -> dict[str, Any] | None:
        return None if self.down else self.store.get(key)

    def set(self, key: str, value: dict[str, Any]) -> None:
        if not self.down:
            self.store[key] = value

    def ping(self) -> str:
        if self.down:
            raise ConnectionError("redis down")
        return "7.0-fake"

    def close(self) -> None:
        pass


class FakeEvents:
    FAILURE_WINDOW_S = 60.0

    def __init__(self, topic: str = "prediction-events") -> None:
        self.topic = topic
        self.published: list[tuple[str, dict[str, Any]]] = []
        self.stats = PublisherStats()
        self.down = False

    def publish(self, event: dict[str, Any], key: str) -> bool:
        if self.down:
            self.stats.failed += 1
            return False
        self.published.append((key, event))
        self.stats.queued += 1
        return True

    def ping(self) -> dict[str, Any]:
        if self.down:
            raise ConnectionError("no broker")
        return {"topic": self.topic, "partitions": 1}

    def close(self) -> None:
        pass


TEST_SETTINGS = Settings(
    database_url="sqlite://",
    environment="test",
    app_version="9.9.9-test",
    git_commit="abc1234",
    build_date="2024-01-01T00:00:00Z",
    health_check_timeout_s=1.0,
)


@pytest.fixture
def settings() -> Settings:
    return TEST_SETTINGS


@pytest.fixture
def database() -> Iterator[Database]:
    db = Database("sqlite://")
    Base.metadata.create_all(db.engine)
    with db.session() as session:
        seed_database(session)
    yield db
    db.dispose()


@pytest.fixture
def fake_mlflow() -> FakeMlflow:
    return FakeMlflow()


@pytest.fixture
def registry(fake_mlflow: FakeMlflow) -> Iterator[RegistryClient]:
    client = RegistryClient("http://mlflow.test", transport=fake_mlflow.transport())
    yield client
    client.close()


@pytest.fixture
def trained(settings: Settings, database: Database, registry: RegistryClient) -> dict[str, Any]:
    return train_and_register(settings, database, registry)


def make_services(settings: Settings, database: Database, registry: RegistryClient) -> Services:
    return Services(
        settings=settings,
        database=database,
        cache=FakeCache(),  # type: ignore[arg-type]
        events=FakeEvents(),  # type: ignore[arg-type]
        registry=registry,
        models=ModelStore(registry, settings.model_name, settings.model_alias),
    )


@pytest.fixture
def services(settings: Settings, database: Database, registry: RegistryClient, trained: dict) -> Services:
    svc = make_services(settings, database, registry)
    svc.models.load()
    return svc


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=services)) as test_client:
        yield test_client


@pytest.fixture
def client_factory(database: Database, registry: RegistryClient, trained: dict):
    """A client whose settings differ from the defaults (fault injection etc.)."""
    def build(**overrides: Any) -> tuple[TestClient, Services]:
        svc = make_services(replace(TEST_SETTINGS, **overrides), database, registry)
        svc.models.load()
        return TestClient(create_app(services=svc)), svc
    return build
