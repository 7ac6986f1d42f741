"""The routers of API version 1. A new family of endpoints is one more entry in ROUTERS."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from app.api.routers import (
    audit,
    dues,
    funds,
    households,
    members,
    merchants,
    months,
    projection,
    receipts,
    research,
    rule_book,
    rules,
    system,
)

# FastAPI tries routes in this order for every request (measured: matching was a fifth of a
# charge's server time when tills came seventh), so the busiest families come first: tills
# (merchants) and members' balances. The families' paths do not overlap, so the order
# changes nothing else but the order of the OpenAPI document's paths.
ROUTERS: tuple[APIRouter, ...] = (
    merchants.router,
    members.router,
    system.router,
    rules.router,
    rule_book.router,
    households.router,
    months.router,
    dues.router,
    funds.router,
    audit.router,
    projection.router,
    research.router,
    receipts.router,
)


V1_PREFIX = "/v1"


def include_v1(app: FastAPI) -> None:
    """Mount every v1 endpoint under ``/v1``: each family included in the app itself, not
    in a ``/v1`` router of its own. FastAPI matches an included router again at each level
    it passes through (the enclosing router's ``matches``, then its ``handle``): with a
    ``/v1`` router between, matching was about a third of a balance read's CPU in a worker
    (cProfile; docs/benchmarks.md, "API load", CPU per request in process). The paths,
    their order and the OpenAPI document are the same."""
    for child in ROUTERS:
        app.include_router(child, prefix=V1_PREFIX)
