"""Every refusal of the books core: the error class the service maps, and the problem path."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.books import (
    AlreadyAdopted,
    BooksError,
    Command,
    Conflict,
    InsufficientCredit,
    InvalidCommand,
    MemoryBooks,
    MerchantUnavailable,
    MonthNotClosed,
    MonthNotOpen,
    NotFound,
    apply,
)
from app.engine.canonical import content_hash
from app.engine.problems import EngineError
from tests.engine.test_books_support import (
    EXPIRE_2,
    Driver,
    approve,
    buy,
    enrol,
    funding,
    line,
    payment,
    refund,
    run,
    settle,
)


def ready() -> Driver:
    d = Driver()
    d.do("enrol_household", enrol("hh_a"))
    d.do("approve_merchant", approve("m1", {"food": "1"}, valid_until="2026-06-30"))
    d.do("record_funding", funding(1_000_000))
    d.do("run_month", run("2026-01", [line("hh_a", 1000, 5000)], EXPIRE_2))
    return d


def refused(d: Driver, kind: str, payload: dict[str, Any], error: type[BooksError]) -> list[str]:
    """Apply expecting exactly ``error``; the paths of its problems. Nothing is recorded."""
    size = len(d.records)
    with pytest.raises(BooksError) as caught:
        d.try_apply(kind, payload)
    assert type(caught.value) is error, caught.value
    assert len(d.records) == size
    return [p.path for p in caught.value.problems]


def test_books_errors_are_engine_errors() -> None:
    for error in (InvalidCommand, NotFound, Conflict, InsufficientCredit):
        assert issubclass(error, BooksError) and issubclass(error, EngineError)


def test_malformed_money_dates_and_periods_are_refused_with_every_path() -> None:
    d = ready()
    bad = {
        **buy("p1", "hh_a", "m1", 100),
        "amount_cents": 10.5,
        "on": "2026-13-01",
        "period": "2026-1",
        "extra": 1,
    }
    assert refused(d, "purchase", bad, InvalidCommand) == ["amount_cents", "on", "period", "extra"]


@pytest.mark.parametrize("amount", [True, "100", 0, -5, None])
def test_cents_must_be_a_positive_int(amount: object) -> None:
    assert refused(
        ready(), "record_payment", {**payment("hh_a", 1), "amount_cents": amount}, InvalidCommand
    ) == ["amount_cents"]


def test_missing_fields_are_named() -> None:
    assert refused(ready(), "refund", {"refund_id": "r"}, InvalidCommand) == [
        "merchant_id",
        "purchase_id",
        "amount_cents",
        "on",
    ]


def test_purchase_date_must_lie_in_its_period() -> None:
    payload = {**buy("p1", "hh_a", "m1", 100), "period": "2026-02"}
    assert refused(ready(), "purchase", payload, InvalidCommand) == ["on"]


def test_run_month_problems_name_the_household_line() -> None:
    lines = [
        line("hh_a", 100, 100),
        {**line("hh_b", 100, 100), "credit_cents": "1"},
        line("hh_c", 0, 100, share=200, funder=None),
    ]
    paths = refused(ready(), "run_month", run("2026-02", lines), InvalidCommand)
    assert paths == [
        "households[1].credit_cents",
        "households[2].funder_share_cents",
        "households[2].funder_id",
    ]


def test_run_month_households_must_be_sorted_without_repeats() -> None:
    lines = [line("hh_b", 0, 1), line("hh_a", 0, 1)]
    assert refused(ready(), "run_month", run("2026-02", lines), InvalidCommand) == [
        "households[1].household_id"
    ]


def test_run_month_refuses_a_bad_unspent_policy() -> None:
    policy = {"policy": "expire", "after_months": None, "cap_cents": None}
    assert refused(ready(), "run_month", run("2026-02", [], policy), InvalidCommand) == [
        "unspent_credit.policy"
    ]


def test_merchant_rates_must_be_decimal_strings_in_0_1() -> None:
    payload = approve("m2", {"a": 0.5, "b": "1.5", "c": "x"})  # type: ignore[dict-item]
    assert refused(ready(), "approve_merchant", payload, InvalidCommand) == [
        "categories.a",
        "categories.b",
        "categories.c",
    ]


def test_unknown_command_kind_is_refused() -> None:
    with pytest.raises(InvalidCommand):
        apply(MemoryBooks(), Command("print_money", {}), 1)


@pytest.mark.parametrize(
    ("kind", "payload", "path"),
    [
        ("record_payment", payment("hh_x", 100), "household_id"),
        ("purchase", buy("p1", "hh_x", "m1", 100), "household_id"),
        ("purchase", buy("p1", "hh_a", "m9", 100), "merchant_id"),
        ("refund", refund("r1", "p9", 100), "purchase_id"),
        ("reverse_entry", {"entry_id": "99.0", "reason": "x", "period": "2026-01"}, "entry_id"),
        ("run_month", run("2026-02", [line("hh_x", 0, 100)]), "households[0].household_id"),
        ("settle_merchants", settle([("m9", 100)]), "merchants[0].merchant_id"),
        ("change_facts", enrol("hh_x"), "household_id"),
        (
            "suspend_merchant",
            {"merchant_id": "m9", "reason": "r", "from_on": "2026-01-01"},
            "merchant_id",
        ),
        ("erase_member", {"household_id": "hh_x"}, "household_id"),
    ],
)
def test_unknown_references_are_not_found(kind: str, payload: dict[str, Any], path: str) -> None:
    assert refused(ready(), kind, payload, NotFound) == [path]


def test_a_household_is_credited_once_per_month() -> None:
    d = ready()
    assert refused(
        d, "run_month", run("2026-01", [line("hh_a", 1000, 5000)], EXPIRE_2), Conflict
    ) == ["households[0].household_id"]


def test_a_later_chunk_must_carry_the_same_unspent_policy() -> None:
    d = ready()
    d.do("enrol_household", enrol("hh_b"))
    assert refused(d, "run_month", run("2026-01", [line("hh_b", 0, 1)], chunk=1), Conflict) == [
        "unspent_credit"
    ]


def test_closed_and_sealed_months_take_no_entry() -> None:
    d = ready()
    d.do("close_month", {"period": "2026-01"})
    assert refused(d, "purchase", buy("p1", "hh_a", "m1", 100), MonthNotOpen) == ["period"]
    assert refused(d, "record_payment", payment("hh_a", 100), MonthNotOpen) == ["received_on"]
    assert refused(d, "close_month", {"period": "2026-01"}, MonthNotOpen) == ["period"]
    seal = {
        "period": "2026-01",
        "journal_size": d.next_seq - 1,
        "head_hash": d.head,
        "balances_digest": "d",
        "engine_version": "1",
        "run_fingerprint": "f",
    }
    d.do("seal_month", seal)
    assert refused(d, "run_month", run("2026-01", []), MonthNotOpen) == ["period"]
    assert refused(d, "seal_month", {**seal, "journal_size": d.next_seq - 1}, MonthNotOpen) == [
        "period"
    ]


def test_only_a_closed_month_is_sealed_and_the_size_must_match() -> None:
    d = ready()
    seal = {
        "period": "2026-01",
        "journal_size": d.next_seq - 1,
        "head_hash": d.head,
        "balances_digest": "d",
        "engine_version": "1",
        "run_fingerprint": "f",
    }
    # An open month is not "closed": its own refusal, which the service maps to a plain 409.
    assert refused(d, "seal_month", seal, MonthNotClosed) == ["period"]
    d.do("close_month", {"period": "2026-01"})
    assert refused(d, "seal_month", {**seal, "journal_size": 1}, InvalidCommand) == ["journal_size"]


def test_merchant_must_be_approved_for_the_day_and_the_category() -> None:
    d = ready()
    assert refused(d, "purchase", buy("p1", "hh_a", "m1", 100, category="wine"), Conflict) == [
        "category"
    ]
    d.do("run_month", run("2026-07", [line("hh_a", 0, 5000)], EXPIRE_2))
    assert refused(
        d, "purchase", buy("p1", "hh_a", "m1", 100, on="2026-07-01"), MerchantUnavailable
    ) == ["on"]
    d.do("suspend_merchant", {"merchant_id": "m1", "reason": "audit", "from_on": "2026-01-15"})
    suspended = buy("p1", "hh_a", "m1", 100, on="2026-01-15")
    assert refused(d, "purchase", suspended, MerchantUnavailable) == ["merchant_id"]
    d.do("purchase", buy("p1", "hh_a", "m1", 100, on="2026-01-14"))


def test_a_purchase_id_is_used_once() -> None:
    d = ready()
    d.do("purchase", buy("p1", "hh_a", "m1", 100))
    assert refused(d, "purchase", buy("p1", "hh_a", "m1", 100), Conflict) == ["purchase_id"]


def test_purchase_ids_are_unique_per_merchant_and_a_refund_names_the_merchant() -> None:
    d = ready()
    d.do("approve_merchant", approve("m2", {"food": "1"}))
    d.do("purchase", buy("p1", "hh_a", "m1", 100))
    d.do("purchase", buy("p1", "hh_a", "m2", 200))  # another till numbering alike
    assert refused(d, "purchase", buy("p1", "hh_a", "m2", 1), Conflict) == ["purchase_id"]
    d.do("purchase", buy("p2", "hh_a", "m1", 300))
    # m2 never used p2: NotFound, exactly as an id nobody used.
    assert refused(d, "refund", refund("r1", "p2", 1, merchant="m2"), NotFound) == ["purchase_id"]
    d.do("refund", refund("r1", "p1", 100))
    d.do("refund", refund("r1", "p1", 150, merchant="m2"))  # its own p1, refunded apart
    assert d.books.purchase("m1", "p1").refunded_cents == 100  # type: ignore[union-attr]
    assert d.books.purchase("m2", "p1").refunded_cents == 150  # type: ignore[union-attr]
    assert refused(d, "refund", refund("r2", "p1", 51, merchant="m2"), Conflict) == ["amount_cents"]


def test_a_purchase_never_overdraws_and_names_both_amounts() -> None:
    d = ready()
    with pytest.raises(InsufficientCredit) as caught:
        d.try_apply("purchase", buy("p1", "hh_a", "m1", 5001))
    assert (caught.value.available_cents, caught.value.requested_cents) == (5000, 5001)
    assert "50,00" in str(caught.value) and "50,01" in str(caught.value)


def test_credit_past_its_last_month_cannot_pay_even_before_it_is_expired() -> None:
    d = ready()
    d.do("run_month", run("2026-03", [line("hh_a", 0, 100)], EXPIRE_2))
    with pytest.raises(InsufficientCredit) as caught:
        d.try_apply("purchase", buy("p1", "hh_a", "m1", 101, on="2026-03-02"))
    assert caught.value.available_cents == 100


def test_refunds_never_exceed_the_credit_part_and_ids_are_not_reused() -> None:
    d = ready()
    d.do("purchase", buy("p1", "hh_a", "m1", 1000))
    d.do("refund", refund("r1", "p1", 600))
    assert refused(d, "refund", refund("r2", "p1", 401), Conflict) == ["amount_cents"]
    assert refused(d, "refund", refund("r1", "p1", 100), Conflict) == ["refund_id"]


def test_cannot_settle_more_than_owed() -> None:
    d = ready()
    d.do("purchase", buy("p1", "hh_a", "m1", 1000))
    assert refused(d, "settle_merchants", settle([("m1", 1001)]), Conflict) == [
        "merchants[0].amount_cents"
    ]


def test_an_entry_is_reversed_once_and_purchases_are_refunded_instead() -> None:
    d = ready()
    d.do("reverse_entry", {"entry_id": "4.0", "reason": "x", "period": "2026-01"})
    again = {"entry_id": "4.0", "reason": "x", "period": "2026-01"}
    assert refused(d, "reverse_entry", again, Conflict) == ["entry_id"]
    d.do("purchase", buy("p1", "hh_a", "m1", 100))
    purchase = {"entry_id": "6.0", "reason": "x", "period": "2026-01"}
    assert refused(d, "reverse_entry", purchase, Conflict) == ["entry_id"]


def test_a_reversal_never_makes_member_credit_negative() -> None:
    d = ready()
    d.do("purchase", buy("p1", "hh_a", "m1", 100))
    with pytest.raises(InsufficientCredit) as caught:
        d.try_apply("reverse_entry", {"entry_id": "4.1", "reason": "x", "period": "2026-01"})
    assert (caught.value.available_cents, caught.value.requested_cents) == (4900, 5000)


def test_erased_members_are_neither_credited_nor_charged() -> None:
    d = ready()
    d.do("erase_member", {"household_id": "hh_a"})
    assert refused(d, "purchase", buy("p1", "hh_a", "m1", 100), Conflict) == ["household_id"]
    assert refused(d, "run_month", run("2026-02", [line("hh_a", 0, 1)], EXPIRE_2), Conflict) == [
        "households[0].household_id"
    ]
    assert refused(d, "erase_member", {"household_id": "hh_a"}, Conflict) == ["household_id"]


def test_enrolment_is_once_and_adoption_needs_the_right_hash() -> None:
    d = ready()
    assert refused(d, "enrol_household", enrol("hh_a"), Conflict) == ["household_id"]
    adopt = {
        "rule_set_id": "r",
        "version": 1,
        "content_hash": "sha256:00",
        "effective_from": "2026-01",
        "decision": "CA",
        "document": {"a": 1},
    }
    assert refused(d, "adopt_rule_set", adopt, InvalidCommand) == ["content_hash"]


def test_an_adopted_version_is_not_adopted_again() -> None:
    d = ready()
    document = {"a": 1}
    adopt = {
        "rule_set_id": "r",
        "version": 1,
        "content_hash": content_hash(document),
        "effective_from": "2026-01",
        "decision": "CA 1",
        "document": document,
    }
    d.do("adopt_rule_set", adopt)
    again = {**adopt, "decision": "CA 2", "effective_from": "2026-02"}
    assert refused(d, "adopt_rule_set", again, AlreadyAdopted) == ["version"]
    # Another version of the same rule set is still adoptable.
    d.do("adopt_rule_set", {**again, "version": 2})


@pytest.mark.parametrize(
    ("kind", "payload", "error", "paths"),
    [
        (
            "record_funding",
            funding(100, kind="top_up", dedicated=True),
            InvalidCommand,
            ["dedicated"],
        ),
        (
            "record_funding",
            {**funding(100, kind="donation"), "status": "awarded"},
            InvalidCommand,
            ["status"],
        ),
        ("settle_merchants", settle([("m1", 1), ("m1", 1)]), InvalidCommand, ["merchants"]),
        ("settle_merchants", settle([]), InvalidCommand, ["merchants"]),
        (
            "expire_credit",
            {"period": "2026-01", "household_ids": ["hh_a", "hh_a"]},
            InvalidCommand,
            ["household_ids"],
        ),
        (
            "approve_merchant",
            approve("m2", valid_from="2026-02-01", valid_until="2026-01-31"),
            InvalidCommand,
            ["valid_until"],
        ),
        (
            "run_month",
            run("2026-02", [line("hh_a", 5, 0, status="needs_data")]),
            InvalidCommand,
            ["households[0].status"],
        ),
        (
            "adopt_rule_set",
            {
                "rule_set_id": "r",
                "version": 0,
                "content_hash": "h",
                "effective_from": "2026-01",
                "decision": "d",
                "document": [1],
            },
            InvalidCommand,
            ["version", "document"],
        ),
        ("change_facts", {**enrol("hh_a"), "from_period": "2025-12"}, Conflict, ["from_period"]),
        (
            "suspend_merchant",
            {"merchant_id": "m1", "reason": "r", "from_on": "2026-01-01"},
            None,
            None,
        ),
        (
            "reverse_entry",
            {"entry_id": "4.0", "reason": "x", "period": "2025-12"},
            Conflict,
            ["period"],
        ),
        ("purchase", buy("p1", "hh_a", "m1", 1, category="food"), None, None),
    ],
)
def test_more_refusals(
    kind: str, payload: dict[str, Any], error: type[BooksError] | None, paths: list[str] | None
) -> None:
    d = ready()
    if error is None:  # accepted: the control case next to its refusals
        d.do(kind, payload)
        return
    assert refused(d, kind, payload, error) == paths


def test_a_merchant_is_suspended_once_and_a_household_enrolled_later_is_not_credited() -> None:
    d = ready()
    suspend = {"merchant_id": "m1", "reason": "r", "from_on": "2026-01-01"}
    d.do("suspend_merchant", suspend)
    assert refused(d, "suspend_merchant", suspend, Conflict) == ["merchant_id"]
    d.do("enrol_household", enrol("hh_late", "2026-05"))
    assert refused(d, "run_month", run("2026-02", [line("hh_late", 0, 1)], EXPIRE_2), Conflict) == [
        "households[0].household_id"
    ]


def test_a_half_rate_purchase_of_one_cent_draws_no_credit() -> None:
    d = ready()
    d.do("approve_merchant", approve("m2", {"food": "0.5"}))
    assert refused(d, "purchase", buy("p1", "hh_a", "m2", 1), InvalidCommand) == ["amount_cents"]
