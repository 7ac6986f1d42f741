"""Reading the indicators' inputs from the books: one ``MonthBooks`` per month.

Read-only, a handful of aggregate queries per range (never one per household), each table
read once, as plain rows of the session's Core connection (no ORM objects):

- per household and month: contributions due and paid (411), credit granted and expired
  (419), and the fund totals per month: the bank (512) and the credit owed to members (419)
  at each month's end (``flows``: the month runs' postings by journal seq, the rest by kind
  and period);
- spending: the credit part of purchases (``purchase`` table) by household, merchant and
  category, less the refunds booked in the month (``refund`` entries, the purchase named in
  their memo);
- fundings: money received by the bank in ``funding`` entries (or reversals of them);
  source from the entry's memo (``"<kind> <reference>"``, written by the engine), funder
  from the other account;
- active households: ``month_credit`` (assessed by the run); arrivals: ``household.from_period``;
- the month runs (``run_month`` records): their months, rule set hashes, and the entitlement
  before rationing of a rationed run;
- facts: the row in force of each household not erased (as ``months_load.facts_for_run``),
  and the rule set in force (its consumption-unit scale).

Household ids are read as one string per month or chunk where there are many of them
(``aggregate_strings``): the DBAPI then hands over one value instead of 100,000 rows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from itertools import repeat
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import func, select, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.db import tables as t
from app.engine.books import accounts as acc
from app.engine.facts import HouseholdFacts, Person
from app.engine.indicators import FundingLine, Households, MonthBooks, SpendLine
from app.engine.period import Period
from app.engine.resources import Context, NeedsData
from app.services.research import merchant_kinds
from app.services.research.flows import REVERSAL, Flows, MonthFlows, read_flows
from app.services.rules.rulesets import rule_set_in_force

RUNWAY_MONTHS = 3
_SEPARATOR = " "
# A household's facts in a month: (persons, income, resources per CU, engagement minutes).
_NO_FACTS: tuple[int | None, int | None, Fraction | None, int | None] = (None, None, None, None)
_ZERO = repeat(0)
_RUN_FIELDS = frozenset({"period", "rationing", "rule_set_hash", "unspent_credit"})


@dataclass(frozen=True, slots=True)
class Loaded:
    """The months' books and the content hashes of the rule sets their runs used (sorted)."""

    months: list[MonthBooks]
    rule_set_hashes: list[str]


def periods_between(first: Period, last: Period) -> list[Period]:
    return [first.shift(n) for n in range(last.index() - first.index() + 1)]


def _fundings(conn: Connection, lo: str, hi: str) -> dict[str, list[FundingLine]]:
    """``funding`` entries and reversals of them (each found by its kind and period)."""
    e, p = t.LedgerEntry, t.Posting
    original = aliased(t.LedgerEntry)
    direct = (
        select(
            col(e.entry_id),
            col(e.period),
            col(e.memo),
            col(p.account),
            col(p.amount_cents),
            col(p.line),
        )
        .join(p, col(p.entry_id) == col(e.entry_id))
        .where(col(e.kind) == "funding", col(e.reverses).is_(None))
        .where(col(e.period) >= lo, col(e.period) <= hi)
    )
    kind = func.coalesce(col(original.kind), col(e.kind))
    reversed_ = (
        select(
            col(e.entry_id),
            col(e.period),
            func.coalesce(col(original.memo), col(e.memo)),
            col(p.account),
            col(p.amount_cents),
            col(p.line),
        )
        .join(p, col(p.entry_id) == col(e.entry_id))
        .outerjoin(original, col(original.entry_id) == col(e.reverses))
        .where(col(e.kind) == REVERSAL, col(e.reverses).is_not(None), kind == "funding")
        .where(col(e.period) >= lo, col(e.period) <= hi)
    )
    both = union_all(direct, reversed_).subquery()
    query = select(*both.c).order_by(both.c[0], both.c[5])
    entries: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(query):
        entries[str(row[0])].append(row)
    found: dict[str, list[FundingLine]] = defaultdict(list)
    for rows in entries.values():
        bank = sum(int(r[4]) for r in rows if r[3] == acc.BANK)
        funder = next((acc.party_of(str(r[3])) for r in rows if r[3] != acc.BANK), None)
        source = str(rows[0][2]).split(" ", 1)[0]
        if bank and funder:
            found[str(rows[0][1])].append(FundingLine(funder, source, bank))
    return found


