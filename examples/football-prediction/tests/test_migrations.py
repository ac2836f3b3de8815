"""Alembic migrations build the schema the ORM expects; football-migrate is idempotent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from footballpred_app import migrate
from footballpred_app.db import Base


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'migrations.db'}"


def test_upgrade_head_matches_the_orm_schema(sqlite_url: str) -> None:
    command.upgrade(migrate.alembic_config(sqlite_url), "head")
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    inspector = inspect(engine)
    assert {"teams", "matches", "predictions", "alembic_version"} <= set(inspector.get_table_names())
    assert {ix["name"] for ix in inspector.get_indexes("predictions")} >= {
        "ix_predictions_created_at", "ix_predictions_teams"}
    engine.dispose()


def test_downgrade_removes_the_tables(sqlite_url: str) -> None:
    config = migrate.alembic_config(sqlite_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = create_engine(sqlite_url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()


def test_football_migrate_twice(sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    assert migrate.main([]) == 0
    first = json.loads(capsys.readouterr().out)
    assert migrate.main([]) == 0
    second = json.loads(capsys.readouterr().out)
    assert first["matches_added"] == 292 and first["teams_added"] == 26
    assert second["matches_added"] == 0 and second["teams_added"] == 0
