"""The merchant's till: the quote of a basket by category, the charge with the member's
consent code, receipts, a day's sales, refunds and the settlements the fund paid.

Guarantees:

- ``quote`` is pure and exact (integer cents, no clock, same inputs -> same quote). Each
  line's credit is the books' own ``credit_part_cents`` (amount x rate rounded DOWN), taken
  in the till's category order while the member's spendable credit lasts. A line the credit
  cannot cover in full takes what remains (a ``split`` purchase, app.engine.books.
  apply_purchase); the member pays the rest of the line. The till never refuses a basket for
  lack of credit, and never asks the books for more credit than the member has.
- Every line of the basket is recorded at its whole price (``charged_cents == amount_cents``),
  so the member's own part of the line (price - credit, paid to the merchant) is kept with the
  sale for the fund's statistics; it is never posted to the fund's accounts. A line the credit
  pays nothing of (no credit left, or a 0 % rate) is recorded too, as a sale with credit 0 and
  no ledger entry (a ``whole_basket`` purchase), so the statistics see the whole basket. A
  basket the credit pays nothing of at all is not charged (there is nothing of the fund's).
- A refund gives the credit part back to the member's credit (a new lot) and says the part of
  the member's own payment the merchant gives back in cash (``member_due_cents``).
- ``charge`` records one ``purchase`` per line of the basket through
  ``app.services.merchants.purchase``, all lines in ONE transaction (all or nothing), each
  under an idempotency key and a purchase id derived from the quote's reference: a second
  submit of the same quote returns the first receipt and charges nothing. The recorded
  credit of each line is the quote's (same function, same rounding); if the credit moved
  since the quote was shown, nothing is charged and the new quote is returned
  (``QuoteChanged``).
- The consent code is checked once BEFORE the transaction (app.services.consent), so a wrong
  code is counted (and locks after too many) although nothing is charged.
- A merchant reads only its own sales: another merchant's sale reads as not found.
- ``shop_name`` is the shop's own name (its profile's) or ``None``: the till never shows
  the name of the person signed in as the shop's.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.audit import journal
from app.db import tables as t
from app.db.session import read_only, unit_of_work
from app.engine.books.apply_purchase import credit_part_cents, member_due_cents
from app.engine.period import Period
from app.engine.problems import Problem
from app.ledger.invariants import balances_of
from app.services import (
    consent,
    free_text,
    merchant_profiles,
    merchants,
    people,
    views,
)
from app.services import errors as svc

FUND_ZONE = ZoneInfo("Europe/Paris")
REFERENCE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"  # no 0/O, 1/I, 2/Z, 5/S, 8/B to misread
REFERENCE_LENGTH = 8


class QuoteChanged(svc.Conflict):
    """The member's credit moved since the quote was shown: nothing was charged."""

    code = "quote-changed"
    title = "The quote changed"

    def __init__(self, quote: Quote) -> None:
        super().__init__(detail="The member's credit changed since the quote; nothing was charged.")
        self.quote = quote


@dataclass(frozen=True, slots=True)
class Line:
    """One category of a basket: the amount typed, the amount the books record for it (the
    purchase's amount: the whole line, also when the credit pays nothing of it) and the
    credit it takes (a split: at most what the member had left)."""

    category: str
    rate: str
    amount_cents: int
    charged_cents: int
    credit_cents: int

    @property
    def member_pays_cents(self) -> int:
        return self.amount_cents - self.credit_cents


@dataclass(frozen=True, slots=True)
class Quote:
    available_cents: int
    lines: tuple[Line, ...]

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    @property
    def credit_cents(self) -> int:
        return sum(line.credit_cents for line in self.lines)

    @property
    def member_pays_cents(self) -> int:
        return self.total_cents - self.credit_cents

    @property
    def left_cents(self) -> int:
        return self.available_cents - self.credit_cents

    @property
    def credit_short(self) -> bool:
        """Whether the credit could not pay all the rates would take (the member pays more)."""
        return any(
            line.credit_cents < credit_part_cents(line.amount_cents, line.rate)
            for line in self.lines
        )

    @property
    def fingerprint(self) -> str:
        """What the charge must find again to record this quote (amounts charged, credit)."""
        return ";".join(f"{line.charged_cents}/{line.credit_cents}" for line in self.lines)


def _cover(amount_cents: int, rate: str, remaining_cents: int) -> tuple[int, int]:
    """(basket amount recorded, credit) of one line when ``remaining_cents`` are left: the
    books' own split (app.engine.books.apply_purchase); the whole line is recorded even when
    the credit pays nothing of it."""
    credit = min(credit_part_cents(amount_cents, rate), max(remaining_cents, 0))
    return amount_cents, credit


