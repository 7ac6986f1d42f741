"""The salted commitment to a household's facts, and the engine facts it commits to.

A household's facts are journalled only as ``facts_commitment(salt, household_id,
from_period, facts)``: ``"sha256:" + sha256(canonical_bytes(preimage))`` where the preimage is
``{"salt", "household_id", "from_period", "facts"}`` and ``facts`` is the committed form
(``FACT_FIELDS``: amounts in cents, dates as ``YYYY-MM-DD`` text, ``None`` when unknown).
Whoever holds a preimage (the operator's erasable table, or the facts file an operator hands
an authorised auditor) recomputes the commitment and gets the very ``HouseholdFacts`` the
month run assessed (``committed_facts``); without the salt (erased) nobody can.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from app.engine.canonical import content_hash
from app.engine.facts import HouseholdFacts, Person
from app.engine.problems import InvalidInput, Problem

FACT_FIELDS = (
    "income_cents",
    "persons",
    "chosen_contribution_cents",
    "engagement_minutes",
    "attributes",
    "active_from",
    "active_until",
    "priority_tier",
)


def facts_commitment(
    salt: str, household_id: str, from_period: str, facts: Mapping[str, Any]
) -> str:
    """``sha256:<hex>`` of the canonical preimage (the journal's ``facts_commitment``)."""
    return content_hash(preimage(salt, household_id, from_period, facts))


def preimage(
    salt: str, household_id: str, from_period: str, facts: Mapping[str, Any]
) -> dict[str, Any]:
    """What the commitment hashes: one line of a facts file, as it is."""
    return {
        "salt": salt,
        "household_id": household_id,
        "from_period": from_period,
        "facts": dict(facts),
    }


def committed_facts(household_id: str, facts: Mapping[str, Any]) -> HouseholdFacts:
    """The engine facts of a committed form; ``InvalidInput`` naming the field if malformed."""
    unknown = sorted(set(facts) - set(FACT_FIELDS))
    if unknown:
        raise InvalidInput([Problem(f"facts.{unknown[0]}", "is not a committed fact")])
    persons = facts.get("persons") or []
    attributes = facts.get("attributes") or {}
    if not isinstance(persons, list) or not isinstance(attributes, Mapping):
        raise InvalidInput([Problem("facts", "persons must be a list, attributes an object")])
    try:
        return HouseholdFacts(
            household_id=household_id,
            persons=tuple(Person(_day(p)) for p in persons),
            income_cents=facts.get("income_cents"),
            chosen_contribution_cents=facts.get("chosen_contribution_cents"),
            engagement_minutes=facts.get("engagement_minutes"),
            attributes={str(k): str(v) for k, v in attributes.items()},
            active_from=_day(facts.get("active_from")),
            active_until=_day(facts.get("active_until")),
            priority_tier=facts.get("priority_tier"),
        )
    except (TypeError, ValueError) as error:
        raise InvalidInput([Problem("facts", str(error))]) from error


def _day(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)
