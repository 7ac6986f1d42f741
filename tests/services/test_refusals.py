"""Refusals: each names the problem, and nothing of the refused command is written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import tables as t
from app.ledger.invariants import InvariantViolation
from app.services import errors
from app.services.households import erase_member
from app.services.merchants import purchase, refund, suspend_merchant
from app.services.money import record_payment, settle_merchants
from app.services.months import run_month
from app.services.rules.rulesets import draft_rule_set
from app.services.seal import seal_month
from app.services.views import balances
from app.services.writes import purchase_store
from tests.services.helpers import CODE, PERIOD, RULES, adopt, enrol, small_fund, w

DAY = date(2026, 11, 20)


def snapshot(engine: Engine) -> tuple[int, ...]:
    with Session(engine) as session:
        return tuple(
            int(session.execute(select(func.count()).select_from(table)).scalar_one())
            for table in (t.Journal, t.LedgerEntry, t.Posting, t.Purchase, t.CreditLot)
        )


def refused(engine: Engine, error: type[Exception], call: Callable[[], Any]) -> Exception:
    before = snapshot(engine)
    with pytest.raises(error) as caught:
        call()
    assert snapshot(engine) == before
    return caught.value


def test_a_purchase_beyond_the_credit_is_refused_with_the_amounts(engine: Engine) -> None:
    small_fund(engine)
    error = refused(
        engine,
        errors.InsufficientCredit,
        lambda: purchase(engine, "p1", "hh_a", "shop", "food", 10_001, DAY, CODE, **w()),
    )
    assert isinstance(error, errors.InsufficientCredit)
    assert error.extras == {"available_cents": 10_000, "requested_cents": 10_001}
    assert balances(engine, "hh_a")["credit_cents"] == 10_000


def test_a_wrong_consent_code_charges_nothing(engine: Engine) -> None:
    small_fund(engine)
    refused(
        engine,
        errors.Forbidden,
        lambda: purchase(engine, "p1", "hh_a", "shop", "food", 100, DAY, "0000", **w()),
    )


def test_a_suspended_merchant_cannot_be_paid(engine: Engine) -> None:
    small_fund(engine)
    suspend_merchant(engine, "shop", "hygiene inspection", date(2026, 11, 10), **w())
    refused(
        engine,
        errors.MerchantSuspended,
        lambda: purchase(engine, "p1", "hh_a", "shop", "food", 100, DAY, CODE, **w()),
    )


def test_an_unknown_household_is_not_found(engine: Engine) -> None:
    small_fund(engine)
    refused(
        engine,
        errors.NotFound,
        lambda: record_payment(engine, "hh_zz", 100, "cash", "R", DAY, **w()),
    )


def test_malformed_amounts_are_invalid(engine: Engine) -> None:
    small_fund(engine)
    error = refused(
        engine,
        errors.InvalidRequest,
        lambda: record_payment(engine, "hh_a", 0, "cash", "R", DAY, **w()),
    )
    assert [p.path for p in error.problems] == ["amount_cents"]  # type: ignore[attr-defined]


def test_a_month_cannot_run_without_rules_in_force(engine: Engine) -> None:
    refused(engine, errors.Conflict, lambda: run_month(engine, PERIOD, **w()))


def test_an_invalid_rule_document_names_its_problems(engine: Engine) -> None:
    bad = RULES | {"credit": {"formula": {"kind": "fixed", "amount_cents": 1.5}}}
    error = refused(engine, errors.InvalidRequest, lambda: draft_rule_set(engine, bad))
    assert error.problems[0].path.startswith("document.credit")  # type: ignore[attr-defined]


def test_an_adopted_version_cannot_be_redrafted(engine: Engine) -> None:
    adopt(engine)
    refused(engine, errors.Conflict, lambda: draft_rule_set(engine, RULES))


def test_a_broken_invariant_rolls_the_whole_command_back(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_fund(engine)
    for check in ("check_range", "check_rows"):  # SQLite's store, PostgreSQL's
        monkeypatch.setattr(purchase_store, check, lambda *a: ["trial balance is 1 cents"])
    refused(
        engine,
        InvariantViolation,
        lambda: purchase(engine, "p1", "hh_a", "shop", "food", 100, DAY, CODE, **w()),
    )
    assert balances(engine, "hh_a")["credit_cents"] == 10_000


def test_a_refund_cannot_exceed_the_credit_part_of_the_purchase(engine: Engine) -> None:
    small_fund(engine)
    purchase(engine, "p1", "hh_a", "shop", "hygiene", 2_000, DAY, CODE, **w())  # credit 1 000
    refund(engine, "r1", "shop", "p1", 600, DAY, **w())
    refused(engine, errors.Conflict, lambda: refund(engine, "r2", "shop", "p1", 401, DAY, **w()))
    refund(engine, "r2", "shop", "p1", 400, DAY, **w())
    assert balances(engine, "hh_a")["credit_cents"] == 10_000


def test_a_settlement_cannot_pay_more_than_is_owed(engine: Engine) -> None:
    small_fund(engine)
    purchase(engine, "p1", "hh_a", "shop", "food", 700, DAY, CODE, **w())
    refused(
        engine,
        errors.Conflict,
        lambda: settle_merchants(engine, "b1", "VIR", DAY, {"shop": 701}, **w()),
    )


def test_repeated_one_time_commands_are_conflicts(engine: Engine) -> None:
    small_fund(engine)
    refused(engine, errors.Conflict, lambda: enrol(engine, "hh_a", 100_000))
    refused(engine, errors.Conflict, lambda: seal_month(engine, PERIOD, **w()))
    erase_member(engine, "hh_b", **w())
    refused(engine, errors.Conflict, lambda: erase_member(engine, "hh_b", **w()))


def test_a_category_the_merchant_is_not_approved_for_is_refused(engine: Engine) -> None:
    small_fund(engine)
    refused(
        engine,
        errors.Conflict,
        lambda: purchase(engine, "p1", "hh_a", "shop", "alcohol", 100, DAY, CODE, **w()),
    )
