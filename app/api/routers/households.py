"""Households: enrol, change facts from a month, erase personal data, list (operator); the
member's own profile (member)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response

from app.api.deps import IdempotencyKey, MemberDep, OperatorDep, SessionDep
from app.api.errors import problem_responses
from app.api.routers.common import today, writes
from app.api.routing import api_router
from app.api.rules_ops import parse_period
from app.api.schemas.enrolment import (
    ConsentCodeRequest,
    EnrolRequest,
    FactsChangeRequest,
    HouseholdList,
    HouseholdRecorded,
    Profile,
)
from app.api.schemas.fields import IDENT_PATTERN, PERIOD_PATTERN
from app.api.schemas.households import FactsIn
from app.engine.period import Period
from app.services import consent, views
from app.services import households as service

router = api_router()

HouseholdId = Annotated[
    str,
    Path(
        description="Pseudonymous id of the household. Unit: identifier.",
        pattern=IDENT_PATTERN,
        examples=["hh_0042"],
    ),
]


def facts_of(facts: FactsIn) -> service.Facts:
    return service.Facts(
        income_cents=facts.income_cents,
        persons=tuple(person.birth_on for person in facts.persons),
        chosen_contribution_cents=facts.chosen_contribution_cents,
        engagement_minutes=facts.engagement_minutes,
        attributes=dict(facts.attributes),
        active_from=facts.active_from,
        active_until=facts.active_until,
        priority_tier=facts.priority_tier,
    )


@router.post(
    "/households",
    summary="Enrol a household",
    response_model=HouseholdRecorded,
    tags=["operator"],
    responses=problem_responses(409, 422),
)
def enrol(
    request: EnrolRequest, key: IdempotencyKey, session: SessionDep, principal: OperatorDep
) -> HouseholdRecorded:
    """Enrol a household from a month: its identity and facts are kept in erasable tables,
    the journal records only the pseudonymous id and a salted commitment of the facts. The
    consent code is stored hashed. 409 when the id is already enrolled."""
    identity = service.Identity(**request.identity.model_dump())
    result = service.enrol_household(
        session,
        request.household_id,
        request.from_period,
        identity,
        facts_of(request.facts),
        request.consent_code,
        **writes(principal, key),
    )
    return HouseholdRecorded(
        household_id=result["household_id"], seq=result["seq"], from_period=request.from_period
    )


@router.post(
    "/households/{household_id}/facts",
    summary="Change a household's facts",
    response_model=HouseholdRecorded,
    tags=["operator"],
    responses=problem_responses(404, 409, 422),
)
def change_facts(
    household_id: HouseholdId,
    request: FactsChangeRequest,
    key: IdempotencyKey,
    session: SessionDep,
    principal: OperatorDep,
) -> HouseholdRecorded:
    """New facts in force from `from_period`; months already assessed keep the facts they
    used. 409 when the month is closed or the household erased."""
    result = service.change_facts(
        session,
        household_id,
        request.from_period,
        facts_of(request.facts),
        **writes(principal, key),
    )
    return HouseholdRecorded.model_validate(result)


@router.post(
    "/households/{household_id}/consent-code",
    summary="Reset a household's consent code",
    status_code=204,
    response_class=Response,
    tags=["operator"],
    responses=problem_responses(404, 422),
)
def reset_consent_code(
    household_id: HouseholdId,
    request: ConsentCodeRequest,
    session: SessionDep,
    principal: OperatorDep,
) -> Response:
    """Give the household a new consent code and end any lock from wrong codes. Security
    state, not books: nothing is journalled, and setting the same code again changes nothing
    more (a retry is safe without an idempotency key). 404 for an unknown or erased
    household."""
    consent.change_code(session, household_id, request.consent_code)
    return Response(status_code=204)


@router.post(
    "/households/{household_id}/erase",
    summary="Erase a member's personal data",
    response_model=HouseholdRecorded,
    tags=["operator"],
    responses=problem_responses(404, 409, 422),
)
def erase(
    household_id: HouseholdId, key: IdempotencyKey, session: SessionDep, principal: OperatorDep
) -> HouseholdRecorded:
    """Delete the household's identity, facts and salts (right to erasure). The books keep
    only the pseudonymous id, so every past month still verifies."""
    result = service.erase_member(session, household_id, **writes(principal, key))
    return HouseholdRecorded.model_validate(result)


@router.get(
    "/households",
    summary="List households",
    response_model=HouseholdList,
    tags=["operator"],
    responses=problem_responses(422),
)
def list_households(
    session: SessionDep,
    _: OperatorDep,
    after: Annotated[
        str,
        Query(
            description="Start after this household id (paging). Unit: identifier.",
            max_length=80,
            examples=["hh_0042"],
        ),
    ] = "",
    limit: Annotated[
        int,
        Query(
            description="At most this many. Unit: count of households.",
            ge=1,
            le=1000,
            examples=[100],
        ),
    ] = 100,
) -> HouseholdList:
    """Households by id, with the account holder's name (null once erased)."""
    rows = views.list_households(session, after, limit)
    next_after = rows[-1]["household_id"] if len(rows) == limit else None
    return HouseholdList.model_validate({"households": rows, "next_after": next_after})


@router.get(
    "/me",
    summary="My household",
    response_model=Profile,
    tags=["member"],
    responses=problem_responses(404, 422),
)
def me(
    session: SessionDep,
    principal: MemberDep,
    period: Annotated[
        str | None,
        Query(
            description='Month whose facts to show, "YYYY-MM" (default: this month). Unit: month.',
            pattern=PERIOD_PATTERN,
            examples=["2027-01"],
        ),
    ] = None,
) -> Profile:
    """The member's own household: identity and the facts in force for the month."""
    month = parse_period(period, "query.period") if period else Period(today().year, today().month)
    household_id = principal.household_id or ""
    return Profile.model_validate(views.profile(session, household_id, month))
