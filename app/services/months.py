"""The month: preview (no writes), run (exactly once per household), expire, close, seal.

``run_month`` loads the facts in force for the month, assesses every household with the rule
set in force (``app.engine.fund.assess_fund``), computes the budget from the books (euros
held + receivable − credit outstanding − payables, plus the month's own contributions and
funders' shares) and rations when the credits exceed it. It then appends ``run_month``
commands in chunks of ``chunk_size`` households, each chunk one transaction. Households
already credited for the month are left out (``month_credit`` primary key), so running a
month again is a no-op and a run interrupted half-way completes on the next call.

Chunks are formed cheapest-first (contribution and funder share minus credit), so the backing
invariant checked after each chunk holds at every step when it holds for the whole month.

Each chunk's payload is serialised once (``prepare``: its request hash names the chunk's
idempotency key and is reused by ``execute``), and the fund totals the invariant check ends
with are carried to the next chunk (``Totals``), so only the first chunk sums every balance;
the others move those totals by the accounts they touch, as long as no other command was
recorded in between (then the check sums in full again). On SQLite the chunks do not
auto-checkpoint the WAL (``app.db.session.bulk_writer``): each chunk rewrites index pages
all over the fund, which every checkpoint copied again; the run checkpoints once at its end.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.db import tables as t
from app.db.session import bulk_writer, checkpoint_wal
from app.engine import RuleSet
from app.engine.assess import Assessment, Status
from app.engine.books.commands import Command
from app.engine.collector import collector_paused
from app.engine.fund import FundMonth, assess_fund
from app.engine.fund_budget import within_budget
from app.engine.month_run import run_line
from app.engine.period import Period
from app.engine.problems import Problem
from app.ledger.invariants import fund_totals, held_cents, owed_cents
from app.services import arrears
from app.services import errors as svc
from app.services.months_load import facts_for_run, heap_frozen
from app.services.rules.rulesets import rule_set_in_force
from app.services.writes.execute import Db, Totals, execute, prepare, run_in

# 10 000 households a chunk: at 100k households, 9.8 s of CPU against 10.3 s for chunks of
# 5 000 (and 14.3 against 16.3 s for 5 000 against 1 000, before the WAL was left to grow):
# fewer transactions, commits and per-chunk queries, and each index page a chunk dirties is
# written once for more rows. For 20 MiB more at the peak, and a writer lock held about a
# second a chunk (20 000: no faster, 55 MiB more).
CHUNK_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class MonthPlan:
    period: Period
    rules: RuleSet
    fund: FundMonth
    budget_cents: int
    commitments: dict[str, str]
    credited: frozenset[str]
    # Months in arrears of each household, under rules with an arrears policy (else empty).
    arrears_months: dict[str, int]


def _parse(period: str) -> Period:
    try:
        return Period.parse(period)
    except ValueError as error:
        raise svc.invalid("period", str(error)) from error


def available_cents(session: Session) -> int:
    """Euros held + receivable − credit outstanding − merchant payables (may be negative)."""
    totals = fund_totals(session)
    return held_cents(totals) - owed_cents(totals)


def _posted(session: Session, period: Period) -> int:
    """Net effect on the backing of this month's run already posted (to undo it)."""
    query = (
        select(func.coalesce(func.sum(col(t.Posting.amount_cents)), 0))
        .join(t.LedgerEntry, col(t.LedgerEntry.entry_id) == col(t.Posting.entry_id))
        .where(
            col(t.LedgerEntry.period) == str(period),
            col(t.LedgerEntry.kind).in_(("contribution", "credit")),
            col(t.Posting.account).like("411:%")
            | col(t.Posting.account).like("419:%")
            | col(t.Posting.account).like("4687:%"),
        )
    )
    return int(session.execute(query).scalar_one())


def plan_month(session: Session, period: Period) -> MonthPlan:
    """Everything the run needs, computed from one consistent read of the database."""
    rules = rule_set_in_force(session, period)
    if rules is None:
        raise svc.Conflict(
            (Problem("period", f"no adopted rule set is in force in {period}"),),
            f"No adopted rule set applies to {period}.",
        )
    loaded = facts_for_run(session, period)
    # Months in arrears come from the books (411), not from the committed facts.
    facts = arrears.with_arrears(session, rules, [f for f, _ in loaded], period)
    commitments = {f.household_id: c for f, c in loaded}
    credited = frozenset(
        session.execute(
            select(col(t.MonthCredit.household_id)).where(col(t.MonthCredit.period) == str(period))
        ).scalars()
    )
    first = assess_fund(rules, facts, period, explain=False)
    surplus = available_cents(session) - _posted(session, period)
    fund, budget = within_budget(rules, facts, surplus, first)
    late = (
        {f.household_id: f.arrears_months or 0 for f in facts}
        if rules.arrears.after_months is not None
        else {}
    )
    return MonthPlan(period, rules, fund, budget, commitments, credited, late)


def _line(a: Assessment, plan: MonthPlan) -> dict[str, Any]:
    household = a.household_id
    return run_line(a, plan.commitments[household], plan.arrears_months.get(household))


