"""Credit lots: when a lot expires, and spending oldest first without ever overdrawing.

Guarantees: ``take_oldest`` returns parts summing exactly to the amount asked, each within
its lot's remaining amount, oldest lot first; it never returns a partial plan.

The rules are written once, on a compact form of a lot: ``(granted, last, remaining_cents)``
with months as ``Period.index()`` counters and ``last`` ``None`` when the lot never expires
(``compact``). The taking rules are written on columns of such lots, one row per household
(``take_in_order_rows``, ``expiring_rows``); one household's list of lots is their one-row
case (``take_in_order``, ``expiring_amounts``), which the functions on the books'
``CreditLot`` call. Code that moves many wallets at once (the sustainability projection)
holds its lots as columns and calls the row forms: one rule, any number of rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TypeAlias

from app.engine.books.state import CreditLot
from app.engine.period import Period
from app.engine.rules.policies import UnspentCreditPolicy

CompactLot: TypeAlias = tuple[int, int | None, int]
"""``(granted, last, remaining_cents)``: the months as ``Period.index()``, ``last`` ``None``
when the lot never expires."""


def compact(lot: CreditLot) -> CompactLot:
    """A lot in the compact form the rules are written on."""
    last = None if lot.expires is None else lot.expires.index()
    return (lot.period.index(), last, lot.remaining_cents)


def usable_in(last: int | None, month: int) -> bool:
    """A lot whose last month is ``last`` may pay in ``month`` (both ``Period.index()``)."""
    return last is None or last >= month


def take_in_order(amounts: Sequence[int], amount_cents: int) -> list[int] | None:
    """What to take from each of ``amounts``, in order, to cover ``amount_cents``: each
    amount in full until the last part; ``None`` if they fall short. One entry per amount.
    (The one-row case of ``take_in_order_rows``.)"""
    parts, left = take_in_order_rows([(amount,) for amount in amounts], (amount_cents,))
    return [part for (part,) in parts] if left[0] == 0 else None


def take_in_order_rows(
    columns: Sequence[Sequence[int]], amounts_cents: Sequence[int]
) -> tuple[list[list[int]], list[int]]:
    """For every row ``i`` at once: what to take from ``columns[0][i]``, ``columns[1][i]``...
    in order to cover ``amounts_cents[i]``, each amount in full until the last part (never
    below zero); and what each row leaves uncovered (0 when covered). One list per column.

    The rule is written once, on columns, so that many wallets move in one pass (the
    projection: one row per household, one column per lot granted in a month)."""
    left = list(amounts_cents)
    parts: list[list[int]] = []
    for column in columns:
        taken = [
            part if (part := amount if amount < need else need) > 0 else 0
            for amount, need in zip(column, left, strict=True)
        ]
        left = [need - part for need, part in zip(left, taken, strict=True)]
        parts.append(taken)
    return parts, left


def expiring_amounts(
    lots: Sequence[CompactLot], month: int, cap_cents: int | None
) -> list[tuple[int, int]]:
    """What expiring at the end of ``month`` takes from ``lots`` (oldest first), as
    ``(position, cents)``: every lot past its last month in full, then (with ``cap_cents``)
    the balance held at the end of ``month`` above the cap, oldest lots first. (The one-row
    case of ``expiring_rows``.)"""
    rows = [(granted, last, (remaining,)) for granted, last, remaining in lots]
    return [
        (position, cents)
        for position, (cents,) in expiring_rows(rows, month, cap_cents)
        if cents > 0
    ]


ColumnLot: TypeAlias = tuple[int, int | None, Sequence[int]]
"""``(granted, last, remaining_cents by row)``: lots granted in the same month with the same
last month, one per row (a row without such a lot holds 0, which nothing ever takes)."""


def expiring_rows(
    columns: Sequence[ColumnLot], month: int, cap_cents: int | None
) -> list[tuple[int, list[int]]]:
    """``expiring_amounts`` for every row at once: ``(position, cents by row)`` for each
    column ``expiring`` takes from; the columns past their last month first, whole, then
    (with ``cap_cents``) each row's balance held at the end of ``month`` above the cap,
    oldest columns first."""
    parts: list[tuple[int, list[int]]] = []
    kept: list[int] = []
    after = month + 1
    for position, (granted, last, remaining) in enumerate(columns):
        if usable_in(last, after):
            # Only credit held at the end of ``month`` is capped, not lots granted later.
            if granted <= month:
                kept.append(position)
        else:
            parts.append((position, list(remaining)))
    if cap_cents is not None and kept:
        held = [columns[position][2] for position in kept]
        excess = [max(0, sum(row) - cap_cents) for row in zip(*held, strict=True)]
        taken, left = take_in_order_rows(held, excess)
        # Never short (the excess is within the balance); a short row would take nothing.
        if any(left):
            taken = [
                [0 if short else part for part, short in zip(column, left, strict=True)]
                for column in taken
            ]
        parts.extend(zip(kept, taken, strict=True))
    return parts


@lru_cache(maxsize=65536)
def opening_order(lot_id: str) -> tuple[int, int]:
    """``"12.3" -> (12, 3)``: a lot's id is the id of the entry that opened it, compared as
    numbers, not as text (lots of one month are spent in this order)."""
    seq, _, index = lot_id.partition(".")
    try:
        return int(seq), int(index or 0)
    except ValueError:
        return (0, 0)


def oldest_first(lots: Iterable[CreditLot]) -> list[CreditLot]:
    """Lots in the canonical spending order: month granted, then the seq and index of the
    entry that opened the lot. The core sorts itself, so no storage order can change which
    lot is spent. A list already in that order is returned as it is (not copied): callers
    read the result, never change it."""
    ordered = lots if type(lots) is list else list(lots)
    if len(ordered) > 1 and not _months_increase(ordered):
        ordered = list(ordered)  # sorted below: never the caller's list
        ordered.sort(key=lambda lot: (lot.period.year, lot.period.month, *opening_order(lot.lot_id)))
    return ordered


def _months_increase(lots: list[CreditLot]) -> bool:
    """Lots whose months strictly increase are already in ``oldest_first`` order (it sorts
    by month first): the usual case, a household's lots being opened month after month, and
    far cheaper to see than to sort (every purchase asks)."""
    previous = -1
    for lot in lots:
        granted = lot[2]  # period
        month = granted.year * 12 + granted.month
        if month <= previous:
            return False
        previous = month
    return True


def lot_expiry(policy: UnspentCreditPolicy | None, granted: Period) -> Period | None:
    """Last month a lot granted in ``granted`` may be spent in; ``None`` means never.

    ``expire`` with ``after_months = n``: usable in its own month and the ``n - 1`` following
    (``after_months = 1``: only its own month). Other policies do not expire lots by age.
    """
    if policy is None or policy.policy != "expire" or policy.after_months is None:
        return None
    return granted.shift(policy.after_months - 1)


def usable(lot: CreditLot, period: Period) -> bool:
    """A lot may pay in ``period`` unless it is past its last month."""
    return usable_in(None if lot.expires is None else lot.expires.index(), period.index())


def spendable_on(lot: CreditLot, period: Period) -> bool:
    """A lot pays a purchase of ``period`` when it was granted by then (credit granted
    after a purchase's date never pays it) and it is not past its last month
    (``spendable_lots``' rule)."""
    return bool(spendable_lots((lot,), period)[0])


def spendable_lots(lots: Iterable[CreditLot], period: Period) -> tuple[list[CreditLot], int]:
    """The lots that pay a purchase of ``period``, in spending order (``oldest_first``), and
    the credit they hold: a lot granted by then (credit granted after a purchase's date never
    pays it: a backdated charge cannot reach it) and not past its last month."""
    # On month counters: ``Period``'s comparisons are Python-level, and every purchase asks
    # this of every lot its household holds.
    month = period.year * 12 + period.month
    spendable = []
    available = 0
    for lot in oldest_first(lots):  # a loop: a comprehension is one more call
        granted, last = lot[2], lot[3]  # period, expires
        if granted.year * 12 + granted.month <= month and (
            last is None or last.year * 12 + last.month >= month
        ):
            spendable.append(lot)
            available += lot[4]  # remaining_cents
    return spendable, available


def available_cents(lots: Sequence[CreditLot], period: Period | None) -> int:
    """Credit spendable in ``period`` (every open lot when ``period`` is ``None``)."""
    return sum(lot.remaining_cents for lot in lots if period is None or usable(lot, period))


def take_oldest(
    lots: Sequence[CreditLot], amount_cents: int, period: Period | None
) -> list[tuple[CreditLot, int]] | None:
    """Parts ``(lot, cents)`` covering ``amount_cents`` oldest first, or ``None`` if short."""
    if period is not None:
        lots = [lot for lot in lots if usable(lot, period)]
    if lots and lots[0][4] >= amount_cents > 0:  # [4]: remaining_cents
        # The first lot covers it (most purchases): ``take_in_order``'s one part.
        return [(lots[0], amount_cents)]
    taken = take_in_order([lot.remaining_cents for lot in lots], amount_cents)
    if taken is None:
        return None
    return [(lot, part) for lot, part in zip(lots, taken, strict=True) if part > 0]


def latest_expiry(lots: Sequence[CreditLot]) -> Period | None:
    """The latest ``expires`` of the lots, ``None`` if any of them never expires."""
    latest: Period | None = None
    for lot in lots:
        if lot.expires is None:
            return None
        if latest is None or lot.expires > latest:
            latest = lot.expires
    return latest


def expiring_parts(
    lots: Iterable[CreditLot], period: Period, cap_cents: int | None
) -> list[tuple[CreditLot, int]]:
    """What expiring at the end of ``period`` takes, ``(lot, cents)``: every lot past its
    last month in full, then (with ``cap_cents``) the balance held at the end of ``period``
    above the cap, oldest lots first. The books' ``expire_credit`` and the projection both
    take exactly these parts."""
    ordered = oldest_first(lots)
    compacted = [compact(lot) for lot in ordered]
    return [
        (ordered[position], cents)
        for position, cents in expiring_amounts(compacted, period.index(), cap_cents)
    ]
