"""Registry changes of a command's ``Effects``: households, merchants, purchases, months,
adopted rule sets, the month-run markers and erasure. Upserts: a change carries the record's
whole new state, so nothing is re-derived here. A month-run marker is inserted by the run
(or by a reversal restoring an undone run) and deleted by the reversal that undoes the run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlmodel import Session, SQLModel, col

from app.db import tables as t
from app.engine.books.state import (
    AdoptRuleSet,
    EraseMember,
    MarkCredited,
    MarkReversed,
    PurchaseState,
    RegistryChange,
    SetHousehold,
    SetMerchant,
    SetMonth,
    SetPurchase,
    UnmarkCredited,
)
from app.ledger.bulk import PeriodTexts, bulk_insert


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def write_registry(
    session: Session,
    changes: Sequence[RegistryChange],
    seq: int,
    recorded_at: str,
    payload: Mapping[str, Any],
) -> None:
    text = PeriodTexts()  # a run marks thousands of households for one period
    credited: list[tuple[str, str | None, int]] = []
    others: list[RegistryChange] = []
    for c in changes:  # one pass: a run's changes are a hundred thousand marks
        if isinstance(c, MarkCredited):
            credited.append((c.household_id, text(c.period), seq))
        else:
            others.append(c)
    # The primary key (household_id, period) makes the run exactly-once per household.
    bulk_insert(session, "month_credit", ("household_id", "period", "seq"), credited)
    for change in others:
        _one_change(session, change, seq, recorded_at, payload)
    session.flush()


def _one_change(
    session: Session,
    change: RegistryChange,
    seq: int,
    recorded_at: str,
    payload: Mapping[str, Any],
) -> None:
    if isinstance(change, SetHousehold):
        _set_household(session, change, seq)
    elif isinstance(change, SetMerchant):
        _set_merchant(session, change, seq)
    elif isinstance(change, SetPurchase):
        _set_purchase(session, change, seq)
    elif isinstance(change, SetMonth):
        _set_month(session, change, seq)
    elif isinstance(change, AdoptRuleSet):
        _adopt(session, change, seq, recorded_at, payload)
    elif isinstance(change, EraseMember):
        erase_personal_data(session, change.household_id)
    elif isinstance(change, UnmarkCredited):
        _unmark_credited(session, change)
    elif isinstance(change, (MarkCredited, MarkReversed)):
        # MarkCredited rows are bulk-inserted above; a reversal is already recorded by the
        # reversing entry's ``reverses`` column (ledger_entry is append-only).
        return
    else:  # pragma: no cover - the union is closed
        raise TypeError(f"unknown registry change {change!r}")


def _unmark_credited(session: Session, change: UnmarkCredited) -> None:
    """The household's month run is undone (every entry it posted is reversed): delete its
    marker, so a later run may credit it for that month again (``month_credit`` is a registry,
    not part of the append-only record: the journal and the reversing entries keep the story).
    """
    table = _table("month_credit")
    result = session.connection().execute(
        delete(table).where(
            table.c.household_id == change.household_id, table.c.period == str(change.period)
        )
    )
    if result.rowcount != 1:
        raise LookupError(f"no month_credit row for {change.household_id} {change.period}")


def _set_household(session: Session, change: SetHousehold, seq: int) -> None:
    state = change.state
    row = session.get(t.Household, state.household_id)
    if row is None:
        row = t.Household(
            household_id=state.household_id,
            from_period=str(state.from_period),
            facts_commitment=state.facts_commitment,
            erased=state.erased,
            last_seq=seq,
        )
    row.from_period = str(state.from_period)
    row.facts_commitment = state.facts_commitment
    row.erased = state.erased
    row.last_seq = seq
    session.add(row)


def _set_merchant(session: Session, change: SetMerchant, seq: int) -> None:
    s = change.state
    row = session.get(t.Merchant, s.merchant_id) or t.Merchant(
        merchant_id=s.merchant_id, valid_from=s.valid_from.isoformat(), last_seq=seq
    )
    row.categories = json.dumps(dict(s.rates), sort_keys=True)
    row.valid_from = s.valid_from.isoformat()
    row.valid_until = None if s.valid_until is None else s.valid_until.isoformat()
    row.suspended_from = None if s.suspended_from is None else s.suspended_from.isoformat()
    row.suspension_reason = s.suspension_reason
    row.last_seq = seq
    session.add(row)


def new_purchase_row(state: PurchaseState, seq: int) -> dict[str, Any]:
    """The ``purchase`` row a purchase inserts when it creates its state (no refund yet):
    the one reading for this write and the PostgreSQL charge writer's groups."""
    return {
        "purchase_id": state.purchase_id,
        "household_id": state.household_id,
        "merchant_id": state.merchant_id,
        "category": state.category,
        "period": str(state.period),
        "amount_cents": state.amount_cents,
        "credit_cents": state.credit_cents,
        "refunded_cents": state.refunded_cents,
        "lots_expire": None if state.lots_expire is None else str(state.lots_expire),
        "refund_ids": "[]",
        "seq": seq,
        "last_seq": seq,
    }


