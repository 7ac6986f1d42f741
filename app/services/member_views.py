"""What a member's pages show about their own household: the credit spendable today and its
lots, the history of their credit and contributions, a month's statement with the steps that
made each amount, and the change of their till consent code. Only the change of code
writes; every other function reads.

Guarantees:

- ``wallet``: spendable credit is the sum of the open lots whose last usable month is not
  before ``today``'s month (app.engine.books.lots.usable). Credit past its last month is
  never counted as spendable, even before the month's expiry run has booked it; it is shown
  apart (``lapsed_cents``);
- ``history``: every movement of the household's two accounts (what it owes, its credit),
  newest first, with the merchant of a purchase or refund and the category bought; a
  merchant's name is its profile's (app.services.merchant_profiles), else the display name
  of its web access when it has one, else ``None``;
- ``statement``: a month's amounts as booked by its run, the rule set that made them and the
  engine's steps (structured, for the pages to word), with the entitlement and the granted
  credit when the month was rationed; ``None`` for a month the household was not run for;
- ``change_consent_code``: requires the person's own sign-in secret (checked, and counted
  towards the sign-in lockout, by app.services.people.sign_in).

Services flush; the caller's unit of work commits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.db import tables as t
from app.engine.assess import Status
from app.engine.explain import Params, Step
from app.engine.period import Period
from app.engine.problems import Problem
from app.services import arrears, consent, merchant_profiles, people, reads, run_basis
from app.services import errors as svc

CODE_LENGTHS = (4, 12)


@dataclass(frozen=True, slots=True)
class Lot:
    """Credit granted in ``period``, still ``remaining_cents``, usable until the last day
    of ``last_month`` (``None``: it never expires)."""

    period: str
    remaining_cents: int
    last_month: str | None

    @property
    def expires_on(self) -> date | None:
        return None if self.last_month is None else Period.parse(self.last_month).last_day


@dataclass(frozen=True, slots=True)
class Wallet:
    """A household's credit as of a day, and what it owes for that day's month."""

    month: str
    spendable_cents: int
    lots: tuple[Lot, ...]
    lapsed_cents: int
    due_cents: int
    contribution_cents: int
    paid_cents: int


def _month_of(today: date) -> Period:
    return Period(today.year, today.month)


def wallet(session: Session, household_id: str, today: date) -> Wallet:
    """The household's spendable credit on ``today``, its spendable lots (soonest expiry
    first), credit past its last month, and this month's contribution and payments."""
    found = reads.balances(session, household_id, on=today)
    month = _month_of(today)
    usable: list[Lot] = []
    lapsed = 0
    for row in found["lots"]:
        lot = Lot(str(row["period"]), int(row["remaining_cents"]), row["expires_after"])
        # The till's own rule (reads.is_spendable): a lot granted for a later month is not
        # spendable yet, a lot past its last month no longer.
        if reads.is_spendable(household_id, row, today):
            if lot.remaining_cents > 0:
                usable.append(lot)
        elif lot.last_month is not None and Period.parse(lot.last_month) < month:
            lapsed += lot.remaining_cents
    usable.sort(key=lambda lot: (lot.last_month is None, lot.last_month or "", lot.period))
    contribution, paid = _dues_in(session, household_id, str(month))
    return Wallet(
        month=str(month),
        spendable_cents=int(found["spendable_cents"]),
        lots=tuple(usable),
        lapsed_cents=lapsed,
        due_cents=max(0, int(found["due_cents"])),
        contribution_cents=contribution,
        paid_cents=paid,
    )


def _dues_in(session: Session, household_id: str, month: str) -> tuple[int, int]:
    """(contribution booked, payments received) on the household's dues in ``month``."""
    rows = session.execute(
        select(col(t.Posting.amount_cents))
        .join(t.LedgerEntry, col(t.LedgerEntry.entry_id) == col(t.Posting.entry_id))
        .where(
            col(t.Posting.account) == f"411:{household_id}",
            col(t.LedgerEntry.period) == month,
        )
    ).scalars()
    owed = paid = 0
    for amount in rows:
        if amount > 0:
            owed += int(amount)
        else:
            paid -= int(amount)
    return owed, paid


