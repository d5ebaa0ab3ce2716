"""`create_app(settings)`: the FastAPI application, wired from one `Settings` object."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy import Engine

from api.bounds import bounded_input
from api.db import make_engine, make_sessionmaker
from api.dispatcher import Dispatcher, NullDispatcher
from api.errors import install_error_handlers
from api.middleware import Guard, body_limit
from api.openapi import install_openapi
from api.queue import ordered_dispatcher
from api.security import PasswordChecks, SessionSigner
from api.services.courses import PackageInfo
from api.services.throttle import DbLoginThrottle
from api.settings import Settings

log = logging.getLogger("autograde.api")


def create_app(
    settings: Settings,
    *,
    dispatcher: Dispatcher | None = None,
    engine: Engine | None = None,
    pages: bool = True,
    packages: Callable[[], list[PackageInfo]] | None = None,
) -> FastAPI:
    """The API app. ``dispatcher`` sends evaluate tasks (default: none, jobs stay queued
    in the database until the sweeper publishes them); ``engine`` defaults to the settings'
    database; ``pages`` adds the server-rendered web pages (`api/web`); ``packages`` lists
    the installed assignment packages (from the composition root; default: none)."""
    from api.routes import auth, courses, manage, metrics, staff, submissions

    engine = engine or make_engine(settings.db_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.password_checks.close()
        engine.dispose()

    app = FastAPI(
        title="autograde",
        version="1",
        description="Assignment autograder for deep-learning courses: REST API v1.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(bounded_input)],
    )
    app.add_middleware(Guard, max_body_bytes=body_limit(settings.max_upload_bytes),
                       trusted_origins=tuple(settings.trusted_origins))
    install_openapi(app)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.dispatcher = ordered_dispatcher(dispatcher or NullDispatcher(),
                                              app.state.sessionmaker, settings)
    app.state.signer = SessionSigner(settings.secret_key, settings.session_max_age_s)
    app.state.throttle = DbLoginThrottle(app.state.sessionmaker, settings.login_max_failures,
                                         settings.login_window_s, settings.session_max_age_s)
    app.state.password_checks = PasswordChecks()
    app.state.packages = packages or list
    install_error_handlers(app)
    for module in (auth, courses, submissions, staff, manage):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(metrics.router)  # GET /metrics, token-only (issue 17)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if pages:  # last: the pages' router ends with a catch-all HTML 404
        from api import web

        web.mount_static(app)
        app.include_router(web.router)
    return app
