"""The two reads nearly every request makes, a token's principal and a member's balance,
each read the cheapest way the process has: on the event loop through the lifespan's
pool (PostgreSQL, app.db.async_reads), else through the app's engine in the thread pool
(SQLite, or an app whose lifespan did not run). Both give the same answer."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State

from app.db.async_reads import AsyncReads
from app.services import views
from app.services.till import till_day
from app.services.tokens import Principal, lookup_principal, lookup_principal_on_loop


def _on_loop(state: State) -> AsyncReads | None:
    found: AsyncReads | None = getattr(state, "async_reads", None)
    return found


async def principal_of(state: State, secret: str) -> Principal | None:
    """The principal of ``secret`` read from the database (no cache: see deps)."""
    on_loop = _on_loop(state)
    if on_loop is not None:
        return await lookup_principal_on_loop(on_loop, secret)
    found: Principal | None = await run_in_threadpool(lookup_principal, state.db_engine, secret)
    return found


def today() -> date:
    """The fund's day now, its local date (app.services.till.till_day): what the till
    accepts today, and the date the API gives a sale or refund that leaves it out (the clock
    lives here, at the edge; tests pin it)."""
    return till_day(datetime.now(UTC))


async def balance_of(state: State, household_id: str) -> dict[str, Any]:
    """``views.balances`` of the household on the till's day (the fund's local date), so
    ``spendable_cents`` is what the till accepts now (NotFound when unknown)."""
    on = today()
    on_loop = _on_loop(state)
    if on_loop is not None:
        return await views.balances_on_loop(on_loop, household_id, on)
    found: dict[str, Any] = await run_in_threadpool(
        views.balances, state.db_engine, household_id, on
    )
    return found
