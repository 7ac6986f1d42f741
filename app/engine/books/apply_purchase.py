"""Purchases (member credit -> merchant payable at the category rate) and refunds.

Guarantees: the credit part is ``amount x rate`` rounded DOWN to the cent (the member pays
the rest outside the fund, so the fund never pays more than the rate); it is taken from the
member's lots oldest first, only those granted by the purchase's month and not past their
last month (credit granted after a purchase's date never pays it), and never overdraws (``InsufficientCredit``, naming the
available and requested amounts). A purchase whose payload says ``"split": true`` (the till's
and the API's charges) never overdraws either, but instead of refusing a basket the credit
cannot cover it takes what the member holds and the member pays the rest: its ``amount_cents``
stays the basket's price, so ``amount - credit`` (the member's own part, paid to the merchant
outside the fund) is kept with the purchase for the fund's statistics without ever being
posted to an account. With ``"whole_basket": true`` too (the till's lines), a line the credit
pays nothing of (no credit left, or a 0 % rate) is still recorded as a sale with credit 0 and
no ledger entry, so the fund's statistics see the whole basket; without it such a purchase is
refused as before. A purchase is identified by ``(merchant_id, purchase_id)``:
each merchant numbers its own sales, so only the same merchant reusing an id is a ``Conflict``,
and a refund names the merchant too (another merchant's purchase is ``NotFound``, exactly as
an unknown id). A refund returns at most the purchase's credit part not yet
refunded, into a NEW lot that expires when the latest lot the purchase drew on would have;
its result names the member's own part the merchant gives back in cash (``member_due_cents``):
the share of the member's part matching the share of the credit part refunded, rounded down
cumulatively, so refunding all the credit part gives back exactly all the member's part.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from app.engine.books import accounts as acc
from app.engine.books.commands import Fields, are_ids, day_in_month, period_of_date
from app.engine.books.entries import EntryBuilder, pair_entry
from app.engine.books.errors import (
    Conflict,
    InsufficientCredit,
    InvalidCommand,
    MerchantUnavailable,
    NotFound,
    problem,
)
from app.engine.books.guards import active_household, known_merchant, open_month
from app.engine.books.lots import latest_expiry, spendable_lots, take_oldest
from app.engine.books.state import (
    OPEN,
    BooksView,
    CreditLot,
    Effects,
    LotChange,
    MerchantState,
    PurchaseState,
    SetPurchase,
)
from app.engine.money import format_cents, parse_rate
from app.engine.period import Period

_new = tuple.__new__


@lru_cache(maxsize=1024)
def _rate(text: str) -> tuple[int, int]:
    rate = parse_rate(text)
    return rate.numerator, rate.denominator


def credit_part_cents(amount_cents: int, rate_text: str) -> int:
    """``amount x rate`` rounded down to the cent."""
    num, den = _rate(rate_text)
    return amount_cents * num // den


def _check_merchant(merchant: MerchantState, on: date, category: str) -> str:
    """The category's rate, if the merchant may be paid for it on that day."""
    if on < merchant.valid_from or (merchant.valid_until is not None and on > merchant.valid_until):
        raise MerchantUnavailable(
            problem("on", "books.merchant_not_approved_on", merchant_id=merchant.merchant_id, on=on)
        )
    if merchant.suspended_from is not None and on >= merchant.suspended_from:
        raise MerchantUnavailable(
            problem(
                "merchant_id",
                "books.merchant_suspended",
                merchant_id=merchant.merchant_id,
                suspended_from=merchant.suspended_from,
            )
        )
    rate = None
    for name, text in merchant.rates:  # ``MerchantState.rate_text``, without a call
        if name == category:
            rate = text
            break
    if rate is None:
        raise Conflict(problem("category", "books.category_not_approved", category=category))
    return rate


class _Purchase(NamedTuple):
    purchase_id: str
    household_id: str
    merchant_id: str
    category: str
    amount_cents: int
    on: date
    period: Period
    split: bool = False
    whole_basket: bool = False


# A plain purchase's fields, in the order ``plain_purchase`` gives their values.
_PURCHASE_ORDER = (
    "purchase_id", "household_id", "merchant_id", "category", "amount_cents", "on", "period"
)
_PURCHASE_KEYS = frozenset(_PURCHASE_ORDER)

# What ``plain_purchase`` gives: the plain payload's values as JSON values, in ``_PURCHASE_ORDER``.
PlainPurchase = tuple[str, str, str, str, int, str, str]


