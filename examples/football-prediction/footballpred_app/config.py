"""Runtime settings, read once from the environment (the compose file's contract)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_ROOT = PACKAGE_DIR.parent


def _package_version() -> str:
    """Version of the installed package, else the VERSION file of a source checkout."""
    try:
        return metadata.version("footballpred-app")
    except metadata.PackageNotFoundError:
        version_file = SOURCE_ROOT / "VERSION"
        return version_file.read_text().strip() if version_file.exists() else "0.0.0"


def _env(name: str, default: str) -> str:
    # An empty value (e.g. an unset build arg baked into ENV) means "not given".
    value = os.environ.get(name, "").strip()
    return value or default


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _env_float(name: str, default: float) -> float:
    return float(_env(name, str(default)))


def _env_flag(name: str) -> bool:
    return _env(name, "0").lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str = "postgresql+psycopg2://football_staging_user@127.0.0.1:5433/football_prediction_staging"
    redis_url: str = "redis://127.0.0.1:6380/1"
    kafka_bootstrap_servers: str = "127.0.0.1:9093"
    kafka_predictions_topic: str = "prediction-events"
    mlflow_tracking_uri: str = "http://127.0.0.1:5001"
    model_name: str = "football-match-predictor"
    model_alias: str = "staging"
    environment: str = "staging"
    log_level: str = "INFO"
    api_host: str = "127.0.0.1"
    api_port: int = 8001
    app_version: str = field(default_factory=_package_version)
    git_commit: str = "unknown"
    build_date: str = "unknown"
    # Each dependency probe in /health gets this long; the whole endpoint stays under ~2 s.
    health_check_timeout_s: float = 1.0
    cache_ttl_s: int = 300
    fault_health_fail: bool = False
    fault_slow_ms: int = 0

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=_env("DATABASE_URL", cls.database_url),
            redis_url=_env("REDIS_URL", cls.redis_url),
            kafka_bootstrap_servers=_env("KAFKA_BOOTSTRAP_SERVERS", cls.kafka_bootstrap_servers),
            kafka_predictions_topic=_env("KAFKA_PREDICTIONS_TOPIC", cls.kafka_predictions_topic),
            mlflow_tracking_uri=_env("MLFLOW_TRACKING_URI", cls.mlflow_tracking_uri).rstrip("/"),
            model_name=_env("MODEL_NAME", cls.model_name),
            model_alias=_env("MODEL_ALIAS", cls.model_alias),
            environment=_env("ENVIRONMENT", cls.environment),
            log_level=_env("LOG_LEVEL", cls.log_level).upper(),
            api_host=_env("API_HOST", cls.api_host),
            api_port=_env_int("API_PORT", cls.api_port),
            app_version=_env("APP_VERSION", _package_version()),
            git_commit=_env("GIT_COMMIT", cls.git_commit),
            build_date=_env("BUILD_DATE", cls.build_date),
            health_check_timeout_s=_env_float("HEALTH_CHECK_TIMEOUT_S", cls.health_check_timeout_s),
            cache_ttl_s=_env_int("CACHE_TTL_S", cls.cache_ttl_s),
            fault_health_fail=_env_flag("FAULT_HEALTH_FAIL"),
            fault_slow_ms=_env_int("FAULT_SLOW_MS", cls.fault_slow_ms),
        )
