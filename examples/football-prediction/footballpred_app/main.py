"""`football-api`: serve the app with uvicorn on API_HOST:API_PORT (127.0.0.1:8001)."""

from __future__ import annotations

import uvicorn

from .app import create_app
from .config import Settings
from .logging_setup import configure_logging


def serve() -> None:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level=settings.log_level.lower(),
        # Keep our log format: uvicorn would otherwise install its own handlers.
        log_config=None,
        access_log=True,
    )


if __name__ == "__main__":
    serve()