def quote(available_cents: int, basket: Sequence[tuple[str, str, int]]) -> Quote:
    """The quote of ``basket`` ((category, rate, amount) in the till's order) for a member
    with ``available_cents`` of spendable credit (see the module docstring)."""
    remaining = max(available_cents, 0)
    lines = []
    for category, rate, amount in basket:
        if amount < 0:
            raise svc.invalid(category, "an amount cannot be negative")
        charged, credit = _cover(amount, rate, remaining)
        remaining -= credit
        lines.append(Line(category, rate, amount, charged, credit))
    return Quote(max(available_cents, 0), tuple(lines))


# --- Reading the till's facts ----------------------------------------------------------------


def till_day(now: datetime) -> date:
    """The till's day: the fund's local date (Paris)."""
    return now.astimezone(FUND_ZONE).date()


def new_reference() -> str:
    """A short receipt reference a merchant can read out (25^8 possibilities)."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


@dataclass(frozen=True, slots=True)
class Till:
    merchant_id: str
    categories: tuple[tuple[str, str], ...]  # (category, rate), by name
    open: bool  # approved on the day and not suspended
    name: str | None = None  # the shop's own name (its profile's), never a person's


def _till(session: Session, merchant_id: str, on: date) -> Till:
    row = session.get(t.Merchant, merchant_id)
    if row is None:
        raise svc.not_found("merchant", merchant_id)
    day = on.isoformat()
    is_open = (
        row.valid_from <= day
        and (row.valid_until is None or day <= row.valid_until)
        and (row.suspended_from is None or day < row.suspended_from)
    )
    rates: dict[str, str] = json.loads(row.categories)
    name = merchant_profiles.own_name(session, merchant_id)
    return Till(merchant_id, tuple(sorted(rates.items())), is_open, name)


def shop_name(engine: Engine, merchant_id: str) -> str | None:
    """The shop's own name for its till's header and receipts (its profile's,
    app.services.merchant_profiles), ``None`` when it has none: never a person's name."""
    with read_only(engine) as session:
        return merchant_profiles.own_name(session, merchant_id)


def till_of(engine: Engine, merchant_id: str, on: date) -> Till:
    with read_only(engine) as session:
        return _till(session, merchant_id, on)


def _spendable(session: Session, household_id: str, on: date) -> int:
    """The credit a purchase on ``on`` may draw: the books' rule, read as the member's
    balance reads it (``views.balances``'s ``spendable_cents``)."""
    return int(views.balances(session, household_id, on)["spendable_cents"])


def _basket(till: Till, amounts: Mapping[str, int]) -> list[tuple[str, str, int]]:
    return [(name, rate, amounts.get(name, 0)) for name, rate in till.categories]


def _quote_in(
    session: Session, merchant_id: str, card_number: str, amounts: Mapping[str, int], on: date
) -> tuple[str, Quote]:
    till = _till(session, merchant_id, on)
    household_id = people.household_of_card(session, card_number)
    return household_id, quote(_spendable(session, household_id, on), _basket(till, amounts))


@dataclass(frozen=True, slots=True)
class Start:
    """The till for one member: the card, the merchant's categories, the spendable credit."""

    card_number: str
    till: Till
    available_cents: int


def start(engine: Engine, merchant_id: str, card_number: str, on: date) -> Start:
    """The basket form's facts for the card's member (``InvalidRequest`` for a mistyped
    number, ``NotFound`` for a number no card has)."""
    with read_only(engine) as session:
        household_id = people.household_of_card(session, card_number)
        number = people.card_of(session, household_id) or card_number
        available = _spendable(session, household_id, on)
        return Start(number, _till(session, merchant_id, on), available)


def prepare(
    engine: Engine, merchant_id: str, card_number: str, amounts: Mapping[str, int], on: date
) -> Quote:
    """The quote of a basket for the card's member, now (nothing is written)."""
    with read_only(engine) as session:
        return _quote_in(session, merchant_id, card_number, amounts, on)[1]


# --- Charging ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a charge recorded: its reference, time, lines and the credit left after it."""

    reference: str
    recorded_at: str
    lines: tuple[Line, ...]
    left_cents: int

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    @property
    def credit_cents(self) -> int:
        return sum(line.credit_cents for line in self.lines)

    @property
    def member_pays_cents(self) -> int:
        return self.total_cents - self.credit_cents


def is_reference(text: str) -> bool:
    return len(text) == REFERENCE_LENGTH and all(c in REFERENCE_ALPHABET for c in text)


def _prefix(merchant_id: str, reference: str) -> str:
    return f"till.{merchant_id}.{reference}."


