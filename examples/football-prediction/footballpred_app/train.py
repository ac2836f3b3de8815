"""`football-train`: fit the Poisson model on the match history and register it in MLflow."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from . import model as poisson
from .config import Settings
from .db import Database, Match, as_utc
from .logging_setup import configure_logging
from .model_store import MODEL_ARTIFACT_DIR, PARAMS_ARTIFACT
from .registry import RegistryClient, version_tags

log = logging.getLogger("footballpred_app.train")

FIT_ITERATIONS = 200
FIT_PRIOR_GOALS = 2.0


def fit(history: list[poisson.MatchRecord]) -> poisson.PoissonModel:
    return poisson.fit(history, iterations=FIT_ITERATIONS, prior_goals=FIT_PRIOR_GOALS)


def load_history(database: Database) -> list[poisson.MatchRecord]:
    with database.session() as session:
        matches = session.scalars(select(Match).order_by(Match.match_date, Match.id)).all()
        return [
            poisson.MatchRecord(
                league=m.league,
                season=m.season,
                match_date=as_utc(m.match_date).isoformat(),
                home_team=m.home_team.name,
                away_team=m.away_team.name,
                home_goals=m.home_goals,
                away_goals=m.away_goals,
            )
            for m in matches
        ]


def holdout_metrics(history: list[poisson.MatchRecord]) -> dict[str, float]:
    """Fit on all seasons but the last and score the last one: the honest number."""
    seasons = sorted({m.season for m in history})
    if len(seasons) < 2:
        return {}
    train = [m for m in history if m.season != seasons[-1]]
    test = [m for m in history if m.season == seasons[-1]]
    fitted = fit(train)
    scores = poisson.evaluate(fitted, test)
    return {f"holdout_{k}": v for k, v in scores.items()}


def train_and_register(settings: Settings, database: Database, registry: RegistryClient,
                       force: bool = False) -> dict[str, Any]:
    history = load_history(database)
    if not history:
        raise SystemExit("no matches in the database: run football-migrate first")
    fingerprint = poisson.data_fingerprint(history)
    name = settings.model_name

    registry.ensure_registered_model(name, "Poisson goals model for football match outcomes")
    if not force:
        for version in registry.search_versions(name):
            if version_tags(version).get("data_fingerprint") == fingerprint:
                version_id = str(version["version"])
                # Leave a deliberately moved alias alone; only fill it in when it is missing.
                promoted = registry.get_version_by_alias(name, settings.model_alias) is None
                if promoted:
                    _promote(registry, settings, version_id)
                return {"action": "skipped", "reason": "a version trained on this data exists",
                        "name": name, "version": version_id, "alias_set": promoted,
                        "data_fingerprint": fingerprint}

    fitted = fit(history)
    metrics = {f"train_{k}": v for k, v in poisson.evaluate(fitted, history).items()}
    metrics.update(holdout_metrics(history))
    seasons = sorted({m.season for m in history})
    fitted.meta = {
        "model_type": "poisson_attack_defence",
        "data_fingerprint": fingerprint,
        "trained_on_matches": len(history),
        "seasons": seasons,
        "trained_at": datetime.now(UTC).isoformat(),
    }

    experiment_id = registry.get_or_create_experiment(name)
    run = registry.create_run(experiment_id, f"poisson-{fingerprint[:8]}", {
        "mlflow.source.name": "football-train",
        "data_fingerprint": fingerprint,
        "environment": settings.environment,
        "app_version": settings.app_version,
    })
    run_id = run["info"]["run_id"]
    try:
        registry.log_batch(run_id, params={
            "model_type": "poisson_attack_defence",
            "iterations": str(FIT_ITERATIONS),
            "prior_goals": str(FIT_PRIOR_GOALS),
            "teams": str(len(fitted.attack)),
            "leagues": ",".join(sorted(fitted.league_base)),
            "seasons": ",".join(seasons),
            "trained_on_matches": str(len(history)),
        }, metrics=metrics)
        artifact_dir = f"{run['info']['artifact_uri']}/{MODEL_ARTIFACT_DIR}"
        registry.upload_artifact(artifact_dir, PARAMS_ARTIFACT,
                                 json.dumps(fitted.to_dict(), indent=2, sort_keys=True).encode())
        registry.finish_run(run_id)
    except Exception:
        registry.finish_run(run_id, status="FAILED")
        raise

    version = registry.create_model_version(name, artifact_dir, run_id, tags={
        "data_fingerprint": fingerprint,
        "trained_on_matches": str(len(history)),
        "model_type": "poisson_attack_defence",
        "train_log_loss": f"{metrics['train_log_loss']:.4f}",
        "train_accuracy": f"{metrics['train_accuracy']:.4f}",
    }, description=f"Poisson model fitted on {len(history)} matches ({', '.join(seasons)})")
    version_id = str(version["version"])
    _promote(registry, settings, version_id)
    return {"action": "registered", "name": name, "version": version_id, "run_id": run_id,
            "data_fingerprint": fingerprint, "trained_on_matches": len(history),
            "metrics": {k: round(v, 4) for k, v in metrics.items()}}


def _promote(registry: RegistryClient, settings: Settings, version: str) -> None:
    registry.transition_stage(settings.model_name, version, "Staging")
    registry.set_alias(settings.model_name, settings.model_alias, version)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="football-train", description=__doc__)
    parser.add_argument("--force", action="store_true",
                        help="register a new version even if one was trained on the same data")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    database = Database(settings.database_url)
    registry = RegistryClient(settings.mlflow_tracking_uri, timeout_s=30.0)
    try:
        summary = train_and_register(settings, database, registry, force=args.force)
    finally:
        registry.close()
        database.dispose()
    log.info("train %s: model %s version %s", summary["action"], summary["name"], summary["version"])
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
