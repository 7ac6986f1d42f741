"""Health (public) and the caller's identity (any token)."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import text

from app.api.deps import CurrentPrincipal, SessionDep
from app.api.routing import api_router
from app.api.schemas.system import Health, WhoAmI
from app.engine import ENGINE_VERSION

router = api_router(tags=["system"])


@router.get("/health", summary="Service health", response_model=Health)
def health(session: SessionDep) -> Health:
    """The service answers and its database accepts a query."""
    session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    dialect = session.get_bind().dialect.name
    database: Literal["sqlite", "postgresql"] = "sqlite" if dialect == "sqlite" else "postgresql"
    return Health(status="ok", api_version="v1", engine_version=ENGINE_VERSION, database=database)


@router.get("/auth/whoami", summary="Who am I", response_model=WhoAmI)
def whoami(principal: CurrentPrincipal) -> WhoAmI:
    """The role of the bearer token and, for a member or merchant, the id it is bound to."""
    return WhoAmI(
        token_id=principal.token_id,
        role=principal.role.value,
        household_id=principal.household_id,
        merchant_id=principal.merchant_id,
    )