def _recorded(session: Session, merchant_id: str, reference: str) -> list[t.Journal]:
    """The purchases a till charge of ``reference`` recorded for this merchant, in order."""
    rows = session.execute(
        select(t.Journal)
        .where(
            col(t.Journal.idempotency_key).startswith(
                _prefix(merchant_id, reference), autoescape=True
            ),
            col(t.Journal.kind) == "purchase",
        )
        .order_by(col(t.Journal.seq))
    ).scalars()
    return [row for row in rows if json.loads(row.payload).get("merchant_id") == merchant_id]


def _receipt(
    session: Session, merchant_id: str, reference: str, amounts: Mapping[str, int] | None
) -> Receipt:
    """The receipt from the books; ``amounts``: the basket as typed (else the amounts the
    books know: the lines the credit paid part of; sales recorded before split purchases
    hold only the part of a line the credit paid for)."""
    rows = _recorded(session, merchant_id, reference)
    if not rows:
        raise svc.not_found("receipt", reference)
    row = session.get(t.Merchant, merchant_id)
    rates: dict[str, str] = {} if row is None else json.loads(row.categories)
    stored: dict[str, tuple[int, int]] = {}
    for record in rows:
        payload, result = json.loads(record.payload), json.loads(record.result)
        stored[payload["category"]] = (int(payload["amount_cents"]), int(result["credit_cents"]))
    typed = dict(amounts or {})
    names = [n for n in sorted(set(rates) | set(stored)) if typed.get(n, 0) > 0 or n in stored]
    lines = []
    for name in names:
        charged, credit = stored.get(name, (0, 0))
        amount = max(typed.get(name, 0), charged)
        lines.append(Line(name, rates.get(name, ""), amount, charged, credit))
    left = int(json.loads(rows[-1].result)["available_cents"])
    return Receipt(reference, rows[0].recorded_at, tuple(lines), left)


def receipt(
    engine: Engine, merchant_id: str, reference: str, amounts: Mapping[str, int] | None = None
) -> Receipt:
    """A charge's receipt (``NotFound`` for a reference this merchant never charged)."""
    with read_only(engine) as session:
        return _receipt(session, merchant_id, reference, amounts)


def charge(
    engine: Engine,
    merchant_id: str,
    card_number: str,
    amounts: Mapping[str, int],
    reference: str,
    expected: str,
    consent_code: str,
    on: date,
    *,
    actor: str,
    now: datetime,
) -> Receipt:
    """Charge the quote ``reference`` (see the module docstring); ``expected`` is the
    fingerprint of the quote the member saw."""
    if not is_reference(reference):
        raise svc.invalid("reference", "not a till reference")
    with read_only(engine) as session:
        household_id = people.household_of_card(session, card_number)
        if _charged(session, merchant_id, reference, household_id):  # a second submit
            return _receipt(session, merchant_id, reference, amounts)
    consent.check(engine, household_id, consent_code, now, merchant_id=merchant_id)
    with unit_of_work(engine) as session:
        journal.lock_writer(session)
        if not _charged(session, merchant_id, reference, household_id):  # not meanwhile
            _record(
                session,
                merchant_id,
                card_number,
                amounts,
                reference,
                expected,
                on,
                consent_code,
                actor,
                now,
            )
        return _receipt(session, merchant_id, reference, amounts)


def _charged(session: Session, merchant_id: str, reference: str, household_id: str) -> bool:
    """Whether ``reference`` was charged already; a reference charged to another member
    is refused (a form sent again with another card), not shown as this member's."""
    rows = _recorded(session, merchant_id, reference)
    if any(json.loads(row.payload)["household_id"] != household_id for row in rows):
        raise svc.IdempotencyConflict(
            (Problem("reference", f"the reference {reference!r} was charged to another card"),),
            "This till reference was already charged to another member; nothing was charged.",
        )
    return bool(rows)


def _record(
    session: Session,
    merchant_id: str,
    card_number: str,
    amounts: Mapping[str, int],
    reference: str,
    expected: str,
    on: date,
    consent_code: str,
    actor: str,
    now: datetime,
) -> None:
    household_id, found = _quote_in(session, merchant_id, card_number, amounts, on)
    if found.fingerprint != expected or found.credit_cents == 0:
        raise QuoteChanged(found)
    number = 0
    for line in found.lines:
        if line.charged_cents == 0:
            continue
        number += 1
        merchants.purchase(
            session,
            f"{reference}-{number}",
            household_id,
            merchant_id,
            line.category,
            line.charged_cents,
            on,
            consent_code,
            actor=actor,
            idempotency_key=f"{_prefix(merchant_id, reference)}{number}",
            now=now,
            split=True,
            whole_basket=True,
        )


