"""The committee's rule drafts as text: check a YAML or JSON document and save it as a draft.

``check_text`` reads the text (app.services.rules.text), asks the engine to validate it
(every problem at once) and, when it is valid, to check its properties
(``app.engine.checks.check_rules``: contribution never decreasing with resources, marginal
rate below 100 %, documented jumps only). Every problem comes back with the LINE of its
key in the text. An engine problem with a message code (the rule reader's, the checks')
keeps it: a page shows ``problem.text(lang)``, the same words as the API. The few without
a code get a ``kind`` with the values they name, so a page can word them in the reader's
language.

``save_draft`` does the same checks and, only when the document is valid, stores it as a
draft (app.services.rules.rulesets): an invalid document writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.engine import RuleSet, RuleSetInvalid
from app.engine.checks import Finding, check_rules
from app.engine.period import Period
from app.engine.problems import Problem
from app.services import errors as svc
from app.services.rules import rulesets
from app.services.rules.documents import parse
from app.services.rules.text import ReadText, canonical_yaml, read_text

# (kind, pattern of the engine's English message): the values the page's words name.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("required", r"^this (?:field|section) is required"),
        ("unknown_field", r"^unknown field '(?P<field>[^']*)'; allowed here: (?P<allowed>.*)$"),
        ("whole_cents", r"^expected a whole number of cents .*, got (?P<got>.*)$"),
        ("whole", r"^expected a whole number, got (?P<got>.*)$"),
        ("decimal", r"^expected a decimal string such as \"0\.025\", got (?P<got>.*)$"),
        ("choice", r"^expected one of (?P<allowed>.*); got (?P<got>.*)$"),
        ("at_least", r"^expected at least (?P<limit>-?\d+), got (?P<got>.*)$"),
        ("at_most", r"^expected at most (?P<limit>-?\d+), got (?P<got>.*)$"),
        ("object", r"^expected an object with named fields, got (?P<got>.*)$"),
        ("list", r"^expected a list, got (?P<got>.*)$"),
        ("text", r"^expected a non-empty text, got (?P<got>.*)$"),
        ("boolean", r"^expected true or false, got (?P<got>.*)$"),
        ("month", r"^expected a month as \"YYYY-MM\", got (?P<got>.*)$"),
        ("deep", r"^nested deeper than (?P<limit>\d+) levels"),
    )
)


@dataclass(frozen=True, slots=True)
class LineProblem:
    """One problem of the document: where (line, path), what (kind, values), and the
    engine's own words (``detail``, English) for a kind the page cannot word; ``coded``:
    the engine's problem when it has a message code (``text(lang)`` says it)."""

    line: int
    path: str
    kind: str
    values: Mapping[str, str] = field(default_factory=dict)
    detail: str = ""
    coded: Problem | None = None

    def text(self, lang: str) -> str | None:
        """The problem in ``lang`` by its message code; None when it has none."""
        return None if self.coded is None else self.coded.text(lang)


@dataclass(frozen=True, slots=True)
class Checked:
    """The outcome of checking a text: problems (the document cannot be used), else the
    rule set and its property findings (errors among them block nothing here; the
    committee reads them before adopting)."""

    text: str
    form: str
    problems: tuple[LineProblem, ...] = ()
    rules: RuleSet | None = None
    findings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return self.rules is not None and not self.problems


def classify(path: str, message: str, line: int) -> LineProblem:
    """The kind of an engine problem message, with the values it names."""
    for kind, pattern in _KINDS:
        match = pattern.match(message)
        if match is not None:
            values = {k: v.strip("'") for k, v in match.groupdict().items()}
            return LineProblem(line, path, kind, values, message)
    return LineProblem(line, path, "other", {}, message)


def check_text(text: str) -> Checked:
    """Read, validate and check a rule document typed or uploaded by the committee."""
    read = read_text(text)
    if read.problem is not None:
        syntax = read.problem
        problem = LineProblem(syntax.line, "", "text_" + syntax.kind, {}, syntax.detail)
        return Checked(text, read.form, (problem,))
    try:
        rules = parse(read.document)
    except RuleSetInvalid as error:
        return Checked(text, read.form, _located(read, error))
    return Checked(text, read.form, rules=rules, findings=tuple(check_rules(rules)))


def located(problem: Problem, line: int) -> LineProblem:
    """An engine problem at its line: by its message code when it has one (one path for
    the page and the API), else classified from its English words."""
    if problem.code:
        return LineProblem(line, problem.path, "coded", {}, problem.message, problem)
    return classify(problem.path, problem.message, line)


def _located(read: ReadText, error: RuleSetInvalid) -> tuple[LineProblem, ...]:
    found = [located(p, read.line_of(p.path)) for p in error.problems]
    return tuple(sorted(found, key=lambda p: p.line))


def save_draft(session: Session, text: str) -> Checked:
    """Store the document as a draft when it is valid (else nothing is written). A version
    already adopted is never drafted again: that comes back as a problem (kind
    ``adopted``) at the document's ``version`` line."""
    checked = check_text(text)
    if not checked.ok:
        return checked
    read = read_text(text)
    try:
        rulesets.draft_rule_set(session, read.document or {})
    except svc.Conflict as refusal:
        adopted = LineProblem(read.line_of("version"), "version", "adopted", {}, refusal.detail)
        return Checked(text, checked.form, (adopted,))
    return checked


def editable_text(document: Mapping[str, Any]) -> str:
    """A stored document as YAML for the committee to start a new version from."""
    return canonical_yaml(dict(document))


def next_version_text(document: Mapping[str, Any], effective_from: Period, version: int) -> str:
    """The rules in force, as YAML, renumbered ``version`` and effective from
    ``effective_from``: the usual start of a change."""
    draft = dict(document)
    draft["version"] = version
    draft["effective_from"] = str(effective_from)
    return canonical_yaml(draft)
