"""The members' credit through a projected month: granted, spent, expired, lot by lot.

Credit is held in lots as the books hold them, in the compact form the books' lot rules are
written on (``app.engine.books.lots``: integer months, one tuple per lot, no object per
lot), and moved by the same functions the books' ``CreditLot`` functions call: a month's
credit opens one lot per household that expires when the rule set's unspent-credit policy
says (``lot_expiry``); spending takes the oldest usable lots first (``usable_in`` and
``take_in_order``, as ``take_oldest``); at the month's end ``expiring_amounts`` takes what
the books' ``expire_credit`` would (``expiring_parts``). Each household spends
``spend_rate`` of its spendable credit, rounded down to the cent. Expired credit returns to
the fund's reserve. ``tests/engine/test_projection_wallets.py`` checks, by property, that a
wallet moves exactly what the books' functions take.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction

from app.engine.books.lots import (
    CompactLot,
    compact,
    expiring_amounts,
    lot_expiry,
    oldest_first,
    take_in_order,
    usable_in,
)
from app.engine.books.state import CreditLot
from app.engine.period import Period
from app.engine.rules.policies import UnspentCreditPolicy


class Wallets:
    """Every household's open lots, oldest first, in the books' compact form (``lots.compact``:
    integer months, no object per lot); mutated month by month (one per path)."""

    def __init__(self, lots: Iterable[CreditLot]) -> None:
        held: dict[str, list[CreditLot]] = {}
        for lot in lots:
            if lot.remaining_cents:
                held.setdefault(lot.household_id, []).append(lot)
        self._lots: dict[str, list[CompactLot]] = {
            household_id: [compact(lot) for lot in oldest_first(open_lots)]
            for household_id, open_lots in held.items()
        }

    def copy(self) -> Wallets:
        twin = Wallets(())
        twin._lots = {household_id: list(held) for household_id, held in self._lots.items()}
        return twin

    def outstanding_cents(self) -> int:
        return sum(lot[2] for held in self._lots.values() for lot in held)

    def grant(
        self, period: Period, credits: Sequence[tuple[str, int]], policy: UnspentCreditPolicy
    ) -> None:
        """Open this month's lot for each ``(household_id, credit_cents)`` above zero; it is
        the newest lot of each wallet (every open lot was granted in an earlier month)."""
        expires = lot_expiry(policy, period)
        month, last = period.index(), None if expires is None else expires.index()
        lots = self._lots
        for household_id, cents in credits:
            if cents:
                held = lots.get(household_id)
                if held is None:
                    lots[household_id] = [(month, last, cents)]
                else:
                    held.append((month, last, cents))

    def spend(self, period: Period, rate: Fraction) -> int:
        """Each household spends ``rate`` of its credit usable in ``period`` (rounded down to
        the cent), oldest lots first (``take_in_order`` over the usable lots); the total."""
        if rate == 0:
            return 0
        num, den, month = rate.numerator, rate.denominator, period.index()
        total = 0
        lots = self._lots
        for household_id, held in lots.items():
            usable = [lot[2] if usable_in(lot[1], month) else 0 for lot in held]
            amount = sum(usable) * num // den
            if amount:
                taken = take_in_order(usable, amount) or ()
                lots[household_id] = [
                    (lot[0], lot[1], lot[2] - part) if part else lot
                    for lot, part in zip(held, taken, strict=True)
                    if lot[2] != part
                ]
                total += amount
        return total

    def expire(self, period: Period, policy: UnspentCreditPolicy) -> int:
        """What expires at the end of ``period`` (the books' ``expire_credit`` takes the same
        parts, through ``expiring_amounts``); the total."""
        total = 0
        month, cap = period.index(), policy.cap_cents
        lots = self._lots
        for household_id, held in lots.items():
            parts = expiring_amounts(held, month, cap)
            if parts:
                left = list(held)
                for position, cents in parts:
                    granted, last, remaining = left[position]
                    left[position] = (granted, last, remaining - cents)
                    total += cents
                lots[household_id] = [lot for lot in left if lot[2]]
        return total
