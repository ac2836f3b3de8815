"""HTTP endpoints. Handlers are sync: the clients underneath (SQLAlchemy, redis, kafka,
httpx) are blocking, and FastAPI runs sync handlers in its thread pool."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, or_, select

from . import predictor
from .db import Match, Team, as_utc
from .errors import ApiError
from .registry import MlflowError, version_tags
from .schemas import (
    BatchRequest,
    BatchResponse,
    ErrorResponse,
    MatchesQuery,
    MatchesResponse,
    MatchOut,
    MatchRequest,
    ModelsInfoResponse,
    ModelVersionOut,
    PredictionOut,
)
from .services import Services

router = APIRouter()
ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "invalid request (bad date, unknown team, ...)"},
    503: {"model": ErrorResponse, "description": "a dependency (model, database, registry) is unavailable"},
}


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def _inject_latency(services: Services) -> None:
    # Fault injection for rehearsal drills (FAULT_SLOW_MS); zero in normal operation.
    if services.settings.fault_slow_ms > 0:
        time.sleep(services.settings.fault_slow_ms / 1000)


@router.get("/health", tags=["ops"], responses={503: {"description": "a dependency is down"}})
def health(request: Request, services: ServicesDep) -> JSONResponse:
    settings = services.settings
    checks = services.check_health()
    healthy = all(check["status"] == "ok" for check in checks.values())
    loaded = services.models.current
    body: dict[str, Any] = {
        "status": "healthy" if healthy else "unhealthy",
        "version": settings.app_version,
        "git_commit": settings.git_commit,
        "build_date": settings.build_date,
        "environment": settings.environment,
        "timestamp": datetime.now(UTC).isoformat(),
        "uptime_s": round(time.monotonic() - request.app.state.started_at, 1),
        "checks": checks,
        "model": {"name": services.models.model_name, "loaded": loaded is not None,
                  "version": loaded.version if loaded else None,
                  "alias": loaded.alias if loaded else None,
                  "last_error": services.models.last_error},
    }
    if settings.fault_health_fail:
        body.update(status="unhealthy", fault_injected="FAULT_HEALTH_FAIL")
        healthy = False
    return JSONResponse(body, status_code=200 if healthy else 503)


@router.get("/metrics", tags=["ops"], include_in_schema=False)
def prometheus_metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/v1/models/info", tags=["models"], response_model=ModelsInfoResponse,
            responses={503: ERRORS[503]})
def models_info(services: ServicesDep) -> ModelsInfoResponse:
    registry, name = services.registry, services.settings.model_name
    try:
        registered = registry.get_registered_model(name)
        versions = registry.search_versions(name) if registered else []
    except MlflowError as exc:
        raise ApiError(503, "registry_unavailable", str(exc)) from exc

    aliases_by_version: dict[str, list[str]] = {}
    for entry in (registered or {}).get("aliases", []):
        aliases_by_version.setdefault(str(entry["version"]), []).append(entry["alias"])
    loaded = services.models.current
    models = []
    for version in versions[:20]:
        tags = version_tags(version)
        number = str(version["version"])
        models.append(ModelVersionOut(
            name=version["name"],
            version=number,
            stage=version.get("current_stage", "None"),
            aliases=sorted(set(version.get("aliases", [])) | set(aliases_by_version.get(number, []))),
            status=version.get("status"),
            run_id=version.get("run_id"),
            source=version.get("source"),
            created_at=datetime.fromtimestamp(int(version["creation_timestamp"]) / 1000, UTC)
            if version.get("creation_timestamp") else None,
            trained_on_matches=int(tags["trained_on_matches"]) if "trained_on_matches" in tags else None,
            data_fingerprint=tags.get("data_fingerprint"),
            metrics={k: float(v) for k, v in tags.items() if k.startswith("train_")},
            serving=loaded is not None and loaded.version == number,
        ))
    serving = {"name": loaded.name, "version": loaded.version, "alias": loaded.alias,
               "run_id": loaded.run_id} if loaded else None
    return ModelsInfoResponse(models=models, serving=serving, registry_uri=registry.tracking_uri)


@router.post("/api/v1/models/reload", tags=["models"], responses={503: ERRORS[503]})
def reload_model(services: ServicesDep) -> dict[str, Any]:
    """Load the version the registry alias (else the latest version) points to now."""
    try:
        loaded = services.models.load()
    except Exception as exc:
        raise ApiError(503, "model_unavailable", str(exc)) from exc
    return {"name": loaded.name, "version": loaded.version, "alias": loaded.alias, "run_id": loaded.run_id}


@router.post("/api/v1/data/matches", tags=["data"], response_model=MatchesResponse, responses=ERRORS)
def list_matches(services: ServicesDep, query: MatchesQuery | None = None) -> MatchesResponse:
    query = query or MatchesQuery()  # the body is optional: no body means the defaults
    conditions = []
    if query.league:
        conditions.append(func.lower(Match.league) == query.league.lower())
    if query.season:
        conditions.append(Match.season == query.season)
    if query.team:
        team_ids = select(Team.id).where(func.lower(Team.name) == query.team.lower())
        conditions.append(or_(Match.home_team_id.in_(team_ids), Match.away_team_id.in_(team_ids)))
    with services.database.session() as session:
        total = session.scalar(select(func.count(Match.id)).where(*conditions)) or 0
        rows = session.scalars(
            select(Match).where(*conditions)
            .order_by(Match.match_date.desc(), Match.id.desc())
            .limit(query.limit).offset(query.offset)
        ).all()
        matches = [MatchOut(
            id=m.id, league=m.league, season=m.season,
            match_date=as_utc(m.match_date),
            home_team=m.home_team.name, away_team=m.away_team.name,
            home_goals=m.home_goals, away_goals=m.away_goals, result=m.result,
        ) for m in rows]
    return MatchesResponse(matches=matches, total=total, limit=query.limit, offset=query.offset)


@router.post("/api/v1/predictions/match", tags=["predictions"], response_model=PredictionOut,
             responses=ERRORS)
def predict_match(match: MatchRequest, services: ServicesDep) -> dict[str, Any]:
    _inject_latency(services)
    return predictor.predict(services, [match], batch=False)[0]


@router.post("/api/v1/predictions/match/batch", tags=["predictions"], response_model=BatchResponse,
             responses=ERRORS)
def predict_batch(batch: BatchRequest, services: ServicesDep) -> dict[str, Any]:
    _inject_latency(services)
    predictions = predictor.predict(services, batch.matches, batch=True)
    return {"predictions": predictions, "count": len(predictions),
            "model_version": predictions[0]["model_version"]}

