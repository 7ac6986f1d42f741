"""Each household's flows of each month, and the fund's totals, read from the ledger.

What is read, exactly as a sum over the postings would give it (per household and month:
contributions due and paid on its 411 account, credit granted and expired on its 419; per
month: the bank, 512, and the credit owed to members, 419; an entry that reverses another
counts with the kind of the entry it reverses, with its own sign), without joining the
millions of postings of the month runs to their entries:

- the month runs' postings (``run_month`` records; the only entries of kind
  ``contribution`` or ``credit``, and they post nothing else: ``engine.books.apply_run``)
  are read by journal seq (``ix_posting_seq``), each chunk's contributions and credits in
  one string per chunk (the DBAPI hands over one value instead of one row per household);
- every other entry that moves these accounts (payments, expiries, reversals, purchases,
  refunds...) is found by its kind and period (``ix_ledger_entry_kind_period``), then joined
  to its postings. Reversals are the entries of kind ``reversal`` (the only entries that
  name one they reverse: ``engine.books.apply_reverse``).

Read-only; queries run on the session's Core connection (plain rows, no ORM objects).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import getitem, neg, not_

from sqlalchemy import String, case, cast, func, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.db import tables as t
from app.engine.books import accounts as acc

RUN_KINDS = ("contribution", "credit")
OTHER_FLOW_KINDS = ("payment", "expiry")
REVERSAL = "reversal"
FLOW_KINDS = RUN_KINDS + OTHER_FLOW_KINDS
_IN_CLAUSE = 500  # seqs per ``IN (...)``: well under every driver's limit of parameters
_SEPARATOR = " "  # ids are letters, digits, '_', '.', '-' (app.engine.books.commands)


@dataclass
class MonthFlows:
    """One month's flows, household id -> cents (absent: 0); ``touched``: the households
    with a payment on 411 or an expiry on 419 (even if they sum to 0)."""

    due: dict[str, int] = field(default_factory=dict)
    paid: dict[str, int] = field(default_factory=dict)
    credit: dict[str, int] = field(default_factory=dict)
    expired: dict[str, int] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)


@dataclass
class Flows:
    """Per period: the households' flows and the fund's movements; before the range: the
    bank and the credit owed at its start."""

    months: dict[str, MonthFlows] = field(default_factory=lambda: defaultdict(MonthFlows))
    bank: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    owed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    bank_before: int = 0
    owed_before: int = 0

    def move(self, period: str, lo: str, bank: int, member_credit: int) -> None:
        """Add a movement of the bank and of the 419 accounts (credits are negative)."""
        if period < lo:
            self.bank_before += bank
            self.owed_before -= member_credit
        else:
            self.bank[period] += bank
            self.owed[period] -= member_credit


def read_flows(
    conn: Connection, run_periods: Mapping[int, str], early: str, lo: str, hi: str
) -> Flows:
    """Household flows of ``early..hi``; fund totals up to ``hi`` (before ``lo``: summed).

    ``run_periods``: the seq of every ``run_month`` record -> the month it ran."""
    flows = Flows()
    window = sorted(seq for seq, period in run_periods.items() if early <= period <= hi)
    before = sorted(seq for seq, period in run_periods.items() if period < early)
    _run_postings(conn, window, run_periods, lo, flows, households=True)
    _run_postings(conn, before, run_periods, lo, flows, households=False)
    _other_flows(conn, early, hi, flows)
    _other_totals(conn, lo, hi, flows)
    return flows


def _chunks(seqs: list[int]) -> Iterable[list[int]]:
    return (seqs[i : i + _IN_CLAUSE] for i in range(0, len(seqs), _IN_CLAUSE))


def _run_postings(
    conn: Connection,
    seqs: list[int],
    run_periods: Mapping[int, str],
    lo: str,
    flows: Flows,
    households: bool,
) -> None:
    """The month runs' postings by chunk: bank and 419 sums, and (``households``) each
    household's contribution due (411, a debit) and credit granted (419, a credit: negated).

    One string per chunk, ``"<account> <cents> <account> <cents>..."``, split and sorted
    out by account at C speed (the database only filters and concatenates)."""
    p = t.Posting
    code = func.substr(col(p.account), 1, 4)
    member = code.in_((acc.MEMBER_DUE + ":", acc.MEMBER_CREDIT + ":"))
    pair = col(p.account).concat(literal(_SEPARATOR)).concat(cast(col(p.amount_cents), String))
    # Each chunk's households, by month: merged once at the end (a household is in one chunk)
    dues: dict[str, list[dict[str, int]]] = defaultdict(list)
    credits: dict[str, list[dict[str, int]]] = defaultdict(list)
    for chunk in _chunks(seqs):
        bank = (
            select(col(p.seq), func.sum(col(p.amount_cents)))
            .where(col(p.account) == acc.BANK, col(p.seq).in_(chunk))
            .group_by(col(p.seq))
        )
        for seq, cents in conn.execute(bank):
            flows.move(run_periods[int(seq)], lo, int(cents), 0)
        query = (
            select(col(p.seq), func.aggregate_strings(pair, _SEPARATOR))
            .where(col(p.seq).in_(chunk), member)
            .group_by(col(p.seq))
        )
        for seq, text in conn.execute(query):
            period = run_periods[int(seq)]
            due, credit = _split(str(text))
            flows.move(period, lo, 0, -sum(credit.values()))
            if households:
                dues[period].append(due)
                credits[period].append(credit)
    for period, parts in dues.items():
        _add(flows.months[period].due, _merged(parts))
    for period, parts in credits.items():
        _add(flows.months[period].credit, _merged(parts))


def _split(text: str) -> tuple[dict[str, int], dict[str, int]]:
    """``"411:<id> <cents> 419:<id> <cents>..."`` -> (id -> 411 cents, id -> -(419 cents)),
    each household's postings of a kind summed."""
    items = text.split(_SEPARATOR)
    accounts, cents = items[0::2], list(map(int, items[1::2]))
    due = list(map(str.startswith, accounts, repeat(acc.MEMBER_DUE + ":")))
    after_code: slice[int, None, None] = slice(len(acc.MEMBER_DUE) + 1, None)
    parties: list[str] = list(map(getitem, accounts, repeat(after_code)))
    credit = list(map(not_, due))
    return (
        _summed(list(compress(parties, due)), list(compress(cents, due))),
        _summed(list(compress(parties, credit)), list(map(neg, compress(cents, credit)))),
    )