def _spending(session: Session, conn: Connection, lo: str, hi: str) -> dict[str, list[SpendLine]]:
    pu = t.Purchase
    query = (
        select(
            col(pu.period),
            col(pu.household_id),
            col(pu.merchant_id),
            col(pu.category),
            func.sum(col(pu.credit_cents)),
        )
        .where(col(pu.period) >= lo, col(pu.period) <= hi)
        .group_by(col(pu.period), col(pu.household_id), col(pu.merchant_id), col(pu.category))
    )
    found: dict[str, list[SpendLine]] = defaultdict(list)
    for period, household, merchant, category, cents in conn.execute(query):
        found[str(period)].append(SpendLine(household, merchant, category, int(cents)))
    for period, line in _refunds(session, lo, hi):
        found[period].append(line)
    return found


def _refunds(session: Session, lo: str, hi: str) -> Iterable[tuple[str, SpendLine]]:
    """Refunds as negative spending, in the month they were booked."""
    e, p = t.LedgerEntry, t.Posting
    query = (
        select(col(e.entry_id), col(e.period), col(e.memo), col(p.account), col(p.amount_cents))
        .join(e, col(e.entry_id) == col(p.entry_id))
        .where(col(e.period) >= lo, col(e.period) <= hi, col(e.kind) == "refund")
    )
    entries: dict[str, dict[str, Any]] = defaultdict(dict)
    for entry_id, period, memo, account, cents in session.execute(query):
        found = entries[str(entry_id)]
        found.update(period=str(period), purchase=str(memo).rsplit(" ", 1)[-1])
        found[acc.code_of(str(account))] = (acc.party_of(str(account)), int(cents))
    for found in entries.values():
        household, cents = found[acc.MEMBER_CREDIT]
        merchant, _ = found[acc.MERCHANT]
        bought = session.get(
            t.Purchase, {"merchant_id": merchant, "purchase_id": found["purchase"]}
        )
        category = bought.category if bought is not None else "unknown"
        yield found["period"], SpendLine(household, merchant, category, cents)


def _ids_by_period(
    conn: Connection, period: Any, household: Any, *where: Any
) -> dict[str, frozenset[str]]:
    """period -> the household ids of the rows ``where`` (one string per period). A period
    whose string is the one before's gets the same set (most months have the same
    households: the months' columns are then built once, see ``_Kept``)."""
    query = (
        select(period, func.aggregate_strings(household, _SEPARATOR)).where(*where).group_by(period)
    )
    found: dict[str, frozenset[str]] = {}
    last: tuple[str, frozenset[str]] = ("", frozenset())
    for when, ids in conn.execute(query):
        if ids:
            if ids != last[0]:
                last = (str(ids), frozenset(str(ids).split(_SEPARATOR)))
            found[str(when)] = last[1]
    return found


def _active(conn: Connection, lo: str, hi: str) -> dict[str, frozenset[str]]:
    mc = t.MonthCredit
    period = col(mc.period)
    return _ids_by_period(conn, period, col(mc.household_id), period >= lo, period <= hi)


def _arrivals(conn: Connection, lo: str, hi: str) -> dict[str, frozenset[str]]:
    h = t.Household
    period = col(h.from_period)
    return _ids_by_period(conn, period, col(h.household_id), period >= lo, period <= hi)


def rationing_shortfalls(session: Session, lo: str, hi: str) -> dict[str, int]:
    """period -> credit the rules entitled but rationing withheld, over the month's runs."""
    return _shortfalls(_runs(session.connection(), lo, hi)[1])


def run_rule_hashes(session: Session, lo: str, hi: str) -> list[str]:
    """The content hashes of the rule sets the months' runs used, sorted."""
    return _hashes(_runs(session.connection(), lo, hi)[1])


