"""FastAPI application factory."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import metrics
from .config import Settings
from .errors import install_error_handlers
from .routes import router
from .services import Services

log = logging.getLogger(__name__)


class MetricsMiddleware:
    """Counts and times every request, labelled with the route template (not the raw URL)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # stays 500 if the app raises before answering

        async def send_and_record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record_status)
        finally:
            path = _route_template(scope)
            metrics.HTTP_REQUESTS.labels(method=scope["method"], path=path, status=str(status)).inc()
            metrics.HTTP_LATENCY.labels(method=scope["method"], path=path).observe(time.perf_counter() - started)


def _route_template(scope: Scope) -> str:
    """The matched route's path template; "unmatched" for URLs no route serves (404s)."""
    route = scope.get("route")
    if route is None:
        # FastAPI records only its own APIRoutes in the scope; plain routes such as /docs
        # are matched again here (a handful of routes, cheap).
        for candidate in getattr(scope.get("app"), "routes", []):
            if candidate.matches(scope)[0] is Match.FULL:
                route = candidate
                break
    return getattr(route, "path", None) or "unmatched"


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """`services` is injected by tests; in production it is built from the environment."""
    settings = settings or (services.settings if services else Settings.from_env())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_services = services is None
        app.state.services = services or Services.from_settings(settings)
        app.state.started_at = time.monotonic()
        if own_services:
            app.state.services.startup()
        log.info("footballpred-app %s (%s, commit %s) started in %s",
                 settings.app_version, settings.build_date, settings.git_commit, settings.environment)
        try:
            yield
        finally:
            if own_services:
                app.state.services.close()

    app = FastAPI(
        title="Football prediction API",
        version=settings.app_version,
        description="Match outcome predictions from a Poisson model registered in MLflow.",
        lifespan=lifespan,
    )
    app.add_middleware(MetricsMiddleware)
    install_error_handlers(app)
    app.include_router(router)
    metrics.APP_INFO.labels(version=settings.app_version, git_commit=settings.git_commit,
                            environment=settings.environment).set(1)
    return app
