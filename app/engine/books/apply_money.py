"""Money in and out of the fund: contribution payments, funding, merchant settlements."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from app.engine.books import accounts as acc
from app.engine.books.commands import Fields, are_ids, day_or_none, period_of_date
from app.engine.books.entries import EntryBuilder, pair_entry
from app.engine.books.errors import Conflict
from app.engine.books.guards import known_household, known_merchant, open_month
from app.engine.books.state import OPEN, BooksView, Effects
from app.engine.period import Period
from app.engine.problems import Problem

METHODS = ("cash", "transfer", "direct_debit")
FUNDING_KINDS = ("subsidy", "donation", "top_up")
FUNDING_STATUSES = ("received", "awarded")
_new = tuple.__new__


# A plain payment's fields, in the order ``plain_payment`` gives their values.
_PAYMENT_ORDER = ("household_id", "amount_cents", "method", "reference", "received_on")
_PAYMENT_KEYS = frozenset(_PAYMENT_ORDER)


# What ``plain_payment`` gives: the plain payload's values as JSON values, in ``_PAYMENT_ORDER``.
PlainPayment = tuple[str, int, str, str, str]


def plain_payment(payload: Any) -> PlainPayment | None:
    """The plain case, read without the books: exactly the five fields, all valid: their
    values ``(household_id, amount_cents, method, reference, received_on)`` as the payload
    holds them, or ``None`` for anything else (then ``record_payment`` reads the payload
    field by field, naming every problem). Pure and cheap to send: a replay runs it in its
    reading process."""
    if type(payload) is not dict or payload.keys() != _PAYMENT_KEYS:
        return None
    hh, amount, method = payload["household_id"], payload["amount_cents"], payload["method"]
    reference, received_on = payload["reference"], payload["received_on"]
    if (
        day_or_none(received_on) is None or not are_ids(hh) or type(amount) is not int
        or amount < 1 or type(method) is not str or method not in METHODS
        or type(reference) is not str or not reference
    ):
        return None
    return hh, amount, method, reference, received_on


def _payment_fields(payload: Mapping[str, Any]) -> tuple[str, int, str, str, date, Period]:
    """Any payment payload, read field by field (``InvalidCommand`` naming every problem)."""
    f = Fields(payload)
    read = (
        f.ident("household_id"),
        f.cents("amount_cents"),
        f.text("method", METHODS),
        f.text("reference"),
        f.day("received_on"),
    )
    f.done()
    return (*read, period_of_date(read[4]))


def record_payment(view: BooksView, payload: Mapping[str, Any], seq: int) -> Effects:
    """A member's contribution received: 512 (530 for cash) / 411:hh."""
    values = plain_payment(payload)
    if values is not None:
        return payment_values(view, values, seq)
    return _payment(view, _payment_fields(payload), seq)


def payment_values(view: BooksView, values: PlainPayment, seq: int) -> Effects:
    """``record_payment`` of the payload whose values ``plain_payment`` gave (in this process
    or, for a replay, in its reading process)."""
    dated = day_or_none(values[4])  # a cached lookup: ``plain_payment`` read it
    if dated is None:  # never for values ``plain_payment`` gave: the refusal, named
        payload = dict(zip(_PAYMENT_ORDER, values, strict=True))
        return _payment(view, _payment_fields(payload), seq)
    return _payment(view, (*values[:4], *dated), seq)


def _payment(
    view: BooksView, read: tuple[str, int, str, str, date, Period], seq: int
) -> Effects:
    household_id, amount, method, reference, _, period = read
    # Each lookup once; its guard, called only when it fails, names the refusal.
    if view.household(household_id) is None:
        known_household(view, household_id, "household_id")
    if view.month(period)[1] != OPEN:  # [1]: status
        open_month(view, period, "received_on")
    account = acc.CASH if method == "cash" else acc.BANK
    due = acc.member_due(household_id)
    entry = pair_entry(f"{seq}.0", seq, period, "payment", f"{method} {reference}", account, due,
                       amount)
    result = {
        "entry_id": entry[0],  # entry_id
        "household_id": household_id,
        "amount_cents": amount,
        "due_cents": view.balance_cents(due) - amount,
    }
    return _new(Effects, ((entry,), (), (), result))


