"""Over-contributions as gifts: the part of a member household's contributions paid above
the credit it was granted, in the months whose rules say so (``tax_receipts:
{over_contribution_is_gift: true}``, app.engine.rules.tax_receipts).

The rule, per household and per month ``M`` of the year whose rules in force have the option:

- **paid for M**: the month's contribution (the run's debit to the household's dues account
  ``411``, less any reversal of it) as settled by the household's payments received by 31
  December of the year (``payment`` entries of that year or before, less any reversal of
  them, whenever reversed), payments settling the oldest month first
  (``app.engine.arrears.settle_oldest_first``, the rule of the member's dues); a reversed
  contribution is never "paid" by its own reversal;
- **credit granted for M**: the credit the run of ``M`` posted to the household's credit
  account ``419`` (after rationing and arrears), less any reversal of it;
- **the gift of M** = ``max(0, paid for M - credit granted for M)``. A contribution due but
  not paid gives nothing; a payment received after 31 December counts for no year.

Guarantees: read from the books only (postings, entries, the journal's payment records for
the days paid); nothing here writes. The donor is the household itself (donor id = household
id); its identity (name, postal address) is the member's erasable identity
(``member_identity``), copied into ``tax_donor`` by the issue so that erasing the member
forgets it (app.services.receipts.donors.erase_household). No personal data reaches the
journal.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from app.db import tables as t
from app.engine.arrears import settle_oldest_first
from app.engine.books import accounts as acc
from app.engine.period import Period
from app.engine.rules.tax_receipts import over_contribution_cents
from app.services.rules.rulesets import rule_set_in_force

OVER_CONTRIBUTION = "over_contribution"
# How a household paid its contributions (the books' methods) -> the Cerfa's mode.
MODE_OF_METHOD = {"cash": "especes", "transfer": "virement", "direct_debit": "virement"}
RULE_TEXT = (
    "Part des cotisations versées au-delà du crédit alimentaire reçu le même mois : pour "
    "chaque mois de l'année, la cotisation payée (versements reçus au 31 décembre, affectés "
    "aux mois les plus anciens d'abord) moins le crédit accordé pour ce mois, si elle le "
    "dépasse (règles du fonds : tax_receipts.over_contribution_is_gift)."
)


@dataclass(frozen=True, slots=True)
class MonthGift:
    """One month's over-contribution of a household (cents)."""

    period: str
    paid_cents: int
    granted_cents: int
    gift_cents: int


def months_with_option(session: Session, year: int) -> list[str]:
    """The months of ``year`` whose rules in force make over-contributions gifts."""
    found = []
    for month in range(1, 13):
        period = Period(year, month)
        rules = rule_set_in_force(session, period)
        if rules is not None and rules.tax_receipts.over_contribution_is_gift:
            found.append(str(period))
    return found


def _net_by_root(
    session: Session, code: str, kind: str, first: str, last: str
) -> dict[str, dict[str, int]]:
    """Per party of accounts ``code:*``, per month: the postings of the entries of ``kind``
    booked in months ``first``..``last``, net of every reversal of them (a reversal, of any
    month, counts against the entry it reverses, back through reversals of reversals)."""
    entry, posting = t.LedgerEntry, t.Posting
    entry_kind, period = col(entry.kind), col(entry.period)
    rows = session.execute(
        select(
            col(entry.entry_id),
            period,
            entry_kind,
            col(entry.reverses),
            col(posting.account),
            col(posting.amount_cents),
        )
        .join(posting, col(posting.entry_id) == col(entry.entry_id))
        .where(
            col(posting.account).like(f"{code}:%"),
            or_(
                and_(entry_kind == kind, period >= first, period <= last),
                entry_kind == "reversal",
            ),
        )
    ).all()
    reverses = {row[0]: row[3] for row in rows if row[2] == "reversal"}
    month_of = {row[0]: str(row[1]) for row in rows if row[2] == kind}
    net: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry_id, _period, _kind, _reverses, name, cents in rows:
        root = entry_id
        while root in reverses:  # a reversal of a reversal... back to what it corrects
            root = reverses[root]
        if root in month_of:
            net[str(acc.party_of(name))][month_of[root]] += int(cents)
    return net


