"""What a month run used for one household, found again by hash: the adopted rule document
whose content hash the run recorded, and the household's facts behind the commitment the run
recorded for it.

Statements and explanations are rebuilt from these, never from the rules or the facts in
force today: a rule set adopted later, or facts changed since, never rewrite an explained
past. ``None`` when the document or the facts are gone (facts erased with the member)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.db import tables as t
from app.engine import HouseholdFacts, RuleSet, parse_rule_set
from app.services.households import engine_facts


def rules_of_run(session: Session, payload: Mapping[str, Any]) -> RuleSet | None:
    """The adopted rule set whose content hash is the run's ``rule_set_hash``."""
    document = session.execute(
        select(col(t.RuleSet.document))
        .where(
            col(t.RuleSet.content_hash) == str(payload.get("rule_set_hash")),
            col(t.RuleSet.status) == "adopted",
        )
        .limit(1)
    ).scalar_one_or_none()
    return None if document is None else parse_rule_set(json.loads(document))


def facts_of_run(session: Session, line: Mapping[str, Any]) -> HouseholdFacts | None:
    """The household's facts behind the run line's ``facts_commitment`` (not erased)."""
    commitment = line.get("facts_commitment")
    if commitment is None:
        return None
    row = session.execute(
        select(t.HouseholdFacts)
        .where(
            col(t.HouseholdFacts.household_id) == str(line["household_id"]),
            col(t.HouseholdFacts.commitment) == str(commitment),
            col(t.HouseholdFacts.erased) == False,  # noqa: E712
        )
        .limit(1)
    ).scalar_one_or_none()
    return None if row is None else engine_facts(row)
