"""A large fund quickly: bulk enrolment for the month-run benchmark and the crash test.

``enrol_bulk`` writes exactly the rows ``app.services.households.enrol_household`` writes for
each household (journal record chained from the head, ``household``, ``household_facts``
with salt and commitment, ``member_identity``), computed by the same functions (the books
core's ``apply`` and ``build_record``, the service's ``commitment``), but in one transaction
with bulk INSERTs instead of one transaction per household. Only the consent-code hash is
left out: it costs 60 000 PBKDF2 rounds per household and the month run never reads it.
``setup_fund`` adopts the test rule set, funds the fund and enrols ``n`` households.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from app.audit import journal
from app.db import tables as t
from app.db.session import unit_of_work
from app.engine.books.commands import Command
from app.engine.books.core import apply
from app.engine.books.journal import build_record
from app.engine.books.memory import MemoryBooks
from app.services.households import Facts, commitment
from app.services.money import record_funding
from app.services.rules.rulesets import adopt_rule_set, draft_rule_set
from app.services.writes.execute import request_hash

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ACTOR = "operator:bench"
PERIOD = "2026-11"
RULES: dict[str, Any] = {
    "format": "caisse.rules/1",
    "id": "benchfund",
    "version": 1,
    "effective_from": "2026-01",
    "decision": "Comité du 2025-12-01, délibération 7",
    "contribution": {"formula": {"kind": "proportional", "base": "income", "rate": "0.025"}},
    "credit": {
        "formula": {"kind": "base_plus_extra", "base_cents": 10000, "per_extra_person_cents": 5000}
    },
    "unspent_credit": {"policy": "expire", "after_months": 2},
}
BATCH = 5000


def household_id(index: int) -> str:
    return f"hh_{index:07d}"


def facts_of(index: int) -> Facts:
    """Deterministic, varied facts: income 500-3 500 €, 1-5 persons."""
    income = 50_000 + (index * 7_919) % 300_000
    persons = 1 + (index * 31) % 5
    return Facts(income_cents=income, persons=(date(1980, 5, 17),) * persons)


def enrol_bulk(engine: Engine, count: int, first: int = 0) -> int:
    """Enrol households ``first .. first + count - 1``; returns the new journal head seq."""
    recorded_at = journal.timestamp(NOW)
    with unit_of_work(engine) as session:
        journal.lock_writer(session)
        top = journal.head(session)
        seq, prev = top.seq, top.hash
        view = MemoryBooks()
        for start in range(first, first + count, BATCH):
            rows: dict[str, list[dict[str, Any]]] = {"j": [], "h": [], "f": [], "i": []}
            for index in range(start, min(start + BATCH, first + count)):
                seq += 1
                prev = _one(rows, view, index, seq, prev, recorded_at)
            session.execute(insert(t.Journal), rows["j"])
            session.execute(insert(t.Household), rows["h"])
            session.execute(insert(t.HouseholdFacts), rows["f"])
            session.execute(insert(t.MemberIdentity), rows["i"])
    return seq


def _one(rows: dict[str, list[dict[str, Any]]], view: MemoryBooks, index: int, seq: int,
         prev: str, recorded_at: str) -> str:
    hh = household_id(index)
    facts = facts_of(index)
    salt = f"{index:032x}"
    commit = commitment(salt, hh, PERIOD, facts)
    command = Command("enrol_household",
                      {"household_id": hh, "from_period": PERIOD, "facts_commitment": commit})
    effects = apply(view, command, seq)  # the core's own validation, as the service does
    key = f"bench-enrol-{hh}"
    record = build_record(seq=seq, prev_hash=prev, recorded_at=recorded_at, actor=ACTOR,
                          kind=command.kind, idempotency_key=key, payload=command.payload)
    rows["j"].append({
        "seq": seq, "recorded_at": recorded_at, "actor": ACTOR, "kind": command.kind,
        "idempotency_key": key, "request_hash": request_hash(command),
        "payload": journal.canonical_text(command.payload),
        "result": journal.canonical_text({**effects.result, "seq": seq}),
        "prev_hash": prev, "hash": record["hash"]})
    rows["h"].append({"household_id": hh, "from_period": PERIOD, "facts_commitment": commit,
                      "erased": False, "consent_code_hash": None, "last_seq": seq})
    data = facts.as_dict()
    rows["f"].append({
        "household_id": hh, "from_period": PERIOD, "seq": seq,
        "income_cents": facts.income_cents, "chosen_contribution_cents": None,
        "persons": json.dumps(data["persons"]), "attributes": json.dumps(data["attributes"]),
        "engagement_minutes": None, "active_from": None, "active_until": None,
        "priority_tier": None, "salt": salt, "commitment": commit, "erased": False})
    rows["i"].append({"household_id": hh, "full_name": f"Member {index}", "email": None,
                      "phone": None, "address": None})
    return str(record["hash"])


def setup_fund(engine: Engine, households: int) -> int:
    """Rule set, a subsidy large enough for every credit, ``households`` enrolled."""
    draft_rule_set(engine, RULES)
    adopt_rule_set(engine, RULES["id"], RULES["version"], actor=ACTOR,
                   idempotency_key="bench-adopt", now=NOW)
    record_funding(engine, "city", "subsidy", 30_000 * households, "SUB-BENCH",
                   date(2026, 11, 2), actor=ACTOR, idempotency_key="bench-subsidy", now=NOW)
    return enrol_bulk(engine, households)
