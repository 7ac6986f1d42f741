"""The sustainability projection (committee, researcher, auditor): writes nothing, returns
aggregates only (no household id). A researcher's projection is held to what cannot single a
household out (app.services.projection: no arrivals or departures, adopted rules only,
small counts suppressed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.api.deps import Principal, Role, SessionDep, require_roles
from app.api.errors import problem_responses
from app.api.routers.common import today
from app.api.routing import api_router
from app.api.schemas.projection import ProjectionRequest, ProjectionsOut
from app.services import projection
from app.services.research.settings import research_settings
from app.services.rules.documents import parse_period

router = api_router(prefix="/research")

ProjectionReader = Annotated[
    Principal, Depends(require_roles(Role.COMMITTEE, Role.RESEARCHER, Role.AUDITOR))
]


@router.post(
    "/projection",
    summary="Project the fund's reserve months ahead",
    response_model=ProjectionsOut,
    responses=problem_responses(409, 422),
)
def project(
    request: ProjectionRequest, session: SessionDep, principal: ProjectionReader
) -> ProjectionsOut:
    """The fund month by month under the stated assumptions, through the month run's own
    engine: the reserve, when rationing would start and how deep, and the subsidy that
    would avoid it. 422 for a bad assumption or rule document (every problem named);
    409 when no rule set is adopted for a month projected (give a draft) or when `start`
    has already been run. A researcher projects without arrivals or departures and under
    adopted rule sets only (403 otherwise, naming the field), and gets 409 when a month would
    cover fewer households than the fund's small-cell threshold."""
    wanted = projection.Request(
        projection.assumptions_of(request.assumptions.model_dump(), "assumptions"),
        None if request.start is None else parse_period(request.start, "start"),
        request.rules,
        request.compare,
    )
    limits = research_settings() if principal.role == Role.RESEARCHER else None
    result = projection.project_fund(session, wanted, today(), limits)
    return ProjectionsOut.model_validate(result)