def _set_purchase(session: Session, change: SetPurchase, seq: int) -> None:
    s = change.state
    if not s.refund_ids:
        # A purchase state without refunds is only ever set by the purchase that creates
        # it (a refund always adds its id): insert it, no read, no ORM object.
        row_values = new_purchase_row(s, seq)
        session.execute(insert(_table("purchase")), [row_values])
        return
    row = session.get(t.Purchase, (s.merchant_id, s.purchase_id)) or t.Purchase(
        purchase_id=s.purchase_id,
        household_id=s.household_id,
        merchant_id=s.merchant_id,
        category=s.category,
        period=str(s.period),
        amount_cents=s.amount_cents,
        credit_cents=s.credit_cents,
        seq=seq,
        last_seq=seq,
    )
    row.refunded_cents = s.refunded_cents
    row.lots_expire = None if s.lots_expire is None else str(s.lots_expire)
    row.refund_ids = json.dumps(list(s.refund_ids))
    row.last_seq = seq
    session.add(row)


def _set_month(session: Session, change: SetMonth, seq: int) -> None:
    s = change.state
    row = session.get(t.Month, str(s.period)) or t.Month(
        period=str(s.period), status=s.status, last_seq=seq
    )
    row.status = s.status
    if s.unspent is not None:
        row.unspent_policy = s.unspent.policy
        row.unspent_after_months = s.unspent.after_months
        row.unspent_cap_cents = s.unspent.cap_cents
    row.last_seq = seq
    session.add(row)


def _adopt(
    session: Session, change: AdoptRuleSet, seq: int, recorded_at: str, payload: Mapping[str, Any]
) -> None:
    row = session.execute(
        select(t.RuleSet).where(
            col(t.RuleSet.rule_set_id) == change.rule_set_id,
            col(t.RuleSet.version) == change.version,
        )
    ).scalar_one_or_none()
    if row is None:
        row = t.RuleSet(
            rule_set_id=change.rule_set_id,
            version=change.version,
            content_hash=change.content_hash,
            status="adopted",
            effective_from=str(change.effective_from),
            document="{}",
        )
    row.content_hash = change.content_hash
    row.document = json.dumps(payload["document"], sort_keys=True, separators=(",", ":"))
    row.status = "adopted"
    row.effective_from = str(change.effective_from)
    row.decision = change.decision
    row.adopted_at = recorded_at
    row.adopted_seq = seq
    session.add(row)


def erase_personal_data(session: Session, household_id: str) -> None:
    """Delete identity; blank facts and salts (the journal keeps the commitments only)."""
    identity = session.get(t.MemberIdentity, household_id)
    if identity is not None:
        session.delete(identity)
    table = SQLModel.metadata.tables["household_facts"]
    session.execute(
        update(table)
        .where(table.c.household_id == household_id)
        .values(
            income_cents=None,
            chosen_contribution_cents=None,
            persons="[]",
            attributes="{}",
            engagement_minutes=None,
            active_from=None,
            active_until=None,
            priority_tier=None,
            salt=None,
            erased=True,
        )
    )
