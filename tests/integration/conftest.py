# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every integration test shares: where the local staging stack is, its secrets and
the Docker environment.

Targets come from the environment and default to the local staging stack
(docs/CONVENTIONS.md):

  FP_DB_HOST FP_DB_PORT FP_DB_USER FP_DB_NAME FP_DB_PASSWORD
  FP_REDIS_HOST FP_REDIS_PORT FP_REDIS_DB FP_REDIS_PASSWORD
  FP_KAFKA_BOOTSTRAP  FP_MLFLOW_URL  FP_MLFLOW_MODEL  FP_API_URL

Passwords not set in the environment are read from the example stack's .env.staging
(STAGING_DB_PASSWORD, REDIS_PASSWORD).
"""

from __future__ import annotations

import os

import pytest

from support import ROOT
from support.processes import docker_env as engine_env

ENV_FILE = ROOT / "examples" / "football-prediction" / ".env.staging"


def env_file_values() -> dict:
    """KEY=value lines of the running stack's .env.staging (quotes stripped), {} without one."""
    values = {}
    if ENV_FILE.is_file():
        for line in ENV_FILE.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.lstrip().startswith("#"):
                values[key.strip()] = value.strip().strip("'\"")
    return values


class Stack:
    """Where the live services are, from FP_* variables or the staging defaults."""

    def __init__(self):
        env_file = env_file_values()
        getenv = os.environ.get
        self.db = dict(
            host=getenv("FP_DB_HOST", "127.0.0.1"),
            port=int(getenv("FP_DB_PORT", "5433")),
            user=getenv("FP_DB_USER", "football_staging_user"),
            name=getenv("FP_DB_NAME", "football_prediction_staging"),
            password=getenv("FP_DB_PASSWORD", env_file.get("STAGING_DB_PASSWORD", "")),
        )
        self.redis = dict(
            host=getenv("FP_REDIS_HOST", "127.0.0.1"),
            port=int(getenv("FP_REDIS_PORT", "6380")),
            db=int(getenv("FP_REDIS_DB", "1")),
            password=getenv("FP_REDIS_PASSWORD", env_file.get("REDIS_PASSWORD", "")),
        )
        self.kafka_bootstrap = getenv("FP_KAFKA_BOOTSTRAP", "127.0.0.1:9093")
        self.mlflow_url = getenv("FP_MLFLOW_URL", "http://127.0.0.1:5001")
        self.mlflow_model = getenv("FP_MLFLOW_MODEL", "football-match-predictor")
        self.api_url = getenv("FP_API_URL", "http://127.0.0.1:8001")

    def secrets_env(self) -> dict:
        """Secrets go to the modules through their environment fallbacks, never the command line."""
        return dict(PGPASSWORD=self.db["password"], REDIS_PASSWORD=self.redis["password"])


@pytest.fixture(scope="session")
def stack() -> Stack:
    return Stack()


@pytest.fixture(scope="module")
def stack_secrets() -> dict:
    """The running stack's passwords as the roles' extra vars (for a 0600 vars file, never
    the command line); read per test module, as a deploy may have rendered the file anew."""
    values = env_file_values()
    found = {"rehearsal_db_password": values.get("STAGING_DB_PASSWORD"),
             "rehearsal_redis_password": values.get("REDIS_PASSWORD")}
    return {key: value for key, value in found.items() if value}


@pytest.fixture(scope="module")
def docker_env() -> dict:
    """The environment scripts/lib/docker-env.sh sets up (private engine or the user's)."""
    return engine_env(require=False)