def _summed(ids: list[str], cents: list[int]) -> dict[str, int]:
    found = dict(zip(ids, cents, strict=True))
    if len(found) < len(ids):  # some household has two postings: sum them
        found = {}
        for household, amount in zip(ids, cents, strict=True):
            found[household] = found.get(household, 0) + amount
    return found


def _merged(parts: list[dict[str, int]]) -> dict[str, int]:
    """The sum of ``parts`` (one C call each when no household is in two, as none is)."""
    found: dict[str, int] = {}
    for part in parts:
        found.update(part)
    if len(found) < sum(map(len, parts)):
        found = {}
        for part in parts:
            _add(found, part)
    return found


def _add(target: dict[str, int], found: dict[str, int]) -> None:
    """Add ``found`` into ``target`` (one C call when the ids are new, as they are)."""
    if not target:
        target.update(found)
        return
    if target.keys().isdisjoint(found):
        target.update(found)
        return
    for household, amount in found.items():
        target[household] = target.get(household, 0) + amount


def _other_flows(conn: Connection, early: str, hi: str, flows: Flows) -> None:
    """Payments and expiries (by kind and period), and reversals of any flow (by the kind of
    the entry they reverse), on 411 and 419 accounts."""
    e, p = t.LedgerEntry, t.Posting
    original = aliased(t.LedgerEntry)
    accounts = col(p.account).like(acc.MEMBER_DUE + ":%") | col(p.account).like(
        acc.MEMBER_CREDIT + ":%"
    )
    direct = (
        select(col(e.period), col(e.kind), col(p.account), col(p.amount_cents))
        .join(p, col(p.entry_id) == col(e.entry_id))
        .where(col(e.kind).in_(OTHER_FLOW_KINDS), col(e.reverses).is_(None))
        .where(col(e.period) >= early, col(e.period) <= hi, accounts)
    )
    kind = func.coalesce(col(original.kind), col(e.kind))
    reversals = (
        select(col(e.period), kind, col(p.account), col(p.amount_cents))
        .join(p, col(p.entry_id) == col(e.entry_id))
        .outerjoin(original, col(original.entry_id) == col(e.reverses))
        .where(col(e.kind) == REVERSAL, col(e.reverses).is_not(None), kind.in_(FLOW_KINDS))
        .where(col(e.period) >= early, col(e.period) <= hi, accounts)
    )
    for query in (direct, reversals):
        for period, entry_kind, account, cents in conn.execute(query):
            _add_flow(flows.months[str(period)], str(entry_kind), str(account), int(cents))


def _add_flow(month: MonthFlows, kind: str, account: str, cents: int) -> None:
    code, household = account[:3], account[4:]
    if code == acc.MEMBER_DUE:
        if kind == "contribution":
            month.due[household] = month.due.get(household, 0) + cents
        elif kind == "payment":  # a payment is a credit of 411: negative
            month.paid[household] = month.paid.get(household, 0) - cents
            month.touched.add(household)
    elif code == acc.MEMBER_CREDIT:
        if kind == "credit":  # credit granted is a credit of 419: negative
            month.credit[household] = month.credit.get(household, 0) - cents
        elif kind == "expiry":
            month.expired[household] = month.expired.get(household, 0) + cents
            month.touched.add(household)


def entry_kinds(conn: Connection) -> list[str]:
    """Every kind of entry in the ledger: one index seek per kind (a loose index scan)."""
    e = t.LedgerEntry
    found: list[str] = []
    query = select(func.min(col(e.kind)))
    while (kind := conn.execute(query).scalar_one_or_none()) is not None:
        found.append(str(kind))
        query = select(func.min(col(e.kind))).where(col(e.kind) > kind)
    return found


def _other_totals(conn: Connection, lo: str, hi: str, flows: Flows) -> None:
    """The bank and 419 movements of every entry up to ``hi`` the month runs did not post."""
    e, p = t.LedgerEntry, t.Posting
    kinds = [kind for kind in entry_kinds(conn) if kind not in RUN_KINDS]
    if not kinds:
        return
    amount = col(p.amount_cents)
    query = (
        select(
            col(e.period),
            func.sum(case((col(p.account) == acc.BANK, amount), else_=0)),
            func.sum(case((col(p.account) != acc.BANK, amount), else_=0)),
        )
        .join(p, col(p.entry_id) == col(e.entry_id))
        .where(col(e.kind).in_(kinds), col(e.period) <= hi)
        .where((col(p.account) == acc.BANK) | col(p.account).like(acc.MEMBER_CREDIT + ":%"))
        .group_by(col(e.period))
    )
    for period, bank, member_credit in conn.execute(query):
        flows.move(str(period), lo, int(bank or 0), int(member_credit or 0))
