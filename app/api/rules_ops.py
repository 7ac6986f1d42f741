"""Engine-only operations on rule documents (no database): validate, check, preview.

Each takes the request's parsed body and returns a response schema; the engine does the
work, this module only maps engine values to API contracts. Validating is the purpose of
``validate_rules``, so an invalid document is a normal outcome (a report), not an error.
"""

from __future__ import annotations

from typing import Any

from app.api.schemas.problems import FieldProblem
from app.api.schemas.rules import RuleSetSummary, RuleValidation
from app.engine import RuleSet, RuleSetInvalid, parse_rule_set
from app.engine.problems import Problem
from app.services.errors import InvalidRequest, prefixed


def validate_rules(document: dict[str, Any]) -> RuleValidation:
    """Every problem of the document with its path, or the identity of the valid rule set."""
    try:
        rule_set = parse_rule_set(document)
    except RuleSetInvalid as error:
        return RuleValidation(
            valid=False, problems=[_field_problem(p) for p in error.problems], rule_set=None
        )
    return RuleValidation(valid=True, problems=[], rule_set=summary(rule_set))


def parse_or_refuse(document: Any, path: str) -> RuleSet:
    """The rule set, or a 422 ``InvalidRequest`` whose problem paths start at ``path``."""
    try:
        return parse_rule_set(document)
    except RuleSetInvalid as error:
        problems = prefixed(error.problems, path)
        raise InvalidRequest(
            problems, f"The rule document at {path} has {len(problems)} problem(s)."
        ) from None


def summary(rule_set: RuleSet) -> RuleSetSummary:
    return RuleSetSummary(
        rule_set_id=rule_set.rule_set_id,
        version=rule_set.version,
        name=rule_set.name,
        effective_from=str(rule_set.effective_from),
        decision=rule_set.decision,
        content_hash=rule_set.content_hash,
    )


def _field_problem(problem: Problem) -> FieldProblem:
    return FieldProblem(path=problem.path, message=problem.message)
