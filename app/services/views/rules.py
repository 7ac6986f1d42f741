"""Rule versions as the API reads them: the list, one version, the set in force for a
month, what an impact chart needs, and the check before adoption. Nothing here writes.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.audit import journal
from app.db import tables as t
from app.engine import RuleSet, parse_rule_set
from app.engine.facts import HouseholdFacts
from app.engine.period import Period
from app.engine.problems import Problem
from app.services import errors as svc
from app.services.households import facts_in_force
from app.services.rules.rulesets import rule_set_in_force


def rule_versions(session: Session, rule_set_id: str | None) -> list[dict[str, Any]]:
    query = select(t.RuleSet).order_by(col(t.RuleSet.rule_set_id), col(t.RuleSet.version))
    if rule_set_id is not None:
        query = query.where(col(t.RuleSet.rule_set_id) == rule_set_id)
    return [version_dict(row) for row in session.execute(query).scalars()]


def version_dict(row: t.RuleSet) -> dict[str, Any]:
    return {
        "rule_set_id": row.rule_set_id,
        "version": int(row.version),
        "status": row.status,
        "effective_from": row.effective_from,
        "decision": row.decision,
        "content_hash": row.content_hash,
        "adopted_at": row.adopted_at,
        "adopted_seq": row.adopted_seq,
    }


def rule_version(session: Session, rule_set_id: str, version: int) -> t.RuleSet:
    row: t.RuleSet | None = session.execute(
        select(t.RuleSet).where(
            col(t.RuleSet.rule_set_id) == rule_set_id, col(t.RuleSet.version) == version
        )
    ).scalar_one_or_none()
    if row is None:
        raise svc.not_found("rule_set", f"{rule_set_id} v{version}")
    return row


def ensure_adoptable(session: Session, row: t.RuleSet, idempotency_key: str) -> None:
    """Refuse adopting an adopted version again (409), unless it is the retry of the very
    adoption (same key: the service returns the original). The books core refuses it too
    (``AlreadyAdopted``, a 409 conflict); this earlier check only words it for the API."""
    if row.status != "adopted" or journal.by_key(session, idempotency_key) is not None:
        return
    raise svc.Conflict(
        (Problem("version", f"version {row.version} is already adopted (seq {row.adopted_seq})"),),
        f"Rule set {row.rule_set_id} version {row.version} is already adopted.",
    )


def in_force(session: Session, period: Period) -> dict[str, Any]:
    """The adopted version in force for ``period`` with its document."""
    rules = rule_set_in_force(session, period)
    if rules is None:
        raise svc.not_found("rule_set", f"in force in {period}")
    row = rule_version(session, rules.rule_set_id, rules.version)
    return version_dict(row) | {"document": json.loads(row.document)}


def impact_inputs(
    session: Session, rule_set_id: str, version: int, period: Period | None
) -> tuple[RuleSet, RuleSet | None, list[HouseholdFacts], Period]:
    """The stored version, the rules in force for the month and the real membership."""
    proposed = parse_rule_set(json.loads(rule_version(session, rule_set_id, version).document))
    month = period or proposed.effective_from
    current = rule_set_in_force(session, month)
    facts = [f for f, _ in facts_in_force(session, month)]
    return proposed, current, facts, month
