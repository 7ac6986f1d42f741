"""Write a command's ``Effects`` (entries, postings, balances, lots, registries) to SQL.

Called inside the command's transaction, right after the journal record is appended, so the
projections and the journal commit or roll back together. Entries and postings are only
ever inserted; balances move by exactly the sum of the new postings per account; a lot's
remaining amount only goes down (``spend``/``expire``/``take``) and it closes at zero.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session, SQLModel, col

from app.db import tables as t
from app.engine.books.entries import Entry
from app.engine.books.state import (
    AdoptRuleSet,
    Effects,
    EraseMember,
    LotChange,
    MarkCredited,
    MarkReversed,
    RegistryChange,
    SetHousehold,
    SetMerchant,
    SetMonth,
    SetPurchase,
)

IN_CHUNK = 500


def persist_effects(
    session: Session, seq: int, recorded_at: str, payload: Mapping[str, Any], effects: Effects
) -> dict[str, int]:
    """Write everything; returns the balance delta per touched account."""
    deltas = write_entries(session, effects.entries)
    apply_deltas(session, deltas, seq)
    write_lots(session, effects.lot_changes, seq)
    write_registry(session, effects.registry, seq, recorded_at, payload)
    return deltas


def write_entries(session: Session, entries: Sequence[Entry]) -> dict[str, int]:
    if not entries:
        return {}
    deltas: dict[str, int] = defaultdict(int)
    entry_rows: list[dict[str, Any]] = []
    posting_rows: list[dict[str, Any]] = []
    for position, entry in enumerate(entries):
        entry_rows.append(
            {
                "entry_id": entry.entry_id,
                "seq": entry.seq,
                "position": position,
                "period": str(entry.period),
                "kind": entry.kind,
                "memo": entry.memo,
                "reverses": entry.reverses,
            }
        )
        for line, (account, amount) in enumerate(entry.postings):
            posting_rows.append(
                {
                    "entry_id": entry.entry_id,
                    "line": line,
                    "seq": entry.seq,
                    "account": account,
                    "amount_cents": amount,
                }
            )
            deltas[account] += amount
    session.execute(insert(t.LedgerEntry), entry_rows)
    session.execute(insert(t.Posting), posting_rows)
    return dict(deltas)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def apply_deltas(session: Session, deltas: Mapping[str, int], seq: int) -> None:
    """Move each stored balance by its delta (creating the row on first use)."""
    accounts = sorted(deltas)
    existing: set[str] = set()
    for part in _chunks(accounts):
        existing.update(
            session.execute(
                select(col(t.Balance.account)).where(col(t.Balance.account).in_(part))
            ).scalars()
        )
    updates = [{"a": a, "d": deltas[a], "s": seq} for a in accounts if a in existing]
    inserts = [
        {"account": a, "balance_cents": deltas[a], "last_seq": seq}
        for a in accounts
        if a not in existing
    ]
    if updates:
        table = SQLModel.metadata.tables["balance"]
        session.execute(
            update(table)
            .where(table.c.account == bindparam("a"))
            .values(balance_cents=table.c.balance_cents + bindparam("d"), last_seq=bindparam("s")),
            updates,
        )
    if inserts:
        session.execute(insert(t.Balance), inserts)


def write_lots(session: Session, changes: Sequence[LotChange], seq: int) -> None:
    opened = [
        {
            "lot_id": c.lot_id,
            "household_id": c.household_id,
            "period": str(c.period),
            "granted_cents": c.amount_cents,
            "remaining_cents": c.amount_cents,
            "expires_period": None if c.expires is None else str(c.expires),
            "is_open": True,
            "created_seq": seq,
            "last_seq": seq,
        }
        for c in changes
        if c.kind == "open"
    ]
    if opened:
        session.execute(insert(t.CreditLot), opened)
    lowered = [c for c in changes if c.kind != "open"]
    for change in lowered:
        lot = session.get(t.CreditLot, change.lot_id)
        if lot is None:
            raise LookupError(f"lot {change.lot_id} does not exist")
        lot.remaining_cents = int(lot.remaining_cents) - change.amount_cents
        lot.is_open = lot.remaining_cents > 0
        lot.last_seq = seq
        session.add(lot)
    if lowered:
        session.flush()


def write_registry(
    session: Session,
    changes: Sequence[RegistryChange],
    seq: int,
    recorded_at: str,
    payload: Mapping[str, Any],
) -> None:
    credited = [
        {"household_id": c.household_id, "period": str(c.period), "seq": seq}
        for c in changes
        if isinstance(c, MarkCredited)
    ]
    if credited:
        # The primary key (household_id, period) makes the run exactly-once per household.
        session.execute(insert(t.MonthCredit), credited)
    for change in changes:
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
    elif isinstance(change, (MarkCredited, MarkReversed)):
        # MarkCredited rows are bulk-inserted above; a reversal is already recorded by the
        # reversing entry's ``reverses`` column (ledger_entry is append-only).
        return
    else:  # pragma: no cover - the union is closed
        raise TypeError(f"unknown registry change {change!r}")


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


def _set_purchase(session: Session, change: SetPurchase, seq: int) -> None:
    s = change.state
    row = session.get(t.Purchase, s.purchase_id) or t.Purchase(
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
