"""Indicators read from real books: the CALIEN public scenario's rules on twelve households,
two months (app.services.research), checked against the engine's own assessments and the
bank; the open data package it writes is valid Frictionless and byte-for-byte reproducible.

November: the city gives 5 000 €; the month runs; the six lowest-numbered households pay
what they owe and spend 30 € each at the farm (a producer), the six others 30 € each at the
épicerie solidaire; one farm sale is refunded 10 €. December: the month runs, nothing else.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app import rulesets
from app.db import tables as t
from app.engine import assess, parse_rule_set
from app.engine.facts import HouseholdFacts, Person
from app.engine.period import Period
from app.services.households import Facts, Identity, enrol_household
from app.services.merchants import approve_merchant, purchase, refund
from app.services.money import record_funding, record_payment
from app.services.months import run_month
from app.services.research import merchant_kinds, open_data
from app.services.research.indicators import Report, report
from app.services.research.settings import ResearchSettings
from tests.services.helpers import CODE, NOW, adopt, w

NOV, DEC = Period(2026, 11), Period(2026, 12)
CALIEN = rulesets.document("calien") | {"effective_from": "2026-11"}
PEOPLE = {f"hh_{i:02d}": (60_000 + 25_000 * i, 1 + i % 3) for i in range(12)}
MINUTES = {f"hh_{i:02d}": 30 * (i % 4) for i in range(12)}  # CALIEN counts engagement
ADULT = Person(date(1980, 5, 17))


def owed(period: Period) -> dict[str, tuple[int, int]]:
    """household -> (contribution, credit) as the engine assesses CALIEN's rules."""
    rules = parse_rule_set(CALIEN)
    found = {}
    for hh, (income, persons) in PEOPLE.items():
        facts = HouseholdFacts(
            hh, persons=(ADULT,) * persons, income_cents=income, engagement_minutes=MINUTES[hh]
        )
        outcome = assess(rules, facts, period)
        found[hh] = (outcome.contribution_cents or 0, outcome.credit_cents or 0)
    return found


def books(engine: Engine) -> None:
    adopt(engine, CALIEN)
    for hh, (income, persons) in PEOPLE.items():
        facts = Facts(income, (ADULT.birth_on,) * persons, engagement_minutes=MINUTES[hh])
        identity = Identity(full_name=f"Member {hh}")
        enrol_household(engine, hh, "2026-11", identity, facts, CODE, **w())
    for merchant in ("m_farm", "m_epicerie"):
        approve_merchant(engine, merchant, {"food": "1"}, date(2026, 1, 1), **w())
    with Session(engine) as session:
        merchant_kinds.set_kind(session, "m_farm", "producer", NOW)
        merchant_kinds.set_kind(session, "m_epicerie", "solidarity_grocery", NOW)
        session.commit()
    record_funding(engine, "city", "subsidy", 500_000, "SUB-1", date(2026, 11, 2), **w())
    run_month(engine, str(NOV), **w())
    due = owed(NOV)
    for i, hh in enumerate(sorted(PEOPLE)):
        merchant = "m_farm" if i < 6 else "m_epicerie"
        purchase(engine, f"s{i}", hh, merchant, "food", 3000, date(2026, 11, 20), CODE, **w())
        if i < 6:
            record_payment(engine, hh, due[hh][0], "transfer", f"P{i}", date(2026, 11, 21), **w())
    refund(engine, "r1", "m_farm", "s0", 1000, date(2026, 11, 22), **w())
    run_month(engine, str(DEC), **w())


def indicators(engine: Engine, first: Period, last: Period) -> Report:
    with Session(engine) as session:
        return report(session, first, last, ResearchSettings(threshold=2))


def shown(found: Report, period: str) -> dict[tuple[str, str], Fraction | None]:
    return {(c.indicator, c.group): c.value for c in found.table.all_cells() if c.period == period}


def test_calien_months_match_the_engines_assessments_and_the_bank(engine: Engine) -> None:
    books(engine)
    found = indicators(engine, NOV, DEC)
    nov, whole = shown(found, "2026-11"), shown(found, "2026-11..2026-12")
    due = owed(NOV)
    contributions = sum(c for c, _ in due.values())
    credits = sum(k for _, k in due.values())
    paid = sum(due[hh][0] for hh in sorted(PEOPLE)[:6])
    assert nov[("contributions_due_cents", "all")] == contributions
    assert nov[("credit_granted_cents", "all")] == credits
    assert nov[("contributions_received_cents", "all")] == paid
    assert nov[("self_financing", "all")] == Fraction(paid, credits)
    assert nov[("spend_by_kind_cents", "kind:producer")] == 6 * 3000 - 1000
    assert nov[("spend_by_kind_cents", "kind:solidarity_grocery")] == 6 * 3000
    assert nov[("producer_share", "kind:producer")] == Fraction(17_000, 35_000)
    assert nov[("arrivals", "all")] == 12
    assert nov[("engagement_hours", "all")] == Fraction(sum(MINUTES.values()), 60)
    assert whole[("contributions_due_cents", "all")] == contributions + sum(
        c for c, _ in owed(DEC).values()
    )
    assert whole[("active_households", "all")] == 12
    assert whole[("reserve_cents", "all")] == 500_000 + paid  # nothing settled yet
    with Session(engine) as session:
        hashes = session.exec(select(t.RuleSet.content_hash)).all()
    assert list(found.rule_set_hashes) == sorted(set(hashes))


def test_deciles_follow_resources_per_consumption_unit(engine: Engine) -> None:
    books(engine)
    nov = shown(indicators(engine, NOV, NOV), "2026-11")
    due = owed(NOV)
    # CALIEN: 1 unit for the first person, 0,5 for each other adult.
    per_cu = {hh: Fraction(i, 1 + Fraction(p - 1, 2)) for hh, (i, p) in PEOPLE.items()}
    order = sorted(PEOPLE, key=lambda hh: (per_cu[hh], hh))
    # Twelve households: positions 0 and 1 are decile 1, positions 6 and 7 decile 6.
    for decile, members in ((1, order[0:2]), (6, order[6:8])):
        net = sum(due[hh][1] - due[hh][0] for hh in members)
        assert nov[("net_transfer_by_decile", f"decile:{decile}")] == net
    # Deciles of one household are withheld.
    assert nov[("net_transfer_by_decile", "decile:2")] is None


def test_the_open_data_package_is_valid_and_reproducible(engine: Engine, tmp_path: Path) -> None:
    frictionless = pytest.importorskip("frictionless")
    books(engine)
    found = indicators(engine, NOV, DEC)
    open_data.write_package(found, tmp_path)
    result = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert result.valid, result.flatten(["rowNumber", "fieldName", "type", "note"])
    assert open_data.zip_bytes(found) == open_data.zip_bytes(indicators(engine, NOV, DEC))
    header = (tmp_path / "indicators.csv").read_text().splitlines()[0]
    assert header == "period,indicator,group,unit,numerator,denominator,value,households,suppressed"
    assert "hh_" not in (tmp_path / "indicators.csv").read_text()
