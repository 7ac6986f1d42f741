"""Properties of re-derivation (issue 10), for random small funds and months:

- through the real services (enrolment, funding, the month run, rationing when short) and a
  database, ``verify`` re-derives every booked contribution and credit to the cent;
- on the journal's own records (in memory): changing one fact of one household is named by
  that household; changing one clause of the rule document under its old hash is named at the
  run; a run booked with other rules than the adopted ones is caught exactly when one of its
  lines differs, and the first such household is the one named.
"""

from __future__ import annotations

import copy
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.audit.sources import DbSource, FactsRow, read_engine
from app.audit.verify import verify
from app.audit.verify.rederive import Rederivation
from app.db.session import make_engine
from app.db.settings import Settings
from app.engine.canonical import content_hash
from app.engine.commitment import committed_facts, facts_commitment
from app.engine.fund import assess_fund
from app.engine.month_run import run_line
from app.engine.period import Period
from app.engine.ruleset import parse_rule_set
from app.services.money import record_funding
from app.services.months import run_month
from tests.services.helpers import RULES, adopt, enrol, w

PERIOD = "2026-11"

households = st.lists(
    st.tuples(st.one_of(st.none(), st.integers(0, 400_000)), st.integers(0, 4)),
    min_size=1,
    max_size=6,
)
clauses = st.fixed_dictionaries(
    {
        "rate": st.sampled_from(["0.01", "0.025", "0.04"]),
        "base_cents": st.integers(1_000, 15_000),
        "per_extra_person_cents": st.integers(0, 8_000),
    }
)


def document(clause: dict[str, Any], version: int = 1) -> dict[str, Any]:
    doc = copy.deepcopy(RULES)
    doc["version"] = version
    doc["contribution"]["formula"]["rate"] = clause["rate"]
    doc["credit"]["formula"]["base_cents"] = clause["base_cents"]
    doc["credit"]["formula"]["per_extra_person_cents"] = clause["per_extra_person_cents"]
    return doc


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fund=households, clause=clauses, subsidy=st.sampled_from([0, 5_000, 1_000_000]))
def test_the_services_booked_amounts_are_rederived_to_the_cent(
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
    fund: list[tuple[int | None, int]],
    clause: dict[str, Any],
    subsidy: int,
) -> None:
    target = tmp_path_factory.mktemp("prop") / "caisse.db"
    shutil.copyfile(sqlite_template, target)
    url = f"sqlite:///{target}"
    engine = make_engine(Settings(database_url=url))
    try:
        adopt(engine, document(clause))
        for index, (income, persons) in enumerate(fund):
            enrol(engine, f"hh_{index}", income, persons)
        if subsidy:
            record_funding(engine, "city", "subsidy", subsidy, "S-1", date(2026, 11, 2), **w())
        run = run_month(engine, PERIOD, **w())
    finally:
        engine.dispose()
    source = DbSource(read_engine(url))
    try:
        report = verify(source)
    finally:
        source.close()
    assert report.ok, report.disagreement
    booked = len(fund) if run["chunks"] else 0  # nothing is booked if nobody is assessed
    assert report.rederived.households == booked


def _journal(
    fund: list[tuple[int | None, int]], clause: dict[str, Any], booked_with: dict[str, Any]
) -> tuple[list[tuple[str, dict[str, Any]]], list[FactsRow]]:
    """The records of an adoption, the enrolments and one run booked with ``booked_with``."""
    doc = document(clause)
    records: list[tuple[str, dict[str, Any]]] = [
        (
            "adopt_rule_set",
            {
                "rule_set_id": doc["id"],
                "version": 1,
                "content_hash": content_hash(doc),
                "effective_from": doc["effective_from"],
                "decision": doc["decision"],
                "document": doc,
            },
        )
    ]
    rows, facts, commitments = [], [], {}
    for index, (income, persons) in enumerate(fund):
        household = f"hh_{index}"
        committed = {
            "income_cents": income,
            "persons": ["1980-05-17"] * persons,
            "chosen_contribution_cents": None,
            "engagement_minutes": None,
            "attributes": {},
            "active_from": None,
            "active_until": None,
            "priority_tier": None,
        }
        salt = f"{index:032x}"
        commitments[household] = facts_commitment(salt, household, "2026-01", committed)
        rows.append(FactsRow(household, "2026-01", salt, committed, f"row {index}"))
        facts.append(committed_facts(household, committed))
        records.append(
            (
                "enrol_household",
                {
                    "household_id": household,
                    "from_period": "2026-01",
                    "facts_commitment": commitments[household],
                },
            )
        )
    rules = parse_rule_set(document(booked_with))
    lines = [
        run_line(a, commitments[a.household_id])
        for a in assess_fund(rules, facts, Period.parse(PERIOD), explain=False).assessments
    ]
    records.append(
        (
            "run_month",
            {
                "period": PERIOD,
                "rule_set_hash": content_hash(doc),
                "chunk": 0,
                "unspent_credit": {"policy": "expire", "after_months": 2, "cap_cents": None},
                "rationing": None,
                "households": lines,
            },
        )
    )
    return records, rows


def _walk(records: list[tuple[str, dict[str, Any]]], rows: list[FactsRow]) -> Any:
    rederive = Rederivation()
    for seq, (kind, payload) in enumerate(records, 1):
        bad = rederive.record(kind, payload, seq)
        if bad is not None:
            return bad
    return rederive.finish(rows, [])[0]


@settings(max_examples=60, deadline=None)
@given(
    fund=households,
    clause=clauses,
    which=st.integers(0, 5),
    field=st.sampled_from(["income_cents", "persons"]),
)
def test_one_changed_fact_is_named_by_its_household(
    fund: list[tuple[int | None, int]], clause: dict[str, Any], which: int, field: str
) -> None:
    records, rows = _journal(fund, clause, clause)
    assert _walk(records, rows) is None
    index = which % len(fund)
    facts = dict(rows[index].facts)
    if field == "income_cents":
        facts["income_cents"] = (facts["income_cents"] or 0) + 1
    else:
        facts["persons"] = [*facts["persons"], None]
    rows[index] = rows[index]._replace(facts=facts)
    bad = _walk(records, rows)
    assert bad is not None
    assert (bad.seq, bad.table, bad.row) == (
        len(records),
        "household_facts",
        f"household_id=hh_{index}",
    )


@settings(max_examples=60, deadline=None)
@given(fund=households, clause=clauses, other=clauses)
def test_one_changed_rule_clause_is_detected(
    fund: list[tuple[int | None, int]], clause: dict[str, Any], other: dict[str, Any]
) -> None:
    # Under its adopted hash: the document no longer hashes to it, named at the run.
    records, rows = _journal(fund, clause, clause)
    changed = document(other)
    records[0][1]["document"] = changed
    bad = _walk(records, rows)
    assert (bad is None) == (changed == document(clause))
    if bad is not None:
        assert (bad.seq, bad.table) == (len(records), "run_month")
        assert "hashes to" in bad.reason
    # Booked with other rules than those adopted: caught exactly when a line differs.
    records, rows = _journal(fund, clause, other)
    honest, _ = _journal(fund, clause, clause)
    booked, expected = records[-1][1]["households"], honest[-1][1]["households"]
    differing = [b["household_id"] for b, e in zip(booked, expected, strict=True) if b != e]
    bad = _walk(records, rows)
    assert (bad is None) == (not differing)
    if bad is not None:
        assert bad.row == f"period={PERIOD} household_id={differing[0]}"
