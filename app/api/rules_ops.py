"""Engine-only operations on rule documents (no database): validate, check, preview.

Each takes the request's parsed body and returns a response schema; the engine does the
work, this module only maps engine values to API contracts. Validating is the purpose of
``validate_rules``, so an invalid document is a normal outcome (a report), not an error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from app.api.errors import problem_text
from app.api.schemas.households import HouseholdFactsIn
from app.api.schemas.previews import PreviewReport, PreviewSampleRequest
from app.api.schemas.problems import FieldProblem
from app.api.schemas.rules import (
    FindingMessage,
    FindingOut,
    RuleCheckReport,
    RuleCheckRequest,
    RuleSetSummary,
    RuleValidation,
)
from app.engine import HouseholdFacts, Person, RuleSet, RuleSetInvalid
from app.engine.checks import Finding, Severity, check_rules
from app.engine.preview import preview
from app.engine.problems import InvalidInput, Problem
from app.services.errors import InvalidRequest, prefixed
from app.services.rules.documents import collect, parse_or_refuse, parse_period
from app.services.rules.documents import parse as _parse

__all__ = ["check", "parse_or_refuse", "parse_period", "preview_sample", "validate_rules"]


def validate_rules(
    document: dict[str, Any],
    line_of: Callable[[str], int | None] = lambda path: None,
    lang: str = "fr",
) -> RuleValidation:
    """Every problem of the document with its path, in ``lang`` (and its line, when
    ``line_of`` knows where the document's keys are written), or the identity of the valid
    rule set."""
    try:
        rule_set = _parse(document)
    except RuleSetInvalid as error:
        problems = [_field_problem(p, line_of(p.path), lang) for p in error.problems]
        return RuleValidation(valid=False, problems=problems, rule_set=None)
    return RuleValidation(valid=True, problems=[], rule_set=summary(rule_set))


def summary(rule_set: RuleSet) -> RuleSetSummary:
    return RuleSetSummary(
        rule_set_id=rule_set.rule_set_id,
        version=rule_set.version,
        name=rule_set.name,
        effective_from=str(rule_set.effective_from),
        decision=rule_set.decision,
        content_hash=rule_set.content_hash,
    )


def _field_problem(problem: Problem, line: int | None, lang: str) -> FieldProblem:
    return FieldProblem(path=problem.path, message=problem_text(problem, lang), line=line)


def check(request: RuleCheckRequest) -> RuleCheckReport:
    """Run the engine's property checks on the document and report every finding."""
    problems: list[Problem] = []
    rule_set = collect(problems, lambda: parse_or_refuse(request.rules, "body.rules"))
    households = collect(problems, lambda: facts_of(request.households or [], "body.households"))
    month = (
        collect(problems, lambda: parse_period(request.period or "", "body.period"))
        if request.period
        else None
    )
    if rule_set is None or households is None or problems:
        raise InvalidRequest(problems, f"{len(problems)} problem(s) in the request.")
    findings = check_rules(
        rule_set,
        households=households if request.households is not None else None,
        period=month,
        max_marginal_rate=Fraction(request.max_marginal_rate),
        max_share_of_resources=(
            Fraction(request.max_share_of_resources)
            if request.max_share_of_resources is not None
            else None
        ),
        budget_cents=request.budget_cents,
    )
    counts = {severity.value: 0 for severity in Severity}
    for finding in findings:
        counts[finding.severity.value] += 1
    return RuleCheckReport(
        rule_set=summary(rule_set),
        passed=counts[Severity.ERROR.value] == 0,
        counts=counts,
        findings=[_finding(finding) for finding in findings],
    )


def facts_of(households: Sequence[HouseholdFactsIn], path: str) -> list[HouseholdFacts]:
    """Engine facts for the request's households; 422 naming the item for a bad one."""
    facts: list[HouseholdFacts] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(households):
        where = f"{path}[{index}]"
        if item.household_id in seen:
            problems.append(
                Problem(
                    f"{where}.household_id",
                    f"household {item.household_id!r} is already at {path}[{seen[item.household_id]}]",
                )
            )
            continue
        seen[item.household_id] = index
        try:
            facts.append(_facts(item))
        except InvalidInput as error:
            problems.extend(prefixed(error.problems, where))
    if problems:
        raise InvalidRequest(problems, f"{len(problems)} household(s) cannot be used as given.")
    return facts


def _facts(item: HouseholdFactsIn) -> HouseholdFacts:
    return HouseholdFacts(
        household_id=item.household_id,
        persons=tuple(Person(person.birth_on) for person in item.persons),
        income_cents=item.income_cents,
        chosen_contribution_cents=item.chosen_contribution_cents,
        engagement_minutes=item.engagement_minutes,
        attributes=dict(item.attributes),
        active_from=item.active_from,
        active_until=item.active_until,
        priority_tier=item.priority_tier,
    )


def _finding(finding: Finding) -> FindingOut:
    return FindingOut(
        severity=finding.severity.value,
        code=finding.code,
        message=FindingMessage(fr=finding.message_fr, en=finding.message_en),
        evidence=dict(finding.evidence),
    )


def preview_sample(request: PreviewSampleRequest) -> PreviewReport:
    """Assess the households under both rule sets and report the impact."""
    problems: list[Problem] = []
    proposed = collect(
        problems, lambda: parse_or_refuse(request.proposed_rules, "body.proposed_rules")
    )
    current = (
        collect(problems, lambda: parse_or_refuse(request.current_rules, "body.current_rules"))
        if request.current_rules is not None
        else None
    )
    households = collect(problems, lambda: facts_of(request.households, "body.households"))
    month = (
        collect(problems, lambda: parse_period(request.period or "", "body.period"))
        if request.period
        else None
    )
    if proposed is None or households is None or problems:
        raise InvalidRequest(problems, f"{len(problems)} problem(s) in the request.")
    report = preview(
        current,
        proposed,
        households,
        month or proposed.effective_from,
        budget_cents=request.budget_cents,
    )
    return PreviewReport.model_validate(report.as_dict())
