"""Rule documents: validate, check properties, preview on sample households (no database)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Depends, Request

from app.api import rules_ops
from app.api.deps import CommitteeDep, Principal, Role, require_roles
from app.api.errors import problem_responses, request_language
from app.api.routing import api_router
from app.api.rule_lines import line_of_problem
from app.api.schemas.previews import PreviewReport, PreviewSampleRequest
from app.api.schemas.rules import (
    EXAMPLE_RULES,
    RULES_DOCUMENT_DESCRIPTION,
    RuleCheckReport,
    RuleCheckRequest,
    RuleValidation,
    yaml_request_body,
)

router = api_router(prefix="/rules")

RulesReader = Annotated[Principal, Depends(require_roles(Role.COMMITTEE, Role.AUDITOR))]
RuleDocument = Annotated[
    dict[str, Any], Body(description=RULES_DOCUMENT_DESCRIPTION, examples=[EXAMPLE_RULES])
]


@router.post(
    "/validate",
    summary="Validate a rule document",
    response_model=RuleValidation,
    responses=problem_responses(422),
    openapi_extra=yaml_request_body(),
)
def validate(document: RuleDocument, request: Request, _principal: RulesReader) -> RuleValidation:
    """Check a rule document against the format and report EVERY problem with its path.

    An invalid document is the expected outcome of this endpoint, so it answers 200 with
    `valid: false` and the list; 422 only when the body is not a JSON (or YAML) object.
    Each problem names the `line` of its key in the text sent.
    """
    return rules_ops.validate_rules(
        document, lambda path: line_of_problem(request, path), request_language(request)
    )


@router.post(
    "/check",
    summary="Check the properties of a rule set",
    response_model=RuleCheckReport,
    responses=problem_responses(422),
    openapi_extra=yaml_request_body("RuleCheckRequest"),
)
def check(request: RuleCheckRequest, _principal: RulesReader) -> RuleCheckReport:
    """Probe the contribution over a grid of incomes and household shapes and report
    findings: contribution decreasing with resources, marginal rate above the bound, share of
    resources above the bound, jumps at thresholds (documented or not), budget projection.

    The document must be valid (422 naming each problem under `body.rules` otherwise);
    findings, errors included, are the normal answer (200, `passed: false`).
    """
    return rules_ops.check(request)


@router.post(
    "/preview-sample",
    summary="Preview the impact of proposed rules on sample households",
    response_model=PreviewReport,
    responses=problem_responses(422),
    openapi_extra=yaml_request_body("PreviewSampleRequest"),
)
def preview_sample(request: PreviewSampleRequest, _principal: CommitteeDep) -> PreviewReport:
    """Assess the given households under the proposed rules and under the current ones (or
    none): totals for each side (contributions, credits, funders' shares, net cost,
    rationing needed), each household's change, winners and losers by bucket, and figures
    by decile of income per consumption unit. Nothing is stored.

    Every problem of the request (rule documents, households, period) is reported at once,
    422, each under its body path.
    """
    return rules_ops.preview_sample(request)