def _paid_by_month(session: Session, year: int) -> dict[str, dict[str, int]]:
    """Per household, each month's contribution (net of reversals) settled by its payments
    received by 31 December of ``year`` (net of reversals), oldest month first."""
    last = f"{year:04d}-12"
    owed = _net_by_root(session, acc.MEMBER_DUE, "contribution", "0000-01", last)
    payments = _net_by_root(session, acc.MEMBER_DUE, "payment", "0000-01", last)
    paid: dict[str, dict[str, int]] = {}
    for household_id, months in owed.items():
        received = -sum(payments.get(household_id, {}).values())
        settled, _ahead = settle_oldest_first(list(months.items()), received)
        paid[household_id] = {m.period: m.paid_cents for m in settled}
    return paid


def _granted_by_month(session: Session, year: int) -> dict[str, dict[str, int]]:
    """Per household, the credit the runs of ``year``'s months granted it, net of reversals."""
    first, last = f"{year:04d}-01", f"{year:04d}-12"
    net = _net_by_root(session, acc.MEMBER_CREDIT, "credit", first, last)
    return {hh: {month: -cents for month, cents in months.items()} for hh, months in net.items()}


def over_contributions_of_year(session: Session, year: int) -> dict[str, list[MonthGift]]:
    """Each household's months of ``year`` with an over-contribution (gift > 0), oldest
    first; empty when no month of the year has the option."""
    months = months_with_option(session, year)
    if not months:
        return {}
    paid = _paid_by_month(session, year)
    granted = _granted_by_month(session, year)
    found: dict[str, list[MonthGift]] = {}
    for household_id in sorted(paid):
        gifts = []
        for month in months:
            paid_cents = paid[household_id].get(month, 0)
            granted_cents = granted.get(household_id, {}).get(month, 0)
            gift = over_contribution_cents(paid_cents, granted_cents)
            if gift > 0:
                gifts.append(MonthGift(month, paid_cents, granted_cents, gift))
        if gifts:
            found[household_id] = gifts
    return found


def payments_of_year(
    session: Session, year: int, households: Iterable[str]
) -> dict[str, list[tuple[str, str]]]:
    """Each household's payments received in ``year`` and not reversed, as (day, method),
    oldest first: the days a receipt prints and the mode it ticks."""
    wanted = set(households)
    rows = session.execute(
        select(t.Journal)
        .where(col(t.Journal.kind).in_(("record_payment", "reverse_entry")))
        .order_by(col(t.Journal.seq))
    ).scalars()
    first, last = f"{year:04d}-01-01", f"{year:04d}-12-31"
    found: dict[str, tuple[str, str, str]] = {}  # entry id -> (household, day, method)
    reversed_entries: set[str] = set()
    for row in rows:
        payload = json.loads(row.payload)
        if row.kind == "reverse_entry":
            reversed_entries.add(str(payload.get("entry_id")))
            continue
        household_id, day = str(payload.get("household_id")), str(payload.get("received_on"))
        if household_id in wanted and first <= day <= last:
            entry_id = str(json.loads(row.result).get("entry_id"))
            found[entry_id] = (household_id, day, str(payload.get("method")))
    payments: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for entry_id, (household_id, day, method) in found.items():
        if entry_id not in reversed_entries:
            payments[household_id].append((day, method))
    return {household_id: sorted(days) for household_id, days in payments.items()}


def mode_of(methods: Iterable[str]) -> str:
    """The Cerfa's mode for a household's payments: the most used (ties: cheque, virement,
    especes order of the receipt), ``virement`` when none is known."""
    counts: dict[str, int] = defaultdict(int)
    for method in methods:
        counts[MODE_OF_METHOD.get(method, "virement")] += 1
    if not counts:
        return "virement"
    order = ("cheque", "virement", "especes")
    return max(order, key=lambda mode: (counts.get(mode, 0), -order.index(mode)))
