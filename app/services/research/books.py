"""Reading the indicators' inputs from the books: one ``MonthBooks`` per month.

Read-only, a handful of aggregate queries per range (never one per household):

- per household and month: contributions due (``contribution`` entries on 411), paid
  (``payment`` entries on 411) and credit granted (``credit`` entries on 419); a reversal
  counts with the kind of the entry it reverses, with its own (opposite) sign;
- fund totals per month: the bank (512) and the credit owed to members (419) at each month's
  end, credit expired (``expiry`` entries);
- spending: the credit part of purchases (``purchase`` table) by household, merchant and
  category, less the refunds booked in the month (``refund`` entries, the purchase named in
  their memo);
- fundings: money received by the bank in ``funding`` entries; source from the entry's memo
  (``"<kind> <reference>"``, written by the engine), funder from the other account;
- active households: ``month_credit`` (assessed by the run); arrivals: ``household.from_period``;
- entitlement before rationing: the ``run_month`` commands of a rationed run carry it;
- facts: ``months_load.facts_for_run`` and the rule set in force (its consumption-unit scale).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.db import tables as t
from app.engine.books import accounts as acc
from app.engine.facts import HouseholdFacts
from app.engine.indicators import (
    FundingLine,
    HouseholdMonth,
    MonthBooks,
    SpendLine,
)
from app.engine.period import Period
from app.engine.resources import Context, NeedsData
from app.services.months_load import facts_for_run
from app.services.research import merchant_kinds
from app.services.rulesets import rule_set_in_force

FLOW_KINDS = ("contribution", "payment", "credit", "expiry")
RUNWAY_MONTHS = 3
_NO_FACTS = (None, None)
_UNSEEN = (0, 0)  # no composition has zero consumption units: a key not yet computed


# A household's month of flows: [due, paid, credit, expired, paid or expired at all (0/1)].
DUE, PAID, CREDIT, EXPIRED, PAID_OR_EXPIRED = range(5)
NO_FLOWS = (0, 0, 0, 0, 0)


@dataclass
class _Flows:
    """Per period, per household: its flows (``DUE``... above); per period: the fund's
    totals. One lookup gives a household's month (1.2 million of them at 100,000)."""

    households: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    bank: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    owed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    bank_before: int = 0
    owed_before: int = 0


def periods_between(first: Period, last: Period) -> list[Period]:
    return [first.shift(n) for n in range(last.index() - first.index() + 1)]


def _effective_kind() -> tuple[Any, Any]:
    """(entry, its reversed entry) aliases and the kind an entry counts as."""
    entry, original = t.LedgerEntry, aliased(t.LedgerEntry)
    return original, func.coalesce(col(original.kind), col(entry.kind))


def _household_flows(session: Session, lo: str, hi: str, flows: _Flows) -> None:
    """One row per household and month (the database sums each flow apart): at 100,000
    households a year is 1.2 million rows, and each row costs Python time."""
    original, kind = _effective_kind()
    e, p = t.LedgerEntry, t.Posting
    code = func.substr(col(p.account), 1, len(acc.MEMBER_DUE))
    party = func.substr(col(p.account), len(acc.MEMBER_DUE) + 2)  # after "411:" or "419:"
    amount = col(p.amount_cents)

    def flow(which: str, account_code: str) -> Any:
        return func.sum(case(((kind == which) & (code == account_code), amount), else_=0))

    paid_or_expired = ((kind == "payment") & (code == acc.MEMBER_DUE)) | (
        (kind == "expiry") & (code == acc.MEMBER_CREDIT)
    )
    query = (
        select(
            col(e.period),
            party,
            flow("contribution", acc.MEMBER_DUE),
            flow("payment", acc.MEMBER_DUE),
            flow("credit", acc.MEMBER_CREDIT),
            flow("expiry", acc.MEMBER_CREDIT),
            func.max(case((paid_or_expired, 1), else_=0)),
        )
        .join(e, col(e.entry_id) == col(p.entry_id))
        .outerjoin(original, col(original.entry_id) == col(e.reverses))
        .where(col(e.period) >= lo, col(e.period) <= hi, kind.in_(FLOW_KINDS))
        .where(col(p.account).like("411:%") | col(p.account).like("419:%"))
        .group_by(col(e.period), party)
    )
    months = flows.households
    for period, household_id, due, paid, credit, expired, touched in session.execute(query):
        month = months.get(period)
        if month is None:
            month = months[str(period)] = {}
        # Payments (debits of 411) and credit granted (credits of 419) are negative amounts.
        month[str(household_id)] = [int(due), -int(paid), -int(credit), int(expired), int(touched)]


