"""The whole service: the HTTP API (``/v1``, app.api) and the pages for people (app.web) in
one application, on one engine. ``caisse serve`` runs ``create_app``; the API's own tests
may build the API alone with ``app.api.app.create_app``."""

from __future__ import annotations

from fastapi import FastAPI

from app.api.app import create_app as create_api
from app.db.settings import Settings
from app.web import install_web


def create_app(settings: Settings | None = None, *, lean_routes: bool = True) -> FastAPI:
    """The API with the pages added (same settings, same engine, same lifespan)."""
    app = create_api(settings, lean_routes=lean_routes)
    install_web(app)
    return app
