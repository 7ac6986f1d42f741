"""Households: enrolment, facts from a month, erasure, and the facts in force for a month.

Personal data (identity, income, persons) go only to the erasable tables; the journal gets
the pseudonymous id and a salted commitment ``sha256:<hex>`` of the facts. A replayed
idempotency key reuses the stored salt, so retrying the same request returns the original
result instead of a conflict.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, SQLModel, col

from app.audit import journal
from app.db import tables as t
from app.engine.books.commands import Command
from app.engine.commitment import facts_commitment
from app.engine.facts import HouseholdFacts, Person
from app.engine.period import Period
from app.engine.problems import EngineError
from app.services import consent, free_text
from app.services import errors as svc
from app.services.receipts import donors as tax_donors
from app.services.writes.execute import Db, execute, run_in


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the account holder is: erasable, never journalled."""

    full_name: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """A household's facts from a month on (``None`` = not known, never zero)."""

    income_cents: int | None = None
    persons: tuple[date | None, ...] = ()
    chosen_contribution_cents: int | None = None
    engagement_minutes: int | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    active_from: date | None = None
    active_until: date | None = None
    priority_tier: int | None = None

    def as_dict(self) -> dict[str, Any]:
        def day(value: date | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "income_cents": self.income_cents,
            "persons": [day(p) for p in self.persons],
            "chosen_contribution_cents": self.chosen_contribution_cents,
            "engagement_minutes": self.engagement_minutes,
            "attributes": dict(sorted(self.attributes.items())),
            "active_from": day(self.active_from),
            "active_until": day(self.active_until),
            "priority_tier": self.priority_tier,
        }


def commitment(salt: str, household_id: str, from_period: str, facts: Facts) -> str:
    """The journal's salted commitment to these facts (``app.engine.commitment``)."""
    return facts_commitment(salt, household_id, from_period, facts.as_dict())


def _salt_for(db: Db, idempotency_key: str) -> str:
    """The salt already used under this key (a retry), else a fresh one."""

    def read(session: Session) -> str | None:
        row = journal.by_key(session, idempotency_key)
        if row is None:
            return None
        facts = session.execute(
            select(col(t.HouseholdFacts.salt)).where(col(t.HouseholdFacts.seq) == row.seq)
        ).first()
        return None if facts is None else facts[0]

    stored: str | None = run_in(db, read)
    return stored or secrets.token_hex(16)


def _period(text: str, path: str) -> str:
    try:
        return str(Period.parse(text))
    except ValueError as error:
        raise svc.invalid(path, str(error)) from error


def validate_facts(household_id: str, facts: Facts) -> None:
    """Refuse malformed facts before anything is recorded (the engine's own checks)."""
    try:
        engine_facts_of(household_id, facts)
    except EngineError as error:
        raise svc.InvalidRequest(error.problems, str(error)) from error


def engine_facts_of(household_id: str, facts: Facts) -> HouseholdFacts:
    return HouseholdFacts(
        household_id=household_id,
        persons=tuple(Person(p) for p in facts.persons),
        income_cents=facts.income_cents,
        chosen_contribution_cents=facts.chosen_contribution_cents,
        engagement_minutes=facts.engagement_minutes,
        attributes=dict(facts.attributes),
        active_from=facts.active_from,
        active_until=facts.active_until,
        priority_tier=facts.priority_tier,
    )


def _facts_row(
    household_id: str, period: str, facts: Facts, salt: str, seq: int
) -> t.HouseholdFacts:
    data = facts.as_dict()
    return t.HouseholdFacts(
        household_id=household_id,
        from_period=period,
        seq=seq,
        income_cents=facts.income_cents,
        chosen_contribution_cents=facts.chosen_contribution_cents,
        persons=json.dumps(data["persons"]),
        attributes=json.dumps(data["attributes"]),
        engagement_minutes=facts.engagement_minutes,
        active_from=data["active_from"],
        active_until=data["active_until"],
        priority_tier=facts.priority_tier,
        salt=salt,
        commitment=commitment(salt, household_id, period, facts),
    )