def _shortfalls(runs: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    shortfall: dict[str, int] = defaultdict(int)
    for run in runs.values():
        if run["entitled"] is not None:
            shortfall[run["period"]] += run["entitled"] - run["granted"]
    return shortfall


def _hashes(runs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return sorted({run["hash"] for run in runs.values()})


def _runs(conn: Connection, lo: str, hi: str) -> tuple[dict[int, str], dict[str, dict[str, Any]]]:
    """Every ``run_month`` record's seq -> its month; and each month run of ``lo..hi`` (its
    chunks share an idempotency key prefix): period, rule set hash, entitlement before
    rationing (``None``: not rationed) and credit granted.

    The results (small) are read for every chunk; the payloads (each lists its chunk's
    households: megabytes at 100,000 households) only for each run's first chunk, where
    the rule set hash and the rationing are."""
    j = t.Journal
    query = (
        select(col(j.seq), col(j.idempotency_key), col(j.result))
        .where(col(j.kind) == "run_month")
        .order_by(col(j.seq))
    )
    periods: dict[int, str] = {}
    runs: dict[str, dict[str, Any]] = {}
    first_chunk: dict[int, str] = {}
    for seq, key, result_text in conn.execute(query):
        result = json.loads(result_text)
        period = periods[int(seq)] = str(result["period"])
        if not lo <= period <= hi:
            continue
        run = str(key).rsplit(":", 1)[0]
        if run not in runs:
            runs[run] = {"period": period, "granted": 0}
            first_chunk[int(seq)] = run
        runs[run]["granted"] += int(result["credit_cents"])
    if first_chunk:
        payloads = select(col(j.seq), col(j.payload)).where(col(j.seq).in_(list(first_chunk)))
        for seq, payload_text in conn.execute(payloads):
            payload = _run_header(str(payload_text))
            rationing = payload.get("rationing")
            runs[first_chunk[int(seq)]] |= {
                "hash": str(payload["rule_set_hash"]),
                "entitled": None
                if rationing is None
                else int(rationing["entitlement_total_cents"]),
            }
    return periods, runs


def _run_header(text: str) -> dict[str, Any]:
    """A ``run_month`` payload's fields other than its households (a megabyte at 5,000
    households a chunk): the journal writes keys sorted, so the fields after ``households``
    (``period``, ``rationing``, ``rule_set_hash``...) follow the list's closing bracket, and
    only they are parsed (a valid object holding every field: the bracket closed the
    top-level list). Any other layout is parsed whole."""
    tail = text[text.rfind("]") + 1 :].lstrip()
    if tail.startswith(","):
        try:
            found = json.loads("{" + tail[1:])
        except ValueError:
            found = None
        if isinstance(found, dict) and found.keys() >= _RUN_FIELDS:
            return found
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def _starts(conn: Connection, hi: str) -> set[str]:
    """The months in which some household's facts change (a facts row starts)."""
    f = t.HouseholdFacts
    query = select(col(f.from_period)).where(col(f.from_period) <= hi).distinct()
    return {str(period) for (period,) in conn.execute(query)}


# household id -> (persons JSON, income, engagement minutes) of its facts row in force.
FactRows = dict[str, tuple[str, int | None, int | None]]


def _fact_rows(conn: Connection, period: Period) -> FactRows:
    """The facts row in force in ``period`` of each household not erased: the last one in
    (from_period, seq) order, as ``months_load.facts_for_run`` finds it."""
    f = t.HouseholdFacts
    query = (
        select(col(f.household_id), col(f.persons), col(f.income_cents), col(f.engagement_minutes))
        .join(t.Household, col(t.Household.household_id) == col(f.household_id))
        .where(col(t.Household.erased) == False, col(f.from_period) <= str(period))  # noqa: E712
        .order_by(col(f.household_id), col(f.from_period), col(f.seq))
    )
    rows = conn.execute(query).all()
    return dict(zip(map(itemgetter(0), rows), map(itemgetter(1, 2, 3), rows), strict=True))


def _units(
    session: Session, period: Period, compositions: Iterable[str]
) -> dict[str, tuple[int, int] | None]:
    """persons JSON -> the consumption units (numerator, denominator) the rule set in force
    gives that composition this month (``Context.consumption_units_q``, as the month run
    computes them; ``None``: no rule set, or a birth date missing)."""
    rules = rule_set_in_force(session, period)
    found: dict[str, tuple[int, int] | None] = {}
    for persons in compositions:
        scale: tuple[int, int] | None = None
        if rules is not None:
            people = tuple(Person(_day(p)) for p in json.loads(persons))
            try:
                facts = HouseholdFacts(household_id="composition", persons=people)
                scale = Context(facts, period, rules.definitions).consumption_units_q()
            except NeedsData:
                scale = None
        found[persons] = scale
    return found


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _facts(
    rows: FactRows, units: Mapping[str, tuple[int, int] | None], sizes: Mapping[str, int]
) -> dict[str, tuple[int | None, int | None, Fraction | None, int | None]]:
    """household id -> (persons, income, resources per consumption unit, engagement minutes):
    resources per CU = income × units' denominator ÷ units' numerator, as
    ``Context.base("income_per_cu")`` computes it (``None`` without income or units)."""
    found: dict[str, tuple[int | None, int | None, Fraction | None, int | None]] = {}
    for household, (persons, income, minutes) in rows.items():
        scale = units[persons]
        per_cu = None if income is None or scale is None else Fraction(income * scale[1], scale[0])
        found[household] = (sizes[persons] or None, income, per_cu, minutes)
    return found


# A month's facts columns, in the order of ``Households``: persons, income, resources per
# CU, engagement minutes.
FactColumns = tuple[
    tuple[int | None, ...],
    tuple[int | None, ...],
    tuple[Fraction | None, ...],
    tuple[int | None, ...],
]


class _Kept:
    """The month before's ids and facts columns: most months have the same households with
    the same facts, so the same (sorted) ids and the same columns serve again, and the
    engine, seeing the same columns, reuses what it derived from them."""

    __slots__ = ("columns", "fact_columns", "fact_ids", "facts", "id_set", "ids", "order")

    def __init__(self) -> None:
        self.id_set: frozenset[str] = frozenset()
        self.ids: tuple[str, ...] = ()
        self.facts: Mapping[str, Any] | None = None  # the facts and ids the columns are of
        self.fact_ids: tuple[str, ...] = ()
        self.fact_columns: FactColumns = ((), (), (), ())
        # Keys of the flows of a month run (in its order), the ids, keys' places in id order.
        self.order: tuple[tuple[str, ...], tuple[str, ...], list[int] | None] = ((), (), None)
        self.columns: dict[str, tuple[int, ...]] = {}  # the month before's, by flow

    def ids_of(
        self, assessed: frozenset[str], arrived: frozenset[str], touched: set[str]
    ) -> tuple[str, ...]:
        """The households assessed, arrived or touched, sorted (the month before's tuple when
        they are the same: usually the same assessed set, holding the others)."""
        households = assessed
        if not (arrived <= assessed and touched <= assessed):
            households = assessed | arrived | touched
        if households is not self.id_set and households != self.id_set:
            self.id_set, self.ids = households, tuple(sorted(households))
        return self.ids

    def cents_of(self, flows: Mapping[str, int], ids: tuple[str, ...]) -> tuple[int, ...]:
        """Each of ``ids``' cents in ``flows`` (absent: 0). No lookups when ``flows`` is
        empty, as payments and expiries often are. When ``flows`` holds exactly ``ids``, as
        the month run's contributions and credits do, in the order the run posted them (the
        same every month), its values are put in id order by a permutation found once: 100,000
        lookups at random places in memory cost more than reading a list by index."""
        span = len(ids)
        if not flows:
            return (0,) * span
        if len(flows) != span:
            return tuple(map(flows.get, ids, _ZERO))
        keys = tuple(flows)
        if keys == ids:
            return tuple(flows.values())
        known_keys, known_ids, order = self.order
        if ids is not known_ids or keys != known_keys:
            place = dict(zip(keys, range(span), strict=True))
            found = list(map(place.get, ids))
            order = None if None in found else cast(list[int], found)
            self.order = (keys, ids, order)
        if order is None:  # not the same households
            return tuple(map(flows.get, ids, _ZERO))
        return tuple(map(list(flows.values()).__getitem__, order))

    def column(self, name: str, flows: Mapping[str, int], ids: tuple[str, ...]) -> tuple[int, ...]:
        """``cents_of``, as the month before's very tuple when equal to it (the engine then
        knows it at once: see ``redistribution.Grouping``)."""
        found = self.cents_of(flows, ids)
        before = self.columns.get(name)
        if before is not None and before == found:
            return before
        self.columns[name] = found
        return found

    def fact_columns_of(
        self,
        ids: tuple[str, ...],
        facts: Mapping[str, tuple[int | None, int | None, Fraction | None, int | None]],
    ) -> FactColumns:
        if facts is not self.facts or ids is not self.fact_ids:
            known = list(map(facts.get, ids, repeat(_NO_FACTS)))
            self.fact_columns = (
                tuple(map(itemgetter(0), known)),
                tuple(map(itemgetter(1), known)),
                tuple(map(itemgetter(2), known)),
                tuple(map(itemgetter(3), known)),
            )
            self.facts, self.fact_ids = facts, ids
        return self.fact_columns


def _households(
    month: MonthFlows,
    facts: Mapping[str, tuple[int | None, int | None, Fraction | None, int | None]],
    assessed: frozenset[str],
    arrived: frozenset[str],
    kept: _Kept,
) -> Households:
    """The month's households in id order, as columns built at C speed (a year of 100,000
    households is 1.2 million household-months)."""
    ids = kept.ids_of(assessed, arrived, month.touched)
    facts_columns = kept.fact_columns_of(ids, facts)
    span = len(ids)
    return Households(
        ids,
        kept.column("due", month.due, ids),
        kept.column("paid", month.paid, ids),
        kept.column("credit", month.credit, ids),
        kept.column("expired", month.expired, ids),
        *facts_columns,
        tuple(map(arrived.__contains__, ids)) if arrived else (False,) * span,
        (True,) * span if len(assessed) == span else tuple(map(assessed.__contains__, ids)),
    )




def load_months(session: Session, first: Period, last: Period) -> list[MonthBooks]:
    """The ``MonthBooks`` of every month from ``first`` to ``last`` (see the module docstring)."""
    return load(session, first, last).months


def load(session: Session, first: Period, last: Period) -> Loaded:
    """The months' books and their runs' rule set hashes, each table read once."""
    lo, hi = str(first), str(last)
    early = str(first.shift(-(RUNWAY_MONTHS - 1)))
    conn = session.connection()
    run_periods, runs = _runs(conn, lo, hi)
    flows: Flows = read_flows(conn, run_periods, early, lo, hi)
    fundings, spending = _fundings(conn, lo, hi), _spending(session, conn, lo, hi)
    active = _active(conn, str(first.shift(-1)), hi)
    arrivals = _arrivals(conn, lo, hi)
    shortfalls, kinds = _shortfalls(runs), merchant_kinds.kinds(session)
    granted = {when: sum(month.credit.values()) for when, month in flows.months.items()}
    months: list[MonthBooks] = []
    bank, owed = flows.bank_before, flows.owed_before
    # Facts are read again only in a month where some household's facts change; resources
    # per CU are computed again only when the facts or some composition's units change.
    starts = _starts(conn, hi)
    rows: FactRows | None = None
    units: dict[str, tuple[int, int] | None] = {}
    facts: dict[str, tuple[int | None, int | None, Fraction | None, int | None]] = {}
    sizes: dict[str, int] = {}
    compositions: set[str] = set()
    kept = _Kept()
    for period in periods_between(first, last):
        month = str(period)
        opening = owed
        bank, owed = bank + flows.bank.get(month, 0), owed + flows.owed.get(month, 0)
        fresh = rows is None or month in starts
        if fresh:
            rows = _fact_rows(conn, period)
            compositions = {persons for persons, _, _ in rows.values()}
        assert rows is not None
        for persons in compositions - sizes.keys():
            sizes[persons] = len(json.loads(persons))
        now = _units(session, period, compositions)
        if fresh or now != units:
            units, facts = now, _facts(rows, now, sizes)
        month_flows = flows.months.get(month, MonthFlows())
        assessed, arrived = active.get(month, frozenset()), arrivals.get(month, frozenset())
        months.append(
            MonthBooks(
                period=period,
                households=_households(month_flows, facts, assessed, arrived, kept),
                spending=tuple(spending.get(month, ())),
                fundings=tuple(fundings.get(month, ())),
                merchant_kinds=kinds,
                entitlement_cents=granted.get(month, 0) + shortfalls.get(month, 0),
                opening_credit_cents=opening,
                closing_credit_cents=owed,
                reserve_cents=bank,
                recent_credit_cents=tuple(
                    granted.get(str(period.shift(-n)), 0) for n in range(RUNWAY_MONTHS)
                ),
                previous_active=active.get(str(period.shift(-1)), frozenset()),
            )
        )
    return Loaded(months, _hashes(runs))
