"""What every writing handler passes to its service: actor, scoped idempotency key, clock.

The clock lives here, at the edge (services and engine never read it). Idempotency keys
are scoped to the calling token, so two callers can never collide on, replay or probe
each other's keys: the journal stores ``<token_id>:<key>`` (or ``<token_id>:sha256:<40
hex>`` for a long key, keeping room for the month run's per-chunk suffix).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

# One calendar: a sale the API dates itself gets the till's day (the fund's local date).
from app.api.hot_reads import today as today
from app.services.tokens import Principal

LONG_KEY = 150


def scoped_key(principal: Principal, key: str) -> str:
    """The journal's idempotency key for ``key`` sent by ``principal``."""
    scoped = f"{principal.token_id}:{key}"
    if len(scoped) <= LONG_KEY:
        return scoped
    return f"{principal.token_id}:sha256:{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def writes(principal: Principal, key: str) -> dict[str, Any]:
    """Keyword arguments every recording service takes."""
    return {
        "actor": principal.actor,
        "idempotency_key": scoped_key(principal, key),
        "now": datetime.now(UTC),
    }
