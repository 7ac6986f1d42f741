"""Reversal of an entry: a new entry with negated postings that names what it reverses.

Guarantees: an entry is reversed at most once; a reversal never makes a member's credit
negative (``InsufficientCredit``); credit given back by a reversal opens a new lot, credit
taken back is taken from the reversed entry's own lot first, then oldest first. Purchases and
refunds are not reversed (a refund is the correction of a purchase, and keeps the purchase's
refundable amount right).

The month-run mark ``credited(hh, period)`` follows the household's run entries (its
``contribution`` and ``credit`` entries of that month, one of each at most): the reversal that
leaves none of them standing clears the mark (``UnmarkCredited``), so a later run credits the
household for that month again, contribution and credit together, and never charges a
contribution twice. While one of them stands, the mark stays. Reversing a reversal restores
what it reversed: restoring an undone run marks the household again (``MarkCredited``), and is
refused (``Conflict``) if a later run already credited it for that month. Any other entry's
reversal leaves the marks alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.engine.books import accounts as acc
from app.engine.books.apply_run import run_line
from app.engine.books.commands import Fields
from app.engine.books.entries import Entry, EntryBuilder
from app.engine.books.errors import Conflict, InsufficientCredit, NotFound, problem
from app.engine.books.guards import open_month
from app.engine.books.lots import lot_expiry, oldest_first, take_oldest
from app.engine.books.state import (
    BooksView,
    Effects,
    LotChange,
    MarkCredited,
    MarkReversed,
    RegistryChange,
    UnmarkCredited,
)
from app.engine.money import format_cents
from app.engine.period import Period

NOT_REVERSIBLE = ("purchase", "refund")


def reverse_entry(view: BooksView, payload: Mapping[str, Any], seq: int) -> Effects:
    f = Fields(payload)
    entry_id = f.text("entry_id")
    reason = f.text("reason")
    period = f.period("period")
    f.done()
    original = view.entry(entry_id)
    if original is None:
        raise NotFound(problem("entry_id", "books.no_entry", entry_id=entry_id))
    already = view.reversed_by(entry_id)
    if already is not None:
        raise Conflict(
            problem("entry_id", "books.already_reversed", entry_id=entry_id, already=already)
        )
    if original.kind in NOT_REVERSIBLE:
        raise Conflict(problem("entry_id", "books.refund_not_reversal", kind=original.kind))
    if period < original.period:
        raise Conflict(
            problem("period", "books.correction_period", original=original.period, period=period)
        )
    month = open_month(view, period)
    mark = _mark_change(view, original)
    builder = EntryBuilder(seq)
    new_id = builder.next_id()
    changes = _lot_changes(view, original, new_id, lot_expiry(month.unspent, period), period)
    entry = builder.add(
        period,
        "reversal",
        reason,
        [(p.account, -p.amount_cents) for p in original.postings],
        entry_id,
    )
    result = {"entry_id": entry.entry_id, "reverses": entry_id}
    registry: tuple[RegistryChange, ...] = (MarkReversed(entry_id, entry.entry_id),)
    return Effects((entry,), changes, registry + mark, result)


def _mark_change(view: BooksView, original: Entry) -> tuple[RegistryChange, ...]:
    """How reversing ``original`` (not yet reversed) changes a month-run mark, if at all."""
    # Walk down the reversals to the entry first posted: reversing it undoes it, reversing
    # its reversal restores it, and so on.
    first, undoes = original, True
    while first.kind == "reversal" and first.reverses is not None:
        below = view.entry(first.reverses)
        if below is None:
            return ()
        first, undoes = below, not undoes
    line = run_line(view, first)
    if line is None:
        return ()
    hh, entries = line
    if any(_stands(view, other.entry_id) for other in entries[1:]):
        return ()  # another entry of the household's run stands: the mark is unchanged
    if undoes:
        return (UnmarkCredited(hh, first.period),)
    if view.credited(hh, first.period):
        raise Conflict(
            problem(
                "entry_id",
                "books.reversal_restores_run",
                entry_id=original.entry_id,
                household_id=hh,
                period=first.period,
            )
        )
    return (MarkCredited(hh, first.period),)


def _stands(view: BooksView, entry_id: str) -> bool:
    """Not reversed, or its reversal is itself reversed (an even number of reversals)."""
    stands = True
    reversal = view.reversed_by(entry_id)
    while reversal is not None:
        stands = not stands
        reversal = view.reversed_by(reversal)
    return stands


def _lot_changes(
    view: BooksView, original: Entry, new_id: str, expires: Period | None, period: Period
) -> tuple[LotChange, ...]:
    changes: list[LotChange] = []
    for account, amount in original.postings:
        if acc.code_of(account) != acc.MEMBER_CREDIT:
            continue
        hh = acc.party_of(account) or ""
        if amount > 0:
            # The original debited 419 (spent or expired credit): the reversal gives it back.
            changes.append(LotChange("open", new_id, hh, amount, period, expires))
            continue
        lots = oldest_first(view.lots(hh))
        lots.sort(key=lambda lot: lot.lot_id != original.entry_id)  # stable: own lot first
        plan = take_oldest(lots, -amount, None)
        if plan is None:
            available = sum(lot.remaining_cents for lot in lots)
            raise InsufficientCredit(
                problem(
                    "entry_id",
                    "books.reversal_overdraws",
                    household_id=hh,
                    available=format_cents(available),
                    taken=format_cents(-amount),
                ),
                available,
                -amount,
            )
        changes.extend(LotChange("take", lot.lot_id, hh, part) for lot, part in plan)
    return tuple(changes)
