"""Rule documents read into engine values, for the API and the committee's pages alike:
the nesting bound, the parse that refuses with every problem at once, and months.

A document nested deeper than ``MAX_DEPTH`` levels is refused before the engine reads it
(its readers are recursive); a refusal is an ``InvalidRequest`` whose problem paths start
at the place the caller names (``body.rules``, ``document``...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from app.engine import Period, RuleSet, RuleSetInvalid, parse_rule_set
from app.engine.problems import Problem, join_path
from app.services.errors import InvalidRequest, prefixed

T = TypeVar("T")

MAX_DEPTH = 64  # far beyond any real rule document; keeps the engine's recursion bounded


def too_deep(document: Any, limit: int = MAX_DEPTH) -> Problem | None:
    """The first place nested deeper than ``limit`` levels (checked without recursion)."""
    stack: list[tuple[Any, str, int]] = [(document, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > limit:
            return Problem(path, f"nested deeper than {limit} levels; simplify the formula")
        if isinstance(value, dict):
            stack.extend((v, join_path(path, str(k)), depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, join_path(path, i), depth + 1) for i, v in enumerate(value))
    return None


def parse(document: Any) -> RuleSet:
    """The rule set, or ``RuleSetInvalid`` with every problem (the nesting bound first)."""
    problem = too_deep(document)
    if problem is not None:
        raise RuleSetInvalid([problem])
    return parse_rule_set(document)


def parse_or_refuse(document: Any, path: str) -> RuleSet:
    """The rule set, or a 422 ``InvalidRequest`` whose problem paths start at ``path``."""
    try:
        return parse(document)
    except RuleSetInvalid as error:
        problems = prefixed(error.problems, path)
        raise InvalidRequest(
            problems, f"The rule document at {path} has {len(problems)} problem(s)."
        ) from None


def parse_period(text: str, path: str) -> Period:
    """A month, or a 422 naming ``path``."""
    try:
        return Period.parse(text)
    except ValueError as error:
        raise InvalidRequest((Problem(path, str(error)),), str(error)) from None


def collect(problems: list[Problem], compute: Callable[[], T]) -> T | None:
    """``compute()``, or None with its refusal's problems added to ``problems``."""
    try:
        return compute()
    except InvalidRequest as refusal:
        problems.extend(refusal.problems)
        return None