def preview_month(db: Db, period: str) -> dict[str, Any]:
    """What running the month would book, without writing anything."""
    plan: MonthPlan = run_in(db, lambda s: plan_month(s, _parse(period)))
    return _summary(plan) | {
        "households": [
            _line(a, plan)
            | {
                "problems": [p.as_dict() for p in a.problems],
                "already_credited": a.household_id in plan.credited,
            }
            for a in plan.fund.assessments
        ],
    }


def _summary(plan: MonthPlan) -> dict[str, Any]:
    totals = plan.fund.totals
    return {
        "period": str(plan.period),
        "rule_set": plan.rules.ref.as_dict(),
        "budget_cents": plan.budget_cents,
        "rationed": plan.fund.rationing is not None,
        "contribution_cents": totals.contributions_cents,
        "entitlement_cents": totals.entitlements_cents,
        "credit_cents": totals.credits_cents,
        "funder_share_cents": totals.funder_shares_cents,
        "by_status": dict(totals.by_status),
    }


def _chunks(plan: MonthPlan, size: int) -> list[list[dict[str, Any]]]:
    lines = [_line(a, plan) for a in plan.fund.assessments if a.household_id not in plan.credited]
    if not any(line["status"] == Status.ASSESSED.value for line in lines):
        return []

    def cost(line: dict[str, Any]) -> tuple[int, str]:
        net = (line["credit_cents"] or 0) - (line["contribution_cents"] or 0)
        return net - line["funder_share_cents"], line["household_id"]

    ordered = sorted(lines, key=cost)
    return [
        sorted(ordered[i : i + size], key=lambda x: x["household_id"])
        for i in range(0, len(ordered), size)
    ]


def _payload(plan: MonthPlan, index: int, households: Sequence[dict[str, Any]]) -> dict[str, Any]:
    policy = plan.rules.unspent_credit
    rationing = plan.fund.rationing
    return {
        "period": str(plan.period),
        "rule_set_hash": plan.rules.content_hash,
        "chunk": index,
        "unspent_credit": {
            "policy": policy.policy,
            "after_months": policy.after_months,
            "cap_cents": policy.cap_cents,
        },
        "rationing": None
        if rationing is None
        else {
            "budget_cents": plan.budget_cents,
            "entitlement_total_cents": plan.fund.totals.entitlements_cents,
        },
        "households": list(households),
    }


def run_month(
    db: Db,
    period: str,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
    chunk_size: int = CHUNK_SIZE,
) -> dict[str, Any]:
    """Credit every household not yet credited for ``period``, chunk by chunk."""
    # Planning builds a fund's worth of acyclic values (facts, assessments): the collector,
    # paused, does not scan them over and over (0.3 s at 100k households); the few cycles
    # the SQL layer leaves are freed by a later full collection.
    with heap_frozen(), collector_paused():
        plan: MonthPlan = run_in(db, lambda s: plan_month(s, _parse(period)))
    seqs: list[int] = []
    credited = 0
    totals = Totals()
    writer = bulk_writer(db) if isinstance(db, Engine) else db
    # The plan, now built, stays out of the collector's way (frozen), and the collector is
    # paused while the chunks run: a chunk's lines, entries, rows and effects are acyclic
    # and freed by reference counting when it ends, but the collector still ran some 40
    # full collections a run over the chunks' live objects (1.8 s of 14.7 s of CPU at 100k).
    # The few cycles a chunk leaves (the SQL layer's) are collected after it, young
    # generations only, so memory stays bounded by one chunk.
    with heap_frozen(), collector_paused():
        for index, households in enumerate(_chunks(plan, chunk_size)):
            prepared = prepare(Command("run_month", _payload(plan, index, households)))
            # Content-addressed chunk keys: a retry of the same chunk replays its stored result.
            key = f"{idempotency_key}:{prepared.digest[:24]}"
            result = execute(
                writer, prepared.command, actor, key, now, prepared=prepared, totals=totals
            )
            seqs.append(int(result["seq"]))
            credited += int(result["credited"])
            gc.collect(1)
    if isinstance(writer, Engine) and seqs:
        checkpoint_wal(writer)  # the chunks' WAL, copied into the database once
    return _summary(plan) | {
        "chunks": len(seqs),
        "seqs": seqs,
        "credited": credited,
        "already_credited": len(plan.credited),
    }


def expire_credit(
    db: Db,
    period: str,
    household_ids: Sequence[str] | None = None,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> dict[str, Any]:
    """Expire (or cap) unspent credit as the month's policy says; default: every holder."""
    month = _parse(period)

    def holders(session: Session) -> list[str]:
        return sorted(
            set(
                session.execute(
                    select(col(t.CreditLot.household_id)).where(col(t.CreditLot.is_open))
                ).scalars()
            )
        )

    ids = sorted(household_ids) if household_ids is not None else run_in(db, holders)
    payload = {"period": str(month), "household_ids": list(ids)}
    return execute(db, Command("expire_credit", payload), actor, idempotency_key, now)


def close_month(
    db: Db, period: str, *, actor: str, idempotency_key: str, now: datetime
) -> dict[str, Any]:
    """Close a month: no entry is booked in it afterwards (corrections go to a later month)."""
    payload = {"period": str(_parse(period))}
    return execute(db, Command("close_month", payload), actor, idempotency_key, now)
