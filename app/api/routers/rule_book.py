"""Stored rule sets: draft, adopt (journalled), versions, the set in force, and the impact of
a stored version on the REAL membership (facts in force) as a report and an SVG chart."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Depends, Path, Query
from fastapi.responses import Response
from sqlmodel import Session

from app.api.deps import CommitteeDep, IdempotencyKey, Principal, Role, SessionDep, require_roles
from app.api.errors import problem_responses
from app.api.routers.common import writes
from app.api.routing import api_router
from app.api.schemas.fields import IDENT_PATTERN, PERIOD_PATTERN
from app.api.schemas.previews import PreviewReport
from app.api.schemas.rule_book import AdoptOut, AdoptRequest, DraftOut, InForceOut, VersionList
from app.api.schemas.rules import EXAMPLE_RULES, RULES_DOCUMENT_DESCRIPTION, yaml_request_body
from app.engine.facts import HouseholdFacts
from app.engine.preview import Preview, preview
from app.engine.ruleset import RuleSet
from app.services import views
from app.services.charts import impact as impact_chart
from app.services.errors import invalid
from app.services.rules import rulesets
from app.services.rules.documents import parse_or_refuse, parse_period

router = api_router(prefix="/rules")

StaffReader = Annotated[
    Principal, Depends(require_roles(Role.COMMITTEE, Role.OPERATOR, Role.AUDITOR))
]
AnyReader = Annotated[
    Principal,
    Depends(require_roles(Role.COMMITTEE, Role.OPERATOR, Role.MEMBER, Role.AUDITOR)),
]
RuleDocument = Annotated[
    dict[str, Any], Body(description=RULES_DOCUMENT_DESCRIPTION, examples=[EXAMPLE_RULES])
]
RuleSetId = Annotated[
    str,
    Path(
        description="The rule family id (`id` of the document). Unit: identifier.",
        pattern=IDENT_PATTERN,
        examples=["exemple"],
    ),
]
Version = Annotated[
    int,
    Path(
        description="Version of the rule set. Unit: integer version number.",
        ge=1,
        le=1_000_000,
        examples=[1],
    ),
]
MonthQuery = Annotated[
    str | None,
    Query(
        description='Month to assess, "YYYY-MM" (default: the version\'s effective_from).'
        " Unit: month.",
        pattern=PERIOD_PATTERN,
        examples=["2027-01"],
    ),
]
BudgetQuery = Annotated[
    int | None,
    Query(
        description="Monthly budget for credits; credits are rationed to it when given."
        " Unit: integer cents, e.g. 1250 = 12,50 €.",
        ge=0,
        le=10**13,
        examples=[4447500],
    ),
]
SVG_MEDIA_TYPE = "image/svg+xml"


@router.post(
    "/drafts",
    summary="Store a draft rule set",
    response_model=DraftOut,
    responses=problem_responses(409, 422),
    openapi_extra=yaml_request_body(),
)
def create_draft(document: RuleDocument, session: SessionDep, _: CommitteeDep) -> DraftOut:
    """Store a valid rule document as a draft (a draft of the same id and version is
    replaced: drafting is naturally idempotent). 422 lists every problem of the document
    under `body.…`; 409 when that version is already adopted (draft a new version)."""
    parse_or_refuse(document, "body")
    return DraftOut.model_validate(rulesets.draft_rule_set(session, document))


@router.get(
    "/versions",
    summary="List the stored rule set versions",
    response_model=VersionList,
    responses=problem_responses(422),
)
def list_versions(
    session: SessionDep,
    _: StaffReader,
    rule_set_id: Annotated[
        str | None,
        Query(
            description="Only this rule family. Unit: identifier.",
            pattern=IDENT_PATTERN,
            examples=["exemple"],
        ),
    ] = None,
) -> VersionList:
    """Every stored version (drafts and adopted), by family id then version."""
    return VersionList.model_validate({"versions": views.rule_versions(session, rule_set_id)})


@router.post(
    "/versions/{rule_set_id}/{version}/adopt",
    summary="Adopt a draft",
    response_model=AdoptOut,
    responses=problem_responses(404, 409, 422),
)
def adopt(
    rule_set_id: RuleSetId,
    version: Version,
    request: AdoptRequest,
    key: IdempotencyKey,
    session: SessionDep,
    principal: CommitteeDep,
) -> AdoptOut:
    """Adopt a stored draft on a committee decision: journalled with its document and hash,
    immutable afterwards. `decision` must be the one written in the draft (422 otherwise).
    409 when the version is already adopted under another key."""
    row = views.rule_version(session, rule_set_id, version)
    if row.decision != request.decision:
        raise invalid(
            "body.decision",
            f"the draft was written for decision {row.decision!r}, not {request.decision!r}",
        )
    recording = writes(principal, key)
    views.ensure_adoptable(session, row, recording["idempotency_key"])
    result = rulesets.adopt_rule_set(session, rule_set_id, version, **recording)
    return AdoptOut.model_validate(result)


@router.get(
    "/in-force",
    summary="The rule set in force for a month",
    response_model=InForceOut,
    responses=problem_responses(404, 422),
)
def in_force(
    session: SessionDep,
    _: AnyReader,
    period: Annotated[
        str,
        Query(
            description='The month, "YYYY-MM". Unit: month.',
            pattern=PERIOD_PATTERN,
            examples=["2027-01"],
        ),
    ],
) -> InForceOut:
    """The adopted version that applies to `period` (latest effective_from not after it),
    with its document. 404 when no adopted rule set applies yet."""
    month = parse_period(period, "query.period")
    return InForceOut.model_validate(views.in_force(session, month) | {"period": str(month)})


def _impact(
    session: Session, rule_set_id: str, version: int, period: str | None, budget_cents: int | None
) -> tuple[Preview, list[HouseholdFacts], RuleSet]:
    month = parse_period(period, "query.period") if period else None
    proposed, current, facts, when = views.impact_inputs(session, rule_set_id, version, month)
    return preview(current, proposed, facts, when, budget_cents=budget_cents), facts, proposed


@router.get(
    "/versions/{rule_set_id}/{version}/impact",
    summary="Impact of a version on the real membership",
    response_model=PreviewReport,
    responses=problem_responses(404, 422),
)
def impact(
    rule_set_id: RuleSetId,
    version: Version,
    session: SessionDep,
    _: CommitteeDep,
    period: MonthQuery = None,
    budget_cents: BudgetQuery = None,
) -> PreviewReport:
    """Assess every enrolled household (facts in force for the month) under this version and
    under the rules in force that month: totals for each side, each household's change,
    winners and losers, deciles of income per consumption unit. Nothing is stored."""
    report = _impact(session, rule_set_id, version, period, budget_cents)[0]
    return PreviewReport.model_validate(report.as_dict())


@router.get(
    "/versions/{rule_set_id}/{version}/impact.svg",
    summary="Chart: contribution and credit against resources",
    response_class=Response,
    responses={
        200: {
            "description": "An SVG image.",
            "content": {SVG_MEDIA_TYPE: {"schema": {"type": "string"}}},
        },
        **problem_responses(404, 422),
    },
)
def impact_chart_svg(
    rule_set_id: RuleSetId,
    version: Version,
    session: SessionDep,
    _: CommitteeDep,
    period: MonthQuery = None,
    budget_cents: BudgetQuery = None,
) -> Response:
    """The impact as an SVG chart: each household's contribution and credit against its
    income per consumption unit, under the rules in force and under this version.
    Deterministic (same data, same bytes)."""
    report, facts, proposed = _impact(session, rule_set_id, version, period, budget_cents)
    return Response(impact_chart.render(report, facts, proposed), media_type=SVG_MEDIA_TYPE)
