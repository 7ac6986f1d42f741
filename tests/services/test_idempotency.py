"""Idempotency: a replayed key returns the original result; a reused key is refused."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import tables as t
from app.services.errors import IdempotencyConflict
from app.services.households import Facts, Identity, enrol_household
from app.services.money import record_payment
from app.services.views import balances
from tests.services.helpers import ACTOR, CODE, NOW, small_fund


def count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def pay(engine: Engine, amount_cents: int, key: str) -> dict[str, object]:
    return record_payment(
        engine,
        "hh_a",
        amount_cents,
        "transfer",
        "VIR-1",
        date(2026, 11, 5),
        actor=ACTOR,
        idempotency_key=key,
        now=NOW,
    )


def test_same_key_same_request_returns_the_first_result_and_writes_nothing(engine: Engine) -> None:
    small_fund(engine)
    first = pay(engine, 5_000, "pay-1")
    journal_size = count(engine, t.Journal)
    postings = count(engine, t.Posting)
    again = pay(engine, 5_000, "pay-1")
    assert again == first
    assert count(engine, t.Journal) == journal_size
    assert count(engine, t.Posting) == postings
    assert balances(engine, "hh_a")["due_cents"] == 0


def test_same_key_different_request_is_a_conflict_and_writes_nothing(engine: Engine) -> None:
    small_fund(engine)
    pay(engine, 5_000, "pay-1")
    journal_size = count(engine, t.Journal)
    with pytest.raises(IdempotencyConflict):
        pay(engine, 4_000, "pay-1")
    assert count(engine, t.Journal) == journal_size
    assert balances(engine, "hh_a")["due_cents"] == 0


def test_enrolment_retried_with_its_key_reuses_the_salt(engine: Engine) -> None:
    facts = Facts(income_cents=120_000, persons=(date(1990, 1, 1),))
    identity = Identity(full_name="Alice Martin")
    args = ("hh_x", "2026-01", identity, facts, CODE)
    first = enrol_household(engine, *args, actor=ACTOR, idempotency_key="enrol-x", now=NOW)
    again = enrol_household(engine, *args, actor=ACTOR, idempotency_key="enrol-x", now=NOW)
    assert again == first
    assert count(engine, t.HouseholdFacts) == 1
    assert count(engine, t.Journal) == 1