def plain_purchase(payload: Any) -> PlainPurchase | None:
    """The plain case, read without the books: exactly the seven fields, all valid, the day in
    the month (neither ``split`` nor ``whole_basket``): their values ``(purchase_id,
    household_id, merchant_id, category, amount_cents, on, period)`` as the payload holds
    them, or ``None`` for anything else (then ``purchase`` reads the payload field by field,
    naming every problem). Pure and cheap to send: a replay runs it in its reading process."""
    if type(payload) is not dict or payload.keys() != _PURCHASE_KEYS:
        return None
    pid, hh, merchant_id = payload["purchase_id"], payload["household_id"], payload["merchant_id"]
    category, amount = payload["category"], payload["amount_cents"]
    on, month = payload["on"], payload["period"]
    if (
        day_in_month(on, month) is None or not are_ids(pid, hh, merchant_id)
        or type(category) is not str or not category or type(amount) is not int or amount < 1
    ):
        return None
    return pid, hh, merchant_id, category, amount, on, month


def _purchase_fields(payload: Mapping[str, Any]) -> _Purchase:
    """Any purchase payload, read field by field (``InvalidCommand`` naming every problem)."""
    f = Fields(payload)
    order = _Purchase(
        f.ident("purchase_id"),
        f.ident("household_id"),
        f.ident("merchant_id"),
        f.text("category"),
        f.cents("amount_cents"),
        f.day("on"),
        f.period("period"),
        f.boolean("split") if f.present("split") else False,
        f.boolean("whole_basket") if f.present("whole_basket") else False,
    )
    if order.whole_basket and not order.split:
        f.require(False, "whole_basket", "whole_basket is given only with split")
    if period_of_date(order.on) != order.period:
        f.require(False, "on", f"{order.on} is not in the month {order.period}")
    f.done()
    return order


def _spend_plan(
    view: BooksView, hh: str, period: Period, credit: int, split: bool = False, whole: bool = False
) -> tuple[list[tuple[CreditLot, int]], int]:
    """Lots to spend (oldest usable first) and the credit available before spending; with
    ``split``, the credit taken is at most what is available (the member pays the rest), and
    with ``whole`` (the whole basket) it may be nothing."""
    lots, available = spendable_lots(view.lots(hh), period)
    if split and available < credit and (available > 0 or whole):
        credit = available
    plan = take_oldest(lots, credit, None)
    if plan is None:
        refusal = problem(
            "amount_cents",
            "books.insufficient_credit",
            available=format_cents(available),
            requested=format_cents(credit),
        )
        raise InsufficientCredit(refusal, available, credit)
    return plan, available


def purchase(view: BooksView, payload: Mapping[str, Any], seq: int) -> Effects:
    """A purchase: refused (``BooksError``, each refusal named by its guard), or its effects:
    its entry (none when the credit pays nothing of a whole basket's line), the lots it
    spends, its state, its result."""
    values = plain_purchase(payload)
    if values is not None:
        return purchase_values(view, values, seq)
    return _purchase(view, _purchase_fields(payload), seq)


def purchase_values(view: BooksView, values: PlainPurchase, seq: int) -> Effects:
    """``purchase`` of the payload whose values ``plain_purchase`` gave (in this process or,
    for a replay, in its reading process)."""
    pid, hh, merchant_id, category, amount, on, month = values
    dated = day_in_month(on, month)  # a cached lookup: ``plain_purchase`` read it
    if dated is None:  # never for values ``plain_purchase`` gave: the refusal, named
        payload = dict(zip(_PURCHASE_ORDER, values, strict=True))
        return _purchase(view, _purchase_fields(payload), seq)
    return _purchase(
        view, _new(_Purchase, (pid, hh, merchant_id, category, amount, *dated, False, False)), seq
    )


