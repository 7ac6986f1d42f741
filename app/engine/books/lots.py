"""Credit lots: when a lot expires, and spending oldest first without ever overdrawing.

Guarantees: ``take_oldest`` returns parts summing exactly to the amount asked, each within
its lot's remaining amount, oldest lot first; it never returns a partial plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from app.engine.books.state import CreditLot
from app.engine.period import Period
from app.engine.rules.policies import UnspentCreditPolicy


@lru_cache(maxsize=65536)
def _id_key(lot_id: str) -> tuple[int, int]:
    """``"12.3" -> (12, 3)``: lot ids are entry ids, compared as numbers, not as text."""
    seq, _, index = lot_id.partition(".")
    try:
        return int(seq), int(index or 0)
    except ValueError:
        return (0, 0)


def oldest_first(lots: Iterable[CreditLot]) -> list[CreditLot]:
    """Lots in the canonical spending order: month granted, then the seq and index of the
    entry that opened the lot. The core sorts itself, so no storage order can change which
    lot is spent."""
    ordered = list(lots)
    if len(ordered) > 1:
        ordered.sort(key=lambda lot: (lot.period.year, lot.period.month, *_id_key(lot.lot_id)))
    return ordered


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
    return lot.expires is None or lot.expires >= period


def spendable_on(lot: CreditLot, period: Period) -> bool:
    """A lot pays a purchase of ``period`` when it was granted by then (credit granted
    after a purchase's date never pays it: a backdated charge cannot reach it) and it is not
    past its last month."""
    return lot.period <= period and usable(lot, period)


def available_cents(lots: Sequence[CreditLot], period: Period | None) -> int:
    """Credit spendable in ``period`` (every open lot when ``period`` is ``None``)."""
    return sum(lot.remaining_cents for lot in lots if period is None or usable(lot, period))


def take_oldest(
    lots: Sequence[CreditLot], amount_cents: int, period: Period | None
) -> list[tuple[CreditLot, int]] | None:
    """Parts ``(lot, cents)`` covering ``amount_cents`` oldest first, or ``None`` if short."""
    plan: list[tuple[CreditLot, int]] = []
    left = amount_cents
    for lot in lots:
        if left == 0:
            break
        if period is not None and not usable(lot, period):
            continue
        part = lot.remaining_cents if lot.remaining_cents < left else left
        if part > 0:
            plan.append((lot, part))
            left -= part
    return plan if left == 0 else None


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
    parts: list[tuple[CreditLot, int]] = []
    kept = []
    after = period.shift(1)
    for lot in oldest_first(lots):
        if usable(lot, after):
            # Only credit held at the end of ``period`` is capped, not lots granted later.
            if lot.period <= period:
                kept.append(lot)
        elif lot.remaining_cents:
            parts.append((lot, lot.remaining_cents))
    if cap_cents is not None:
        balance = sum(lot.remaining_cents for lot in kept)
        parts.extend(take_oldest(kept, max(0, balance - cap_cents), None) or ())
    return parts
