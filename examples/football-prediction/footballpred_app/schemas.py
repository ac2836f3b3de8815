"""Request and response bodies of the public API (the spec's contract)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field, field_validator

from .model import Outcome


class MatchRequest(BaseModel):
    home_team: str = Field(min_length=1, max_length=100, examples=["Arsenal"])
    away_team: str = Field(min_length=1, max_length=100, examples=["Chelsea"])
    match_date: datetime = Field(examples=["2024-12-25T15:00:00Z"])
    league: str | None = Field(default=None, max_length=50, examples=["Premier League"])

    @field_validator("home_team", "away_team", "league")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() if isinstance(value, str) else value

    @field_validator("match_date")
    @classmethod
    def _assume_utc(cls, value: datetime) -> datetime:
        # A date without an offset is read as UTC, so cache keys and rows are unambiguous.
        return value if value.tzinfo else value.replace(tzinfo=UTC)


class BatchRequest(BaseModel):
    matches: list[MatchRequest] = Field(min_length=1, max_length=50)


class MatchesQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=500)
    offset: int = Field(default=0, ge=0)
    league: str | None = None
    season: str | None = Field(default=None, examples=["2023-2024"])
    team: str | None = Field(default=None, description="matches where this team played")


class MatchOut(BaseModel):
    id: int
    league: str
    season: str
    match_date: datetime
    home_team: str
    away_team: str
    home_goals: int
    away_goals: int
    result: Outcome


class MatchesResponse(BaseModel):
    matches: list[MatchOut]
    total: int
    limit: int
    offset: int


class Probabilities(BaseModel):
    home_win: float
    draw: float
    away_win: float


class ExpectedGoals(BaseModel):
    home: float
    away: float


class PredictionOut(BaseModel):
    prediction_id: int
    request_id: str
    home_team: str
    away_team: str
    league: str
    match_date: datetime
    prediction: Outcome
    confidence: float
    probabilities: Probabilities
    expected_goals: ExpectedGoals
    most_likely_score: str
    model_name: str
    model_version: str
    cached: bool
    event_queued: bool
    created_at: datetime


class BatchResponse(BaseModel):
    predictions: list[PredictionOut]
    count: int
    model_version: str


class ModelVersionOut(BaseModel):
    name: str
    version: str
    stage: str
    aliases: list[str]
    status: str | None = None
    run_id: str | None = None
    source: str | None = None
    created_at: datetime | None = None
    trained_on_matches: int | None = None
    data_fingerprint: str | None = None
    metrics: dict[str, float] = {}
    serving: bool = Field(description="this version is the one the API predicts with")


class ModelsInfoResponse(BaseModel):
    models: list[ModelVersionOut]
    serving: dict[str, str | None] | None
    registry_uri: str


class ErrorResponse(BaseModel):
    error: str
    detail: object = None
