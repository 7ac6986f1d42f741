"""Reads the HTTP API needs beyond app.services.reads. Nothing here writes.

Every function takes the request's session (one consistent state) and refuses what does
not exist with ``not_found`` (the same error as what the caller may not see).

- households: the operator's list, a member's own profile and full data export;
- merchants: the owner of a purchase, a merchant's settlements;
- rule sets: the stored versions, one version's document, the inputs of an impact preview
  on the real membership (facts in force for the month);
- audit: every checkpoint.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.audit import checkpoint as audit_checkpoint
from app.audit import journal
from app.db import tables as t
from app.engine import RuleSet, parse_rule_set
from app.engine.facts import HouseholdFacts
from app.engine.period import Period
from app.engine.problems import Problem
from app.services import errors as svc
from app.services import free_text, reads
from app.services.households import facts_in_force
from app.services.rulesets import rule_set_in_force


def household_row(session: Session, household_id: str) -> t.Household:
    row = session.get(t.Household, household_id)
    if row is None:
        raise svc.not_found("household", household_id)
    return row


def list_households(session: Session, after: str, limit: int) -> list[dict[str, Any]]:
    """Households by id after ``after`` (at most ``limit``), with their holder's name."""
    rows = session.execute(
        select(t.Household, t.MemberIdentity)
        .outerjoin(
            t.MemberIdentity,
            col(t.MemberIdentity.household_id) == col(t.Household.household_id),
        )
        .where(col(t.Household.household_id) > after)
        .order_by(col(t.Household.household_id))
        .limit(limit)
    ).all()
    return [
        {
            "household_id": h.household_id,
            "from_period": h.from_period,
            "erased": bool(h.erased),
            "full_name": None if identity is None else identity.full_name,
            "last_seq": int(h.last_seq),
        }
        for h, identity in rows
    ]


def _facts_rows(session: Session, household_id: str) -> list[t.HouseholdFacts]:
    return list(
        session.execute(
            select(t.HouseholdFacts)
            .where(col(t.HouseholdFacts.household_id) == household_id)
            .order_by(col(t.HouseholdFacts.from_period), col(t.HouseholdFacts.seq))
        ).scalars()
    )


def facts_dict(row: t.HouseholdFacts) -> dict[str, Any]:
    return {
        "from_period": row.from_period,
        "seq": int(row.seq),
        "income_cents": row.income_cents,
        "chosen_contribution_cents": row.chosen_contribution_cents,
        "persons": [{"birth_on": day} for day in json.loads(row.persons)],
        "engagement_minutes": row.engagement_minutes,
        "attributes": json.loads(row.attributes),
        "active_from": row.active_from,
        "active_until": row.active_until,
        "priority_tier": row.priority_tier,
    }


def _identity(session: Session, household_id: str) -> dict[str, Any] | None:
    row = session.get(t.MemberIdentity, household_id)
    if row is None:
        return None
    return {
        "full_name": row.full_name,
        "email": row.email,
        "phone": row.phone,
        "address": row.address,
    }


def profile(session: Session, household_id: str, period: Period) -> dict[str, Any]:
    """The household's identity and the facts in force for ``period`` (latest not after)."""
    household = household_row(session, household_id)
    rows = [r for r in _facts_rows(session, household_id) if r.from_period <= str(period)]
    return {
        "household_id": household_id,
        "member_since": household.from_period,
        "erased": bool(household.erased),
        "identity": _identity(session, household_id),
        "facts": facts_dict(rows[-1]) if rows and not household.erased else None,
    }


def member_export(session: Session, household_id: str) -> dict[str, Any]:
    """Everything the fund holds about one household (identity, facts, books, statements)."""
    household = household_row(session, household_id)
    credited = session.execute(
        select(col(t.MonthCredit.period))
        .where(col(t.MonthCredit.household_id) == household_id)
        .order_by(col(t.MonthCredit.period))
    ).scalars()
    return {
        "format": "caisse.member-export/1",
        "household_id": household_id,
        "member_since": household.from_period,
        "erased": bool(household.erased),
        "identity": _identity(session, household_id),
        "facts": []
        if household.erased
        else [facts_dict(r) for r in _facts_rows(session, household_id)],
        "balance": reads.balances(session, household_id),
        "history": reads.history(session, household_id, limit=100_000),
        "statements": [reads.statement(session, household_id, p) for p in credited],
    }


def purchase_exists(session: Session, merchant_id: str, purchase_id: str) -> bool:
    """Whether ``merchant_id`` recorded a purchase ``purchase_id`` (ids are per merchant)."""
    return session.get(t.Purchase, (merchant_id, purchase_id)) is not None


def merchant_settlements(session: Session, merchant_id: str) -> list[dict[str, Any]]:
    """Every settlement paid to the merchant, newest first."""
    if session.get(t.Merchant, merchant_id) is None:
        raise svc.not_found("merchant", merchant_id)
    rows = session.execute(
        select(
            col(t.LedgerEntry.entry_id),
            col(t.LedgerEntry.seq),
            col(t.LedgerEntry.period),
            col(t.LedgerEntry.memo),
            col(t.Posting.amount_cents),
        )
        .join(t.Posting, col(t.Posting.entry_id) == col(t.LedgerEntry.entry_id))
        .where(
            col(t.LedgerEntry.kind) == "settlement",
            col(t.Posting.account) == f"401:{merchant_id}",
        )
        .order_by(col(t.LedgerEntry.seq).desc())
    )
    shown = free_text.readable_in(session)  # the batch's reference as kept
    return [
        {
            "entry_id": e,
            "seq": int(s),
            "period": p,
            "memo": shown(m, int(s)),
            "amount_cents": int(c),
        }
        for e, s, p, m, c in rows
    ]


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


def checkpoints(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(select(t.Checkpoint).order_by(col(t.Checkpoint.seq))).scalars()
    return [checkpoint_dict(row) for row in rows]


def checkpoint_dict(row: t.Checkpoint) -> dict[str, Any]:
    return audit_checkpoint.published(row)


def checkpoint(session: Session, period: Period) -> dict[str, Any]:
    row = session.get(t.Checkpoint, str(period))
    if row is None:
        raise svc.not_found("checkpoint", str(period))
    return checkpoint_dict(row)


def run_retry(session: Session, key: str, period: Period) -> dict[str, Any] | None:
    """What a month run under ``key`` recorded (None: no run under that key yet).

    The run records one ``run_month`` command per chunk under ``<key>:<digest>``; a retry
    returns the original figures, and a key used for another month is a conflict.
    """
    rows = list(
        session.execute(
            select(t.Journal)
            .where(
                col(t.Journal.idempotency_key).startswith(f"{key}:", autoescape=True),
                col(t.Journal.kind) == "run_month",
            )
            .order_by(col(t.Journal.seq))
        ).scalars()
    )
    if not rows:
        return None
    periods = {json.loads(row.payload)["period"] for row in rows}
    if periods != {str(period)}:
        raise svc.IdempotencyConflict(
            (Problem("idempotency_key", f"the key ran {', '.join(sorted(periods))}"),),
            f"This idempotency key was already used to run {', '.join(sorted(periods))}.",
        )
    before = session.execute(
        select(func.count())
        .select_from(t.MonthCredit)
        .where(col(t.MonthCredit.period) == str(period), col(t.MonthCredit.seq) < rows[0].seq)
    ).scalar_one()
    return {
        "chunks": len(rows),
        "seqs": [int(row.seq) for row in rows],
        "credited": sum(int(json.loads(row.result)["credited"]) for row in rows),
        "already_credited": int(before),
    }
