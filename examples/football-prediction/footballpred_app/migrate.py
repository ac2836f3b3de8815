"""`football-migrate`: `alembic upgrade head`, then seed the match history (idempotent)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from .config import SOURCE_ROOT, Settings
from .db import Database
from .logging_setup import configure_logging
from .seed import SEED, seed_database

log = logging.getLogger("footballpred_app.migrate")


def alembic_config(database_url: str) -> Config:
    """alembic.ini from $ALEMBIC_CONFIG, the working directory, or the source checkout."""
    candidates = [os.environ.get("ALEMBIC_CONFIG", ""), "alembic.ini", str(SOURCE_ROOT / "alembic.ini")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            config = Config(candidate)
            config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
            return config
    raise SystemExit(f"alembic.ini not found (looked at {[c for c in candidates if c]})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="football-migrate", description=__doc__)
    parser.add_argument("--no-seed", action="store_true", help="only run the migrations")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed of the match history")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    configure_logging(settings.log_level)

    command.upgrade(alembic_config(settings.database_url), "head")
    summary: dict[str, object] = {"migrated_to": "head"}
    if not args.no_seed:
        database = Database(settings.database_url)
        try:
            with database.session() as session:
                summary.update(seed_database(session, seed=args.seed))
        finally:
            database.dispose()
    log.info("migrate done: %s", summary)
    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
