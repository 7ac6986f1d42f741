"""The sustainability projection from the books: the fund now, the rules, the figures.

``project_fund`` reads, in one transaction, the fund as the next month run would find it
(the free reserve ``months.available_cents``, the facts in force ``facts_for_run``, the open
credit lots) and hands it to the pure engine (``app.engine.projection``) with the rule set
in force in each projected month or a draft document, and optionally a second document to
compare side by side. It writes nothing and returns aggregates only: no household id.

For a researcher (``limits``: the fund's small-cell threshold) the projection must not single
out a household, so it is held to what cannot select one:

- no arrivals or departures: they clone or drop households in id order, so projecting with 0
  and then 1 departure would give the first household's contribution (its income);
- only rule documents the committee adopted (a researcher's own document, or a draft, could
  select any group through eligibility or brackets);
- every month projected covers at least ``threshold`` assessed households, and a count of
  households left out (needing data, rejected) below the threshold is suppressed (``None``).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.db import tables as t
from app.engine import RuleSet
from app.engine.collector import collector_paused
from app.engine.money import parse_rate
from app.engine.period import Period
from app.engine.problems import InvalidInput, Problem
from app.engine.projection import (
    Assumptions,
    FundNow,
    LotColumns,
    ProjectedMonth,
    Projection,
    explain_month,
    project,
    summary,
)
from app.services import errors as svc
from app.services.months import available_cents
from app.services.months_load import facts_for_run, heap_frozen
from app.services.research.settings import ResearchSettings
from app.services.rules.documents import parse_or_refuse
from app.services.rules.rulesets import ADOPTED, rule_set_in_force
from app.services.writes.execute import Db, run_in


@dataclass(frozen=True, slots=True)
class Request:
    """A projection asked for: assumptions, the first month (default: the next month to run),
    a draft rule document (default: the rules in force) and one to compare with."""

    assumptions: Assumptions
    start: Period | None = None
    rules: Mapping[str, Any] | None = None
    compare: Mapping[str, Any] | None = None


def assumptions_of(raw: Mapping[str, Any], where: str = "") -> Assumptions:
    """Assumptions from plain values (decimal strings for rates, ``{"YYYY-MM": cents}``);
    a refusal names each field under ``where`` (e.g. ``assumptions.spend_rate``)."""
    try:
        return _assumptions(raw)
    except svc.InvalidRequest as error:
        if not where:
            raise
        raise svc.InvalidRequest(svc.prefixed(error.problems, where), error.detail) from None


def _assumptions(raw: Mapping[str, Any]) -> Assumptions:
    problems: list[Problem] = []
    drift = _rate(raw.get("income_drift", "0"), "income_drift", problems)
    spend = _rate(raw.get("spend_rate", "1"), "spend_rate", problems)
    subsidies: dict[Period, int] = {}
    for text, cents in dict(raw.get("subsidies") or {}).items():
        try:
            subsidies[Period.parse(text)] = cents
        except ValueError as error:
            problems.append(Problem(f"subsidies.{text}", str(error)))
    try:  # built even after a problem, so that every problem is named at once
        assumptions = Assumptions(
            months=raw.get("months", 12),
            arrivals_per_month=raw.get("arrivals_per_month", 0),
            departures_per_month=raw.get("departures_per_month", 0),
            income_drift=drift,
            spend_rate=spend,
            subsidies_cents=subsidies,
        )
    except InvalidInput as error:
        problems.extend(error.problems)
    if problems:
        raise svc.InvalidRequest(tuple(problems), "The projection's assumptions are not valid.")
    return assumptions


def _rate(value: object, name: str, problems: list[Problem]) -> Fraction:
    try:
        return parse_rate(value)
    except ValueError as error:
        problems.append(Problem(name, str(error)))
        return Fraction(0)


def project_fund(
    db: Db, request: Request, today: date, limits: ResearchSettings | None = None
) -> dict[str, Any]:
    """The projection (and the comparison, if asked) as plain data, cents and exact rates;
    with ``limits``, held to a researcher's limits (see the module docstring): ``Forbidden``
    naming the assumption or document a researcher may not use, ``Conflict`` when a month
    would cover too few households to publish."""
    draft = None if request.rules is None else parse_or_refuse(request.rules, "rules")
    other = None if request.compare is None else parse_or_refuse(request.compare, "compare")

    def work(session: Session) -> tuple[Projection, Projection | None]:
        if limits is not None:
            _researcher_may(session, request.assumptions, {"rules": draft, "compare": other})
        now = fund_now(session, request.start, today)
        rules = draft or _in_force(session, now.start, request.assumptions.months)
        first = _project(rules, now, request.assumptions)
        second = None if other is None else _project(other, now, request.assumptions)
        return first, second

    # Reading a year of lots and the facts builds millions of small objects that live till
    # the end: with the collector on, its full collections walked them some 40 times (4 s
    # of a 100,000-household fund's 10); the projection itself pauses it too.
    with heap_frozen(), collector_paused():
        first, second = run_in(db, work)
    if limits is None:
        return {"projection": as_dict(first), "compare": None if second is None else as_dict(second)}
    return {
        "projection": _published(first, limits.threshold),
        "compare": None if second is None else _published(second, limits.threshold),
    }


def _researcher_may(
    session: Session, assumptions: Assumptions, documents: Mapping[str, RuleSet | None]
) -> None:
    problems = [
        Problem(f"assumptions.{name}", f"must be 0 for a researcher, got {value}: arrivals "
                "and departures add or drop households one by one, which would single one out")
        for name, value in (
            ("arrivals_per_month", assumptions.arrivals_per_month),
            ("departures_per_month", assumptions.departures_per_month),
        )
        if value
    ]  # fmt: skip
    adopted = set(
        session.execute(
            select(col(t.RuleSet.content_hash)).where(col(t.RuleSet.status) == ADOPTED)
        ).scalars()
    )
    problems += [
        Problem(field, "a researcher projects under rule sets the committee adopted only: "
                "this document is not one of them")
        for field, rules in documents.items()
        if rules is not None and rules.content_hash not in adopted
    ]  # fmt: skip
    if problems:
        raise svc.Forbidden(tuple(problems), "This projection is not open to researchers.")


def _published(projection: Projection, threshold: int) -> dict[str, Any]:
    """``as_dict`` for a researcher: refused when a month covers fewer than ``threshold``
    assessed households; ``assessed`` suppressed when the households left out are fewer."""
    small = [m for m in projection.months if m.assessed < threshold]
    if small:
        raise svc.Conflict(
            (Problem("households", f"fewer than {threshold} households in {small[0].period}"),),
            "Too few households to publish a projection (small-cell threshold).",
        )
    out = as_dict(projection)
    for month in out["months"]:
        if 0 < month["households"] - month["assessed"] < threshold:
            month["assessed"] = None
    return out


def _project(rules: RuleSet | list[RuleSet], now: FundNow, a: Assumptions) -> Projection:
    try:
        return project(rules, now, a)
    except InvalidInput as error:
        raise svc.InvalidRequest(tuple(error.problems), str(error)) from error


def fund_now(session: Session, start: Period | None, today: date) -> FundNow:
    """The fund as the run of ``start`` would find it (default: the month after the last run)."""
    last = session.execute(select(func.max(col(t.MonthCredit.period)))).scalar_one_or_none()
    last_run = None if last is None else Period.parse(last)
    if start is None:
        start = Period(today.year, today.month) if last_run is None else last_run.shift(1)
    elif last_run is not None and start <= last_run:
        raise svc.Conflict(
            (
                Problem(
                    "start", f"{last_run} has been run; start from {last_run.shift(1)} or later"
                ),
            ),
            f"A projection starts after the last month run ({last_run}).",
        )
    households = [facts for facts, _ in facts_for_run(session, start)]
    return FundNow(start, available_cents(session), households, _open_lots(session))


def _open_lots(session: Session) -> LotColumns:
    """Every open credit lot, as columns: a fund of 100,000 households holds a million lots
    after a year. Read in slices of plain tuples through the driver, each slice turned into
    columns at once: a household's id is kept once (``sys.intern``: a year of lots names each
    household twelve times), a month's text is parsed once and its counter shared, and no
    object is made per lot (an ORM object each cost about 30 s and 2 GiB at that size, a
    ``CreditLot`` each 4-6 s, all the rows fetched at once 570 MiB)."""
    lot = t.CreditLot.__table__.c  # type: ignore[attr-defined]
    query = select(
        lot.household_id, lot.lot_id, lot.period, lot.expires_period, lot.remaining_cents
    ).where(lot.is_open)
    ids: list[str] = []
    lot_ids: list[str] = []
    granted_in: list[int] = []
    last_in: list[int | None] = []
    remaining_cents: list[int] = []
    months: dict[str, int] = {}
    # stream_results: on PostgreSQL a server-side cursor, so that the client never holds
    # every row at once either (SQLite's cursor already steps through the table).
    lots = session.connection().execute(query.execution_options(stream_results=True))
    for rows in lots.partitions(_LOTS_AT_ONCE):
        household, lot_id, granted, last, remaining = zip(*rows, strict=True)
        for text in {*granted, *last}.difference(months, (None,)):
            months[text] = Period.parse(text).index()
        ids.extend(map(sys.intern, household))
        lot_ids.extend(lot_id)
        granted_in.extend(map(months.__getitem__, granted))
        last_in.extend(map(months.get, last))  # None (never expires) stays None
        remaining_cents.extend(remaining)
    return LotColumns(ids, lot_ids, granted_in, last_in, remaining_cents)


_LOTS_AT_ONCE = 50_000


def _in_force(session: Session, start: Period, months: int) -> list[RuleSet]:
    out = []
    for k in range(months):
        rules = rule_set_in_force(session, start.shift(k))
        if rules is None:
            raise svc.Conflict(
                (Problem("rules", f"no adopted rule set is in force in {start.shift(k)}"),),
                "Give a draft rule set: none is adopted for the months projected.",
            )
        out.append(rules)
    return out


def _fraction(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def month_dict(month: ProjectedMonth) -> dict[str, Any]:
    return {
        "period": str(month.period),
        "rule_set": month.rule_set.as_dict(),
        "households": month.households,
        "assessed": month.assessed,
        "arrivals": month.arrivals,
        "departures": month.departures,
        "income_factor": _fraction(month.income_factor),
        "subsidy_cents": month.subsidy_cents,
        "reserve_start_cents": month.reserve_start_cents,
        "contribution_cents": month.contributions_cents,
        "funder_share_cents": month.funder_shares_cents,
        "entitlement_cents": month.entitlements_cents,
        "budget_cents": month.budget_cents,
        "credit_cents": month.credits_cents,
        "rationed": month.rationed,
        "shortfall_cents": month.shortfall_cents,
        "served": _fraction(month.served),
        "reserve_after_run_cents": month.reserve_after_run_cents,
        "spent_cents": month.spent_cents,
        "expired_cents": month.expired_cents,
        "reserve_end_cents": month.reserve_end_cents,
        "credit_outstanding_cents": month.credit_outstanding_cents,
        "explanation": {"fr": explain_month(month, "fr"), "en": explain_month(month, "en")},
    }


def as_dict(projection: Projection) -> dict[str, Any]:
    a = projection.assumptions
    first, deepest = projection.first_rationed, projection.deepest
    return {
        "start": str(projection.start),
        "reserve_cents": projection.reserve_cents,
        "assumptions": {
            "months": a.months,
            "arrivals_per_month": a.arrivals_per_month,
            "departures_per_month": a.departures_per_month,
            "income_drift": _fraction(a.income_drift),
            "spend_rate": _fraction(a.spend_rate),
            "subsidies": {str(p): c for p, c in sorted(a.subsidies_cents.items())},
        },
        "rationing_starts": None if first is None else str(first.period),
        "deepest": None
        if deepest is None
        else {"period": str(deepest.period), "served": _fraction(deepest.served)},
        "subsidy_to_avoid_cents": projection.subsidy_to_avoid_cents,
        "subsidy_schedule": [
            {"period": str(p), "subsidy_cents": c} for p, c in projection.subsidy_schedule
        ],
        "summary": {"fr": summary(projection, "fr"), "en": summary(projection, "en")},
        "months": [month_dict(m) for m in projection.months],
    }