def enrol_household(
    db: Db,
    household_id: str,
    from_period: str,
    identity: Identity,
    facts: Facts,
    consent_code: str,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> dict[str, Any]:
    """Enrol a household: identity and facts kept erasable, the journal gets a commitment."""
    period = _period(from_period, "from_period")
    if len(consent_code) < 4:
        raise svc.invalid("consent_code", "the consent code needs at least 4 characters")
    validate_facts(household_id, facts)
    salt = _salt_for(db, idempotency_key)
    payload = {
        "household_id": household_id,
        "from_period": period,
        "facts_commitment": commitment(salt, household_id, period, facts),
    }

    def side(session: Session, seq: int) -> None:
        session.add(_facts_row(household_id, period, facts, salt, seq))
        session.add(
            t.MemberIdentity(
                household_id=household_id,
                full_name=identity.full_name,
                email=identity.email,
                phone=identity.phone,
                address=identity.address,
            )
        )
        row = session.get(t.Household, household_id)
        if row is not None:
            row.consent_code_hash = consent.hash_code(household_id, consent_code)
            session.add(row)

    return execute(db, Command("enrol_household", payload), actor, idempotency_key, now, side=side)


def change_facts(
    db: Db,
    household_id: str,
    from_period: str,
    facts: Facts,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> dict[str, Any]:
    """New facts in force from ``from_period`` (earlier months keep the facts they used)."""
    period = _period(from_period, "from_period")
    validate_facts(household_id, facts)
    salt = _salt_for(db, idempotency_key)
    payload = {
        "household_id": household_id,
        "from_period": period,
        "facts_commitment": commitment(salt, household_id, period, facts),
    }

    def side(session: Session, seq: int) -> None:
        session.add(_facts_row(household_id, period, facts, salt, seq))

    return execute(db, Command("change_facts", payload), actor, idempotency_key, now, side=side)


def erase_member(
    db: Db, household_id: str, *, actor: str, idempotency_key: str, now: datetime
) -> dict[str, Any]:
    """Delete identity, facts and salts, and the references of its payments (kept out of
    the journal, app.services.free_text); the journal keeps only the pseudonymous id."""
    command = Command("erase_member", {"household_id": household_id})

    def forget_texts(session: Session, _seq: int) -> None:
        free_text.erase_household(session, household_id)
        tax_donors.erase_household(session, household_id)  # a member donor's identity too

    return execute(db, command, actor, idempotency_key, now, side=forget_texts)


def facts_in_force(
    session: Session, period: Period, household_ids: Sequence[str] | None = None
) -> list[tuple[HouseholdFacts, str]]:
    """Each active household's facts for ``period`` with their commitment, by household id.

    The row in force is the one with the latest ``from_period`` not after the month (the
    latest recorded wins among equals); households enrolled later or erased are left out.
    """
    facts = SQLModel.metadata.tables["household_facts"]
    # Plain rows, not ORM objects: a month run reads every household's facts at once.
    query = (
        select(*facts.c)
        .join(t.Household, col(t.Household.household_id) == col(t.HouseholdFacts.household_id))
        .where(col(t.Household.erased) == False, col(t.HouseholdFacts.from_period) <= str(period))  # noqa: E712
        .order_by(
            col(t.HouseholdFacts.household_id),
            col(t.HouseholdFacts.from_period),
            col(t.HouseholdFacts.seq),
        )
    )
    if household_ids is not None:
        query = query.where(col(t.HouseholdFacts.household_id).in_(household_ids))
    latest: dict[str, Any] = {}
    for row in session.execute(query):
        latest[row.household_id] = row
    return [(engine_facts(row), row.commitment) for _, row in sorted(latest.items())]


def engine_facts(row: Any) -> HouseholdFacts:
    """Engine facts from a ``household_facts`` row (ORM object or plain row)."""

    def day(value: str | None) -> date | None:
        return None if value is None else date.fromisoformat(value)

    persons = tuple(Person(day(p)) for p in json.loads(row.persons))
    return HouseholdFacts(
        household_id=row.household_id,
        persons=persons,
        income_cents=row.income_cents,
        chosen_contribution_cents=row.chosen_contribution_cents,
        engagement_minutes=row.engagement_minutes,
        attributes=json.loads(row.attributes),
        active_from=day(row.active_from),
        active_until=day(row.active_until),
        priority_tier=row.priority_tier,
    )
