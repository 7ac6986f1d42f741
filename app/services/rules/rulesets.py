"""Rule sets: drafts (editable), adoption (journalled, immutable), and the set in force.

The rule set in force for a month is the adopted version with the latest
``effective_from`` not after the month; among equals, the one adopted last (highest
journal seq). Deterministic: the same adopted rows always give the same answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.db import tables as t
from app.engine import RuleSet, RuleSetInvalid, parse_rule_set
from app.engine.books.commands import Command
from app.engine.period import Period
from app.engine.problems import Problem
from app.services import errors as svc
from app.services.writes.execute import Db, execute, run_in, transaction

DRAFT = "draft"
ADOPTED = "adopted"


def _parsed(document: Mapping[str, Any]) -> RuleSet:
    try:
        return parse_rule_set(document)
    except RuleSetInvalid as error:
        raise svc.InvalidRequest(svc.prefixed(error.problems, "document"), str(error)) from error


def _row(session: Session, rule_set_id: str, version: int) -> t.RuleSet | None:
    return session.execute(
        select(t.RuleSet).where(
            col(t.RuleSet.rule_set_id) == rule_set_id, col(t.RuleSet.version) == version
        )
    ).scalar_one_or_none()


def draft_rule_set(db: Db, document: Mapping[str, Any]) -> dict[str, Any]:
    """Store (or replace) a validated draft; an adopted version can never be redrafted."""
    rules = _parsed(document)
    with transaction(db) as session:
        row = _row(session, rules.rule_set_id, rules.version)
        if row is not None and row.status == ADOPTED:
            raise svc.Conflict(
                (Problem("version", f"version {rules.version} is adopted; draft a new version"),),
                f"Rule set {rules.rule_set_id} version {rules.version} is already adopted.",
            )
        row = row or t.RuleSet(
            rule_set_id=rules.rule_set_id,
            version=rules.version,
            content_hash="",
            status=DRAFT,
            effective_from="",
            document="{}",
        )
        row.content_hash = rules.content_hash
        row.document = json.dumps(dict(rules.document), sort_keys=True, separators=(",", ":"))
        row.status = DRAFT
        row.effective_from = str(rules.effective_from)
        row.decision = rules.decision
        session.add(row)
        session.flush()
    return {
        "rule_set_id": rules.rule_set_id,
        "version": rules.version,
        "content_hash": rules.content_hash,
        "status": DRAFT,
    }


def adopt_rule_set(
    db: Db, rule_set_id: str, version: int, *, actor: str, idempotency_key: str, now: datetime
) -> dict[str, Any]:
    """Adopt a stored draft: journalled with its document and hash; immutable afterwards.
    Refused (``MonthClosed``, 409, naming the month) when a month from its ``effective_from``
    on is closed or sealed: rules are never retroactive."""

    def read(session: Session) -> tuple[t.RuleSet | None, tuple[str, str] | None, bool]:
        replay = session.execute(
            select(col(t.Journal.seq)).where(col(t.Journal.idempotency_key) == idempotency_key)
        ).first()
        row = _row(session, rule_set_id, version)
        fixed = None if row is None else closed_month_from(session, row.effective_from)
        return row, fixed, replay is not None

    row, fixed, replayed = run_in(db, read)
    if row is None:
        raise svc.not_found("rule_set", f"{rule_set_id} v{version}")
    if fixed is not None and not replayed:  # a retry of a recorded adoption answers as before
        month, status = fixed
        raise svc.MonthClosed(
            (
                Problem(
                    "effective_from",
                    f"month {month} is {status}: a rule set effective from "
                    f"{row.effective_from} would take effect in it",
                ),
            ),
            f"Month {month} is {status}: rules cannot take effect in it. Choose a month after "
            f"{month}; a correction of the past is a regularisation in an open month.",
        )
    document = json.loads(row.document)
    rules = _parsed(document)
    payload = {
        "rule_set_id": rule_set_id,
        "version": version,
        "content_hash": rules.content_hash,
        "effective_from": str(rules.effective_from),
        "decision": rules.decision,
        "document": document,
    }
    return execute(db, Command("adopt_rule_set", payload), actor, idempotency_key, now)


def closed_month_from(session: Session, effective_from: str) -> tuple[str, str] | None:
    """The latest month from ``effective_from`` on that is closed or sealed, with its status,
    or ``None``: the past is fixed, no rule set takes effect in such a month."""
    row = session.execute(
        select(col(t.Month.period), col(t.Month.status))
        .where(
            col(t.Month.period) >= effective_from,
            col(t.Month.status).in_(("closed", "sealed")),
        )
        .order_by(col(t.Month.period).desc())
        .limit(1)
    ).first()
    return None if row is None else (str(row[0]), str(row[1]))


def rule_set_in_force(session: Session, period: Period) -> RuleSet | None:
    """The adopted rule set that applies to ``period`` (``None`` if none applies yet)."""
    row = session.execute(
        select(t.RuleSet)
        .where(col(t.RuleSet.status) == ADOPTED, col(t.RuleSet.effective_from) <= str(period))
        .order_by(col(t.RuleSet.effective_from).desc(), col(t.RuleSet.adopted_seq).desc())
        .limit(1)
    ).scalar_one_or_none()
    return None if row is None else parse_rule_set(json.loads(row.document))


def rule_set_for(db: Db, period: str) -> dict[str, Any] | None:
    """The reference of the rule set in force for a month, for reads."""
    rules: RuleSet | None = run_in(db, lambda s: rule_set_in_force(s, Period.parse(period)))
    return None if rules is None else rules.ref.as_dict()