# --- Sales, refunds, settlements --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sale:
    """One purchase line as its merchant sees it (no member data)."""

    purchase_id: str
    reference: str | None  # the till's receipt reference, for sales made at the till
    category: str
    recorded_at: str
    on: str
    amount_cents: int
    credit_cents: int
    refunded_cents: int

    @property
    def refundable_cents(self) -> int:
        return self.credit_cents - self.refunded_cents

    @property
    def member_paid_cents(self) -> int:
        """The member's own part, paid to the merchant outside the fund."""
        return self.amount_cents - self.credit_cents

    def member_due_cents(self, refund_cents: int) -> int:
        """What the merchant gives back in cash with a refund of ``refund_cents`` of credit
        (the books' own share of the member's part, app.engine.books.apply_purchase)."""
        return member_due_cents(
            self.amount_cents, self.credit_cents, self.refunded_cents, refund_cents
        )


@dataclass(frozen=True, slots=True)
class SalesDay:
    day: date
    sales: tuple[Sale, ...]
    owed_cents: int  # what the fund owes the merchant now

    @property
    def amount_cents(self) -> int:
        return sum(sale.amount_cents for sale in self.sales)

    @property
    def credit_cents(self) -> int:
        return sum(sale.credit_cents for sale in self.sales)

    @property
    def refunded_cents(self) -> int:
        return sum(sale.refunded_cents for sale in self.sales)

    @property
    def member_paid_cents(self) -> int:
        return sum(sale.member_paid_cents for sale in self.sales)


def _sale(merchant_id: str, bought: t.Purchase, record: t.Journal) -> Sale:
    prefix = f"till.{merchant_id}."
    key = record.idempotency_key
    reference = key[len(prefix) :].split(".")[0] if key.startswith(prefix) else None
    return Sale(
        bought.purchase_id,
        reference,
        bought.category,
        record.recorded_at,
        str(json.loads(record.payload)["on"]),
        int(bought.amount_cents),
        int(bought.credit_cents),
        int(bought.refunded_cents),
    )


def _owed(session: Session, merchant_id: str) -> int:
    account = f"401:{merchant_id}"
    return -int(balances_of(session, [account])[account])


def sales_of_day(engine: Engine, merchant_id: str, day: date) -> SalesDay:
    """The merchant's sales of ``day`` (newest first) and what the fund owes it now."""
    with read_only(engine) as session:
        _till(session, merchant_id, day)
        rows = session.execute(
            select(t.Purchase, t.Journal)
            .join(t.Journal, col(t.Journal.seq) == col(t.Purchase.seq))
            .where(
                col(t.Purchase.merchant_id) == merchant_id,
                col(t.Purchase.period) == str(Period(day.year, day.month)),
            )
            .order_by(col(t.Purchase.seq).desc())
        ).all()
        found = [_sale(merchant_id, bought, record) for bought, record in rows]
        return SalesDay(
            day, tuple(s for s in found if s.on == day.isoformat()), _owed(session, merchant_id)
        )


def sale(engine: Engine, merchant_id: str, purchase_id: str) -> Sale:
    """One of the merchant's sales (another merchant's reads as not found)."""
    with read_only(engine) as session:
        bought = session.get(t.Purchase, (merchant_id, purchase_id))
        record = None if bought is None else session.get(t.Journal, bought.seq)
        if bought is None or record is None:
            raise svc.not_found("purchase", purchase_id)
        return _sale(merchant_id, bought, record)


def refund(
    engine: Engine,
    merchant_id: str,
    purchase_id: str,
    amount_cents: int,
    key: str,
    on: date,
    *,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Give ``amount_cents`` of a sale's credit part back to the member, once per ``key``
    (the refund form's own key: a second submit records nothing more)."""
    if amount_cents <= 0:
        raise svc.invalid("amount_cents", "a refund is more than 0")
    if not is_reference(key):
        raise svc.invalid("key", "not a till reference")
    return merchants.refund(
        engine,
        f"R{key}",
        merchant_id,
        purchase_id,
        amount_cents,
        on,
        actor=actor,
        idempotency_key=f"till-refund.{merchant_id}.{key}",
        now=now,
    )


@dataclass(frozen=True, slots=True)
class Settlement:
    on: str
    reference: str
    amount_cents: int


def settlements(engine: Engine, merchant_id: str) -> tuple[list[Settlement], int]:
    """The payments the fund made to the merchant (newest first) and what it owes now."""
    with read_only(engine) as session:
        paid = []
        shown = free_text.readable_in(session)  # the reference as kept, not its commitment
        for line in views.merchant_settlements(session, merchant_id):
            record = session.get(t.Journal, line["seq"])
            payload: dict[str, Any] = {} if record is None else json.loads(record.payload)
            paid.append(
                Settlement(
                    str(payload.get("on", "")),
                    shown(str(payload.get("reference", "")), int(line["seq"])),
                    int(line["amount_cents"]),
                )
            )
        return paid, _owed(session, merchant_id)
