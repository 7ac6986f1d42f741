"""The month run's shortcuts return exactly what the general paths return: the facts loader
equals ``facts_in_force``, and the spliced request and record hashes equal the canonical ones."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.audit import journal
from app.engine.books.commands import Command
from app.engine.books.journal import build_record
from app.engine.period import Period
from app.services.households import Facts, change_facts, erase_member, facts_in_force
from app.services.months_load import facts_for_run
from app.services.writes.execute import prepare, request_hash
from tests.services.helpers import adopt, enrol, w

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**15), 10**15) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    payload=st.dictionaries(st.text(max_size=10), json_values, max_size=6),
    kind=st.sampled_from(["run_month", "purchase", "enrol_household"]),
    seq=st.integers(1, 10**9),
    actor=st.text(min_size=1, max_size=20),
    key=st.text(min_size=1, max_size=30),
)
def test_spliced_hashes_equal_the_canonical_hashes(
    payload: dict[str, Any], kind: str, seq: int, actor: str, key: str
) -> None:
    prev = hashlib.sha256(str(seq).encode()).hexdigest()
    at = "2026-11-26T10:00:00.000000Z"
    prepared = prepare(Command(kind, payload))
    canonical = json.dumps(
        {"kind": kind, "payload": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert prepared.digest == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert request_hash(Command(kind, payload)) == prepared.digest
    expected = build_record(
        seq=seq,
        prev_hash=prev,
        recorded_at=at,
        actor=actor,
        kind=kind,
        idempotency_key=key,
        payload=payload,
    )["hash"]
    spliced = journal.record_hash(
        seq=seq,
        prev_hash=prev,
        recorded_at=at,
        actor=actor,
        kind=kind,
        idempotency_key=key,
        payload_text=prepared.payload_text,
    )
    assert spliced == expected


def test_a_payload_with_a_float_or_a_number_key_is_refused_before_anything_is_hashed() -> None:
    with pytest.raises(ValueError, match="floats are not allowed"):
        prepare(Command("run_month", {"households": [{"credit_cents": 1.5}]}))
    with pytest.raises(ValueError, match="object keys must be strings"):
        prepare(Command("run_month", {"households": {1: "a"}}))


def test_the_run_reads_the_same_facts_as_facts_in_force(engine: Engine) -> None:
    adopt(engine)
    enrol(engine, "hh_a", 200_000, 1)
    enrol(engine, "hh_b", 80_000, 3)
    enrol(engine, "hh_c", None, 2)  # income unknown: needs data, still read
    enrol(engine, "hh_d", 50_000, 1, from_period="2026-12")  # enrolled after the month
    enrol(engine, "hh_e", 60_000, 2)
    enrol(engine, "hh_f", 70_000, 4)
    later = Facts(
        income_cents=90_000,
        persons=(date(1990, 1, 2), None),
        attributes={"scheme": "caf"},
        active_from=date(2026, 11, 3),
        priority_tier=1,
    )
    change_facts(engine, "hh_b", "2026-11", later, **w())  # in force in November
    change_facts(engine, "hh_a", "2027-01", later, **w())  # not yet in November
    erase_member(engine, "hh_e", **w())
    with Session(engine) as session:
        for month in ("2026-10", "2026-11", "2027-01"):
            period = Period.parse(month)
            assert facts_for_run(session, period) == facts_in_force(session, period)
        november = facts_for_run(session, Period.parse("2026-11"))
    assert [f.household_id for f, _ in november] == ["hh_a", "hh_b", "hh_c", "hh_f"]
    b = november[1][0]
    assert (b.income_cents, b.attributes, b.priority_tier) == (90_000, {"scheme": "caf"}, 1)
    assert b.persons[1].birth_on is None
