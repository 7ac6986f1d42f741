"""``apply_fast(books, command, seq)``: ``apply`` specialised for ``MemoryBooks`` and the hot
command kinds of a replay (``purchase``, ``record_payment``).

Guarantee: ``apply_fast(books, c, s) == apply(books, c, s)`` for every state, command and
seq, raising the same errors. The specialised handlers only take the plain accepted case
(every field valid, every lookup found, enough credit) and read ``MemoryBooks``' dicts
directly instead of going through ``BooksView``; anything else (a missing field, an unknown
merchant, a closed month, too little credit...) returns ``None`` and the general handler of
``core.apply`` decides, so refusals are named by exactly the same code.
``tests/engine/test_books_fast.py`` checks the equality on random states and commands.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from app.engine.books.apply_purchase import _rate
from app.engine.books.commands import _DATE_RE, _ID_RE, Command, period_of
from app.engine.books.core import apply
from app.engine.books.entries import Entry, Posting
from app.engine.books.lots import oldest_first
from app.engine.books.memory import MemoryBooks
from app.engine.books.state import OPEN, CreditLot, Effects, LotChange, PurchaseState, SetPurchase
from app.engine.period import Period

_PURCHASE_KEYS = frozenset(
    ("purchase_id", "household_id", "merchant_id", "category", "amount_cents", "on", "period")
)
_PAYMENT_KEYS = frozenset(("household_id", "amount_cents", "method", "reference", "received_on"))
_METHODS = ("cash", "transfer", "direct_debit")
_new = tuple.__new__

# Day text -> (date, month, month text) and month text -> Period, for texts that passed the
# same checks as ``commands.quick`` (so a cache hit means "valid"). Bounded: cleared when full.
# The same month text gives the same Period object, so most comparisons are identities
# (``Period``'s dataclass ``__eq__``/``__hash__`` are Python-level, hence slow).
_DAYS: dict[str, tuple[date, Period, str]] = {}
_PERIODS: dict[str, Period] = {}
_CACHE_LIMIT = 65536


def _day(text: Any) -> tuple[date, Period, str] | None:
    hit = _DAYS.get(text) if type(text) is str else None
    if hit is not None or type(text) is not str or not _DATE_RE.match(text):
        return hit
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    month = f"{day.year:04d}-{day.month:02d}"
    period = _period(month)
    if period is None:
        return None
    if len(_DAYS) >= _CACHE_LIMIT:
        _DAYS.clear()
    hit = _DAYS[text] = (day, period, month)
    return hit


def _period(text: Any) -> Period | None:
    if type(text) is not str:
        return None
    hit = _PERIODS.get(text)
    if hit is None:
        try:
            hit = period_of(text)
        except ValueError:
            return None
        if len(_PERIODS) >= _CACHE_LIMIT:
            _PERIODS.clear()
        _PERIODS[text] = hit
    return hit


# Ids that matched ``_ID_RE``: a household or merchant id recurs in thousands of commands, and
# a set lookup costs a tenth of the match. Bounded like the caches above.
_IDS: set[str] = set()


def _ident(value: Any) -> bool:
    if type(value) is not str:
        return False
    if value in _IDS:  # only texts that matched are ever added
        return True
    if not _ID_RE.match(value):
        return False
    if len(_IDS) >= _CACHE_LIMIT:
        _IDS.clear()
    _IDS.add(value)
    return True


def _open(books: MemoryBooks, month_text: str) -> bool:
    month = books.months_by_text.get(month_text)
    return month is None or month.status == OPEN


def _months_increase(lots: list[CreditLot]) -> bool:
    """Lots whose months strictly increase are already in ``oldest_first`` order (it sorts by
    month first, and stably): the usual case, lots being opened month after month."""
    previous = -1
    for lot in lots:
        month = lot.period.year * 12 + lot.period.month
        if month <= previous:
            return False
        previous = month
    return True


# The hot kinds' fields in canonical (sorted) key order: ``*_fields`` returns the values in
# this order, and ``dict(zip(FIELDS[kind], values))`` is the payload again.
PURCHASE_FIELDS = ("amount_cents", "category", "household_id", "merchant_id", "on", "period",
                   "purchase_id")
PAYMENT_FIELDS = ("amount_cents", "household_id", "method", "received_on", "reference")


def purchase_fields(payload: Any) -> tuple[Any, ...] | None:
    """The half of ``purchase``'s checks that reads no books (every field present and valid,
    the day in the month): the values in ``PURCHASE_FIELDS`` order, or ``None``. A verifier
    may run it in another process than ``purchase_checked``."""
    if type(payload) is not dict or payload.keys() != _PURCHASE_KEYS:
        return None
    pid, hh, mid = payload["purchase_id"], payload["household_id"], payload["merchant_id"]
    category, amount = payload["category"], payload["amount_cents"]
    on, month = payload["on"], payload["period"]
    day, period = _day(on), _period(month)
    if (
        day is None or period is None or (day[1] is not period and day[1] != period)
        or type(pid) is not str or not _ID_RE.match(pid) or not _ident(hh) or not _ident(mid)
        or type(category) is not str or not category or type(amount) is not int or amount < 1
    ):
        return None
    return amount, category, hh, mid, on, month, pid


def purchase(books: MemoryBooks, payload: Mapping[str, Any], seq: int) -> Effects | None:
    """``apply_purchase.purchase`` when it accepts; ``None`` for anything else."""
    fields = purchase_fields(payload)
    return None if fields is None else purchase_checked(books, fields, seq)


def purchase_checked(books: MemoryBooks, fields: tuple[Any, ...], seq: int) -> Effects | None:
    """``purchase`` for fields ``purchase_fields`` accepted: the checks that read the books.

    Hot path of a replay: the state tuples are unpacked rather than read field by field (a
    NamedTuple's fields are descriptors), and months are compared as ``year * 12 + month``."""
    amount, category, hh, mid, on_text, _, pid = fields
    day = _DAYS.get(on_text) or _day(on_text)
    if day is None or (mid, pid) in books.purchases:
        return None
    on, period, month_text = day  # period equals the payload's (``purchase_fields``)
    household, merchant = books.households.get(hh), books.merchants.get(mid)
    if household is None or household[3] or merchant is None:  # [3]: erased
        return None
    _, rates, valid_from, valid_until, suspended_from, _ = merchant
    if on < valid_from or (valid_until is not None and on > valid_until):
        return None
    if suspended_from is not None and on >= suspended_from:
        return None
    rate = None
    for name, text in rates:  # ``MerchantState.rate_text``
        if name == category:
            rate = text
            break
    state = books.months_by_text.get(month_text)
    if rate is None or (state is not None and state[1] != OPEN):  # [1]: status
        return None
    num, den = _rate(rate)
    credit = amount * num // den  # ``credit_part_cents``
    held = books.open_lots.get(hh)
    if credit <= 0 or not held:
        return None
    lots = list(held.values())
    if len(lots) > 1 and not _months_increase(lots):
        lots = oldest_first(lots)
    changes: list[LotChange] = []
    month = period.year * 12 + period.month
    left = credit
    available = 0
    latest: Period | None = None  # ``lots.latest_expiry`` of the lots spent, inline
    never = False
    for lot_id, _, granted, expires, remaining in lots:
        if expires is not None and expires.year * 12 + expires.month < month:
            continue
        if granted.year * 12 + granted.month > month:  # ``lots.spendable_on``, inline
            continue
        available += remaining
        if left:
            part = remaining if remaining < left else left
            if part > 0:
                changes.append(_new(LotChange, ("spend", lot_id, hh, part, None, None)))
                left -= part
                if expires is None:
                    never = True
                elif latest is None or (expires.year, expires.month) > (latest.year,
                                                                         latest.month):
                    latest = expires
    if left:
        return None
    entry_id = f"{seq}.0"
    postings = (_new(Posting, ("419:" + hh, credit)), _new(Posting, ("401:" + mid, -credit)))
    entry = _new(Entry, (entry_id, seq, period, "purchase", f"purchase {pid} {category}",
                         postings, None))
    bought = _new(PurchaseState, (pid, hh, mid, category, period, amount, credit, 0,
                                  None if never else latest, ()))
    result = {"purchase_id": pid, "entry_id": entry_id, "amount_cents": amount,
              "credit_cents": credit, "member_pays_cents": amount - credit,
              "available_cents": available - credit}
    return _new(Effects, ((entry,), tuple(changes), (_new(SetPurchase, (bought,)),), result))


def payment_fields(payload: Any) -> tuple[Any, ...] | None:
    """The half of ``record_payment``'s checks that reads no books: the values in
    ``PAYMENT_FIELDS`` order, or ``None``."""
    if type(payload) is not dict or payload.keys() != _PAYMENT_KEYS:
        return None
    hh, amount, method = payload["household_id"], payload["amount_cents"], payload["method"]
    reference, on = payload["reference"], payload["received_on"]
    if (
        _day(on) is None or not _ident(hh)
        or type(amount) is not int or amount < 1
        or method not in _METHODS or type(reference) is not str or not reference
    ):
        return None
    return amount, hh, method, on, reference


def record_payment(books: MemoryBooks, payload: Mapping[str, Any], seq: int) -> Effects | None:
    """``apply_money.record_payment`` when it accepts; ``None`` for anything else."""
    fields = payment_fields(payload)
    return None if fields is None else payment_checked(books, fields, seq)


def payment_checked(books: MemoryBooks, fields: tuple[Any, ...], seq: int) -> Effects | None:
    """``record_payment`` for fields ``payment_fields`` accepted: the checks that read the
    books."""
    amount, hh, method, on, reference = fields
    day = _day(on)
    if day is None or hh not in books.households or not _open(books, day[2]):
        return None
    account = "530" if method == "cash" else "512"
    due = "411:" + hh
    entry_id = f"{seq}.0"
    postings = (_new(Posting, (account, amount)), _new(Posting, (due, -amount)))
    entry = _new(Entry, (entry_id, seq, day[1], "payment", f"{method} {reference}", postings,
                         None))
    result = {"entry_id": entry_id, "household_id": hh, "amount_cents": amount,
              "due_cents": books.balances.get(due, 0) - amount}
    return _new(Effects, ((entry,), (), (), result))


FastHandler = Callable[[MemoryBooks, Mapping[str, Any], int], "Effects | None"]
FAST: dict[str, FastHandler] = {"purchase": purchase, "record_payment": record_payment}

# The same kinds split in two: ``(fields, fields_checked, field names)``. For every payload,
# ``FAST[kind](books, payload, seq)`` equals ``checked(books, fields(payload), seq)`` when
# ``fields(payload)`` is not ``None``, and is ``None`` when it is.
Fields = Callable[[Any], "tuple[Any, ...] | None"]
Checked = Callable[[MemoryBooks, "tuple[Any, ...]", int], "Effects | None"]
SPLIT: dict[str, tuple[Fields, Checked, tuple[str, ...]]] = {
    "purchase": (purchase_fields, purchase_checked, PURCHASE_FIELDS),
    "record_payment": (payment_fields, payment_checked, PAYMENT_FIELDS),
}


def apply_fast(books: MemoryBooks, command: Command, seq: int) -> Effects:
    """``apply(books, command, seq)``, faster for the hot kinds (same result, same errors)."""
    handler = FAST.get(command.kind)
    if handler is not None and type(seq) is int and seq >= 1:
        effects = handler(books, command.payload, seq)
        if effects is not None:
            return effects
    return apply(books, command, seq)