@dataclass(frozen=True, slots=True)
class Movement:
    """One movement of the household's books, as the member sees it.

    ``kind``: the entry's kind (credit, purchase, refund, expiry, contribution, payment,
    reversal...). ``on_credit``: True for the food credit (``amount_cents`` > 0 adds to
    it), False for what the household owes (``amount_cents`` > 0 is owed, < 0 paid)."""

    kind: str
    period: str
    recorded_at: str
    on_credit: bool
    amount_cents: int
    merchant_name: str | None = None
    category: str | None = None


def history(session: Session, household_id: str, limit: int = 200) -> list[Movement]:
    """The household's movements, newest first (see ``Movement``)."""
    rows = reads.history(session, household_id, limit=limit)
    seqs = sorted({int(row["seq"]) for row in rows})
    times = _recorded_at(session, seqs)
    merchants = _merchants_of(session, [str(row["entry_id"]) for row in rows])
    names = merchant_profiles.names(session, merchants.values())
    out: list[Movement] = []
    for row in rows:
        on_credit = str(row["account"]).startswith("419:")
        amount = int(row["amount_cents"])
        merchant = merchants.get(str(row["entry_id"]))
        out.append(
            Movement(
                kind=str(row["kind"]),
                period=str(row["period"]),
                recorded_at=times.get(int(row["seq"]), ""),
                on_credit=on_credit,
                # Credit is a liability (credit-side balance): a negative posting adds to it.
                amount_cents=-amount if on_credit else amount,
                merchant_name=None if merchant is None else names.get(merchant),
                category=_category(session, row, merchant, household_id),
            )
        )
    return out


def _recorded_at(session: Session, seqs: Sequence[int]) -> dict[int, str]:
    if not seqs:
        return {}
    rows = session.execute(
        select(col(t.Journal.seq), col(t.Journal.recorded_at)).where(col(t.Journal.seq).in_(seqs))
    )
    return {int(seq): str(at) for seq, at in rows}


def _merchants_of(session: Session, entry_ids: Sequence[str]) -> dict[str, str]:
    """entry id -> merchant id, for entries that move a merchant's account (401)."""
    if not entry_ids:
        return {}
    rows = session.execute(
        select(col(t.Posting.entry_id), col(t.Posting.account)).where(
            col(t.Posting.entry_id).in_(sorted(set(entry_ids))),
            col(t.Posting.account).startswith("401:"),
        )
    )
    return {str(entry): str(account)[4:] for entry, account in rows}


def _category(
    session: Session, row: dict[str, Any], merchant: str | None, household_id: str
) -> str | None:
    """The category of a purchase (or of the purchase a refund gives back)."""
    if merchant is None or row["kind"] not in ("purchase", "refund"):
        return None
    if row["kind"] == "purchase":
        bought = session.execute(
            select(col(t.Purchase.category)).where(
                col(t.Purchase.merchant_id) == merchant,
                col(t.Purchase.household_id) == household_id,
                col(t.Purchase.seq) == int(row["seq"]),
            )
        ).first()
        return None if bought is None else str(bought[0])
    purchase_id = str(row["memo"]).rpartition(" of ")[2]
    refunded = session.get(t.Purchase, (merchant, purchase_id))
    return None if refunded is None else refunded.category


@dataclass(frozen=True, slots=True)
class Rationing:
    """A rationed month: the fund's budget did not cover every household's entitlement."""

    method: str
    budget_cents: int
    total_entitlement_cents: int
    entitlement_cents: int | None
    granted_cents: int


@dataclass(frozen=True, slots=True)
class Statement:
    """A month as booked for the household, and why (``explained``: the steps are known)."""

    period: str
    contribution_cents: int
    credit_cents: int
    funder_share_cents: int
    rule_set_name: str
    rule_set_version: int
    decision: str
    inputs: Params
    contribution_steps: tuple[Step, ...]
    credit_steps: tuple[Step, ...]
    rationing: Rationing | None
    explained: bool


