"""Members' books: balance with lots and expiry, history, monthly statement explained in
plain words, export of all their data. A member sees only its own household (another's is
404, exactly like one that does not exist); operators (and auditors, except the export)
read any household by id."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request
from pydantic import TypeAdapter
from starlette.responses import Response

from app.api.deps import (
    Principal,
    Role,
    SessionDep,
    ensure_owner,
    require_roles,
)
from app.api.errors import problem_responses, request_language
from app.api.hot_reads import balance_of
from app.api.lean_route import json_response, lean_route, principal
from app.api.routing import api_router
from app.api.rules_ops import parse_period
from app.api.schemas.fields import IDENT_PATTERN, PERIOD_PATTERN
from app.api.schemas.members import BalanceOut, HistoryOut, MemberExport, StatementOut
from app.api.schemas.proofs import InclusionProof
from app.i18n import account_text, memo_text
from app.services import views
from app.services.auditor import statement_proofs

router = api_router(prefix="/members/{household_id}", tags=["member", "operator", "auditor"])

READERS = (Role.MEMBER, Role.OPERATOR, Role.AUDITOR)  # also the balance's lean handler
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
Exporter = Annotated[Principal, Depends(require_roles(Role.MEMBER, Role.OPERATOR))]
HouseholdId = Annotated[
    str,
    Path(
        description="The household (a member may only give its own). Unit: identifier.",
        pattern=IDENT_PATTERN,
        examples=["hh_0042"],
    ),
]
NOT_VISIBLE = problem_responses(404, 422)


_balance_out = TypeAdapter(BalanceOut)
_ident = re.compile(IDENT_PATTERN)


async def lean_balance(http: Request) -> Response | None:
    """The balance's lean handler (app.api.lean_route): a reader's read of a household it
    may see is answered here; anything else is None, answered by the framework's handler
    (another member's household: its 404, as for any stranger)."""
    household_id = http.path_params.get("household_id")
    if not isinstance(household_id, str) or _ident.fullmatch(household_id) is None:
        return None
    caller = await principal(http)
    if caller is None or caller.role not in READERS:
        return None
    if caller.role is Role.MEMBER and caller.household_id != household_id:
        return None
    return json_response(_balance_out, await balance_of(http.app.state, household_id))


@lean_route(
    router,
    "GET",
    "/balance",
    lean_balance,
    summary="Balance and credit lots",
    response_model=BalanceOut,
    responses=NOT_VISIBLE,
)
async def balance(household_id: HouseholdId, http: Request, principal: Reader) -> dict[str, Any]:
    """Credit available, contribution due, and each open lot with the month it expires."""
    # The members' hot read: checked on the event loop, then one thread hop for one SELECT
    # on a read-only connection (no ORM session); the plain dict is validated once, by
    # FastAPI against response_model, instead of being built into a model and dumped again.
    ensure_owner(principal, household_id=household_id)
    return await balance_of(http.app.state, household_id)


@router.get(
    "/history",
    summary="Movements on the member's accounts",
    response_model=HistoryOut,
    responses=NOT_VISIBLE,
)
def history(
    household_id: HouseholdId,
    session: SessionDep,
    principal: Reader,
    request: Request,
    limit: Annotated[
        int,
        Query(
            description="At most this many movements. Unit: count.", ge=1, le=1000, examples=[200]
        ),
    ] = 200,
) -> HistoryOut:
    """Contributions, credits, payments, purchases, refunds and expiries, newest first."""
    ensure_owner(principal, household_id=household_id)
    lang = request_language(request)
    lines = [
        line
        | {
            "label": memo_text(line["kind"], line["memo"], lang),
            "account_label": account_text(line["account"], lang),
        }
        for line in views.history(session, household_id, limit)
    ]
    return HistoryOut.model_validate({"household_id": household_id, "lines": lines})


@router.get(
    "/statements/{period}",
    summary="Monthly statement, explained",
    response_model=StatementOut,
    responses=NOT_VISIBLE,
)
def statement(
    household_id: HouseholdId,
    period: Annotated[
        str,
        Path(
            description='The month, "YYYY-MM". Unit: month.',
            pattern=PERIOD_PATTERN,
            examples=["2027-01"],
        ),
    ],
    session: SessionDep,
    principal: Reader,
    request: Request,
    lang: Annotated[
        Literal["fr", "en"] | None,
        Query(
            description="Language of the explanation; without it, the request's"
            " `Accept-Language` (French by default). Unit: text: fr | en.",
            examples=["fr"],
        ),
    ] = None,
) -> StatementOut:
    """The month's contribution and credit with the explanation of how each was computed,
    in plain French (or English with `lang=en` or `Accept-Language: en`). 404 when the
    month was not run for it."""
    lang = lang or ("en" if request_language(request) == "en" else "fr")
    ensure_owner(principal, household_id=household_id)
    month = parse_period(period, "path.period")
    found = views.statement(session, household_id, str(month))
    explained = found.pop("explanation")
    text = None if explained is None else explained[lang]
    return StatementOut.model_validate(found | {"lang": lang, "explanation": text})


@router.get(
    "/statements/{period}/proof",
    summary="Proof that the month's statement is in the sealed books",
    response_model=InclusionProof,
    responses=NOT_VISIBLE,
)
def statement_proof(
    household_id: HouseholdId,
    period: Annotated[
        str,
        Path(
            description='The sealed month, "YYYY-MM". Unit: month.',
            pattern=PERIOD_PATTERN,
            examples=["2027-01"],
        ),
    ],
    session: SessionDep,
    principal: Reader,
) -> InclusionProof:
    """An RFC 9162 inclusion proof of the month's statement against the Merkle root signed
    in the month's checkpoint; save it and check it offline with `caisse verify-proof FILE`.
    404 when the month was not run for the household or is not sealed yet."""
    ensure_owner(principal, household_id=household_id)
    month = parse_period(period, "path.period")
    found = statement_proofs.statement_proof(session, household_id, str(month))
    return InclusionProof.model_validate(found)


@router.get(
    "/export",
    summary="Export all of the member's data",
    response_model=MemberExport,
    tags=["member", "operator"],
    responses=NOT_VISIBLE,
)
def export(household_id: HouseholdId, session: SessionDep, principal: Exporter) -> MemberExport:
    """Everything the fund holds about the household, as JSON: identity, every set of facts,
    balance and lots, every movement, every statement with its explanations."""
    ensure_owner(principal, household_id=household_id)
    return MemberExport.model_validate(views.member_export(session, household_id))
