"""The FastAPI application: ``create_app(settings)``.

The app owns one SQLAlchemy engine (from ``settings``, default ``load_settings()``),
disposed at shutdown. It does not create or migrate the schema: ``caisse serve`` does that
before starting, tests do it in their fixtures.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from app.api.docs_page import install_docs
from app.api.errors import install_error_handlers
from app.api.input_guard import RequestGuard
from app.api.lean_route import COUNTS_STATE, LEAN_STATE
from app.api.limits import BodySizeLimit
from app.api.openapi import DESCRIPTION, TAGS, problem_schema_openapi
from app.api.routers import include_v1
from app.api.rule_yaml import RuleYaml
from app.db.async_reads import AsyncReads
from app.db.session import make_engine
from app.db.settings import Settings, load_settings
from app.services.writes.charge_link import SOCKET_ENV, RemoteWriter
from app.services.writes.group_commit import GroupWriter

API_VERSION = "1.0.0"


FREEZE_ENV = "CAISSE_GC_FREEZE"  # set by ``caisse serve`` (app.cli.api_cmds)


def charge_writer(engine: Engine) -> GroupWriter | RemoteWriter:
    """Where this process's charges go: the server's charge writer process when ``caisse
    serve`` started one (app.services.writes.charge_link), else a group writer of its own."""
    local = GroupWriter(engine, timer=time.perf_counter)  # the clock lives at the edge
    path = os.environ.get(SOCKET_ENV)
    return local if not path else RemoteWriter(path, local)


def create_app(settings: Settings | None = None, *, lean_routes: bool = True) -> FastAPI:
    """Build the application for ``settings`` (the environment's when None). ``lean_routes``:
    answer well-formed charges and balance reads by their routes' lean handlers
    (app.api.lean_route; off only to compare with the framework's handlers in tests)."""
    settings = settings or load_settings()
    engine = make_engine(settings)

    group_writer = charge_writer(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if os.environ.get(FREEZE_ENV):
            # A server process (caisse serve): what start-up made (routes, schemas, models)
            # lives as long as the process; out of the collector's way, its full collections
            # stay short (they pause every request). Not in tests, which make many apps.
            gc.freeze()
        if engine.dialect.name == "postgresql":
            # In the loop that serves the requests: the reads' pool lives in it.
            on_loop = AsyncReads(engine)
            await on_loop.open()
            _app.state.async_reads = on_loop
        yield
        if _app.state.async_reads is not None:
            await _app.state.async_reads.close()
            _app.state.async_reads = None
        group_writer.stop()  # queued charges are written first
        jobs = getattr(_app.state, "audit_jobs", None)
        if jobs is not None:
            jobs.stop()  # a running audit job finishes rather than being cut off
        logging.getLogger("uvicorn.error").info("group writer: %s", group_writer.stats())
        engine.dispose()

    app = FastAPI(
        title="caisse — citizen food fund",
        version=API_VERSION,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        docs_url=None,  # served by install_docs, from local files
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db_engine = engine
    app.state.async_reads = None  # the same reads on the event loop, once the lifespan ran
    app.state.group_writer = group_writer
    install_error_handlers(app)
    # Starlette runs the middleware added last first: a body announced too large is refused
    # unread, then every request is checked once (app.api.input_guard) before any route
    # sees it.
    setattr(app.state, LEAN_STATE, lean_routes)
    setattr(app.state, COUNTS_STATE, Counter[str]())  # requests the lean handlers took
    app.add_middleware(RequestGuard)
    app.add_middleware(RuleYaml)  # a YAML rule body is read as JSON before it is guarded
    app.add_middleware(BodySizeLimit)
    include_v1(app)
    install_docs(app, "/openapi.json")
    app.openapi = problem_schema_openapi(app)  # type: ignore[method-assign]
    return app
