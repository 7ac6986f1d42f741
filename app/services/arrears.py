"""Contributions owed and arrears, read from the books (no second ledger).

Each month run debits the household's dues account (``411:<household>``) with its
contribution; payments (and reversals) credit it. What a household owes month by month is
those debits by month, settled oldest first by every credit to the account
(``app.engine.arrears.settle_oldest_first``). Nothing here writes.

- ``owed_by_month``: one household's months (owed, paid, outstanding), what it owes in all
  and what it paid ahead, the months in arrears before the current one, and the arrears
  policy of the rules in force that month (in words, French and English);
- ``with_arrears``: the run's facts with each household's ``arrears_months`` filled in, only
  when the rules in force have an arrears policy (``keep_crediting`` reads nothing);
- ``assess_as_run``: a household's assessment as its run made it (arrears as the books stood
  before the run), for statements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, col

from app.db import tables as t
from app.engine.arrears import ArrearsPolicy, MonthOwed, settle_oldest_first, unpaid_months
from app.engine.assess import Assessment, assess
from app.engine.facts import HouseholdFacts
from app.engine.fund import after_arrears
from app.engine.money import format_rate
from app.engine.period import Period
from app.engine.ruleset import RuleSet
from app.services import errors as svc
from app.services.rules.rulesets import rule_set_in_force

DUES = "411:"


def _dues(
    session: Session, accounts: Sequence[str] | None, before_seq: int | None = None
) -> dict[str, tuple[list[tuple[str, int]], int]]:
    """Per household: its debits by month and the sum of its credits, on the dues account
    (only what was booked before ``before_seq`` when given)."""
    account = col(t.Posting.account)
    amount = col(t.Posting.amount_cents)
    where: list[ColumnElement[bool]] = [
        account.in_(accounts) if accounts is not None else account.like(f"{DUES}%")
    ]
    if before_seq is not None:
        where.append(col(t.Posting.seq) < before_seq)
    debits = session.execute(
        select(account, col(t.LedgerEntry.period), func.sum(amount))
        .join(t.LedgerEntry, col(t.LedgerEntry.entry_id) == col(t.Posting.entry_id))
        .where(*where, amount > 0)
        .group_by(account, col(t.LedgerEntry.period))
    ).all()
    credits = session.execute(
        select(account, func.sum(amount)).where(*where, amount < 0).group_by(account)
    ).all()
    found: dict[str, tuple[list[tuple[str, int]], int]] = defaultdict(lambda: ([], 0))
    for name, period, cents in debits:
        found[name.removeprefix(DUES)][0].append((str(period), int(cents)))
    for name, cents in credits:
        owed, _ = found[name.removeprefix(DUES)]
        found[name.removeprefix(DUES)] = (owed, -int(cents))
    return found


def _month(month: MonthOwed) -> dict[str, Any]:
    return {
        "period": month.period,
        "owed_cents": month.owed_cents,
        "paid_cents": month.paid_cents,
        "outstanding_cents": month.outstanding_cents,
    }


def owed_by_month(session: Session, household_id: str, current: Period) -> dict[str, Any]:
    """What the household owes, month by month, oldest first (``NotFound`` if unknown)."""
    if session.get(t.Household, household_id) is None:
        raise svc.not_found("household", household_id)
    owed, paid = _dues(session, [f"{DUES}{household_id}"]).get(household_id, ([], 0))
    months, ahead = settle_oldest_first(owed, paid)
    rules = rule_set_in_force(session, current)
    policy = ArrearsPolicy() if rules is None else rules.arrears
    return {
        "household_id": household_id,
        "period": str(current),
        "months": [_month(m) for m in months],
        "outstanding_cents": sum(m.outstanding_cents for m in months),
        "ahead_cents": ahead,
        "arrears_months": unpaid_months(months, current),
        "policy": {
            "policy": policy.policy,
            "after_months": policy.after_months,
            "rate": None if policy.rate is None else format_rate(policy.rate),
            "text_fr": policy.describe("fr"),
            "text_en": policy.describe("en"),
        },
    }


def with_arrears(
    session: Session, rules: RuleSet, facts: Sequence[HouseholdFacts], period: Period
) -> list[HouseholdFacts]:
    """The run's facts, each with its months in arrears before ``period`` when the rules
    have an arrears policy (otherwise unchanged: nothing is read)."""
    if rules.arrears.after_months is None:
        return list(facts)
    dues = _dues(session, None)
    done: list[HouseholdFacts] = []
    for item in facts:
        owed, paid = dues.get(item.household_id, ([], 0))
        months, _ = settle_oldest_first(owed, paid)
        done.append(replace(item, arrears_months=unpaid_months(months, period)))
    return done


def assess_as_run(
    session: Session, rules: RuleSet, facts: HouseholdFacts, month: Period, run_seq: int
) -> Assessment:
    """One household's assessment as the run recorded at ``run_seq`` made it: with its
    months in arrears as the books stood before that run (for statements: the past stays
    explained as it was booked)."""
    assessed = assess(rules, facts, month)
    if rules.arrears.after_months is None:
        return assessed
    dues = _dues(session, [f"{DUES}{facts.household_id}"], before_seq=run_seq)
    owed, paid = dues.get(facts.household_id, ([], 0))
    months, _ = settle_oldest_first(owed, paid)
    late = replace(facts, arrears_months=unpaid_months(months, month))
    return after_arrears(rules, late, assessed)
