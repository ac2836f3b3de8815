"""Database schema (mirrors the Alembic migrations) and engine/session handling."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    create_engine,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker
from sqlalchemy.pool import StaticPool

from .model import Outcome, outcome


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """In UTC whatever the session time zone; SQLite hands back naive datetimes (stored as UTC)."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    league: Mapped[str] = mapped_column(String(50), nullable=False)
    country: Mapped[str] = mapped_column(String(50), nullable=False)


class Match(Base):
    __tablename__ = "matches"
    __table_args__ = (
        # One fixture per pairing and season: this is what makes the seed idempotent.
        UniqueConstraint("season", "home_team_id", "away_team_id", name="uq_matches_season_pairing"),
        Index("ix_matches_match_date", "match_date"),
        Index("ix_matches_league_season", "league", "season"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    league: Mapped[str] = mapped_column(String(50), nullable=False)
    season: Mapped[str] = mapped_column(String(9), nullable=False)
    match_date: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    home_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), nullable=False)
    away_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), nullable=False)
    home_goals: Mapped[int] = mapped_column(Integer, nullable=False)
    away_goals: Mapped[int] = mapped_column(Integer, nullable=False)

    home_team: Mapped[Team] = relationship(foreign_keys=[home_team_id], lazy="joined")
    away_team: Mapped[Team] = relationship(foreign_keys=[away_team_id], lazy="joined")

    @property
    def result(self) -> Outcome:
        return outcome(self.home_goals, self.away_goals)


class Prediction(Base):
    __tablename__ = "predictions"
    __table_args__ = (
        Index("ix_predictions_created_at", "created_at"),
        Index("ix_predictions_teams", "home_team_id", "away_team_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    home_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), nullable=False)
    away_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), nullable=False)
    league: Mapped[str | None] = mapped_column(String(50))
    match_date: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    predicted_outcome: Mapped[str] = mapped_column(String(10), nullable=False)
    home_win_prob: Mapped[float] = mapped_column(Float, nullable=False)
    draw_prob: Mapped[float] = mapped_column(Float, nullable=False)
    away_win_prob: Mapped[float] = mapped_column(Float, nullable=False)
    confidence: Mapped[float] = mapped_column(Float, nullable=False)
    expected_home_goals: Mapped[float] = mapped_column(Float, nullable=False)
    expected_away_goals: Mapped[float] = mapped_column(Float, nullable=False)
    model_name: Mapped[str] = mapped_column(String(100), nullable=False)
    model_version: Mapped[str] = mapped_column(String(20), nullable=False)
    request_id: Mapped[str] = mapped_column(String(36), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class Database:
    """Owns the engine; hands out sessions and answers health pings."""

    def __init__(self, url: str, connect_timeout_s: int = 2) -> None:
        self.url = url
        self.engine: Engine = _make_engine(url, connect_timeout_s)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except Exception:
                session.rollback()
                raise

    def ping(self) -> str:
        """Round trip to the server; returns the server version string."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            if self.engine.dialect.name == "postgresql":
                return str(conn.execute(text("SHOW server_version")).scalar_one())
            return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str, connect_timeout_s: int) -> Engine:
    if url.startswith("sqlite"):
        # In-memory SQLite (tests) must share one connection across threads.
        return create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    return create_engine(
        url,
        pool_size=5,
        max_overflow=5,
        pool_pre_ping=True,
        # A dead server must fail fast, not hang the request or the health probe.
        pool_timeout=5,
        connect_args={"connect_timeout": connect_timeout_s, "application_name": "footballpred-app"},
    )