def _purchase(view: BooksView, order: _Purchase, seq: int) -> Effects:
    pid, hh, merchant_id, category, amount, on, period, split, whole = order
    if view.purchase(merchant_id, pid) is not None:
        raise Conflict(problem("purchase_id", "books.purchase_id_used", purchase_id=pid))
    # Each lookup once; its guard, called only when it fails, names the refusal.
    household = view.household(hh)
    if household is None or household[3]:  # [3]: erased
        active_household(view, hh, "household_id")
    merchant = view.merchant(merchant_id)
    if merchant is None:
        known_merchant(view, merchant_id, "merchant_id")
    rate = _check_merchant(merchant, on, category)  # type: ignore[arg-type]
    if view.month(period)[1] != OPEN:  # [1]: status
        open_month(view, period)
    num, den = _rate(rate)
    credit = amount * num // den  # ``credit_part_cents``
    if credit == 0 and not whole:
        raise InvalidCommand(
            problem("amount_cents", "books.no_credit_drawn", amount=amount, rate=rate)
        )
    plan, available = _spend_plan(view, hh, period, credit, split, whole)
    # The effects, built with ``tuple.__new__`` (a NamedTuple's constructor is Python-level):
    # the hot path of a replay, where two records in three are purchases.
    changes: tuple[LotChange, ...]
    if len(plan) == 1:  # the usual case: one lot pays it all
        lot, credit = plan[0]
        changes = (_new(LotChange, ("spend", lot[0], hh, credit, None, None)),)  # [0]: lot_id
        expires = lot[3]  # [3]: expires
    else:
        changes = tuple([_new(LotChange, ("spend", lot[0], hh, part, None, None))
                         for lot, part in plan])
        credit = sum([part for _, part in plan])
        expires = latest_expiry([lot for lot, _ in plan])
    # A sale the credit pays nothing of moves no money of the fund: no entry.
    entries = () if credit == 0 else (
        pair_entry(f"{seq}.0", seq, period, "purchase", f"purchase {pid} {category}",
                   acc.member_credit(hh), acc.merchant_payable(merchant_id), credit),
    )
    state = _new(PurchaseState,
                 (pid, hh, merchant_id, category, period, amount, credit, 0, expires, ()))
    result = {
        "purchase_id": pid,
        "entry_id": entries[0][0] if entries else None,  # [0]: entry_id
        "amount_cents": amount,
        "credit_cents": credit,
        "member_pays_cents": amount - credit,
        "available_cents": available - credit,
    }
    return _new(Effects, (entries, changes, (_new(SetPurchase, (state,)),), result))


def _refundable(bought: PurchaseState, refund_id: str, amount: int) -> int:
    """What can still be refunded of the purchase's credit part, if ``amount`` fits."""
    if refund_id in bought.refund_ids:
        raise Conflict(problem("refund_id", "books.refund_recorded", refund_id=refund_id))
    refundable = bought.credit_cents - bought.refunded_cents
    if amount > refundable:
        raise Conflict(
            problem("amount_cents", "books.refund_too_large", refundable=refundable, amount=amount)
        )
    return refundable


def member_due_cents(price_cents: int, credit_cents: int, refunded_cents: int, amount: int) -> int:
    """The member's own part (price - credit) that a refund of ``amount`` cents of the credit
    part gives back, ``refunded_cents`` having been refunded before: proportional and rounded
    down on the running total, so the refunds of one purchase add up to its whole member part
    once its whole credit part is refunded."""
    own = price_cents - credit_cents
    if own <= 0 or credit_cents <= 0:
        return 0
    before = own * refunded_cents // credit_cents
    after = own * (refunded_cents + amount) // credit_cents
    return after - before


def refund(view: BooksView, payload: Mapping[str, Any], seq: int) -> Effects:
    f = Fields(payload)
    refund_id = f.ident("refund_id")
    merchant_id = f.ident("merchant_id")
    purchase_id = f.ident("purchase_id")
    amount = f.cents("amount_cents")
    on = f.day("on")
    f.done()
    bought = view.purchase(merchant_id, purchase_id)
    if bought is None:
        raise NotFound(problem("purchase_id", "books.no_purchase", purchase_id=purchase_id))
    refundable = _refundable(bought, refund_id, amount)
    member_due = member_due_cents(
        bought.amount_cents, bought.credit_cents, bought.refunded_cents, amount
    )
    period = period_of_date(on)
    open_month(view, period, "on")
    hh = bought.household_id
    postings = (
        (acc.merchant_payable(bought.merchant_id), amount),
        (acc.member_credit(hh), -amount),
    )
    entry = EntryBuilder(seq).add(
        period, "refund", f"refund {refund_id} of {purchase_id}", postings
    )
    lot = LotChange("open", entry.entry_id, hh, amount, period, bought.lots_expire)
    refunded = bought.refunded_cents + amount
    state = bought._replace(refunded_cents=refunded, refund_ids=(*bought.refund_ids, refund_id))
    result = {
        "refund_id": refund_id,
        "purchase_id": purchase_id,
        "entry_id": entry.entry_id,
        "amount_cents": amount,
        "refundable_cents": refundable - amount,
        "member_due_cents": member_due,
    }
    return Effects((entry,), (lot,), (SetPurchase(state),), result)