def _fund_totals(session: Session, lo: str, hi: str, flows: _Flows) -> None:
    e, p = t.LedgerEntry, t.Posting
    code = func.substr(col(p.account), 1, 4)
    query = (
        select(col(e.period), code, func.sum(col(p.amount_cents)))
        .join(e, col(e.entry_id) == col(p.entry_id))
        .where(col(e.period) <= hi)
        .where((col(p.account) == acc.BANK) | col(p.account).like("419:%"))
        .group_by(col(e.period), code)
    )
    for period, prefix, cents in session.execute(query):
        amount, month, is_bank = int(cents), str(period), prefix == acc.BANK
        if month < lo:
            if is_bank:
                flows.bank_before += amount
            else:
                flows.owed_before -= amount
            continue
        if is_bank:
            flows.bank[month] += amount
        else:
            flows.owed[month] -= amount


def _fundings(session: Session, lo: str, hi: str) -> dict[str, list[FundingLine]]:
    original, kind = _effective_kind()
    e, p = t.LedgerEntry, t.Posting
    memo = func.coalesce(col(original.memo), col(e.memo))
    query = (
        select(col(e.entry_id), col(e.period), memo, col(p.account), col(p.amount_cents))
        .join(e, col(e.entry_id) == col(p.entry_id))
        .outerjoin(original, col(original.entry_id) == col(e.reverses))
        .where(col(e.period) >= lo, col(e.period) <= hi, kind == "funding")
        .order_by(col(e.entry_id), col(p.line))
    )
    entries: dict[str, list[Any]] = defaultdict(list)
    for row in session.execute(query):
        entries[str(row[0])].append(row)
    found: dict[str, list[FundingLine]] = defaultdict(list)
    for rows in entries.values():
        bank = sum(int(r[4]) for r in rows if r[3] == acc.BANK)
        funder = next((acc.party_of(str(r[3])) for r in rows if r[3] != acc.BANK), None)
        source = str(rows[0][2]).split(" ", 1)[0]
        if bank and funder:
            found[str(rows[0][1])].append(FundingLine(funder, source, bank))
    return found


def _spending(session: Session, lo: str, hi: str) -> dict[str, list[SpendLine]]:
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
    for period, household, merchant, category, cents in session.execute(query):
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


def _active(session: Session, lo: str, hi: str) -> dict[str, set[str]]:
    mc = t.MonthCredit
    query = select(col(mc.period), col(mc.household_id)).where(
        col(mc.period) >= lo, col(mc.period) <= hi
    )
    found: dict[str, set[str]] = defaultdict(set)
    for period, household in session.execute(query):
        found[str(period)].add(str(household))
    return found


def _arrivals(session: Session, lo: str, hi: str) -> dict[str, set[str]]:
    h = t.Household
    query = select(col(h.from_period), col(h.household_id)).where(
        col(h.from_period) >= lo, col(h.from_period) <= hi
    )
    found: dict[str, set[str]] = defaultdict(set)
    for period, household in session.execute(query):
        found[str(period)].add(str(household))
    return found


def rationing_shortfalls(session: Session, lo: str, hi: str) -> dict[str, int]:
    """period -> credit the rules entitled but rationing withheld, over the month's runs."""
    shortfall: dict[str, int] = defaultdict(int)
    for run in _runs(session, lo, hi).values():
        if run["entitled"] is not None:
            shortfall[run["period"]] += run["entitled"] - run["granted"]
    return shortfall


def run_rule_hashes(session: Session, lo: str, hi: str) -> list[str]:
    """The content hashes of the rule sets the months' runs used, sorted."""
    return sorted({run["hash"] for run in _runs(session, lo, hi).values()})


def _runs(session: Session, lo: str, hi: str) -> dict[str, dict[str, Any]]:
    """Each month run (its chunks share an idempotency key prefix): period, rule set hash,
    entitlement before rationing (``None``: not rationed) and credit granted.

    The results (small) are read for every chunk; the payloads (each lists its chunk's
    households: megabytes at 100,000 households) only for each run's first chunk, where
    the rule set hash and the rationing are."""
    j = t.Journal
    query = (
        select(col(j.seq), col(j.idempotency_key), col(j.result))
        .where(col(j.kind) == "run_month")
        .order_by(col(j.seq))
    )
    runs: dict[str, dict[str, Any]] = {}
    first_chunk: dict[int, str] = {}
    for seq, key, result_text in session.execute(query):
        result = json.loads(result_text)
        period = str(result["period"])
        if not lo <= period <= hi:
            continue
        run = str(key).rsplit(":", 1)[0]
        if run not in runs:
            runs[run] = {"period": period, "granted": 0}
            first_chunk[int(seq)] = run
        runs[run]["granted"] += int(result["credit_cents"])
    if first_chunk:
        payloads = select(col(j.seq), col(j.payload)).where(col(j.seq).in_(list(first_chunk)))
        for seq, payload_text in session.execute(payloads):
            payload = json.loads(payload_text)
            rationing = payload.get("rationing")
            runs[first_chunk[int(seq)]] |= {
                "hash": str(payload["rule_set_hash"]),
                "entitled": None
                if rationing is None
                else int(rationing["entitlement_total_cents"]),
            }
    return runs


