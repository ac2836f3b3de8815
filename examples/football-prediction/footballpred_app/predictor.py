"""Serving predictions: resolve teams, forecast (or hit the cache), store, publish."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import metrics
from .cache import cache_key
from .db import Prediction, Team, as_utc, utcnow
from .errors import ApiError
from .model_store import LoadedModel, ModelUnavailableError
from .schemas import MatchRequest
from .services import Services

log = logging.getLogger(__name__)


def resolve_teams(session: Session, names: set[str]) -> dict[str, Team]:
    """Case-insensitive lookup; unknown names are a client error listing all of them."""
    lowered = {name.lower() for name in names}
    found = session.scalars(select(Team).where(func.lower(Team.name).in_(lowered))).all()
    by_lower = {team.name.lower(): team for team in found}
    unknown = sorted(name for name in names if name.lower() not in by_lower)
    if unknown:
        raise ApiError(422, "unknown_team", f"unknown team(s): {', '.join(unknown)}")
    return {name: by_lower[name.lower()] for name in names}


def _check_fixture(index: int | None, request: MatchRequest, home: Team, away: Team,
                   loaded: LoadedModel) -> None:
    where = f"matches[{index}]: " if index is not None else ""
    if home.id == away.id:
        raise ApiError(422, "invalid_fixture", f"{where}a team cannot play itself ({home.name})")
    if request.league and request.league.lower() not in {home.league.lower(), away.league.lower()}:
        raise ApiError(422, "league_mismatch",
                       f"{where}{home.name} and {away.name} do not play in {request.league!r}")
    for team in (home, away):
        if not loaded.model.knows(team.name):
            raise ApiError(422, "unknown_team",
                           f"{where}model version {loaded.version} has no history for {team.name}")


def _forecast(loaded: LoadedModel, home: Team, away: Team) -> dict[str, Any]:
    forecast = loaded.model.predict(home.name, away.name)
    return {
        "prediction": forecast.prediction,
        "confidence": round(forecast.confidence, 4),
        "probabilities": {k: round(v, 4) for k, v in forecast.probabilities.items()},
        "expected_goals": {"home": round(forecast.expected_home_goals, 3),
                           "away": round(forecast.expected_away_goals, 3)},
        "most_likely_score": "{}-{}".format(*forecast.most_likely_score),
    }


def predict(services: Services, requests: list[MatchRequest], batch: bool) -> list[dict[str, Any]]:
    try:
        loaded = services.models.get()
    except ModelUnavailableError as exc:
        raise ApiError(503, "model_unavailable", str(exc)) from exc

    results: list[dict[str, Any]] = []
    with services.database.session() as session:
        teams = resolve_teams(session, {r.home_team for r in requests} | {r.away_team for r in requests})
        fixtures = [(r, teams[r.home_team], teams[r.away_team]) for r in requests]
        for index, (request, home, away) in enumerate(fixtures):
            _check_fixture(index if batch else None, request, home, away, loaded)

        rows: list[Prediction] = []
        for request, home, away in fixtures:
            league = request.league or home.league
            key = cache_key(loaded.version, home.name, away.name, request.match_date.isoformat(), league)
            payload = services.cache.get(key)
            cached = payload is not None
            if payload is None:
                payload = _forecast(loaded, home, away)
                services.cache.set(key, payload)
            row = Prediction(
                home_team_id=home.id,
                away_team_id=away.id,
                league=league,
                match_date=request.match_date,
                predicted_outcome=payload["prediction"],
                home_win_prob=payload["probabilities"]["home_win"],
                draw_prob=payload["probabilities"]["draw"],
                away_win_prob=payload["probabilities"]["away_win"],
                confidence=payload["confidence"],
                expected_home_goals=payload["expected_goals"]["home"],
                expected_away_goals=payload["expected_goals"]["away"],
                model_name=loaded.name,
                model_version=loaded.version,
                request_id=str(uuid.uuid4()),
                created_at=utcnow(),
            )
            session.add(row)
            rows.append(row)
            results.append({
                "home_team": home.name,
                "away_team": away.name,
                "league": league,
                "match_date": request.match_date,
                **payload,
                "model_name": loaded.name,
                "model_version": loaded.version,
                "cached": cached,
            })
        session.flush()
        for result, row in zip(results, rows, strict=True):
            result.update(prediction_id=row.id, request_id=row.request_id, created_at=row.created_at)

    # Publish only after the commit, so no event ever names a row that was rolled back.
    for result in results:
        result["event_queued"] = services.events.publish(_event(services, result), key=result["request_id"])
        metrics.PREDICTIONS.labels(outcome=result["prediction"], cached=str(result["cached"]).lower()).inc()
    return results


def _event(services: Services, result: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_type": "prediction.created",
        "event_id": str(uuid.uuid4()),
        "prediction_id": result["prediction_id"],
        "request_id": result["request_id"],
        "home_team": result["home_team"],
        "away_team": result["away_team"],
        "league": result["league"],
        "match_date": as_utc(result["match_date"]).isoformat(),
        "prediction": result["prediction"],
        "confidence": result["confidence"],
        "probabilities": result["probabilities"],
        "expected_goals": result["expected_goals"],
        "model_name": result["model_name"],
        "model_version": result["model_version"],
        "cached": result["cached"],
        "created_at": as_utc(result["created_at"]).isoformat(),
        "environment": services.settings.environment,
        "app_version": services.settings.app_version,
    }