def record_funding(view: BooksView, payload: Mapping[str, Any], seq: int) -> Effects:
    """Funding: subsidy 512 / 441:f (receivable first) then 74:f; donation 512 / 754:f;
    top-up 512 / 4687:f; ``dedicated`` books the income part to 194:f instead. An ``awarded``
    subsidy (optional ``status``, default ``received``) is 441:f / 74:f (or 194:f)."""
    f = Fields(payload)
    funder_id = f.ident("funder_id")
    kind = f.text("kind", FUNDING_KINDS)
    amount = f.cents("amount_cents")
    reference = f.text("reference")
    received_on = f.day("received_on")
    dedicated = f.boolean("dedicated")
    status = f.text("status", FUNDING_STATUSES) if f.present("status") else "received"
    f.require(
        not (dedicated and kind == "top_up"),
        "dedicated",
        "a top-up settles a receivable; only subsidies and donations can be dedicated",
    )
    f.require(status == "received" or kind == "subsidy", "status", "only a subsidy can be awarded")
    f.done()
    period = period_of_date(received_on)
    open_month(view, period, "received_on")
    postings = _funding_postings(view, funder_id, kind, status, dedicated, amount)
    builder = EntryBuilder(seq)
    entry = builder.add(period, "funding", f"{kind} {reference}", postings)
    result = {"entry_id": entry.entry_id, "funder_id": funder_id, "amount_cents": amount}
    return Effects((entry,), (), (), result)


def _funding_postings(
    view: BooksView, funder_id: str, kind: str, status: str, dedicated: bool, amount: int
) -> list[tuple[str, int]]:
    if kind == "top_up":
        return [(acc.BANK, amount), (acc.top_up_receivable(funder_id), -amount)]
    income = acc.donations(funder_id) if kind == "donation" else acc.subsidies(funder_id)
    if dedicated:
        income = acc.dedicated_fund(funder_id)
    if status == "awarded":
        return [(acc.subsidy_receivable(funder_id), amount), (income, -amount)]
    postings = [(acc.BANK, amount)]
    settled = 0
    if kind == "subsidy":
        receivable = view.balance_cents(acc.subsidy_receivable(funder_id))
        settled = min(amount, max(0, receivable))
        postings.append((acc.subsidy_receivable(funder_id), -settled))
    postings.append((income, settled - amount))
    return postings


def settle_merchants(view: BooksView, payload: Mapping[str, Any], seq: int) -> Effects:
    """Pay merchants what the fund owes them: 401:m / 512, one entry per batch."""
    f = Fields(payload)
    batch_id = f.ident("batch_id")
    reference = f.text("reference")
    on = f.day("on")
    lines = [
        (sub.ident("merchant_id"), sub.cents("amount_cents"), sub) for sub in f.objects("merchants")
    ]
    for _, _, sub in lines:
        sub.check_unknown()
    f.require(bool(lines), "merchants", "a settlement pays at least one merchant")
    ids = [merchant_id for merchant_id, _, _ in lines]
    f.require(len(set(ids)) == len(ids), "merchants", "a merchant appears twice")
    f.done()
    period = period_of_date(on)
    open_month(view, period, "on")
    over: list[Problem] = []
    for index, (merchant_id, amount, _) in enumerate(lines):
        known_merchant(view, merchant_id, f"merchants[{index}].merchant_id")
        owed = -view.balance_cents(acc.merchant_payable(merchant_id))
        if amount > owed:
            over.append(
                Problem(
                    f"merchants[{index}].amount_cents",
                    f"the fund owes {merchant_id!r} {owed} cents, not {amount}",
                )
            )
    if over:
        raise Conflict(over)
    total = sum(amount for _, amount, _ in lines)
    postings = [(acc.merchant_payable(m), amount) for m, amount, _ in lines]
    postings.append((acc.BANK, -total))
    builder = EntryBuilder(seq)
    entry = builder.add(period, "settlement", f"batch {batch_id} {reference}", postings)
    result = {"entry_id": entry.entry_id, "batch_id": batch_id, "total_cents": total}
    return Effects((entry,), (), (), result)