def statement_months(session: Session, household_id: str) -> list[str]:
    """The months the household was run for, newest first."""
    _household(session, household_id)
    return [
        str(period)
        for period in session.execute(
            select(col(t.MonthCredit.period))
            .where(col(t.MonthCredit.household_id) == household_id)
            .order_by(col(t.MonthCredit.period).desc())
        ).scalars()
    ]


def _household(session: Session, household_id: str) -> t.Household:
    row = session.get(t.Household, household_id)
    if row is None:
        raise svc.not_found("household", household_id)
    return row


def member_since(session: Session, household_id: str) -> str:
    """The first month of the household's membership."""
    return _household(session, household_id).from_period


def statement(session: Session, household_id: str, period: str) -> Statement | None:
    """The household's statement for ``period`` (``None``: the month was not run for it)."""
    month = Period.parse(period)
    household = _household(session, household_id)
    mark = session.get(t.MonthCredit, (household_id, str(month)))
    if mark is None:
        return None
    record = session.get(t.Journal, mark.seq)
    payload: dict[str, Any] = json.loads(record.payload) if record is not None else {}
    line = next(h for h in payload.get("households", ()) if h["household_id"] == household_id)
    # The rules and facts this run used (by hash), never today's: the past stays explained
    # as it was booked.
    rules = run_basis.rules_of_run(session, payload)
    facts = None if household.erased else run_basis.facts_of_run(session, line)
    assessed = (
        arrears.assess_as_run(session, rules, facts, month, mark.seq)
        if rules is not None and facts is not None
        else None
    )
    explanation = None if assessed is None else assessed.explanation
    granted = int(line["credit_cents"] or 0)
    rationing = None
    if payload.get("rationing") is not None and rules is not None:
        entitlement = None
        if assessed is not None and assessed.status is Status.ASSESSED:
            entitlement = assessed.credit_cents
        rationing = Rationing(
            method=rules.rationing.method,
            budget_cents=int(payload["rationing"]["budget_cents"]),
            total_entitlement_cents=int(payload["rationing"]["entitlement_total_cents"]),
            entitlement_cents=entitlement,
            granted_cents=granted,
        )
    return Statement(
        period=str(month),
        contribution_cents=int(line["contribution_cents"] or 0),
        credit_cents=granted,
        funder_share_cents=int(line["funder_share_cents"] or 0),
        rule_set_name=(rules.name or rules.rule_set_id) if rules is not None else "",
        rule_set_version=rules.version if rules is not None else 0,
        decision=rules.ref.decision if rules is not None else "",
        inputs=() if explanation is None else explanation.inputs,
        contribution_steps=() if explanation is None else explanation.contribution,
        credit_steps=() if explanation is None else explanation.credit,
        rationing=rationing,
        explained=explanation is not None,
    )


def change_consent_code(
    session: Session, access_id: str, secret: str, code: str, code_again: str, now: datetime
) -> people.SignInRefused | people.SignInLocked | None:
    """Give the person's household the consent code ``code`` once their own sign-in
    secret is checked.

    ``InvalidRequest`` (nothing written) for a code that is not 4 to 12 digits
    (``code``) or not typed the same twice (``code_again``). A wrong secret is RETURNED
    (``SignInRefused``, or ``SignInLocked`` while the access is locked), so that the
    caller's unit of work commits the failure count; ``None`` when the code was changed."""
    problems: list[Problem] = []
    low, high = CODE_LENGTHS
    if not (code.isascii() and code.isdigit() and low <= len(code) <= high):
        problems.append(Problem("code", "the consent code must be 4 to 12 digits"))
    elif code != code_again:
        problems.append(Problem("code_again", "the two codes differ"))
    if problems:
        raise svc.InvalidRequest(tuple(problems), "The consent code was not changed.")
    row = people.access(session, access_id)
    if row.role != "member" or row.subject_id is None or row.login is None:
        raise svc.not_found("access", access_id)
    outcome = people.sign_in(session, row.login, secret, now)
    if not isinstance(outcome, people.Person):
        return outcome
    consent.change_code(session, row.subject_id, code)
    return None
