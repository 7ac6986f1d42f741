"""The members' credit through a projected month: granted, spent, expired, lot by lot.

Credit is held in lots as the books hold it (``app.engine.books.lots``), and the projection
moves it with the books' own functions: a month's credit opens one lot per household that
expires when the rule set's unspent-credit policy says (``lot_expiry``); spending takes the
oldest usable lots first (``take_oldest``); at the month's end ``expiring_parts`` takes what
the books' ``expire_credit`` would. Each household spends ``spend_rate`` of its spendable
credit, rounded down to the cent. Expired credit returns to the fund's reserve.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction

from app.engine.books.lots import (
    available_cents,
    expiring_parts,
    lot_expiry,
    oldest_first,
    take_oldest,
    usable,
)
from app.engine.books.state import CreditLot
from app.engine.period import Period
from app.engine.rules.policies import UnspentCreditPolicy


class Wallets:
    """Every household's open lots, oldest first; mutated month by month (one per path)."""

    def __init__(self, lots: Iterable[CreditLot]) -> None:
        self._lots: dict[str, list[CreditLot]] = {}
        for lot in lots:
            if lot.remaining_cents:
                self._lots.setdefault(lot.household_id, []).append(lot)
        for household_id, held in self._lots.items():
            self._lots[household_id] = oldest_first(held)

    def copy(self) -> Wallets:
        twin = Wallets(())
        twin._lots = {household_id: list(held) for household_id, held in self._lots.items()}
        return twin

    def outstanding_cents(self) -> int:
        return sum(lot.remaining_cents for held in self._lots.values() for lot in held)

    def grant(
        self, period: Period, credits: Sequence[tuple[str, int]], policy: UnspentCreditPolicy
    ) -> None:
        """Open this month's lot for each ``(household_id, credit_cents)`` above zero."""
        expires = lot_expiry(policy, period)
        lot_id = f"projected-{period}"
        for household_id, cents in credits:
            if cents:
                lot = CreditLot(lot_id, household_id, period, expires, cents)
                self._lots.setdefault(household_id, []).append(lot)

    def spend(self, period: Period, rate: Fraction) -> int:
        """Each household spends ``rate`` of its credit usable in ``period`` (rounded down to
        the cent), oldest lots first; the total."""
        if rate == 0:
            return 0
        num, den = rate.numerator, rate.denominator
        total = 0
        lots = self._lots
        for household_id, held in lots.items():
            if len(held) == 1:  # the common case, without building a plan
                lot = held[0]
                if not usable(lot, period):
                    continue
                amount = lot.remaining_cents * num // den
                if amount:
                    left = lot.remaining_cents - amount
                    lots[household_id] = [lot._replace(remaining_cents=left)] if left else []
                    total += amount
                continue
            amount = available_cents(held, period) * num // den
            parts = take_oldest(held, amount, period) if amount else None
            if parts:
                lots[household_id] = _less(held, parts)
                total += amount
        return total

    def expire(self, period: Period, policy: UnspentCreditPolicy) -> int:
        """What expires at the end of ``period`` (the books' ``expire_credit``); the total."""
        total = 0
        for household_id, held in self._lots.items():
            parts = expiring_parts(held, period, policy.cap_cents)
            if parts:
                self._lots[household_id] = _less(held, parts)
                total += sum(part for _, part in parts)
        return total


def _less(held: list[CreditLot], parts: Sequence[tuple[CreditLot, int]]) -> list[CreditLot]:
    """The lots with ``parts`` taken out; emptied lots closed (dropped)."""
    taken = {lot.lot_id: part for lot, part in parts}
    left = []
    for lot in held:
        remaining = lot.remaining_cents - taken.get(lot.lot_id, 0)
        if remaining:
            left.append(lot._replace(remaining_cents=remaining))
    return left
