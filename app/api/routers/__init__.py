"""The routers of API version 1. A new family of endpoints is one more entry in ROUTERS."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.routers import (
    audit,
    funds,
    households,
    members,
    merchants,
    months,
    rule_book,
    rules,
    system,
)

ROUTERS: tuple[APIRouter, ...] = (
    system.router,
    rules.router,
    rule_book.router,
    households.router,
    months.router,
    members.router,
    merchants.router,
    funds.router,
    audit.router,
)


def v1_router() -> APIRouter:
    """Every v1 endpoint, to be mounted under ``/v1``."""
    router = APIRouter()
    for child in ROUTERS:
        router.include_router(child)
    return router
