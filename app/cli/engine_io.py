"""Reading the engine's input files for the command line (the engine itself never reads files).

Rule documents: JSON (``.json``) or YAML (anything else), format ``caisse.rules/1``.

Households file: JSON or YAML, a list of households (or ``{households: [...]}``), each::

    - household_id: h1                 # required, unique
      income_cents: 120000             # declared net monthly income; absent = unknown
      persons:                         # every person, the account holder included
        - {birth_on: "1980-05-17"}     # birth_on may be null (age unknown)
        - {birth_on: "2016-09-30"}
      chosen_contribution_cents: 5000  # for free-choice contributions
      engagement_minutes: 90           # participation in the month, in minutes
      attributes: {scheme: caf}        # labels read by eligibility filters
      active_from: "2026-11-10"        # membership dates, for proration by days
      active_until: null
      priority_tier: 0                 # rationing tier (0 = most protected)

Every field but ``household_id`` is optional; an absent fact is unknown, never zero.
``read_households`` reports every problem with its path (``households[2].persons[0].birth_on``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from app.engine import HouseholdFacts, InvalidInput, Person, Problem
from app.engine.commitment import FACT_FIELDS

# A household of an input file: its id and the facts a commitment covers (one list).
HOUSEHOLD_FIELDS = ("household_id", *FACT_FIELDS)


class InputFileError(Exception):
    """A file cannot be used; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))


def load_document(path: str) -> Any:
    """Parse a JSON or YAML file; a missing or malformed file is an ``InputFileError``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InputFileError([Problem(path, f"cannot read the file: {error.strerror}")]) from None
    try:
        if path.endswith(".json"):
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError, ValueError) as error:
        message = str(error).replace("\n", " ")
        raise InputFileError([Problem(path, f"not valid JSON/YAML: {message}")]) from None


def read_households(document: Any) -> list[HouseholdFacts]:
    """Households from a parsed households file; raises ``InputFileError`` listing every problem."""
    items = document.get("households") if isinstance(document, Mapping) else document
    if not isinstance(items, list):
        raise InputFileError([Problem("households", "expected a list of households")])
    problems: list[Problem] = []
    households: list[HouseholdFacts] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"households[{index}]"
        facts = _household(item, where, problems)
        if facts is None:
            continue
        if facts.household_id in seen:
            problems.append(Problem(f"{where}.household_id", "the same household is given twice"))
        seen.add(facts.household_id)
        households.append(facts)
    if problems:
        raise InputFileError(problems)
    return households


def _household(item: Any, where: str, problems: list[Problem]) -> HouseholdFacts | None:
    if not isinstance(item, Mapping):
        problems.append(Problem(where, "expected an object with named fields"))
        return None
    count = len(problems)
    for key in sorted(set(item) - set(HOUSEHOLD_FIELDS)):
        allowed = ", ".join(HOUSEHOLD_FIELDS)
        problems.append(Problem(f"{where}.{key}", f"unknown field; allowed: {allowed}"))
    persons = _persons(item.get("persons", []), f"{where}.persons", problems)
    attributes = item.get("attributes", {})
    if not isinstance(attributes, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()
    ):
        problems.append(Problem(f"{where}.attributes", "expected labels: {name: text}"))
        attributes = {}
    tier = item.get("priority_tier")
    if tier is not None and (isinstance(tier, bool) or not isinstance(tier, int) or tier < 0):
        problems.append(Problem(f"{where}.priority_tier", f"expected 0 or more, got {tier!r}"))
    active_from = _date(item.get("active_from"), f"{where}.active_from", problems)
    active_until = _date(item.get("active_until"), f"{where}.active_until", problems)
    household_id = item.get("household_id")
    if not isinstance(household_id, str) or not household_id:
        problems.append(Problem(f"{where}.household_id", "expected a non-empty identifier"))
        household_id = "?"  # reported above; still build the rest to report its problems too
    try:
        facts = HouseholdFacts(
            household_id=household_id,
            persons=persons,
            income_cents=item.get("income_cents"),
            chosen_contribution_cents=item.get("chosen_contribution_cents"),
            engagement_minutes=item.get("engagement_minutes"),
            attributes=dict(attributes),
            active_from=active_from,
            active_until=active_until,
            priority_tier=tier,
        )
    except InvalidInput as error:
        problems.extend(Problem(f"{where}.{p.path}", p.message) for p in error.problems)
        return None
    return facts if len(problems) == count else None


def _persons(value: Any, where: str, problems: list[Problem]) -> tuple[Person, ...]:
    if not isinstance(value, list):
        problems.append(Problem(where, "expected a list of persons: [{birth_on: YYYY-MM-DD}]"))
        return ()
    persons: list[Person] = []
    for index, item in enumerate(value):
        if not isinstance(item, Mapping) or set(item) - {"birth_on"}:
            problems.append(Problem(f"{where}[{index}]", "expected {birth_on: YYYY-MM-DD}"))
            continue
        persons.append(Person(_date(item.get("birth_on"), f"{where}[{index}].birth_on", problems)))
    return tuple(persons)


def _date(value: Any, where: str, problems: list[Problem]) -> date | None:
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(Problem(where, f'expected a date "YYYY-MM-DD", got {value!r}'))
    return None