def _starts(session: Session, hi: str) -> set[str]:
    """The months in which some household's facts change (a facts row starts)."""
    f = t.HouseholdFacts
    query = select(col(f.from_period)).where(col(f.from_period) <= hi).distinct()
    return {str(period) for (period,) in session.execute(query)}


PerCu = dict[str, tuple[HouseholdFacts, tuple[int, int], Fraction]]


def _facts(
    session: Session, period: Period, rows: list[HouseholdFacts], before: PerCu
) -> dict[str, tuple[HouseholdFacts, Fraction | None]]:
    """household id -> (its facts in force, resources per consumption unit or None).

    The rules' own computation (``Context.consumption_units_q``), done once per household
    composition and month (ages move with the month; households share few compositions):
    resources per CU = income × units' denominator ÷ units' numerator, as
    ``Context.base("income_per_cu")`` computes it. ``before`` keeps each household's last
    (facts, units, value): the same facts on the same units reuse the value instead of
    building the same Fraction again every month (updated in place)."""
    rules = rule_set_in_force(session, period)
    units: dict[tuple[Any, ...], tuple[int, int] | None] = {}
    by_tuple: dict[int, tuple[tuple[Any, ...], tuple[int, int] | None]] = {}
    found: dict[str, tuple[HouseholdFacts, Fraction | None]] = {}
    for facts in rows:
        per_cu: Fraction | None = None
        if rules is not None and facts.income_cents is not None:
            # Households of one composition share its persons tuple (months_load): looked
            # up by identity first, hashing a tuple of persons once per tuple, not per row.
            seen = by_tuple.get(id(facts.persons))
            if seen is not None and seen[0] is facts.persons:
                scale = seen[1]
            else:
                key = facts.persons
                scale = units.get(key, _UNSEEN)
                if scale is _UNSEEN:
                    try:
                        scale = Context(facts, period, rules.definitions).consumption_units_q()
                    except NeedsData:
                        scale = None
                    units[key] = scale
                by_tuple[id(key)] = (key, scale)
            if scale is not None:
                known = before.get(facts.household_id)
                if known is not None and known[0] is facts and known[1] == scale:
                    per_cu = known[2]
                else:
                    per_cu = Fraction(facts.income_cents * scale[1], scale[0])
                    before[facts.household_id] = (facts, scale, per_cu)
        found[facts.household_id] = (facts, per_cu)
    return found


def _household_month(
    household_id: str,
    flows: Sequence[int],
    facts: Mapping[str, Any],
    active: bool,
    arrived: bool,
) -> HouseholdMonth:
    fact, per_cu = facts.get(household_id, _NO_FACTS)
    due, paid, credit, expired = flows[DUE], flows[PAID], flows[CREDIT], flows[EXPIRED]
    if fact is None:
        return HouseholdMonth(
            household_id, due, paid, credit, expired, arrived=arrived, active=active
        )
    return HouseholdMonth(
        household_id,
        due,
        paid,
        credit,
        expired,
        len(fact.persons) if fact.persons else None,
        fact.income_cents,
        per_cu,
        fact.engagement_minutes,
        arrived,
        active,
    )


def load_months(session: Session, first: Period, last: Period) -> list[MonthBooks]:
    """The ``MonthBooks`` of every month from ``first`` to ``last`` (see the module docstring)."""
    lo, hi = str(first), str(last)
    early = str(first.shift(-(RUNWAY_MONTHS - 1)))
    flows = _Flows()
    _household_flows(session, early, hi, flows)
    _fund_totals(session, lo, hi, flows)
    fundings, spending = _fundings(session, lo, hi), _spending(session, lo, hi)
    active = _active(session, str(first.shift(-1)), hi)
    arrivals = _arrivals(session, lo, hi)
    shortfalls, kinds = rationing_shortfalls(session, lo, hi), merchant_kinds.kinds(session)
    granted = {
        when: sum(found[CREDIT] for found in month.values())
        for when, month in flows.households.items()
    }
    months: list[MonthBooks] = []
    bank, owed = flows.bank_before, flows.owed_before
    # Facts are read again only in a month where some household's facts change.
    starts, rows = _starts(session, hi), None
    per_cu: PerCu = {}
    for period in periods_between(first, last):
        month = str(period)
        opening = owed
        bank, owed = bank + flows.bank.get(month, 0), owed + flows.owed.get(month, 0)
        if rows is None or month in starts:
            rows = [facts for facts, _ in facts_for_run(session, period)]
        facts = _facts(session, period, rows, per_cu)
        month_flows = flows.households.get(month, {})
        payers = {hh for hh, found in month_flows.items() if found[PAID_OR_EXPIRED]}
        assessed, arrived = active.get(month, set()), arrivals.get(month, set())
        households = tuple(
            _household_month(
                hh, month_flows.get(hh, NO_FLOWS), facts, hh in assessed, hh in arrived
            )
            for hh in sorted(assessed | arrived | payers)
        )
        months.append(
            MonthBooks(
                period=period,
                households=households,
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
                previous_active=frozenset(active.get(str(period.shift(-1)), ())),
            )
        )
    return months
